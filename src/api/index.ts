// The one contract between the UI and whatever serves it. The preload exposes it over Electron IPC
// today; `serve` will carry the same interface over HTTP/WebSocket, so the renderer never learns
// which transport it has. Declare every request here once, never again on either side.

/** Name of the global the preload installs with `contextBridge.exposeInMainWorld`. */
export const API_GLOBAL = 'podpath';

export interface PodpathApi {
  /** The app's version, e.g. `0.1.0`. */
  version(): Promise<string>;
}

/** IPC channel per API method. Main registers exactly these; nothing else is answered. */
export const IPC_CHANNELS = {
  version: 'podpath:version',
} as const satisfies Record<keyof PodpathApi, string>;
