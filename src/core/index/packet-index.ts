import type { PacketObserver } from '../analysis/index.js';
import { type CaptureRecord, type SectionContext, sectionAt } from '../capture/index.js';
import type { DecodedPacket } from '../decode/index.js';

/*
 * One row per packet, 16 bytes: four 32-bit words, stored column by column inside each chunk
 * (so a scan of the flow column reads 4 bytes a packet, not 16):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |                  file offset, bits 0-31                       |  column 0
 *   |      file offset, bits 32-47  |       time, bits 32-47        |  column 1
 *   |                     time, bits 0-31                           |  column 2
 *   |D|                   flow id (31 bits)                         |  column 3
 *
 * File offset: where the record's header (pcap) or block (pcapng) starts in the uncompressed
 * byte stream, below 2^48 - 1 (256 TiB). A larger one is stored as all ones and read back as
 * -1: that row cannot be read at random (no capture comes near).
 *
 * Time: microseconds since the base (the first timestamped packet, truncated to the µs), plus
 * 2^47, so packets up to 4.46 years before or after the base fit; 0 means "no timestamp"
 * (pcapng Simple Packet Blocks). Beyond that range a time is clamped to the nearest end; the
 * exact timestamp, to the nanosecond, is always in the record itself (read it at random).
 *
 * D: the packet's direction in its flow (0: endpoint A to B). Flow id: 0 to 2^31 - 2;
 * 2^31 - 1 marks a packet that joined no flow (read back as NO_FLOW).
 */

/** The flow of a packet that joined none (later IP fragments, frames without addresses). */
export const NO_FLOW = -1;

/** Rows per chunk: 2^16 rows of 16 bytes, 1 MiB. */
const CHUNK_SHIFT = 16;
const CHUNK_ROWS = 1 << CHUNK_SHIFT;
const ROW_MASK = CHUNK_ROWS - 1;
/** The first chunk starts small and doubles up to CHUNK_ROWS, so a small capture costs little. */
const FIRST_ROWS = 256;
const TWO_32 = 4294967296;
const OFFSET_NONE = 2 ** 48 - 1;
const TIME_BIAS = 2 ** 47;
const TIME_MAX_STORED = 2 ** 48 - 1;
const FLOW_NONE = 0x7fffffff;
const DIRECTION_BIT = 0x80000000;
/** What a chunk costs beside its rows: the typed array and its buffer objects (V8, 64-bit). */
const CHUNK_OVERHEAD_BYTES = 160;
/** Results of packetsOf kept for flows asked again (the packets view pages through one flow). */
const CACHED_FLOWS = 4;

/** Where the index finds the capture's section contexts: the reader it was filled from. */
/** A PacketIndex's rows as plain, transferable data (see PacketIndex.parts). */
export interface PacketIndexParts {
  count: number;
  baseSeconds: number;
  baseMicros: number;
  hasBase: boolean;
  clamped: boolean;
  chunks: Uint32Array[];
  maxFlowBefore: number[];
  maxFlow: number;
}

export interface SectionSource {
  readonly sectionContexts: readonly SectionContext[];
}

/**
 * The packet index: for packet N (its record number), where its record starts in the file,
 * when it was captured and which flow it joined, in 16 bytes, read in constant time. Filled
 * as the analysis's observer (`new CaptureAnalysis({ observer: index })`, then
 * `index.attach(analysis.reader)` so it can frame records at random); `finish()` when the file
 * is read. With it a packets view re-reads only the rows on screen (src/node/packet-index.ts).
 *
 * Rows live in fixed 1 MiB chunks: growing never copies what was indexed (only the first chunk
 * doubles, up to 1 MiB), and `finish()` trims the last chunk to its rows.
 */
export class PacketIndex implements PacketObserver {
  /** Rows so far: packets 0 to count - 1. */
  count = 0;
  /** The base of `time()`: the first timestamped packet, in whole seconds and microseconds. */
  baseSeconds = 0;
  baseMicros = 0;
  hasBase = false;

  /** Whether a timestamp was beyond the 2^47 µs either side of the first one that rows hold. */
  clamped = false;
  private chunks: Uint32Array[] = [];
  /** Per chunk, the largest flow id in the chunks before it (-1 for none). */
  private maxFlowBefore: number[] = [];
  private maxFlow = -1;
  /** The chunk being filled, its row capacity, and the first row number past its storage. */
  private current: Uint32Array = new Uint32Array(0);
  private capacity = 0;
  private limit = 0;
  private source: SectionSource | null = null;
  /** Recent packetsOf results, newest last. */
  private readonly cache: { flow: number; atMost: number; count: number; packets: Uint32Array }[] = [];

