import type { WarningCode } from '../text/index.js';
import { u16, u32, u32le } from './bytes.js';
import { Framer } from './framer.js';
import { linkTypeName } from './link-types.js';
import type { InterfaceInfo } from './types.js';

/*
 * libpcap savefile. https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/
 *
 * File header (24 bytes), in the writer's byte order:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |                          Magic Number                         |
 *   |          Major Version        |         Minor Version         |
 *   |                           Reserved1 (thiszone)                |
 *   |                           Reserved2 (sigfigs)                 |
 *   |                            SnapLen                            |
 *   |FCS len|R|P|     Reserved3     |        Link-layer type        |
 *
 * Record header (16 bytes; 24 in Alexey Kuznetzov's patched format, magic a1b2cd34):
 *   |                      Timestamp (Seconds)                      |
 *   |            Timestamp (Microseconds or nanoseconds)            |
 *   |              Captured Packet Length (incl_len)                |
 *   |              Original Packet Length (orig_len)                |
 */

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;

const FILE_HEADER_LENGTH = 24;
/** Longest record we believe, whatever the snaplen says: tcpdump's and Wireshark's maximum. */
export const MAX_RECORD_LENGTH = 262144;
/** The longest record any snaplen can make us accept (pcapng's block limit, as Wireshark's). */
const MAX_TRUSTED_SNAPLEN = 16 * 1024 * 1024;
const LINKTYPE_RESERVED_BITS = 0x03ff0000;
const LINKTYPE_FCS_PRESENT = 0x04000000;

/** Which byte order and timestamp unit a pcap magic number means, or null when it is not pcap. */
export function sniffPcapMagic(b: Uint8Array, at: number): { littleEndian: boolean; magic: number } | null {
  for (const littleEndian of [true, false]) {
    const magic = u32(b, at, littleEndian);
    if (
      magic === PCAP_MAGIC_MICROSECONDS ||
      magic === PCAP_MAGIC_NANOSECONDS ||
      magic === PCAP_MAGIC_KUZNETZOV
    ) {
      return { littleEndian, magic };
    }
  }
  return null;
}

export class PcapReader extends Framer {
  readonly format = 'pcap';
  private littleEndian = true;
  private headerDone = false;
  private recordHeaderLength = 16;
  private nanosPerUnit = 1000;
  private unitsPerSecond = 1e6;
  private snapLength = 0;
  private maxLength = MAX_RECORD_LENGTH;
  private linkType = 0;
  private fcsLength = 0;
  /** libpcap before 2.3 wrote orig_len before incl_len; 2.3 may have either order. */
  private lengthsSwapped: 'no' | 'yes' | 'maybe' = 'no';
  versionMajor = 0;
  versionMinor = 0;

  protected headerNeed(): number {
    return this.headerDone ? this.recordHeaderLength : FILE_HEADER_LENGTH;
  }

  /**
   * The common case without the general machinery: a whole, unremarkable record in the
   * current chunk. Anything else (straddling, lengths to warn about) takes the general path.
   */
  override next(): boolean {
    if (this.headerDone && this.carryLength === 0 && this.littleEndian && this.lengthsSwapped === 'no') {
      const b = this.chunk;
      const at = this.pos;
      const headerLength = this.recordHeaderLength;
      if (b.length - at >= headerLength) {
        const capturedLength = u32le(b, at + 8);
        const originalLength = u32le(b, at + 12);
        const fraction = u32le(b, at + 4);
        const end = at + headerLength + capturedLength;
        if (
          end <= b.length &&
          capturedLength <= this.snapLength &&
          capturedLength <= originalLength &&
          fraction < this.unitsPerSecond
        ) {
          const r = this.record;
          r.bytes = b;
          r.start = at + headerLength;
          r.capturedLength = capturedLength;
          r.originalLength = originalLength;
          r.tsSeconds = u32le(b, at);
          r.tsNanos = fraction * this.nanosPerUnit;
          r.fileOffset = this.chunkOffset + at;
          r.dataOffset = r.fileOffset + headerLength;
          r.index = this.recordCount++;
          this.pos = end;
          return true;
        }
      }
    }
    return super.next();
  }

  protected override cutCode(): WarningCode {
    return this.headerDone ? 'cutRecord' : 'cutFileHeader';
  }

  protected override atEnd(): void {
    if (!this.headerDone) this.stop('empty', 0, 'pcapEmpty', {});
  }

  protected unitLength(b: Uint8Array, at: number, _available: number, fileOffset: number): number {
    if (!this.headerDone) return FILE_HEADER_LENGTH;
    const capturedLength = this.readLengths(b, at, 0);
    if (capturedLength > this.maxLength) {
      this.stop('bad-length', fileOffset, 'recordTooLong', {
        record: this.recordCount,
        offset: fileOffset,
        captured: capturedLength,
        maximum: this.maxLength,
        snaplen: this.snapLength,
      });
      return -1;
    }
    return this.recordHeaderLength + capturedLength;
  }

