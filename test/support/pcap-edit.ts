/*
 * Editing real captures byte by byte, to make the cases the lab cannot be asked for (a zero
 * window, a lost answer, a fragmented tunnel packet) out of packets a kernel really sent.
 * Classic pcap with microsecond timestamps and Ethernet/IPv4 frames only: the lab's format.
 * Record boundaries come from capture-bytes.ts, independent of src/; a test that changes a
 * header recomputes the checksums it covers with the helpers here, so that tshark reads the
 * result as a valid capture.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pcapLayout } from './capture-bytes.js';
import { readBytes } from './files.js';

export interface EditableRecord {
  /** The record's index in the file it was read from (-1 for a record made by the test). */
  from: number;
  /** Timestamp, microseconds since the epoch (below 2^53: exact). */
  micros: number;
  /** The frame, a copy the test may change; the captured length written is its length. */
  frame: Uint8Array;
  /** The length on the wire: more than the frame's when the snaplen cut it (a made record: its length). */
  originalLength: number;
}

export interface EditablePcap {
  name: string;
  header: Uint8Array;
  littleEndian: boolean;
  records: EditableRecord[];
}

const MICROSECOND_MAGIC = 0xa1b2c3d4;
const ETHERTYPE_IPV4 = 0x0800;
/** Where the IPv4 header starts in an untagged Ethernet frame. */
export const ETHERNET_LENGTH = 14;

/**
 * The records of a microsecond pcap. Records cut by the snaplen (headers only, as in much of
 * the public corpus) keep their original length; they may be copied, moved or dropped, but
 * their checksums cannot be recomputed (fixTransportChecksum refuses them).
 */
export function readPcap(path: string): EditablePcap {
  const b = readBytes(path);
  const layout = pcapLayout(b);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = layout.littleEndian;
  if (view.getUint32(0, le) !== MICROSECOND_MAGIC || layout.recordHeaderLength !== 16)
    throw new Error(`${path}: not a microsecond pcap`);
  const records = layout.records.map((r, from) => ({
    from,
    micros: view.getUint32(r.offset, le) * 1e6 + view.getUint32(r.offset + 4, le),
    frame: b.slice(r.dataOffset, r.dataOffset + r.capturedLength),
    originalLength: r.originalLength,
  }));
  return { name: basename(path), header: b.slice(0, 24), littleEndian: le, records };
}

