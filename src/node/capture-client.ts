// The session's handle on one capture's CaptureJob: on a worker thread of its own (so two
// captures are read on two cores, and a big one never holds up the session's answers), or in
// this thread when the compiled worker is not there (the test runner's on-the-fly TypeScript)
// or `threaded: false` asks so. Same calls, same events, either way.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChartsView, FlowPage, FlowQuery, FlowRow, PacketPage } from '../api/index.js';
import { CaptureJob, type CaptureJobEvent, type CaptureJobOptions } from './capture-job.js';

export interface CaptureClient {
  readonly threaded: boolean;
  rows(): Promise<FlowRow[]>;
  /** One page of the flows table of this capture (see CaptureJob.page). */
  page(query: FlowQuery): Promise<FlowPage>;
  charts(): Promise<ChartsView>;
  packets(flow: number, offset: number, limit: number): Promise<PacketPage>;
  exportPackets(flow: number): Promise<{ name: string; packets: number; base64: string }>;
  cancel(): void;
  /** Frees the capture: its thread stops, pending calls fail. */
  close(): void;
}

/** Calls to the worker, and what comes back. */
export type CaptureRequest = {
  id: number;
  method: 'rows' | 'page' | 'charts' | 'packets' | 'exportPackets' | 'cancel';
  args: (number | FlowQuery)[];
};
export type CaptureMessage =
  | { type: 'event'; event: CaptureJobEvent }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; message: string };

// A variable, not a literal: bundlers rewrite `new URL('literal', import.meta.url)` into assets.
const WORKER_FILE = './capture-worker.js';

export function openCapture(
  options: CaptureJobOptions & { threaded?: boolean },
  onEvent: (event: CaptureJobEvent) => void,
): CaptureClient {
  const { threaded, ...jobOptions } = options;
  const url = new URL(WORKER_FILE, import.meta.url);
  if (threaded === false || url.protocol !== 'file:' || !existsSync(fileURLToPath(url)))
    return inThread(new CaptureJob(jobOptions, onEvent));
  return new WorkerCapture(new Worker(url, { workerData: jobOptions }), onEvent);
}

function inThread(job: CaptureJob): CaptureClient {
  let closed = false;
  const open = <T>(work: () => T | Promise<T>): Promise<T> =>
    closed ? Promise.reject(new Error('the capture is closed')) : Promise.resolve().then(work);
  return {
    threaded: false,
    rows: () => open(() => job.rows()),
    // A copy, as a thread's answer would be: the session renames rows it is given.
    page: (query) => open(() => structuredClone(job.page(query))),
    charts: () => open(() => job.chartsView()),
    packets: (flow, offset, limit) => open(() => job.packets(flow, offset, limit)),
    exportPackets: (flow) => open(() => job.exportPackets(flow)),
    cancel: () => job.cancel(),
    close: () => {
      closed = true;
      job.cancel();
    },
  };
}

class WorkerCapture implements CaptureClient {
  readonly threaded = true;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private gone: Error | null = null;
  private finished = false;

  constructor(
    private readonly worker: Worker,
    private readonly onEvent: (event: CaptureJobEvent) => void,
  ) {
    worker.on('message', (message: CaptureMessage) => this.receive(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the capture's thread stopped (exit code ${code})`)));
  }

  rows(): Promise<FlowRow[]> {
    return this.call('rows', []) as Promise<FlowRow[]>;
  }

  page(query: FlowQuery): Promise<FlowPage> {
    return this.call('page', [query]) as Promise<FlowPage>;
  }

  charts(): Promise<ChartsView> {
    return this.call('charts', []) as Promise<ChartsView>;
  }

  packets(flow: number, offset: number, limit: number): Promise<PacketPage> {
    return this.call('packets', [flow, offset, limit]) as Promise<PacketPage>;
  }

  exportPackets(flow: number): Promise<{ name: string; packets: number; base64: string }> {
    return this.call('exportPackets', [flow]) as Promise<{ name: string; packets: number; base64: string }>;
  }

  cancel(): void {
    if (this.gone === null)
      this.worker.postMessage({ id: 0, method: 'cancel', args: [] } satisfies CaptureRequest);
  }

  close(): void {
    this.fail(new Error('the capture is closed'));
    void this.worker.terminate();
  }

  private call(method: CaptureRequest['method'], args: CaptureRequest['args']): Promise<unknown> {
    if (this.gone !== null) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args } satisfies CaptureRequest);
    });
  }

  private receive(message: CaptureMessage): void {
    if (message.type === 'event') {
      if (message.event.type === 'finished') this.finished = true;
      this.onEvent(message.event);
      return;
    }
    const waiting = this.pending.get(message.id);
    if (waiting === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(new Error(message.message));
  }

  private fail(error: Error): void {
    const first = this.gone === null;
    this.gone ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.gone);
    this.pending.clear();
    // A thread that died while reading (out of memory, say) ends the capture as failed.
    if (first && !this.finished && error.message !== 'the capture is closed') {
      this.finished = true;
      this.onEvent({
        type: 'finished',
        state: 'failed',
        progress: { bytesRead: 0, bytesTotal: 0, packets: 0, flows: 0 },
        summary: null,
        error: error.message,
      });
    }
  }
}