  /** PacketObserver: appends the packet the analysis just put in `flow` (-1: none). */
  packet(_p: DecodedPacket, r: CaptureRecord, flow: number, direction: number): void {
    this.add(r.fileOffset, r.hasTimestamp, r.tsSeconds, r.tsNanos, flow, direction);
  }

  /** Appends packet `count`. A flow id above 2^31 - 2 is a programmer's mistake (no table holds that many). */
  add(
    fileOffset: number,
    hasTimestamp: boolean,
    tsSeconds: number,
    tsNanos: number,
    flow: number,
    direction: number,
  ): void {
    const n = this.count;
    if (n === this.limit) this.makeRoom(n);
    let flowWord = FLOW_NONE;
    if (flow >= 0) {
      if (flow >= FLOW_NONE) throw new RangeError(`flow id ${flow} is beyond the packet index's 31 bits`);
      flowWord = flow;
      if (flow > this.maxFlow) this.maxFlow = flow;
    }
    let time = 0;
    if (hasTimestamp) {
      const micros = Math.floor(tsNanos / 1000);
      if (!this.hasBase) {
        this.hasBase = true;
        this.baseSeconds = tsSeconds;
        this.baseMicros = micros;
      }
      time = (tsSeconds - this.baseSeconds) * 1e6 + (micros - this.baseMicros) + TIME_BIAS;
      // Beyond ±(2^47 - 1) µs: clamped to the nearest end.
      if (time < 1) {
        time = 1;
        this.clamped = true;
      } else if (time > TIME_MAX_STORED) {
        time = TIME_MAX_STORED;
        this.clamped = true;
      }
    }
    const offset = fileOffset >= 0 && fileOffset < OFFSET_NONE ? fileOffset : OFFSET_NONE;
    const timeHigh = Math.floor(time / TWO_32);
    const offsetHigh = Math.floor(offset / TWO_32);
    const c = this.current;
    const cap = this.capacity;
    const i = n & ROW_MASK;
    c[i] = offset >>> 0;
    c[cap + i] = (offsetHigh << 16) | timeHigh;
    c[2 * cap + i] = time >>> 0;
    // Without a flow the direction means nothing (the flow table leaves the last one there).
    c[3 * cap + i] = direction !== 0 && flowWord !== FLOW_NONE ? flowWord | DIRECTION_BIT : flowWord;
    this.count = n + 1;
  }

  /** Where packet n's record starts in the uncompressed file; -1 beyond the 48-bit range. */
  offset(n: number): number {
    const c = this.chunk(n);
    const cap = c.length >>> 2;
    const i = n & ROW_MASK;
    const high = c[cap + i] >>> 16;
    const low = c[i];
    if (high === 0xffff && low === 0xffffffff) return -1;
    return high * TWO_32 + low;
  }

  /**
   * Microseconds from the base (`baseSeconds`, `baseMicros`) to packet n, negative for packets
   * before the first one; NaN when the packet has no timestamp. Clamped to ±(2^47 - 1).
   */
  time(n: number): number {
    const c = this.chunk(n);
    const cap = c.length >>> 2;
    const i = n & ROW_MASK;
    const stored = (c[cap + i] & 0xffff) * TWO_32 + c[2 * cap + i];
    return stored === 0 ? NaN : stored - TIME_BIAS;
  }

  /** The flow packet n joined, or NO_FLOW. */
  flow(n: number): number {
    const c = this.chunk(n);
    const word = c[3 * (c.length >>> 2) + (n & ROW_MASK)] & FLOW_NONE;
    return word === FLOW_NONE ? NO_FLOW : word;
  }

  /** Which way packet n went in its flow: 0 from endpoint A to B, 1 back (0 without a flow). */
  direction(n: number): number {
    const c = this.chunk(n);
    return c[3 * (c.length >>> 2) + (n & ROW_MASK)] >>> 31;
  }