/** Writes the capture under its own name in a new directory of `parent`; returns the path. */
export function writePcap(parent: string, pcap: EditablePcap): string {
  const parts: Uint8Array[] = [pcap.header];
  let last = -Infinity;
  for (const r of pcap.records) {
    if (r.micros < last) throw new Error(`${pcap.name}: records out of time order`);
    last = r.micros;
    const head = new Uint8Array(16);
    const view = new DataView(head.buffer);
    const le = pcap.littleEndian;
    view.setUint32(0, Math.floor(r.micros / 1e6), le);
    view.setUint32(4, r.micros % 1e6, le);
    view.setUint32(8, r.frame.length, le);
    if (r.originalLength < r.frame.length) throw new Error(`${pcap.name}: a record longer than on the wire`);
    view.setUint32(12, r.originalLength, le);
    parts.push(head, r.frame);
  }
  const path = join(mkdtempSync(join(parent, 'edit-')), pcap.name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** Inserts a record where its timestamp belongs (after records of the same time). */
export function insertInOrder(pcap: EditablePcap, record: EditableRecord): number {
  let at = pcap.records.findIndex((r) => r.micros > record.micros);
  if (at < 0) at = pcap.records.length;
  pcap.records.splice(at, 0, record);
  return at;
}

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const put16 = (b: Uint8Array, at: number, value: number): void => {
  b[at] = value >> 8;
  b[at + 1] = value & 0xff;
};

/** RFC 1071: the ones' complement sum of 16-bit words, folded. */
function sum16(b: Uint8Array, from: number, to: number, initial = 0): number {
  let sum = initial;
  for (let i = from; i + 1 < to; i += 2) sum += u16(b, i);
  if ((to - from) % 2 === 1) sum += b[to - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The IPv4 header's start in an Ethernet frame (the outer one when `at` is not given). */
export function ipv4At(frame: Uint8Array, at = ETHERNET_LENGTH): number {
  if (u16(frame, at - 2) !== ETHERTYPE_IPV4 || frame[at] >> 4 !== 4) throw new Error('not Ethernet/IPv4');
  return at;
}

export const ipv4HeaderLength = (frame: Uint8Array, ip: number): number => (frame[ip] & 0x0f) * 4;

/** Recomputes an IPv4 header checksum (RFC 791 §3.1). */
export function fixIpv4Checksum(frame: Uint8Array, ip: number): void {
  put16(frame, ip + 10, 0);
  put16(frame, ip + 10, ~sum16(frame, ip, ip + ipv4HeaderLength(frame, ip)) & 0xffff);
}

/**
 * Recomputes the TCP or UDP checksum of an unfragmented IPv4 packet over its pseudo-header
 * (RFC 793 §3.1, RFC 768). A UDP checksum of 0 means "not computed" and stays 0.
 */
export function fixTransportChecksum(frame: Uint8Array, ip: number): void {
  const protocol = frame[ip + 9];
  const start = ip + ipv4HeaderLength(frame, ip);
  const end = ip + u16(frame, ip + 2);
  if (end > frame.length) throw new Error('the packet is cut short: its checksum cannot be computed');
  const field = protocol === 6 ? start + 16 : protocol === 17 ? start + 6 : -1;
  if (field < 0) throw new Error(`IP protocol ${protocol} has no pseudo-header checksum`);
  if (protocol === 17 && u16(frame, field) === 0) return;
  put16(frame, field, 0);
  let sum = sum16(frame, ip + 12, ip + 20); // source and destination addresses
  sum = sum16(Uint8Array.of(0, protocol, (end - start) >> 8, (end - start) & 0xff), 0, 4, sum);
  sum = sum16(frame, start, end, sum);
  const checksum = ~sum & 0xffff;
  // UDP sends a computed 0 as all ones (RFC 768).
  put16(frame, field, protocol === 17 && checksum === 0 ? 0xffff : checksum);
}

/** Writes an IPv4 address ("a.b.c.d") at `at`. */
export function putIpv4(frame: Uint8Array, at: number, address: string): void {
  frame.set(address.split('.').map(Number), at);
}

/**
 * Splits an Ethernet/IPv4 frame into IPv4 fragments as a router would (RFC 791 §3.2): the
 * first carries `firstPayload` bytes of the IP payload (a multiple of 8) with More Fragments
 * set, the second the rest at offset firstPayload / 8; each copies the header and gets its own
 * total length and checksum. Don't Fragment must be clear.
 */
export function fragmentIpv4(frame: Uint8Array, ip: number, firstPayload: number): [Uint8Array, Uint8Array] {
  const headerLength = ipv4HeaderLength(frame, ip);
  const total = u16(frame, ip + 2);
  const flags = u16(frame, ip + 6);
  if ((flags & 0x4000) !== 0) throw new Error('Don’t Fragment is set');
  if ((flags & 0x3fff) !== 0) throw new Error('already a fragment');
  if (firstPayload % 8 !== 0 || firstPayload <= 0 || firstPayload >= total - headerLength)
    throw new Error(`cannot split ${total - headerLength} payload bytes after ${firstPayload}`);
  const make = (from: number, to: number, moreFragments: boolean): Uint8Array => {
    const out = new Uint8Array(ip + headerLength + (to - from));
    out.set(frame.subarray(0, ip + headerLength));
    out.set(frame.subarray(ip + headerLength + from, ip + headerLength + to), ip + headerLength);
    put16(out, ip + 2, headerLength + (to - from));
    put16(out, ip + 6, (moreFragments ? 0x2000 : 0) | (from / 8));
    fixIpv4Checksum(out, ip);
    return out;
  };
  return [make(0, firstPayload, true), make(firstPayload, total - headerLength, false)];
}
