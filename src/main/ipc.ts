// Main's side of the src/api contract over Electron IPC. Handlers translate; they do not decide:
// every channel goes to the session's method of that name (on its own thread, see
// src/node/session-host.ts), after the contract's argument checks, exactly as `podpath serve`
// does over HTTP.
import { ipcMain, type WebContents, type WebFrameMain } from 'electron';
import { API_METHODS, EVENT_CHANNEL, IPC_CHANNELS, type CommandEvent } from '../api/index.js';
import type { SessionHost } from '../node/session-host.js';

/** Decides whether a frame is our own renderer page; anything else gets no answer. */
export type FrameCheck = (frame: WebFrameMain) => boolean;

export function registerIpcHandlers(session: SessionHost, isTrustedFrame: FrameCheck): void {
  for (const method of API_METHODS) {
    const channel = IPC_CHANNELS[method];
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      // senderFrame is null once the frame navigated away or died; a subframe is never trusted.
      const frame = event.senderFrame;
      if (frame === null || frame.parent !== null || !isTrustedFrame(frame)) {
        throw new Error(`refused ${channel} from ${frame?.url ?? 'a destroyed frame'}`);
      }
      return session.call(method, args);
    });
  }
}

/** Sends the window every session change; stops when the window goes. */
export function forwardSessionEvents(session: SessionHost, contents: WebContents): void {
  const unsubscribe = session.subscribe((event) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
  });
  contents.once('destroyed', unsubscribe);
}

/** Hands a menu command to the page. */
export function sendCommand(contents: WebContents, command: CommandEvent['command']): void {
  if (!contents.isDestroyed())
    contents.send(EVENT_CHANNEL, { type: 'command', command } satisfies CommandEvent);
}
