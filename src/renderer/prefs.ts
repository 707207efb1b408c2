// What the page remembers between runs (localStorage: per browser in web mode, per app in
// Electron): whether flow ends show names, and the files opened recently.
import { useSyncExternalStore } from 'react';

const NAMES_KEY = 'podpath.showNames';
const RECENT_KEY = 'podpath.recent';
const MAX_RECENT = 10;
const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function showNames(): boolean {
  return localStorage.getItem(NAMES_KEY) !== 'false';
}

export function setShowNames(value: boolean): void {
  localStorage.setItem(NAMES_KEY, String(value));
  notify();
}

/** Whether flow ends show names (pod, node, Service) beside their addresses; re-renders on change. */
export function useShowNames(): boolean {
  return useSyncExternalStore(subscribe, showNames);
}

/** Re-renders when the page's recent list changes. */
export function useRecentFiles(): string | null {
  return useSyncExternalStore(subscribe, () => localStorage.getItem(RECENT_KEY));
}

export function recentFiles(): string[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberFiles(paths: readonly string[]): void {
  const list = [...paths, ...recentFiles().filter((p) => !paths.includes(p))].slice(0, MAX_RECENT);
  localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  notify();
}
