import { type TextParams, type WarningCode, warningText } from '../text/index.js';
import { hexBytes, u32le } from './bytes.js';
import { MAX_ISSUES } from './framer.js';
import { PcapReader, sniffPcapMagic } from './pcap.js';
import { BLOCK_SECTION_HEADER, PcapngReader } from './pcapng.js';
import {
  CaptureRecord,
  type CaptureFormat,
  type CaptureIssue,
  type InterfaceInfo,
  type RecordSource,
  type SectionContext,
} from './types.js';

const SNIFF_LENGTH = 4;

/**
 * The end of a file read by another reader from a record boundary on (see `startAt`): what
 * `absorbTail` adds to this reader, which read the file up to that boundary.
 */
export interface ReaderTail {
  /** Warnings after the file header, the fatal one included; record numbers counted from the boundary. */
  issues: CaptureIssue[];
  issuesDropped: number;
  fatal: CaptureIssue | null;
  recordCount: number;
}
const NO_SECTIONS: readonly SectionContext[] = [];

/**
 * Reads any pcap or pcapng file, pushed in chunks of any size: the first four bytes pick
 * the format. Usage:
 *
 *   const reader = new CaptureReader();
 *   for (const chunk of chunks) {
 *     reader.push(chunk);
 *     while (reader.next()) use(reader.record); // valid until the next next()/push()
 *   }
 *   reader.end();
 *
 * Bad input never throws: `issues` lists warnings with byte offsets, and `fatal` says why
 * reading stopped, every record before it having been handed out.
 */
export class CaptureReader implements RecordSource {
  /** Null until enough bytes arrived to tell the format (or when they are not a capture). */
  impl: PcapReader | PcapngReader | null = null;
  private sniffed = new Uint8Array(SNIFF_LENGTH);
  private sniffedLength = 0;
  private ownIssues: CaptureIssue[] = [];
  private ownFatal: CaptureIssue | null = null;
  private readonly idle = new CaptureRecord();

  get format(): CaptureFormat | null {
    return this.impl === null ? null : this.impl.format;
  }

  get record(): CaptureRecord {
    return this.impl === null ? this.idle : this.impl.record;
  }

  get interfaces(): InterfaceInfo[] {
    return this.impl === null ? [] : this.impl.interfaces;
  }

  get issues(): CaptureIssue[] {
    return this.impl === null ? this.ownIssues : this.impl.issues;
  }

  get issuesDropped(): number {
    return this.impl === null ? 0 : this.impl.issuesDropped;
  }

  get fatal(): CaptureIssue | null {
    return this.impl === null ? this.ownFatal : this.impl.fatal;
  }

  /** The file header or each pcapng section's header blocks (see SectionContext); empty before them. */
  get sectionContexts(): readonly SectionContext[] {
    return this.impl === null ? NO_SECTIONS : this.impl.sectionContexts;
  }

  get recordCount(): number {
    return this.impl === null ? 0 : this.impl.recordCount;
  }

  /**
   * Primes a reader to read a file from a record boundary at `offset` on: `header` is the
   * file's header (a pcap file header), and the next push holds the bytes from `offset`.
   * Records are numbered from 0 there. Returns the warnings count the header itself made,
   * which `tail` leaves out; null when the header is not a pcap file's.
   */
  startAt(header: Uint8Array, offset: number): number | null {
    this.push(header);
    while (this.next()) {
      // A file header holds no record.
    }
    const impl = this.impl;
    if (impl === null || impl.format !== 'pcap' || impl.fatal !== null || impl.pendingLength() !== 0)
      return null;
    impl.seek(offset, 0);
    return impl.issues.length;
  }

  /** Whether everything pushed was framed into whole records (nothing carried, not stopped). */
  atRecordBoundary(): boolean {
    return this.impl !== null && this.impl.fatal === null && this.impl.pendingLength() === 0;
  }

