// One capture read on two cores: this thread reads the file's first part while a worker reads
// the rest from a record boundary on, and this thread's analysis then takes on the worker's (its
// flows summed and appended, its records renumbered, its packet index rows appended), which gives
// exactly what one reading from start to end gives. When it cannot (the guessed boundary was not
// one, or one of CaptureAnalysis.canAbsorb's rare cases), this thread reads the rest itself.
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type AnalysisParts, CaptureAnalysis } from '../core/analysis/index.js';
import { guessPcapBoundary } from '../core/capture/index.js';
import { PacketIndex, type PacketIndexParts } from '../core/index/index.js';
import { type CaptureFileInfo, readCaptureFile } from './capture-file.js';

/** Smaller files are read on one thread: a worker's start (about 50 ms) would not pay. */
export const SPLIT_MIN_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = 24;
/** Bytes looked through for a record boundary. */
const GUESS_BYTES = 1024 * 1024;
/**
 * Where the worker starts, as a share of the file: a little past the middle, since the worker
 * starts later (thread and module start) and this thread then merges its work.
 */
const SPLIT_SHARE = 0.53;

export interface SplitOptions {
  /** The worker's part starts at the first record boundary at or after this offset (default: the SPLIT_SHARE point). */
  at?: number;
  /** Read the second part on this thread after the first (tests: no compiled worker there). */
  inThread?: boolean;
  /** Read files from this size on in two parts (default SPLIT_MIN_BYTES). */
  minBytes?: number;
  /** Start the second part exactly here, boundary or not (tests: the case where it is not one). */
  start?: number;
}

/** What the second part's reading gives back: null when it could not start there. */
export interface SplitResult {
  parts: AnalysisParts | null;
  index: PacketIndexParts | null;
}

/** The job a split worker is given. */
export interface SplitJob {
  path: string;
  header: Uint8Array;
  start: number;
  vxlanPorts: number[];
  index: boolean;
}

// A variable, not a literal: bundlers rewrite `new URL('literal', import.meta.url)` into assets.
const WORKER_FILE = './split-worker.js';

/**
 * Reads the file into `analysis` (and `index`, when given), in two parts at once when it is a
 * pcap file big enough and there are two cores; returns null, having read nothing, when it is
 * not to be split (the caller reads it as usual).
 */
export async function readSplit(
  path: string,
  analysis: CaptureAnalysis,
  index: PacketIndex | null,
  onChunk: (chunk: Uint8Array) => void,
  options: SplitOptions & { vxlanPorts?: readonly number[] },
): Promise<CaptureFileInfo | null> {
  const url = new URL(WORKER_FILE, import.meta.url);
  const threaded = url.protocol === 'file:' && existsSync(fileURLToPath(url)) && availableParallelism() > 1;
  if (!threaded && options.inThread !== true) return null;
  const found = await findBoundary(path, options);
  if (found === null) return null;
  const { size, header, start } = found;
  const job: SplitJob = {
    path,
    header,
    start,
    vxlanPorts: [...(options.vxlanPorts ?? [])],
    index: index !== null,
  };
  const second = threaded && options.inThread !== true ? inWorker(url, job) : null;
  let first: CaptureFileInfo;
  try {
    first = await readCaptureFile(path, onChunk, { end: start });
  } catch (error) {
    second?.stop();
    throw error;
  }
  let result: SplitResult;
  try {
    result = second !== null ? await second.result : await readPart(job);
  } catch {
    result = { parts: null, index: null };
  }
  const parts = result.parts;
  if (parts !== null && (index === null || result.index !== null) && analysis.canAbsorb(parts)) {
    const flowIds = analysis.absorb(parts);
    if (index !== null && result.index !== null)
      index.appendFrom(PacketIndex.fromParts(result.index), flowIds);
    return { ...first, size, bytesRead: size, split: { at: start, absorbed: true } };
  }
  second?.stop();
  // Not a boundary after all (or a case absorb cannot do exactly): read on here.
  const rest = await readCaptureFile(path, onChunk, { start });
  return {
    ...first,
    size,
    bytesRead: first.bytesRead + rest.bytesRead,
    split: { at: start, absorbed: false },
  };
}

/** The file's header and the worker's starting point, or null when the file is not to be split. */
async function findBoundary(
  path: string,
  options: SplitOptions,
): Promise<{ size: number; header: Uint8Array; start: number } | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (handle === null) return null; // readCaptureFile says why, in its words
  try {
    const { size } = await handle.stat();
    if (size < (options.minBytes ?? SPLIT_MIN_BYTES) || size <= HEADER_BYTES) return null;
    const header = new Uint8Array(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    if (options.start !== undefined) return { size, header, start: options.start };
    const from = Math.max(HEADER_BYTES, Math.min(size - 1, options.at ?? Math.floor(size * SPLIT_SHARE)));
    const bytes = new Uint8Array(Math.min(GUESS_BYTES, size - from));
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, from);
    const start = guessPcapBoundary(header, bytes.subarray(0, bytesRead), from);
    return start < 0 ? null : { size, header, start };
  } finally {
    await handle.close();
  }
}

/** Reads a split job's part: its analysis and index as transferable data. */
export async function readPart(job: SplitJob): Promise<SplitResult> {
  const index = job.index ? new PacketIndex() : null;
  const analysis = new CaptureAnalysis({ vxlanPorts: job.vxlanPorts, ...(index ? { observer: index } : {}) });
  if (!analysis.startAt(job.header, job.start)) return { parts: null, index: null };
  await readCaptureFile(job.path, (chunk) => analysis.push(chunk), { start: job.start });
  analysis.end();
  index?.finish();
  return { parts: analysis.parts(), index: index?.parts() ?? null };
}

function inWorker(url: URL, job: SplitJob): { result: Promise<SplitResult>; stop: () => void } {
  const worker = new Worker(url, { workerData: job });
  const result = new Promise<SplitResult>((resolve, reject) => {
    worker.once('message', (message: SplitResult) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the second reading thread stopped (exit code ${code})`)));
  });
  return { result, stop: () => void worker.terminate() };
}
