// Where the Session runs. Reading a capture is CPU work: in the desktop app it must not share the
// Electron main process's thread (menus, window events and IPC stall behind it), nor the web
// server's (requests and progress events wait). startSession puts the Session on a worker thread
// and gives back the two things a transport needs: `call` and `subscribe`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ApiInputError, type ApiMethod, type SessionEvent } from '../api/index.js';
import { Session, type SessionOptions } from './session.js';

/** What Electron IPC and `podpath serve` need of a session, wherever it runs. */
export interface SessionHost {
  /** Validates a page's arguments against the contract, then runs the method. */
  call(method: ApiMethod, args: readonly unknown[]): Promise<unknown>;
  /** Hears every session change; returns the unsubscribe. */
  subscribe(listener: (event: SessionEvent) => void): () => void;
  /** Stops reading and frees the thread. */
  close(): Promise<void>;
  /** Whether the session runs on its own thread. */
  readonly threaded: boolean;
}

/** Messages to the worker, and back. */
export type HostRequest = { id: number; method: ApiMethod; args: readonly unknown[] };
export type HostMessage =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; name: string; message: string }
  | { type: 'event'; event: SessionEvent };

// A variable, not a literal: bundlers rewrite `new URL('literal', import.meta.url)` into assets.
const WORKER_FILE = './session-worker.js';

/**
 * A Session on a worker thread, or in this thread when the compiled worker is not there (the test
 * runner's on-the-fly TypeScript) or `threaded: false` asks so.
 */
export function startSession(options: SessionOptions & { threaded?: boolean }): SessionHost {
  const { threaded, ...sessionOptions } = options;
  const url = new URL(WORKER_FILE, import.meta.url);
  if (threaded === false || url.protocol !== 'file:' || !existsSync(fileURLToPath(url)))
    return inThread(new Session(sessionOptions));
  return new WorkerSession(new Worker(url, { workerData: sessionOptions }));
}

function inThread(session: Session): SessionHost {
  return {
    threaded: false,
    call: (method, args) => session.call(method, args),
    subscribe: (listener) => session.subscribe(listener),
    close: async () => {
      const state = await session.session();
      await Promise.all(state.captures.map((c) => session.cancel(c.id)));
    },
  };
}

class WorkerSession implements SessionHost {
  readonly threaded = true;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  /** Why the worker is gone, once it is: every later call fails with it. */
  private gone: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('message', (message: HostMessage) => this.receive(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the session thread stopped (exit code ${code})`)));
  }

  call(method: ApiMethod, args: readonly unknown[]): Promise<unknown> {
    if (this.gone !== null) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, method, args } satisfies HostRequest);
      } catch (error) {
        // Arguments a structured clone cannot carry (functions, say) are not the contract's.
        this.pending.delete(id);
        reject(new ApiInputError(`${method}: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.fail(new Error('the session is closed'));
    await this.worker.terminate();
  }

  private receive(message: HostMessage): void {
    if (message.type === 'event') {
      for (const listener of this.listeners) listener(message.event);
      return;
    }
    const waiting = this.pending.get(message.id);
    if (waiting === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else {
      const error =
        message.name === 'ApiInputError' ? new ApiInputError(message.message) : new Error(message.message);
      waiting.reject(error);
    }
  }

  private fail(error: Error): void {
    this.gone ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.gone);
    this.pending.clear();
  }
}
