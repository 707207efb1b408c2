import { type TextParams, type WarningCode, warningText } from '../text/index.js';
import {
  CaptureRecord,
  type CaptureIssue,
  type CaptureIssueKind,
  type InterfaceInfo,
  type SectionContext,
} from './types.js';

const EMPTY = new Uint8Array(0);

/** At most this many warnings are kept per file; the rest are only counted. */
export const MAX_ISSUES = 100;

/**
 * The push/next machinery both readers share. A file is a sequence of units (the pcap file
 * header and records; pcapng blocks). `next()` hands out units straight from the pushed
 * chunk (zero-copy) and copies into `carry` only the one unit that straddles a chunk
 * boundary, so any chunking, down to one byte at a time, yields the same records.
 *
 * Subclasses say how long the unit at a position is (`unitLength`) and turn a complete unit
 * into a record or into reader state (`unit`).
 */
export abstract class Framer {
  readonly record = new CaptureRecord();
  readonly interfaces: InterfaceInfo[] = [];
  readonly issues: CaptureIssue[] = [];
  issuesDropped = 0;
  fatal: CaptureIssue | null = null;
  recordCount = 0;
  /** The file header or each pcapng section's header blocks, to frame a record at random later. */
  readonly sectionContexts: SectionContext[] = [];

  protected chunk: Uint8Array = new Uint8Array(0);
  protected pos = 0;
  /** File offset of chunk[0]. */
  protected chunkOffset = 0;
  protected carry = new Uint8Array(1024);
  protected carryLength = 0;
  /** File offset of carry[0]. */
  protected carryOffset = 0;
  private ended = false;

  /** Bytes needed at a unit's start before `unitLength` can tell its length. */
  protected abstract headerNeed(): number;

  /**
   * Total length of the unit starting at `b[at]`, given `available` bytes there (at least
   * `headerNeed()`); or -1 after calling `stop()` for a length that cannot be right.
   */
  protected abstract unitLength(b: Uint8Array, at: number, available: number, fileOffset: number): number;

  /** Consumes one complete unit; returns true when it filled `record` with a packet. */
  protected abstract unit(b: Uint8Array, at: number, length: number, fileOffset: number): boolean;

  /** Hands in the next chunk. Call `next()` until it returns false before pushing again. */
  push(chunk: Uint8Array): void {
    if (this.pos < this.chunk.length && this.fatal === null) {
      throw new Error('push() called before next() returned false: the previous chunk is not consumed');
    }
    this.chunkOffset += this.chunk.length;
    // A subclass of Uint8Array (Node's Buffer) has another hidden class; seeing both would
    // make every byte read in the decoders polymorphic, so always hand out plain views.
    if (chunk.constructor !== Uint8Array)
      chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // After a fatal error the rest of the file is not read: nothing can be framed past it.
    this.chunk = this.fatal === null ? chunk : EMPTY;
    this.pos = 0;
  }

  /**
   * Random access: the next `push()` holds the file's bytes from `fileOffset` on, and the next
   * record is numbered `recordIndex`. Whatever was pushed before and not framed is dropped;
   * what the header blocks set up (byte order, interfaces) stays. See readRecordAt.
   */
  seek(fileOffset: number, recordIndex: number): void {
    this.chunk = EMPTY;
    this.pos = 0;
    this.chunkOffset = fileOffset;
    this.carryLength = 0;
    this.recordCount = recordIndex;
  }

  /**
   * Bytes the unit being carried needs in all (its header's length field, or the header's own
   * size while fewer bytes than that arrived); 0 when nothing is carried.
   */
  pendingLength(): number {
    if (this.carryLength === 0) return 0;
    return this.carryLength >= this.headerNeed() ? this.peekCarryLength() : this.headerNeed();
  }

