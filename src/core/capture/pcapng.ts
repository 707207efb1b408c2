import type { TextParams, WarningCode } from '../text/index.js';
import { u16, u32, u32le } from './bytes.js';
import { Framer } from './framer.js';
import { utf8 } from './text.js';
import { divide64, precisionDigits, quotient } from './timestamp.js';
import type { CaptureRecord, InterfaceInfo } from './types.js';

/*
 * pcapng. https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/
 *
 * Every block (§3.1):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |                          Block Type                           |
 *   |                      Block Total Length                       |
 *   /                          Block Body                           /
 *   |                      Block Total Length                       |
 *
 * Section Header Block (§4.1), type 0x0A0D0D0A, the same in both byte orders:
 *   | Block Type = 0x0A0D0D0A | Block Total Length | Byte-Order Magic 0x1A2B3C4D |
 *   | Major Version | Minor Version | Section Length (64 bits) | Options...
 *
 * Enhanced Packet Block (§4.3), type 6:
 *   | Interface ID | Timestamp (High) | Timestamp (Low) | Captured Packet Length |
 *   | Original Packet Length | Packet Data (padded to 32 bits) | Options...
 */

export const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
export const BLOCK_INTERFACE_DESCRIPTION = 1;
export const BLOCK_PACKET = 2; // obsolete, still written by old tools
export const BLOCK_SIMPLE_PACKET = 3;
export const BLOCK_ENHANCED_PACKET = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPTION_END = 0;
const OPTION_COMMENT = 1;
const SHB_USER_APPLICATION = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;
const EPB_FLAGS = 2;

/** Wireshark's limit for one block; a longer length means the file is damaged. */
const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

const TIMESTAMP_DECIMAL = 0;
const TIMESTAMP_BINARY = 1;
const TIMESTAMP_BIG = 2;

interface InterfaceClock {
  mode: number;
  unitsPerSecond: number;
  /** Decimal: nanoseconds per unit when a unit is at least 1 ns, else 0. */
  nanosPerUnit: number;
  /** Binary: the exponent k of 2^-k. */
  shift: number;
  offsetSeconds: number;
}

export class PcapngReader extends Framer {
  readonly format = 'pcapng';
  /** Sections seen so far (one per Section Header Block). */
  sections = 0;
  /** shb_userappl and shb_comment of the first section, when present. */
  application: string | null = null;
  comments: string[] = [];
  private littleEndian = true;
  /** Global interface index for each interface id of the current section. */
  private sectionInterfaces: number[] = [];
  private clocks: InterfaceClock[] = [];

  protected headerNeed(): number {
    return 12;
  }

  protected override cutCode(): WarningCode {
    return 'cutBlock';
  }

  protected override atEnd(): void {
    if (this.sections === 0) this.stop('empty', 0, 'pcapngEmpty', {});
  }

