// `podpath analyze` over several captures: each is read on a worker thread of its own, as many at
// once as there are cores, and their flows are written out in the captures' order, a batch at a
// time, with the writer's pace (a worker sends its next batch when the last one is written). One
// capture is read on this thread. Either way the output is byte for byte the same.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type CaptureSummary,
  type ClusterSummary,
  type FlowSummary,
  JsonBytes,
} from '../core/analysis/index.js';
import type { ClusterIndex } from '../core/cluster/index.js';
import { type AnalyzedFile, analyzeFile, clusterSummary, flowWriter, topFlows } from './analyze-file.js';
import { CaptureFileError } from './capture-file.js';
import { analyzeFileIndexed } from './packet-index.js';
import { clusterIndexOf, loadClusterSnapshot, SnapshotFileError } from './snapshot-file.js';

export interface AnalyzeJob {
  path: string;
  vxlanPorts: number[];
  /** The snapshot file or folder (--cluster), loaded by each thread for itself. */
  clusterPath: string | null;
  /** Build the packet index while reading (--index); its size goes in the summary. */
  index: boolean;
  /** Top flows to keep for the readable output (0: all of them; null: none). */
  top: number | null;
  /** Read a big capture on two threads (the one capture of a run: see split-read.ts). */
  split?: boolean;
}

/** What a capture's reading gave, before its flows are written. */
export type AnalyzeHead =
  | {
      ok: true;
      summary: CaptureSummary;
      flowCount: number;
      top: FlowSummary[];
      cluster: ClusterSummary | null;
    }
  | { ok: false; snapshot: boolean; message: string };

/** A capture being read (or read): its head, then its flows as JSON text in batches. */
export interface AnalyzeItem {
  head: Promise<AnalyzeHead>;
  /** The flows, as the --json document's "flows" holds them (comma-joined), a batch at a time. */
  flows(): AsyncIterable<Uint8Array>;
  /** Frees the capture without writing its flows. */
  drop(): void;
}

/** Bytes of flow text a batch carries. */
const BATCH_BYTES = 1 << 20;

/** Messages between this thread and a reading thread, about the capture numbered `key`. */
export type ToWorker =
  | { type: 'analyze'; key: number; job: AnalyzeJob }
  | { type: 'flows'; key: number }
  | { type: 'more'; key: number }
  | { type: 'drop'; key: number };
export type FromWorker =
  | { type: 'head'; key: number; head: AnalyzeHead }
  | { type: 'batch'; key: number; bytes: Uint8Array }
  | { type: 'end'; key: number };

/** Reads one capture here: the head, and the file to write flows from. */
export async function analyzeHere(
  job: AnalyzeJob,
): Promise<{ head: AnalyzeHead; file: AnalyzedFile | null }> {
  let cluster: ClusterIndex | undefined;
  try {
    if (job.clusterPath !== null) cluster = await clusterIndexOf(await loadClusterSnapshot(job.clusterPath));
    const options = {
      vxlanPorts: job.vxlanPorts,
      split: job.split ?? false,
      ...(cluster ? { cluster } : {}),
    };
    let file: AnalyzedFile;
    if (job.index) {
      const indexed = await analyzeFileIndexed(job.path, options);
      indexed.summary.packetIndex = {
        packets: indexed.packetIndex.count,
        bytes: indexed.packetIndex.bytes(),
        randomAccess: indexed.randomAccess,
      };
      file = indexed;
    } else file = await analyzeFile(job.path, options);
    return {
      head: {
        ok: true,
        summary: file.summary,
        flowCount: file.analysis.flows.count,
        top: job.top !== null && file.summary.format !== null ? topFlows(file, job.top) : [],
        cluster: cluster ? clusterSummary(cluster) : null,
      },
      file,
    };
  } catch (error) {
    if (error instanceof SnapshotFileError)
      return { head: { ok: false, snapshot: true, message: error.message }, file: null };
    if (error instanceof CaptureFileError)
      return { head: { ok: false, snapshot: false, message: error.message }, file: null };
    throw error;
  }
}

/** A file's flows as comma-joined JSON text, in batches of about BATCH_BYTES. */
export function* flowBatches(file: AnalyzedFile): Generator<Uint8Array> {
  const writer = flowWriter(file);
  const out = new JsonBytes(BATCH_BYTES * 2);
  const count = file.analysis.flows.count;
  for (let id = 0; id < count; id++) {
    if (id > 0) out.byte(44);
    writer.write(id, out);
    if (out.length >= BATCH_BYTES) {
      yield out.view().slice();
      out.clear();
    }
  }
  if (out.length > 0) yield out.view().slice();
}

