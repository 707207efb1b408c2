// Main's side of the src/api contract over Electron IPC. Handlers translate; they do not decide:
// every channel goes to the Session's method of that name, after the contract's argument checks
// (Session.call), exactly as `podpath serve` does over HTTP.
import { ipcMain, type WebContents, type WebFrameMain } from 'electron';
import { API_METHODS, EVENT_CHANNEL, IPC_CHANNELS } from '../api/index.js';
import type { Session } from '../node/session.js';

/** Decides whether a frame is our own renderer page; anything else gets no answer. */
export type FrameCheck = (frame: WebFrameMain) => boolean;

export function registerIpcHandlers(session: Session, isTrustedFrame: FrameCheck): void {
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
export function forwardSessionEvents(session: Session, contents: WebContents): void {
  const unsubscribe = session.subscribe((event) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
  });
  contents.once('destroyed', unsubscribe);
}
