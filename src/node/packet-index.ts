// Random access to a capture's packets through its PacketIndex: the packets view reads and
// decodes only the rows on screen, with positional reads, instead of re-reading the file.
import { type FileHandle, open } from 'node:fs/promises';
import type { PacketPage, PacketRow } from '../api/index.js';
import { describePacket, ObserverList } from '../core/analysis/index.js';
import { type CaptureRecord, formatTimestamp, readRecordAt, sectionAt } from '../core/capture/index.js';
import { DecodedPacket, DecodeTables } from '../core/decode/index.js';
import { PacketIndex } from '../core/index/index.js';
import { analyzeFile, type AnalyzedFile } from './analyze-file.js';

/** Neighbouring records closer than this are read in one go, gap included. */
const MAX_GAP = 64 * 1024;
/** Longest single read of neighbouring records. */
const MAX_BATCH = 4 * 1024 * 1024;
/** Bytes read for a record whose end the index cannot bound (the last one); a longer one is read again whole. */
const RECORD_WINDOW = 256 * 1024 + 64;
/** Reads in flight at once (libuv's thread pool has four threads). */
const CONCURRENT_READS = 4;
/** The packets view shows at most this much of a packet as hex. */
const HEX_LIMIT = 4096;

/** A capture that cannot be read at random (gzip), or whose bytes no longer match its index. */
export class RandomAccessError extends Error {
  override readonly name = 'RandomAccessError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** An analyzed file and the packet index built while it was read. */
export interface IndexedFile extends AnalyzedFile {
  packetIndex: PacketIndex;
  /** False for gzip'd captures: read their packets sequentially (the index still gives packetsOf and times). */
  randomAccess: boolean;
}

/**
 * analyzeFile, building the file's PacketIndex on the way (16 bytes a packet). The caller's
 * observer, if any, still sees every packet, before the index does.
 */
export async function analyzeFileIndexed(
  path: string,
  options: Parameters<typeof analyzeFile>[1] = {},
): Promise<IndexedFile> {
  const packetIndex = new PacketIndex();
  const onStart = options.onStart;
  const file = await analyzeFile(path, {
    ...options,
    observer: options.observer ? new ObserverList(options.observer, packetIndex) : packetIndex,
    onStart: (analysis) => {
      packetIndex.attach(analysis.reader);
      onStart?.(analysis);
    },
  });
  packetIndex.finish();
  return { ...file, packetIndex, randomAccess: !file.info.compressed };
}

/**
 * Whether a capture can be read at random: false for gzip (a record's offset is in the
 * uncompressed stream, which only a sequential read can reach); read those sequentially.
 */
export async function supportsRandomAccess(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    return !(await isGzip(handle));
  } finally {
    await handle.close();
  }
}

/**
 * The records of the given packets (numbers into `index`), in the order asked, each read with
 * a positional read (neighbouring records share one) and framed as the streaming reader framed
 * it: same bytes, lengths, timestamps, link type and interface. Records and their bytes are
 * this call's own (nothing is reused), so they may be kept.
 * Throws RandomAccessError for a gzip'd file, or when a record is no longer where the index
 * says (the file changed since it was indexed); RangeError for a packet not in the index.
 */
export async function readPacketsAt(
  path: string,
  index: PacketIndex,
  packetNumbers: ArrayLike<number>,
  options: { signal?: AbortSignal } = {},
): Promise<CaptureRecord[]> {
  const wanted = new Set<number>();
  for (let i = 0; i < packetNumbers.length; i++) {
    const n = packetNumbers[i];
    if (!Number.isInteger(n) || n < 0 || n >= index.count)
      throw new RangeError(`no packet ${n} in the index (${index.count})`);
    wanted.add(n);
  }
  const handle = await open(path, 'r');
  try {
    if (await isGzip(handle))
      throw new RandomAccessError(
        path,
        `${path} is gzip-compressed: its packets cannot be read at random, only by reading it again`,
      );
    const { size } = await handle.stat();
    const groups = batches(
      index,
      [...wanted].sort((a, b) => a - b),
      size,
      path,
    );
    const found = new Map<number, CaptureRecord>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) {
        options.signal?.throwIfAborted();
        const group = groups[next++];
        await readBatch(handle, path, index, group, found);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, groups.length) }, worker));
    const out: CaptureRecord[] = [];
    for (let i = 0; i < packetNumbers.length; i++) out.push(found.get(packetNumbers[i])!);
    return out;
  } finally {
    await handle.close();
  }
}

export interface PacketRowOptions {
  /** Fractional digits of the times (CaptureAnalysis.precisionDigits()); 6 unless given. */
  precisionDigits?: number;
  /** The flow table, to tell which way each packet went (`fromSrc`); without it every row is fromSrc. */
  flows?: { initiator(flow: number): number };
  /** UDP ports decoded as VXLAN besides the defaults, as the analysis had them. */
  vxlanPorts?: readonly number[];
  signal?: AbortSignal;
}