  /**
   * The packet numbers of one flow (NO_FLOW: of the packets in none), ascending. A scan of the
   * flow column from the first chunk the flow can be in (new flows get the next id, so chunks
   * before its first packet are skipped) to its last packet when `atMost` is the flow's packet
   * count (FlowTable.packetsFrom of both sides; it may be larger, as when later IP fragments
   * are counted in the flow but observed without one). The last few results are kept: do not
   * modify the array returned.
   *
   * Measured on 10 M packets (50,000 and 1 M flows, 1,200 open at a time): 8-10 ms for a
   * random flow, 0.1-0.7 ms with `atMost`, 14-30 ms for a whole-column scan (NO_FLOW). A CSR over all flows took 150-170 ms to build
   * and 4 more bytes a packet, so it would pay only after a dozen flows opened, and break the
   * 16 bytes a packet.
   */
  packetsOf(flow: number, atMost = Infinity): Uint32Array {
    const word = flow < 0 ? FLOW_NONE : flow;
    const cache = this.cache;
    for (let k = 0; k < cache.length; k++) {
      const hit = cache[k];
      if (hit.flow === word && hit.atMost === atMost && hit.count === this.count) {
        cache.splice(k, 1);
        cache.push(hit);
        return hit.packets;
      }
    }
    const packets = this.scan(word, atMost);
    if (cache.length >= CACHED_FLOWS) cache.shift();
    cache.push({ flow: word, atMost, count: this.count, packets });
    return packets;
  }

