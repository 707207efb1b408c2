// The API the page talks to: the preload's bridge inside the desktop app, or the same contract
// over HTTP when `podpath serve` serves the page to a browser. Nothing else in the renderer
// knows which one it has.
import {
  API_GLOBAL,
  API_METHODS,
  type CommandEvent,
  type PodpathBridge,
  type SessionEvent,
  type SessionState,
} from '../api/index.js';

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
  bridge.onEvent = (listener: (event: SessionEvent | CommandEvent) => void) => {
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

let first: Promise<SessionState> | undefined;

/**
 * The session's state, asked for once, as early as the page can (ask-session.ts, main.tsx's
 * first import); main.tsx waits for it before the first render.
 */
export function firstSession(): Promise<SessionState> {
  first ??= getApi().session();
  return first;
}

/** Whether the page runs inside the desktop app (it can show file dialogs there). */
export function isDesktop(): boolean {
  return API_GLOBAL in window;
}

/** A snapshot is JSON or YAML (or a folder of them); anything else is taken for a capture. */
export const SNAPSHOT_NAME = /\.(json|ya?ml)$/i;

/** How far the upload of a dropped file has got (web mode). */
export type UploadProgress = (name: string, sent: number, total: number) => void;

/** Sends one file's bytes to `podpath serve`, which keeps it while it runs and opens it. */
function upload(file: File, onProgress: UploadProgress): Promise<SessionState> {
  return new Promise((resolve, reject) => {
    // XMLHttpRequest, not fetch: only it tells how much of a big capture has been sent.
    const request = new XMLHttpRequest();
    request.open('POST', `/api/upload?name=${encodeURIComponent(file.name)}`);
    request.setRequestHeader('Content-Type', 'application/octet-stream');
    request.upload.onprogress = (e) => onProgress(file.name, e.loaded, e.total || file.size);
    request.onerror = () => reject(new Error(`${file.name}: the upload failed`));
    request.onload = () => {
      let reply: { ok: boolean; value?: SessionState; error?: string };
      try {
        reply = JSON.parse(request.responseText) as typeof reply;
      } catch {
        reject(new Error(`${file.name}: the upload failed (${request.status})`));
        return;
      }
      if (reply.ok && reply.value !== undefined) resolve(reply.value);
      else reject(new Error(reply.error ?? `${file.name}: the upload failed (${request.status})`));
    };
    request.send(file);
  });
}

/**
 * Opens files the user dropped on the window or chose in a file picker: by their paths in the
 * desktop app, by uploading them in web mode. Snapshots first, so the captures are named.
 */
export async function openLocalFiles(
  files: readonly File[],
  onProgress: UploadProgress = () => undefined,
): Promise<SessionState> {
  const api = getApi();
  const ordered = [...files].sort(
    (a, b) => Number(SNAPSHOT_NAME.test(b.name)) - Number(SNAPSHOT_NAME.test(a.name)),
  );
  let state = await api.session();
  if (api.pathForFile !== undefined) {
    const paths = ordered.map((f) => api.pathForFile!(f)).filter((p) => p !== '');
    const captures = paths.filter((p) => !SNAPSHOT_NAME.test(p));
    for (const p of paths.filter((x) => SNAPSHOT_NAME.test(x))) state = await api.openSnapshot(p);
    if (captures.length > 0) state = await api.openCaptures(captures);
    return state;
  }
  for (const file of ordered) state = await upload(file, onProgress);
  return state;
}