  /** What this reader found after the header (see startAt), to hand to `absorbTail`. */
  tail(headerIssues: number): ReaderTail {
    return {
      issues: this.issues.slice(headerIssues),
      issuesDropped: this.issuesDropped,
      fatal: this.fatal,
      recordCount: this.recordCount,
    };
  }

  /**
   * Takes on the rest of the file as another reader read it from this reader's last record
   * boundary: its warnings, renumbered after this reader's `recordCount` records as if this
   * reader had read on, the fatal stop if any, and the records. Call before end().
   */
  absorbTail(tail: ReaderTail, recordBase = this.recordCount): void {
    const impl = this.impl;
    if (impl === null) throw new Error('absorbTail: this reader has not read a file header');
    for (const issue of tail.issues) {
      const renumbered = renumberIssue(issue, recordBase);
      if (renumbered.fatal) {
        impl.fatal = renumbered;
        impl.issues.push(renumbered);
      } else if (impl.issues.length >= MAX_ISSUES) impl.issuesDropped++;
      else impl.issues.push(renumbered);
    }
    impl.issuesDropped += tail.issuesDropped;
    impl.recordCount = recordBase + tail.recordCount;
  }

  push(chunk: Uint8Array): void {
    if (this.impl !== null) {
      this.impl.push(chunk);
      return;
    }
    if (this.ownFatal !== null) return;
    if (this.sniffedLength === 0 && chunk.length >= SNIFF_LENGTH) {
      if (this.choose(chunk)) this.impl!.push(chunk);
      return;
    }
    // Tiny first chunks: gather the magic number before choosing.
    const take = Math.min(SNIFF_LENGTH - this.sniffedLength, chunk.length);
    this.sniffed.set(chunk.subarray(0, take), this.sniffedLength);
    this.sniffedLength += take;
    if (this.sniffedLength < SNIFF_LENGTH) return;
    if (!this.choose(this.sniffed)) return;
    const impl = this.impl!;
    impl.push(this.sniffed);
    while (impl.next()) {
      // Four bytes never complete a file header, so nothing is handed out here.
    }
    impl.push(chunk.subarray(take));
  }

  next(): boolean {
    return this.impl !== null && this.impl.next();
  }

  end(): void {
    if (this.impl !== null) {
      this.impl.end();
      return;
    }
    if (this.ownFatal !== null) return;
    if (this.sniffedLength === 0) this.fail('empty', 'fileEmpty', {});
    else this.fail('not-a-capture', 'fileTooShort', { length: this.sniffedLength });
  }

  private choose(b: Uint8Array): boolean {
    if (sniffPcapMagic(b, 0) !== null) {
      this.impl = new PcapReader();
      return true;
    }
    if (u32le(b, 0) === BLOCK_SECTION_HEADER) {
      this.impl = new PcapngReader();
      return true;
    }
    const gzip = b[0] === 0x1f && b[1] === 0x8b;
    if (gzip) this.fail('not-a-capture', 'gzipCompressed', {});
    else this.fail('not-a-capture', 'notACapture', { start: hexBytes(b, 0, SNIFF_LENGTH) });
    return false;
  }

  private fail(kind: CaptureIssue['kind'], code: WarningCode, params: TextParams): void {
    const message = warningText(code, params);
    const issue: CaptureIssue = { offset: 0, recordIndex: 0, kind, message, fatal: true, code, params };
    this.ownFatal = issue;
    this.ownIssues.push(issue);
  }
}

/** An issue of a reader that numbered records from 0 at `recordBase`, as one numbering from the file's start gives it. */
function renumberIssue(issue: CaptureIssue, recordBase: number): CaptureIssue {
  const out: CaptureIssue = { ...issue, recordIndex: issue.recordIndex + recordBase };
  if (issue.code !== undefined && issue.params !== undefined) {
    const params = { ...issue.params };
    if (typeof params.record === 'number') params.record += recordBase;
    out.params = params;
    out.message = warningText(issue.code, params);
  }
  return out;
}
