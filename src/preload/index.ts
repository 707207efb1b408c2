// Runs sandboxed, before the renderer. Exposes the src/api contract and nothing else: never raw
// ipcRenderer, whose `send`/`on` would let page script reach any channel.
import { contextBridge, ipcRenderer } from 'electron';
import { API_GLOBAL, IPC_CHANNELS, type PodpathApi } from '../api/index.js';

const api: PodpathApi = {
  version: () => ipcRenderer.invoke(IPC_CHANNELS.version) as Promise<string>,
};

contextBridge.exposeInMainWorld(API_GLOBAL, api);
