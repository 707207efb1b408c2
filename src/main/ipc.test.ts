// The desktop app's IPC, without Electron: ipcMain and the preload's contextBridge are stood in
// for, and the handlers run against a real session over the lab demo.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  API_METHODS,
  EVENT_CHANNEL,
  IPC_CHANNELS,
  type PodpathBridge,
  type SessionState,
} from '../api/index.js';
import { startSession } from '../node/session-host.js';

type Handler = (event: { senderFrame: unknown }, ...args: unknown[]) => Promise<unknown>;
const handlers = new Map<string, Handler>();
const exposed = new Map<string, unknown>();
const invoked: { channel: string; args: unknown[] }[] = [];
const listening = new Map<string, (...a: unknown[]) => void>();

vi.mock('electron', () => ({
  ipcMain: { handle: (channel: string, handler: Handler) => void handlers.set(channel, handler) },
  contextBridge: { exposeInMainWorld: (name: string, value: unknown) => void exposed.set(name, value) },
  ipcRenderer: {
    invoke: (channel: string, ...args: unknown[]) => {
      invoked.push({ channel, args });
      return Promise.resolve('answered');
    },
    on: (channel: string, listener: (...a: unknown[]) => void) => void listening.set(channel, listener),
    removeListener: (channel: string) => void listening.delete(channel),
  },
  webUtils: { getPathForFile: () => '/dropped/capture.pcap' },
}));

const page = { url: 'file:///app/out/renderer/index.html', parent: null };
const isOwnPage = (frame: { url: string }): boolean => frame.url === page.url;

describe('main answers the contract over IPC, and only to its own page', () => {
  beforeEach(() => handlers.clear());

  it('registers one channel per API method, each going to the session after the argument checks', async () => {
    const { registerIpcHandlers } = await import('./ipc.js');
    const session = startSession({ version: '9.9.9', threaded: false });
    registerIpcHandlers(session, isOwnPage as never);
    expect([...handlers.keys()].sort()).toEqual(Object.values(IPC_CHANNELS).sort());
    const call = (channel: string, ...args: unknown[]) =>
      handlers.get(channel)!({ senderFrame: page }, ...args);
    expect(await call(IPC_CHANNELS.version)).toBe('9.9.9');
    const state = (await call(IPC_CHANNELS.openDemo)) as SessionState;
    expect(state.captures.map((c) => c.name)).toContain('node1-eth0.pcap');
    await expect(call(IPC_CHANNELS.openCaptures, 'not-a-list')).rejects.toThrow(
      'openCaptures: paths must be a list of 1 to 256 strings',
    );
    await expect(call(IPC_CHANNELS.flows, { offset: 0, limit: 10 ** 9 })).rejects.toThrow(/limit/);
    await expect(call(IPC_CHANNELS.version, 'extra')).rejects.toThrow(/takes 0 arguments/);
    await session.close();
  });

  it('refuses a foreign page, a subframe and a frame that is gone', async () => {
    const { registerIpcHandlers } = await import('./ipc.js');
    const session = startSession({ version: '1', threaded: false });
    registerIpcHandlers(session, isOwnPage as never);
    // Electron answers a handler's throw as a rejected invoke.
    const version = (event: { senderFrame: unknown }) =>
      Promise.resolve().then(() => handlers.get(IPC_CHANNELS.version)!(event));
    await expect(version({ senderFrame: { url: 'https://evil.example/', parent: null } })).rejects.toThrow(
      /refused podpath:version from https:\/\/evil\.example/,
    );
    await expect(version({ senderFrame: { ...page, parent: page } })).rejects.toThrow(/refused/);
    await expect(version({ senderFrame: null })).rejects.toThrow(/a destroyed frame/);
  });
});

describe('the preload exposes the contract and nothing else', () => {
  it('installs one function per API method, the event stream and the dropped-file path', async () => {
    await import('../preload/index.js');
    const bridge = exposed.get('podpath') as PodpathBridge;
    expect(Object.keys(bridge).sort()).toEqual([...API_METHODS, 'onEvent', 'pathForFile'].sort());
    expect(await bridge.flows({ offset: 0, limit: 5 })).toBe('answered');
    expect(invoked.at(-1)).toEqual({ channel: IPC_CHANNELS.flows, args: [{ offset: 0, limit: 5 }] });
    const heard: unknown[] = [];
    const stop = bridge.onEvent((e) => heard.push(e));
    listening.get(EVENT_CHANNEL)!({ sender: 'hidden' }, { type: 'command', command: 'export-image' });
    expect(heard).toEqual([{ type: 'command', command: 'export-image' }]);
    stop();
    expect(listening.has(EVENT_CHANNEL)).toBe(false);
    expect(bridge.pathForFile!({} as File)).toBe('/dropped/capture.pcap');
  });
});
