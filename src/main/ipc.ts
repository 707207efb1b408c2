// Main's side of the src/api contract over Electron IPC. Handlers translate; they do not decide.
import { app, ipcMain, type WebFrameMain } from 'electron';
import { IPC_CHANNELS, type PodpathApi } from '../api/index.js';

/** Decides whether a frame is our own renderer page; anything else gets no answer. */
export type FrameCheck = (frame: WebFrameMain) => boolean;

// Arguments arrive from a renderer, so each handler validates its own before using them.
type Handlers = { [K in keyof PodpathApi]: (args: readonly unknown[]) => ReturnType<PodpathApi[K]> };

const handlers: Handlers = {
  version: async (args) => {
    expectArgumentCount('version', args, 0);
    return app.getVersion();
  },
};

export function registerIpcHandlers(isTrustedFrame: FrameCheck): void {
  for (const method of Object.keys(IPC_CHANNELS) as (keyof PodpathApi)[]) {
    const channel = IPC_CHANNELS[method];
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      // senderFrame is null once the frame navigated away or died; a subframe is never trusted.
      const frame = event.senderFrame;
      if (frame === null || frame.parent !== null || !isTrustedFrame(frame)) {
        throw new Error(`refused ${channel} from ${frame?.url ?? 'a destroyed frame'}`);
      }
      return handlers[method](args);
    });
  }
}

function expectArgumentCount(method: string, args: readonly unknown[], count: number): void {
  if (args.length !== count) throw new TypeError(`${method} takes ${count} arguments, got ${args.length}`);
}