/** The packets view's rows for the given packets: read at random, decoded, described. */
export async function packetRowsAt(
  path: string,
  index: PacketIndex,
  packetNumbers: ArrayLike<number>,
  options: PacketRowOptions = {},
): Promise<PacketRow[]> {
  const records = await readPacketsAt(path, index, packetNumbers, options);
  const tables = new DecodeTables();
  for (const port of options.vxlanPorts ?? []) tables.addVxlanPort(port);
  const p = new DecodedPacket();
  const digits = options.precisionDigits ?? 6;
  return records.map((r) => {
    p.decode(r.bytes, r.start, r.capturedLength, r.originalLength, r.linkType, r.fcsLength, tables);
    const flow = index.flow(r.index);
    const fromSrc =
      options.flows === undefined || flow < 0 || index.direction(r.index) === options.flows.initiator(flow);
    const hexEnd = r.start + Math.min(r.capturedLength, HEX_LIMIT);
    return {
      index: r.index,
      time: r.hasTimestamp ? formatTimestamp(r.tsSeconds, r.tsNanos, digits) : null,
      length: r.originalLength,
      captured: r.capturedLength,
      fromSrc,
      layers: describePacket(p, r.bytes),
      hex: Buffer.from(r.bytes.buffer, r.bytes.byteOffset + r.start, hexEnd - r.start).toString('hex'),
    };
  });
}

/**
 * One page of a packets list: of `packetNumbers` (say `index.packetsOf(flow)`), or of every
 * packet of the capture when null; reads only the page's rows.
 */
export async function packetPageAt(
  path: string,
  index: PacketIndex,
  packetNumbers: ArrayLike<number> | null,
  offset: number,
  limit: number,
  options: PacketRowOptions = {},
): Promise<PacketPage> {
  const total = packetNumbers === null ? index.count : packetNumbers.length;
  const end = Math.min(total, offset + Math.max(0, limit));
  const page: number[] = [];
  for (let i = Math.max(0, offset); i < end; i++) page.push(packetNumbers === null ? i : packetNumbers[i]);
  return { total, offset, packets: await packetRowsAt(path, index, page, options) };
}

// ---- internals -------------------------------------------------------------------------

interface Batch {
  start: number;
  end: number;
  packets: number[];
}

/** Groups ascending packet numbers into reads: neighbours within MAX_GAP share one, up to MAX_BATCH. */
function batches(index: PacketIndex, packets: number[], fileSize: number, path: string): Batch[] {
  const out: Batch[] = [];
  let current: Batch | null = null;
  for (const n of packets) {
    const start = index.offset(n);
    if (start < 0)
      throw new RandomAccessError(path, `packet ${n} lies beyond the 256 TiB the packet index can address`);
    // A record ends where the next one starts; the last one, or one before a far gap, gets a window.
    const next = n + 1 < index.count ? index.offset(n + 1) : -1;
    const end = Math.min(
      fileSize,
      next > start ? Math.min(next, start + RECORD_WINDOW) : start + RECORD_WINDOW,
    );
    if (
      current !== null &&
      start - current.end <= MAX_GAP &&
      Math.max(end, current.end) - current.start <= MAX_BATCH
    ) {
      current.end = Math.max(end, current.end);
      current.packets.push(n);
      continue;
    }
    current = { start, end: Math.max(start, end), packets: [n] };
    out.push(current);
  }
  return out;
}

async function readBatch(
  handle: FileHandle,
  path: string,
  index: PacketIndex,
  batch: Batch,
  found: Map<number, CaptureRecord>,
): Promise<void> {
  const buffer = new Uint8Array(batch.end - batch.start);
  const length = await readAt(handle, buffer, batch.start);
  for (const n of batch.packets) {
    const offset = index.offset(n);
    const at = offset - batch.start;
    found.set(n, await frameAt(handle, path, index, n, buffer.subarray(at, Math.max(at, length))));
  }
}

/** Frames packet n's record from `bytes` (the file from its offset), reading it alone when they are too few. */
async function frameAt(
  handle: FileHandle,
  path: string,
  index: PacketIndex,
  n: number,
  bytes: Uint8Array,
): Promise<CaptureRecord> {
  const offset = index.offset(n);
  const section = sectionAt(index.sections, offset);
  if (section === null)
    throw new RandomAccessError(path, `packet ${n}: the index has no section for byte ${offset}`);
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = readRecordAt(section, bytes, offset, n);
    if (result.kind === 'record') return result.record;
    if (result.kind === 'none')
      throw new RandomAccessError(
        path,
        `packet ${n}: no packet record at byte ${offset} of ${path}${
          result.issue !== null ? ` (${result.issue.message})` : ''
        }; has the file changed since it was read?`,
      );
    // 'short': the record is longer than the window; read it whole (a header may say how long first).
    const whole = new Uint8Array(result.need);
    const length = await readAt(handle, whole, offset);
    if (length < result.need)
      throw new RandomAccessError(
        path,
        `packet ${n}: ${path} ends inside its record (byte ${offset}, ${result.need} bytes); has the file changed since it was read?`,
      );
    bytes = whole;
  }
  throw new RandomAccessError(path, `packet ${n}: its record at byte ${offset} could not be framed`);
}

/** Reads into `buffer` from `position` until it is full or the file ends; the bytes read. */
async function readAt(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

async function isGzip(handle: FileHandle): Promise<boolean> {
  const head = new Uint8Array(2);
  const length = await readAt(handle, head, 0);
  return length === 2 && head[0] === 0x1f && head[1] === 0x8b;
}
