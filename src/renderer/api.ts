// The API the page talks to: the preload's bridge inside the desktop app, or the same contract
// over HTTP when `podpath serve` serves the page to a browser. Nothing else in the renderer
// knows which one it has.
import { API_GLOBAL, API_METHODS, type PodpathBridge, type SessionEvent } from '../api/index.js';

/** Calls `podpath serve`'s API: POST /api/<method> with the arguments as a JSON array. */
function httpBridge(): PodpathBridge {
  const call =
    (method: string) =>
    async (...args: unknown[]): Promise<unknown> => {
      // Same origin: the HttpOnly cookie the server set carries the run's token.
      const response = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
      const reply = (await response.json()) as { ok: boolean; value?: unknown; error?: string };
      if (!reply.ok) throw new Error(reply.error ?? `${method} failed (${response.status})`);
      return reply.value;
    };
  const bridge = Object.fromEntries(API_METHODS.map((m) => [m, call(m)])) as unknown as PodpathBridge;
  bridge.onEvent = (listener: (event: SessionEvent) => void) => {
    const source = new EventSource('/api/events');
    source.onmessage = (message: MessageEvent<string>) => listener(JSON.parse(message.data) as SessionEvent);
    return () => source.close();
  };
  return bridge;
}

let cached: PodpathBridge | undefined;

/** The desktop app's bridge when the preload installed one, else web mode's. */
export function getApi(): PodpathBridge {
  cached ??=
    (window as unknown as Partial<Record<typeof API_GLOBAL, PodpathBridge>>)[API_GLOBAL] ?? httpBridge();
  return cached;
}

/** Whether the page runs inside the desktop app (it can show file dialogs there). */
export function isDesktop(): boolean {
  return API_GLOBAL in window;
}
