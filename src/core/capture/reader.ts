import { type TextParams, type WarningCode, warningText } from '../text/index.js';
import { hexBytes, u32le } from './bytes.js';
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
