import type { Endpoint } from './types.js';

/**
 * A flow end's address as people write it: "10.244.2.2:8080", "[fd00::2]:8080", an address
 * alone for protocols without ports, a MAC for non-IP frames, "?" when there is none.
 */
export function endpointAddress(e: Endpoint): string {
  if (e.mac !== undefined) return e.mac;
  const ip = e.ip ?? '?';
  if (e.port === undefined) return ip;
  return ip.includes(':') ? `[${ip}]:${e.port}` : `${ip}:${e.port}`;
}
