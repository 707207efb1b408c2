// Runs sandboxed, before the renderer. Exposes the src/api contract and nothing else: never raw
// ipcRenderer, whose `send`/`on` would let page script reach any channel.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  API_GLOBAL,
  API_METHODS,
  EVENT_CHANNEL,
  IPC_CHANNELS,
  type CommandEvent,
  type PodpathBridge,
  type SessionEvent,
} from '../api/index.js';

const bridge = Object.fromEntries(
  API_METHODS.map((method) => [
    method,
    (...args: unknown[]) => ipcRenderer.invoke(IPC_CHANNELS[method], ...args),
  ]),
) as unknown as PodpathBridge;

bridge.onEvent = (listener: (event: SessionEvent | CommandEvent) => void) => {
  const wrapped = (_event: IpcRendererEvent, payload: SessionEvent | CommandEvent): void => listener(payload);
  ipcRenderer.on(EVENT_CHANNEL, wrapped);
  return () => void ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
};

// A dropped File's path on disk: the page cannot see it, and Electron no longer sets File.path.
bridge.pathForFile = (file: File) => webUtils.getPathForFile(file);

contextBridge.exposeInMainWorld(API_GLOBAL, bridge);