  private scan(word: number, atMost: number): Uint32Array {
    const chunks = this.chunks;
    let first = 0;
    if (word !== FLOW_NONE) {
      if (word > this.maxFlow) return new Uint32Array(0);
      // The first chunk whose rows (or earlier ones) reach flow id `word`.
      let low = 0;
      let high = chunks.length - 1;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const maxUpTo = this.maxFlowBefore[middle + 1];
        if (maxUpTo >= word) high = middle;
        else low = middle + 1;
      }
      first = low;
    }
    const limit = Math.min(atMost, this.count - first * CHUNK_ROWS);
    let out = new Uint32Array(Math.min(limit, 1024));
    let found = 0;
    for (let k = first; k < chunks.length && found < limit; k++) {
      const c = chunks[k];
      const cap = c.length >>> 2;
      const rows = Math.min(cap, this.count - k * CHUNK_ROWS);
      const base = k * CHUNK_ROWS;
      const column = 3 * cap;
      for (let i = 0; i < rows; i++) {
        if ((c[column + i] & FLOW_NONE) !== word) continue;
        if (found === out.length) {
          const grown = new Uint32Array(Math.min(limit, found * 2));
          grown.set(out);
          out = grown;
        }
        out[found++] = base + i;
        if (found === limit) break;
      }
    }
    return found === out.length ? out : out.slice(0, found);
  }

  /** Lets the index frame records at random: the reader it is filled from (CaptureAnalysis.reader). */
  /** The rows as transferable data (after finish), for `PacketIndex.fromParts` on another thread. */
  parts(): PacketIndexParts {
    return {
      count: this.count,
      baseSeconds: this.baseSeconds,
      baseMicros: this.baseMicros,
      hasBase: this.hasBase,
      clamped: this.clamped,
      chunks: this.chunks,
      maxFlowBefore: this.maxFlowBefore,
      maxFlow: this.maxFlow,
    };
  }

  /** An index of the rows `parts` holds, to read (not to add to). */
  static fromParts(parts: PacketIndexParts): PacketIndex {
    const index = new PacketIndex();
    index.count = parts.count;
    index.baseSeconds = parts.baseSeconds;
    index.baseMicros = parts.baseMicros;
    index.hasBase = parts.hasBase;
    index.clamped = parts.clamped;
    index.chunks = parts.chunks;
    index.maxFlowBefore = parts.maxFlowBefore;
    index.maxFlow = parts.maxFlow;
    return index;
  }

  /**
   * Appends the rows of an index of the rest of the same file (see CaptureAnalysis.absorb),
   * their flow ids mapped through `flowIds`: the rows reading on would have added. Its times
   * must not have been clamped.
   */
  appendFrom(other: PacketIndex, flowIds: Int32Array): void {
    if (other.clamped) throw new Error('appendFrom: the other index clamped a timestamp');
    // Their times count from their first timestamp; ours from ours: one shift for all rows.
    if (!this.hasBase && other.hasBase) {
      this.hasBase = true;
      this.baseSeconds = other.baseSeconds;
      this.baseMicros = other.baseMicros;
    }
    const shift = (other.baseSeconds - this.baseSeconds) * 1e6 + (other.baseMicros - this.baseMicros);
    for (let n = 0; n < other.count; n++) {
      const c = other.chunks[n >>> CHUNK_SHIFT];
      const cap = c.length >>> 2;
      const i = n & ROW_MASK;
      let stored = (c[cap + i] & 0xffff) * TWO_32 + c[2 * cap + i];
      if (stored !== 0) {
        stored += shift;
        if (stored < 1) {
          stored = 1;
          this.clamped = true;
        } else if (stored > TIME_MAX_STORED) {
          stored = TIME_MAX_STORED;
          this.clamped = true;
        }
      }
      let word = c[3 * cap + i];
      const flowWord = word & FLOW_NONE;
      if (flowWord !== FLOW_NONE) {
        const flow = flowIds[flowWord];
        if (flow > this.maxFlow) this.maxFlow = flow;
        word = ((word & DIRECTION_BIT) | flow) >>> 0;
      }
      const m = this.count;
      if (m === this.limit) this.makeRoom(m);
      const d = this.current;
      const dcap = this.capacity;
      const j = m & ROW_MASK;
      d[j] = c[i];
      d[dcap + j] = (c[cap + i] & 0xffff0000) | Math.floor(stored / TWO_32);
      d[2 * dcap + j] = stored >>> 0;
      d[3 * dcap + j] = word;
      this.count = m + 1;
    }
  }

  attach(source: SectionSource): void {
    this.source = source;
  }

  /** The capture's section contexts (the pcap file header, or each pcapng section's header blocks). */
  get sections(): readonly SectionContext[] {
    return this.source === null ? [] : this.source.sectionContexts;
  }

  /** The section packet n's record is framed with; null before attach() or past the 48-bit range. */
  sectionOf(n: number): SectionContext | null {
    const offset = this.offset(n);
    return offset < 0 ? null : sectionAt(this.sections, offset);
  }

  /**
   * The file is read: trims the last chunk to its rows, and keeps the section contexts without
   * the reader (and its buffers). Appending afterwards still works.
   */
  finish(): void {
    if (this.source !== null) this.source = { sectionContexts: this.source.sectionContexts };
    if (this.chunks.length === 0) return;
    const rows = this.count - (this.chunks.length - 1) * CHUNK_ROWS;
    if (rows !== this.capacity) this.resize(this.chunks.length - 1, rows);
  }

  /** Memory held: the rows, the chunks' objects, the cached packetsOf results and the section contexts. */
  bytes(): number {
    let total = 0;
    for (const c of this.chunks) total += c.byteLength + CHUNK_OVERHEAD_BYTES;
    total += this.maxFlowBefore.length * 8;
    for (const hit of this.cache) total += hit.packets.byteLength;
    for (const section of this.sections) for (const block of section.blocks) total += block.bytes.byteLength;
    return total;
  }

  /** Bytes of the rows alone (16 a packet, plus the last chunk's unused rows until finish()). */
  rowBytes(): number {
    let total = 0;
    for (const c of this.chunks) total += c.byteLength;
    return total;
  }

  private chunk(n: number): Uint32Array {
    if (!(n >= 0 && n < this.count)) throw new RangeError(`no packet ${n} in the index (${this.count})`);
    return this.chunks[n >>> CHUNK_SHIFT];
  }

  /** Packet n is past the current chunk's storage: grow the first chunk, or start a new one. */
  private makeRoom(n: number): void {
    const k = n >>> CHUNK_SHIFT;
    if (k === this.chunks.length) {
      this.chunks.push(new Uint32Array(0));
      this.maxFlowBefore.push(this.maxFlow);
      this.resize(k, k === 0 ? FIRST_ROWS : CHUNK_ROWS);
    } else {
      this.resize(k, Math.min(CHUNK_ROWS, this.capacity * 2));
    }
  }

  /** Gives chunk k room for `rows` rows, copying its columns (a chunk is at most 1 MiB). */
  private resize(k: number, rows: number): void {
    const old = this.chunks[k];
    const oldRows = old.length >>> 2;
    const keep = Math.min(oldRows, rows, this.count - k * CHUNK_ROWS);
    const c = new Uint32Array(rows * 4);
    for (let column = 0; column < 4; column++) {
      c.set(old.subarray(column * oldRows, column * oldRows + keep), column * rows);
    }
    this.chunks[k] = c;
    if (k === this.chunks.length - 1) {
      this.current = c;
      this.capacity = rows;
      this.limit = k * CHUNK_ROWS + rows;
    }
  }
}
