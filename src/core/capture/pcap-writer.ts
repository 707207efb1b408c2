import { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS } from './pcap.js';

/*
 * Writes libpcap savefiles (the layout PcapReader reads; see its header diagrams): a 24-byte
 * file header, then a 16-byte header before each packet. Little-endian, version 2.4.
 */
const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

export interface PcapWriterOptions {
  linkType: number;
  snapLength?: number;
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanoseconds?: boolean;
}

/**
 * Builds a pcap file in memory, chunk by chunk: `header()` once, then `record()` per packet.
 * Each returns new bytes the caller appends to its file (the Node layer writes them).
 */
export class PcapWriter {
  readonly linkType: number;
  readonly snapLength: number;
  readonly nanoseconds: boolean;

  constructor(options: PcapWriterOptions) {
    this.linkType = options.linkType;
    this.snapLength = options.snapLength ?? 262144;
    this.nanoseconds = options.nanoseconds ?? false;
  }

  header(): Uint8Array {
    const b = new Uint8Array(FILE_HEADER_LENGTH);
    const view = new DataView(b.buffer);
    view.setUint32(0, this.nanoseconds ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(16, this.snapLength, true);
    view.setUint32(20, this.linkType, true);
    return b;
  }

  /**
   * One record. `data` is cut to the snaplen; `originalLength` defaults to its full length.
   * The fraction is written in the file's unit (µs or ns) from `tsNanos`.
   */
  record(tsSeconds: number, tsNanos: number, data: Uint8Array, originalLength = data.length): Uint8Array {
    if (!Number.isInteger(tsSeconds) || tsSeconds < 0 || tsSeconds > 0xffffffff) {
      throw new RangeError(`pcap timestamps are unsigned 32-bit seconds: ${tsSeconds}`);
    }
    if (!Number.isInteger(tsNanos) || tsNanos < 0 || tsNanos >= 1e9)
      throw new RangeError(`nanoseconds out of range: ${tsNanos}`);
    const captured = Math.min(data.length, this.snapLength);
    const b = new Uint8Array(RECORD_HEADER_LENGTH + captured);
    const view = new DataView(b.buffer);
    view.setUint32(0, tsSeconds, true);
    view.setUint32(4, this.nanoseconds ? tsNanos : Math.floor(tsNanos / 1000), true);
    view.setUint32(8, captured, true);
    view.setUint32(12, Math.max(originalLength, captured), true);
    b.set(data.subarray(0, captured), RECORD_HEADER_LENGTH);
    return b;
  }
}