  /** Advances to the next packet record; false when the pushed data is used up (or reading stopped). */
  next(): boolean {
    for (;;) {
      if (this.fatal !== null) return false;
      if (this.carryLength > 0) {
        const length = this.fillCarry();
        if (length <= 0) return false;
        this.carryLength = 0;
        if (this.unit(this.carry, 0, length, this.carryOffset)) return true;
        continue;
      }
      const available = this.chunk.length - this.pos;
      if (available === 0) return false;
      const at = this.pos;
      const fileOffset = this.chunkOffset + at;
      const length =
        available < this.headerNeed() ? 0 : this.unitLength(this.chunk, at, available, fileOffset);
      if (length < 0) return false;
      if (length === 0 || length > available) {
        this.startCarry();
        return false;
      }
      this.pos = at + length;
      if (this.unit(this.chunk, at, length, fileOffset)) return true;
    }
  }

  /** Signals the end of the file: a unit left incomplete is reported as a cut-off capture. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.fatal !== null) return;
    if (this.carryLength > 0) {
      const need = this.carryLength >= this.headerNeed() ? this.peekCarryLength() : this.headerNeed();
      this.warn('truncated', this.carryOffset, this.recordCount, this.cutCode(), {
        have: this.carryLength,
        need: need > 0 ? need : '?',
        offset: this.carryOffset,
      });
      this.carryLength = 0;
    } else {
      this.atEnd();
    }
  }

  /** Called by end() when the file ended on a unit boundary. */
  protected atEnd(): void {}

  /** The warning for a file that ends inside the unit being read. */
  protected cutCode(): WarningCode {
    return 'cutRecord';
  }

  /** Records a warning, keeping at most MAX_ISSUES. */
  protected warn(
    kind: CaptureIssueKind,
    offset: number,
    recordIndex: number,
    code: WarningCode,
    params: TextParams,
  ): void {
    if (this.issues.length >= MAX_ISSUES) {
      this.issuesDropped++;
      return;
    }
    const message = warningText(code, params);
    this.issues.push({ offset, recordIndex, kind, message, fatal: false, code, params });
  }

  /** Stops reading: the file cannot be followed past `offset`. */
  protected stop(kind: CaptureIssueKind, offset: number, code: WarningCode, params: TextParams): void {
    const issue: CaptureIssue = {
      offset,
      recordIndex: this.recordCount,
      kind,
      message: warningText(code, params),
      fatal: true,
      code,
      params,
    };
    this.fatal = issue;
    this.issues.push(issue);
    this.carryLength = 0;
    this.pos = this.chunk.length;
  }

  private peekCarryLength(): number {
    // Only for the message: unitLength may not stop() here, so ask on a copy of the state.
    const fatal = this.fatal;
    const length = this.unitLength(this.carry, 0, this.carryLength, this.carryOffset);
    if (this.fatal !== fatal) {
      this.fatal = fatal;
      this.issues.pop();
    }
    return length;
  }

  private startCarry(): void {
    const available = this.chunk.length - this.pos;
    this.ensureCarry(Math.max(available, this.headerNeed()));
    this.carry.set(this.chunk.subarray(this.pos), 0);
    this.carryLength = available;
    this.carryOffset = this.chunkOffset + this.pos;
    this.pos = this.chunk.length;
  }

  /** Completes the carried unit from the chunk; its length once complete, else 0 (or -1 on stop). */
  private fillCarry(): number {
    const header = this.headerNeed();
    if (this.carryLength < header) {
      this.take(header - this.carryLength);
      if (this.carryLength < header) return 0;
    }
    const length = this.unitLength(this.carry, 0, this.carryLength, this.carryOffset);
    if (length < 0) return -1;
    if (length > this.carryLength) {
      this.ensureCarry(length);
      this.take(length - this.carryLength);
      if (this.carryLength < length) return 0;
    }
    return length;
  }

  private take(count: number): void {
    const n = Math.min(count, this.chunk.length - this.pos);
    if (n <= 0) return;
    this.ensureCarry(this.carryLength + n);
    this.carry.set(this.chunk.subarray(this.pos, this.pos + n), this.carryLength);
    this.carryLength += n;
    this.pos += n;
  }

  private ensureCarry(size: number): void {
    if (size <= this.carry.length) return;
    let capacity = this.carry.length;
    while (capacity < size) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.carry.subarray(0, this.carryLength));
    this.carry = grown;
  }
}