// A variable, not a literal: bundlers rewrite `new URL('literal', import.meta.url)` into assets.
const WORKER_FILE = './analyze-worker.js';

/**
 * Starts reading every capture: one here (on two threads when big: see split-read.ts), or
 * several on `threads` threads, one per core by default (capture i on thread i mod threads). Items come back in the jobs' order; the threads
 * end once every item's flows were written or dropped.
 */
export function analyzeMany(jobs: readonly AnalyzeJob[], threads = availableParallelism()): AnalyzeItem[] {
  const url = new URL(WORKER_FILE, import.meta.url);
  const threaded =
    threads > 1 && jobs.length > 1 && url.protocol === 'file:' && existsSync(fileURLToPath(url));
  // One capture: read on this thread and, when big, a second one (analyzeFile's split).
  if (!threaded) return sequential(jobs.length === 1 && threads > 1 ? [{ ...jobs[0], split: true }] : jobs);
  const workers = Array.from(
    { length: Math.min(jobs.length, Math.max(1, threads)) },
    () => new ReadingThread(url),
  );
  let open = jobs.length;
  const finished = (): void => {
    if (--open === 0) for (const w of workers) w.stop();
  };
  return jobs.map((job, key) => workers[key % workers.length].add(key, job, finished));
}

/** One after another on this thread (one capture, or no compiled worker). */
function sequential(jobs: readonly AnalyzeJob[]): AnalyzeItem[] {
  let previous: Promise<unknown> = Promise.resolve();
  return jobs.map((job) => {
    const read = previous.then(() => analyzeHere(job));
    previous = read;
    let file: AnalyzedFile | null = null;
    return {
      head: read.then((r) => {
        file = r.file;
        return r.head;
      }),
      async *flows() {
        await read;
        if (file !== null) yield* flowBatches(file);
        file = null;
      },
      drop: () => void (file = null),
    };
  });
}

interface Stream {
  resolveHead: (head: AnalyzeHead) => void;
  rejectHead: (error: Error) => void;
  batches: Uint8Array[];
  ended: boolean;
  wake: (() => void) | null;
}

/** A thread that reads the captures given to it in turn, keeping each until its flows are written. */
class ReadingThread {
  private readonly worker: Worker;
  private readonly streams = new Map<number, Stream>();
  private failure: Error | null = null;

  constructor(url: URL) {
    this.worker = new Worker(url);
    this.worker.on('message', (message: FromWorker) => {
      const stream = this.streams.get(message.key);
      if (stream === undefined) return;
      if (message.type === 'head') stream.resolveHead(message.head);
      else if (message.type === 'batch') stream.batches.push(message.bytes);
      else stream.ended = true;
      stream.wake?.();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`a reading thread stopped (exit code ${code})`)));
  }

  add(key: number, job: AnalyzeJob, finished: () => void): AnalyzeItem {
    let resolveHead!: (head: AnalyzeHead) => void;
    let rejectHead!: (error: Error) => void;
    const head = new Promise<AnalyzeHead>((resolve, reject) => {
      resolveHead = resolve;
      rejectHead = reject;
    });
    const stream: Stream = { resolveHead, rejectHead, batches: [], ended: false, wake: null };
    this.streams.set(key, stream);
    this.post({ type: 'analyze', key, job });
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.streams.delete(key);
      finished();
    };
    const failure = (): Error | null => this.failure;
    const post = (message: ToWorker): void => this.post(message);
    return {
      head,
      async *flows() {
        const h = await head;
        if (!h.ok) {
          finish();
          return;
        }
        post({ type: 'flows', key });
        try {
          for (;;) {
            const error = failure();
            if (error !== null) throw error;
            const next = stream.batches.shift();
            if (next !== undefined) {
              yield next;
              // Written: the thread may make the next batch.
              post({ type: 'more', key });
              continue;
            }
            if (stream.ended) return;
            await new Promise<void>((resolve) => (stream.wake = resolve));
            stream.wake = null;
          }
        } finally {
          finish();
        }
      },
      drop: () => {
        post({ type: 'drop', key });
        finish();
      },
    };
  }

  stop(): void {
    void this.worker.terminate();
  }

  private post(message: ToWorker): void {
    if (this.failure === null) this.worker.postMessage(message);
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    for (const stream of this.streams.values()) {
      stream.rejectHead(error);
      stream.wake?.();
    }
  }
}