  protected unitLength(b: Uint8Array, at: number, _available: number, fileOffset: number): number {
    const type = u32le(b, at);
    let le = this.littleEndian;
    if (type === BLOCK_SECTION_HEADER) {
      const magic = u32le(b, at + 8);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (u32(b, at + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else {
        this.stop('bad-block', fileOffset + 8, 'sectionByteOrder', {
          offset: fileOffset,
          magic: magic.toString(16),
        });
        return -1;
      }
    } else if (this.sections === 0) {
      this.stop('bad-block', fileOffset, 'blockBeforeSection', { offset: fileOffset });
      return -1;
    }
    const length = u32(b, at + 4, le);
    if (
      length < 12 ||
      length % 4 !== 0 ||
      length > MAX_BLOCK_LENGTH ||
      (type === BLOCK_SECTION_HEADER && length < 28)
    ) {
      this.stop('bad-length', fileOffset + 4, 'blockLengthImpossible', {
        type: u32(b, at, le).toString(16),
        offset: fileOffset,
        length,
      });
      return -1;
    }
    return length;
  }

  protected unit(b: Uint8Array, at: number, length: number, fileOffset: number): boolean {
    const type = u32le(b, at) === BLOCK_SECTION_HEADER ? BLOCK_SECTION_HEADER : u32(b, at, this.littleEndian);
    if (type === BLOCK_SECTION_HEADER) {
      this.littleEndian = u32le(b, at + 8) === BYTE_ORDER_MAGIC;
    }
    const le = this.littleEndian;
    const trailer = u32(b, at + length - 4, le);
    if (trailer !== length) {
      this.stop('bad-length', fileOffset + length - 4, 'blockTrailerMismatch', {
        offset: fileOffset,
        length,
        trailer,
      });
      return false;
    }
    switch (type) {
      case BLOCK_ENHANCED_PACKET:
        return this.enhancedPacket(b, at, length, fileOffset);
      case BLOCK_SECTION_HEADER:
        this.sectionHeader(b, at, length, fileOffset);
        return false;
      case BLOCK_INTERFACE_DESCRIPTION:
        this.interfaceDescription(b, at, length, fileOffset);
        return false;
      case BLOCK_SIMPLE_PACKET:
        return this.simplePacket(b, at, length, fileOffset);
      case BLOCK_PACKET:
        return this.obsoletePacket(b, at, length, fileOffset);
      default:
        // Name resolution, interface statistics, journal, secrets, custom blocks: skipped by length.
        return false;
    }
  }

  private enhancedPacket(b: Uint8Array, at: number, length: number, fileOffset: number): boolean {
    const le = this.littleEndian;
    if (length < 32) return this.skipPacket(fileOffset, 'enhancedPacketShort', { length });
    const interfaceId = u32(b, at + 8, le);
    const capturedLength = u32(b, at + 20, le);
    const originalLength = u32(b, at + 24, le);
    const dataEnd = at + 28 + capturedLength;
    if (dataEnd > at + length - 4) {
      return this.skipPacket(fileOffset, 'enhancedPacketOverrun', {
        offset: fileOffset,
        captured: capturedLength,
        holds: length - 32,
      });
    }
    if (!this.packet(interfaceId, capturedLength, originalLength, fileOffset)) return false;
    const r = this.record;
    r.bytes = b;
    r.start = at + 28;
    r.dataOffset = fileOffset + 28;
    r.optionsStart = at + 28 + ((capturedLength + 3) & ~3);
    r.optionsEnd = at + length - 4;
    this.timestamp(r, u32(b, at + 12, le), u32(b, at + 16, le));
    return true;
  }

  private obsoletePacket(b: Uint8Array, at: number, length: number, fileOffset: number): boolean {
    const le = this.littleEndian;
    if (length < 32) return this.skipPacket(fileOffset, 'packetBlockShort', { length });
    const interfaceId = u16(b, at + 8, le);
    const capturedLength = u32(b, at + 20, le);
    const originalLength = u32(b, at + 24, le);
    if (at + 28 + capturedLength > at + length - 4) {
      return this.skipPacket(fileOffset, 'packetBlockOverrun', {
        offset: fileOffset,
        captured: capturedLength,
        holds: length - 32,
      });
    }
    if (!this.packet(interfaceId, capturedLength, originalLength, fileOffset)) return false;
    const r = this.record;
    r.bytes = b;
    r.start = at + 28;
    r.dataOffset = fileOffset + 28;
    r.optionsStart = at + 28 + ((capturedLength + 3) & ~3);
    r.optionsEnd = at + length - 4;
    this.timestamp(r, u32(b, at + 12, le), u32(b, at + 16, le));
    return true;
  }

  private simplePacket(b: Uint8Array, at: number, length: number, fileOffset: number): boolean {
    if (length < 16) return this.skipPacket(fileOffset, 'simplePacketShort', { length });
    const originalLength = u32(b, at + 8, this.littleEndian);
    const global = this.sectionInterfaces[0];
    // The captured length is implied (§4.4): the original length, cut by the block and the snaplen.
    let capturedLength = Math.min(originalLength, length - 16);
    if (global !== undefined && this.interfaces[global].snapLength > 0) {
      capturedLength = Math.min(capturedLength, this.interfaces[global].snapLength);
    }
    if (!this.packet(0, capturedLength, originalLength, fileOffset)) return false;
    const r = this.record;
    r.bytes = b;
    r.start = at + 12;
    r.dataOffset = fileOffset + 12;
    r.optionsStart = 0;
    r.optionsEnd = 0;
    r.hasTimestamp = false;
    r.tsSeconds = 0;
    r.tsNanos = 0;
    return true;
  }

  /** Common to packet blocks: resolve the interface and fill lengths; false to skip the block. */
  private packet(
    interfaceId: number,
    capturedLength: number,
    originalLength: number,
    fileOffset: number,
  ): boolean {
    const global = this.sectionInterfaces[interfaceId];
    if (global === undefined) {
      return this.skipPacket(fileOffset, 'unknownInterface', {
        offset: fileOffset,
        interface: interfaceId,
        section: this.sections - 1,
        interfaces: this.sectionInterfaces.length,
      });
    }
    const index = this.recordCount;
    const iface = this.interfaces[global];
    if (capturedLength > originalLength) {
      this.warn('captured-over-original', fileOffset, index, 'capturedOverOriginal', {
        record: index,
        captured: capturedLength,
        original: originalLength,
      });
    }
    if (iface.snapLength > 0 && capturedLength > iface.snapLength) {
      this.warn('length-over-snaplen', fileOffset, index, 'recordOverSnaplen', {
        captured: capturedLength,
        snaplen: iface.snapLength,
      });
    }
    const r = this.record;
    r.capturedLength = capturedLength;
    r.originalLength = originalLength;
    r.interfaceIndex = global;
    r.linkType = iface.linkType;
    r.fcsLength = iface.fcsLength;
    r.fileOffset = fileOffset;
    r.littleEndian = this.littleEndian;
    r.hasTimestamp = true;
    r.index = index;
    this.recordCount++;
    return true;
  }

  private skipPacket(fileOffset: number, code: WarningCode, params: TextParams): boolean {
    this.warn('bad-block', fileOffset, this.recordCount, code, params);
    return false;
  }

  private timestamp(r: CaptureRecord, high: number, low: number): void {
    const clock = this.clocks[r.interfaceIndex];
    let seconds: number;
    let nanos: number;
    if (clock.mode === TIMESTAMP_DECIMAL) {
      divide64(high, low, clock.unitsPerSecond);
      seconds = quotient.value;
      nanos =
        clock.nanosPerUnit > 0
          ? quotient.remainder * clock.nanosPerUnit
          : Math.floor(quotient.remainder / (clock.unitsPerSecond / 1e9));
    } else if (clock.mode === TIMESTAMP_BINARY) {
      const k = clock.shift;
      let fraction: number;
      if (k <= 32) {
        const scale = 2 ** k;
        seconds = high * 2 ** (32 - k) + Math.floor(low / scale);
        fraction = (low % scale) / scale;
      } else {
        const highScale = 2 ** (k - 32);
        seconds = Math.floor(high / highScale);
        fraction = ((high % highScale) * 4294967296 + low) / 2 ** k;
      }
      nanos = Math.floor(fraction * 1e9);
    } else {
      const units = BigInt(clock.unitsPerSecond);
      const value = (BigInt(high) << 32n) | BigInt(low);
      seconds = Number(value / units);
      nanos = Number(((value % units) * 1000000000n) / units);
    }
    r.tsSeconds = seconds + clock.offsetSeconds;
    r.tsNanos = nanos;
  }

  private sectionHeader(b: Uint8Array, at: number, length: number, fileOffset: number): void {
    const le = this.littleEndian;
    const major = u16(b, at + 12, le);
    const minor = u16(b, at + 14, le);
    // 1.2 was written by some early tools for what is 1.0; libpcap and Wireshark accept it.
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      this.stop('unsupported-version', fileOffset + 12, 'pcapngVersionUnsupported', {
        section: this.sections,
        offset: fileOffset,
        major,
        minor,
      });
      return;
    }
    this.sections++;
    this.sectionInterfaces = [];
    this.sectionContexts.push({
      format: 'pcapng',
      offset: fileOffset,
      firstInterface: this.interfaces.length,
      blocks: [{ offset: fileOffset, bytes: b.slice(at, at + length) }],
    });
    const first = this.sections === 1;
    this.options(b, at + 24, at + length - 4, fileOffset, (code, start, end) => {
      if (!first) return;
      if (code === SHB_USER_APPLICATION) this.application = utf8(b, start, end);
      else if (code === OPTION_COMMENT) this.comments.push(utf8(b, start, end));
    });
  }

  private interfaceDescription(b: Uint8Array, at: number, length: number, fileOffset: number): void {
    const le = this.littleEndian;
    // Kept even when short: replaying the section must warn and skip it the same way.
    this.sectionContexts[this.sectionContexts.length - 1].blocks.push({
      offset: fileOffset,
      bytes: b.slice(at, at + length),
    });
    if (length < 20) {
      this.warn('bad-block', fileOffset, this.recordCount, 'interfaceBlockShort', { length });
      return;
    }
    const iface: InterfaceInfo = {
      index: this.interfaces.length,
      section: this.sections - 1,
      idInSection: this.sectionInterfaces.length,
      linkType: u16(b, at + 8, le),
      snapLength: u32(b, at + 12, le),
      name: null,
      description: null,
      comment: null,
      unitsPerSecond: 1e6,
      precisionDigits: 6,
      tsOffsetSeconds: 0,
      fcsLength: 0,
    };
    const clock: InterfaceClock = {
      mode: TIMESTAMP_DECIMAL,
      unitsPerSecond: 1e6,
      nanosPerUnit: 1000,
      shift: 0,
      offsetSeconds: 0,
    };
    this.options(b, at + 16, at + length - 4, fileOffset, (code, start, end) => {
      switch (code) {
        case IF_NAME:
          iface.name = utf8(b, start, end);
          break;
        case IF_DESCRIPTION:
          iface.description = utf8(b, start, end);
          break;
        case OPTION_COMMENT:
          iface.comment = utf8(b, start, end);
          break;
        case IF_FCSLEN:
          if (end > start) iface.fcsLength = b[start];
          break;
        case IF_TSOFFSET:
          if (end - start >= 8) {
            const lowWord = u32(b, le ? start : start + 4, le);
            const highWord = u32(b, le ? start + 4 : start, le) | 0; // signed
            clock.offsetSeconds = highWord * 4294967296 + lowWord;
          }
          break;
        case IF_TSRESOL:
          if (end > start) setResolution(clock, b[start]);
          break;
      }
    });
    iface.unitsPerSecond = clock.unitsPerSecond;
    iface.precisionDigits = clock.mode === TIMESTAMP_BINARY ? 9 : precisionDigits(clock.unitsPerSecond);
    iface.tsOffsetSeconds = clock.offsetSeconds;
    this.sectionInterfaces.push(iface.index);
    this.interfaces.push(iface);
    this.clocks.push(clock);
  }

  /** Walks an options list (§3.5); a malformed one is reported and the rest of it ignored. */
  private options(
    b: Uint8Array,
    start: number,
    end: number,
    fileOffset: number,
    onOption: (code: number, valueStart: number, valueEnd: number) => void,
  ): void {
    const le = this.littleEndian;
    let at = start;
    while (at + 4 <= end) {
      const code = u16(b, at, le);
      const length = u16(b, at + 2, le);
      if (code === OPTION_END) return;
      const valueEnd = at + 4 + length;
      if (valueEnd > end) {
        this.warn('bad-block', fileOffset, this.recordCount, 'optionOverrun', {
          option: code,
          offset: fileOffset,
          length,
        });
        return;
      }
      onOption(code, at + 4, valueEnd);
      at = at + 4 + ((length + 3) & ~3);
    }
  }
}

/** if_tsresol (§4.2): the high bit picks base 2 (else 10), the rest is the negative exponent. */
function setResolution(clock: InterfaceClock, value: number): void {
  const exponent = value & 0x7f;
  if ((value & 0x80) !== 0) {
    clock.mode = TIMESTAMP_BINARY;
    clock.shift = exponent;
    clock.unitsPerSecond = 2 ** exponent;
    return;
  }
  clock.unitsPerSecond = 10 ** exponent;
  if (exponent <= 9) {
    clock.mode = TIMESTAMP_DECIMAL;
    clock.nanosPerUnit = 10 ** (9 - exponent);
  } else if (exponent <= 10) {
    clock.mode = TIMESTAMP_DECIMAL;
    clock.nanosPerUnit = 0;
  } else {
    clock.mode = TIMESTAMP_BIG;
  }
}

/** Reads opt_comment options of a pcapng packet record (empty for pcap). Not for the hot path. */
export function packetComments(r: CaptureRecord): string[] {
  const out: string[] = [];
  eachPacketOption(r, (code, start, end) => {
    if (code === OPTION_COMMENT) out.push(utf8(r.bytes, start, end));
  });
  return out;
}

/** epb_flags direction (§4.3.1): 'inbound', 'outbound', or null when not recorded. */
export function packetDirection(r: CaptureRecord): 'inbound' | 'outbound' | null {
  let direction: 'inbound' | 'outbound' | null = null;
  eachPacketOption(r, (code, start, end) => {
    if (code !== EPB_FLAGS || end - start < 4) return;
    const bits = u32(r.bytes, start, r.littleEndian) & 3;
    if (bits === 1) direction = 'inbound';
    else if (bits === 2) direction = 'outbound';
  });
  return direction;
}

function eachPacketOption(
  r: CaptureRecord,
  onOption: (code: number, start: number, end: number) => void,
): void {
  let at = r.optionsStart;
  const end = r.optionsEnd;
  while (at + 4 <= end) {
    const code = u16(r.bytes, at, r.littleEndian);
    const length = u16(r.bytes, at + 2, r.littleEndian);
    if (code === OPTION_END || at + 4 + length > end) return;
    onOption(code, at + 4, at + 4 + length);
    at += 4 + ((length + 3) & ~3);
  }
}
