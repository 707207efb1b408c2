import { API_GLOBAL, type PodpathApi } from '../api/index.js';

/** The API the preload installed, or undefined when the page runs without the desktop shell. */
export function getApi(): PodpathApi | undefined {
  return (window as unknown as Partial<Record<typeof API_GLOBAL, PodpathApi>>)[API_GLOBAL];
}