  protected unit(b: Uint8Array, at: number, length: number, fileOffset: number): boolean {
    if (!this.headerDone) {
      this.readFileHeader(b, at);
      return false;
    }
    const le = this.littleEndian;
    const index = this.recordCount;
    const capturedLength = this.readLengths(b, at, 0);
    const originalLength = this.readLengths(b, at, 1);
    if (capturedLength > this.snapLength) {
      this.warn('length-over-snaplen', fileOffset, index, 'recordOverSnaplen', {
        captured: capturedLength,
        snaplen: this.snapLength,
      });
    }
    if (capturedLength > originalLength) {
      this.warn('captured-over-original', fileOffset, index, 'capturedOverOriginal', {
        record: index,
        captured: capturedLength,
        original: originalLength,
      });
    }
    let seconds = u32(b, at, le);
    let fraction = u32(b, at + 4, le);
    if (fraction >= this.unitsPerSecond) {
      this.warn('bad-timestamp', fileOffset, index, 'timestampFraction', {
        record: index,
        fraction,
        unit: this.nanosPerUnit === 1 ? 'ns' : 'µs',
      });
      // Carry the excess into the seconds, as Wireshark's time arithmetic does.
      const whole = Math.floor(fraction / this.unitsPerSecond);
      seconds += whole;
      fraction -= whole * this.unitsPerSecond;
    }
    const r = this.record;
    r.bytes = b;
    r.start = at + this.recordHeaderLength;
    r.capturedLength = capturedLength;
    r.originalLength = originalLength;
    r.tsSeconds = seconds;
    r.tsNanos = fraction * this.nanosPerUnit;
    r.fileOffset = fileOffset;
    r.dataOffset = fileOffset + this.recordHeaderLength;
    r.index = index;
    this.recordCount++;
    return length > 0;
  }

  /** incl_len (which = 0) or orig_len (which = 1), honouring the pre-2.3 field order. */
  private readLengths(b: Uint8Array, at: number, which: 0 | 1): number {
    const first = u32(b, at + 8, this.littleEndian);
    const second = u32(b, at + 12, this.littleEndian);
    let swapped = this.lengthsSwapped === 'yes';
    if (this.lengthsSwapped === 'maybe') swapped = first > second;
    const captured = swapped ? second : first;
    const original = swapped ? first : second;
    return which === 0 ? captured : original;
  }

  private readFileHeader(b: Uint8Array, at: number): void {
    let magic = u32le(b, at);
    this.littleEndian =
      magic === PCAP_MAGIC_MICROSECONDS || magic === PCAP_MAGIC_NANOSECONDS || magic === PCAP_MAGIC_KUZNETZOV;
    if (!this.littleEndian) magic = u32(b, at, false);
    const le = this.littleEndian;
    this.versionMajor = u16(b, at + 4, le);
    this.versionMinor = u16(b, at + 6, le);
    this.snapLength = u32(b, at + 16, le);
    const linkField = u32(b, at + 20, le);
    if (this.versionMajor !== 2) {
      this.stop('unsupported-version', at + 4, 'pcapVersionUnsupported', {
        major: this.versionMajor,
        minor: this.versionMinor,
      });
      return;
    }
    if ((linkField & LINKTYPE_RESERVED_BITS) !== 0) {
      this.stop('bad-header', at + 20, 'linkTypeReservedBits', {
        field: linkField.toString(16).padStart(8, '0'),
        bits: (linkField & LINKTYPE_RESERVED_BITS).toString(16).padStart(8, '0'),
      });
      return;
    }
    if (this.versionMinor !== 4) {
      this.warn('unsupported-version', at + 4, 0, 'pcapVersionUnusual', { minor: this.versionMinor });
    }
    if (this.versionMinor < 3) this.lengthsSwapped = 'yes';
    else if (this.versionMinor === 3) this.lengthsSwapped = 'maybe';
    if (magic === PCAP_MAGIC_NANOSECONDS) {
      this.nanosPerUnit = 1;
      this.unitsPerSecond = 1e9;
    }
    if (magic === PCAP_MAGIC_KUZNETZOV) this.recordHeaderLength = 24;
    this.linkType = linkField & 0xffff;
    this.fcsLength = (linkField & LINKTYPE_FCS_PRESENT) !== 0 ? (linkField >>> 28) * 2 : 0;
    // Trust a snaplen above 256 KiB (some tools write them), but not without bound: a
    // damaged header must not make one record cost gigabytes of buffer.
    this.maxLength = Math.min(Math.max(MAX_RECORD_LENGTH, this.snapLength), MAX_TRUSTED_SNAPLEN);
    // A snaplen of 0 means "unlimited" to some writers; judge records by the maximum instead.
    if (this.snapLength === 0) this.snapLength = MAX_RECORD_LENGTH;
    this.headerDone = true;
    this.sectionContexts.push({
      format: 'pcap',
      offset: 0,
      firstInterface: 0,
      blocks: [{ offset: 0, bytes: b.slice(at, at + FILE_HEADER_LENGTH) }],
    });
    const iface: InterfaceInfo = {
      index: 0,
      section: 0,
      idInSection: 0,
      linkType: this.linkType,
      snapLength: this.snapLength,
      name: null,
      description: null,
      comment: null,
      unitsPerSecond: this.unitsPerSecond,
      precisionDigits: this.unitsPerSecond === 1e9 ? 9 : 6,
      tsOffsetSeconds: 0,
      fcsLength: this.fcsLength,
    };
    this.interfaces.push(iface);
    const r = this.record;
    r.interfaceIndex = 0;
    r.linkType = this.linkType;
    r.fcsLength = this.fcsLength;
    r.optionsStart = 0;
    r.optionsEnd = 0;
    r.littleEndian = le;
  }

  describe(): string {
    return `pcap ${this.versionMajor}.${this.versionMinor} ${this.littleEndian ? 'little' : 'big'}-endian, ${
      this.unitsPerSecond === 1e9 ? 'ns' : 'µs'
    }, snaplen ${this.snapLength}, ${linkTypeName(this.linkType)}`;
  }
}
