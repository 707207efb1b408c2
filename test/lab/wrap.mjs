// Wrapping real captured packets in tunnel headers the kernel here cannot make (no ipip or
// geneve devices): the inner packets are what the kernel really sent over direct routes;
// the outer headers are built as Calico's IPIP and Cilium's Geneve build them, and written
// with podpath's own pcap writer. Scenarios that use this say so in their README.
import { readFileSync, writeFileSync } from 'node:fs';
import { CaptureReader, LinkType, PcapWriter } from '../../dist/core/capture/index.js';

export const GENEVE_PORT = 6081;
const ETHERTYPE_IPV4 = 0x0800;
const TRANSPARENT_ETHERNET = 0x6558;

const toBytes = (address) => address.split('.').map(Number);

/** Internet checksum (RFC 1071) over `b`. */
function checksum(b) {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A 20-byte IPv4 header with a correct checksum, DF set as Linux sets it on tunnels. */
export function ipv4Header({ src, dst, protocol, payloadLength, id, ttl = 64 }) {
  const h = new Uint8Array(20);
  const view = new DataView(h.buffer);
  h[0] = 0x45;
  view.setUint16(2, 20 + payloadLength);
  view.setUint16(4, id & 0xffff);
  view.setUint16(6, 0x4000);
  h[8] = ttl;
  h[9] = protocol;
  h.set(toBytes(src), 12);
  h.set(toBytes(dst), 16);
  view.setUint16(10, checksum(h));
  return h;
}

/** A UDP header; checksum 0 (allowed over IPv4, and what Linux sends for UDP tunnels). */
export function udpHeader(srcPort, dstPort, payloadLength) {
  const h = new Uint8Array(8);
  const view = new DataView(h.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, 8 + payloadLength);
  return h;
}

/** Geneve (RFC 8926 §3.4) around an Ethernet frame, no options. */
export function geneveHeader(vni) {
  const h = new Uint8Array(8);
  const view = new DataView(h.buffer);
  view.setUint16(2, TRANSPARENT_ETHERNET);
  h[4] = (vni >>> 16) & 0xff;
  h[5] = (vni >>> 8) & 0xff;
  h[6] = vni & 0xff;
  return h;
}

/** A UDP source port from the inner flow, as the kernel's flow hash picks one (49152-65535). */
export function flowSourcePort(inner) {
  let h = 2166136261;
  // IPv4 addresses and the first four bytes of the transport header (the ports).
  const ihl = (inner[0] & 0x0f) * 4;
  for (const i of [12, 13, 14, 15, 16, 17, 18, 19, ihl, ihl + 1, ihl + 2, ihl + 3, 9])
    h = Math.imul(h ^ (inner[i] ?? 0), 16777619);
  return 49152 + ((h >>> 0) % 16384);
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Rewrites an Ethernet capture: `wrap(frame)` returns the new frame for a packet (or the
 * frame itself to keep it). Timestamps and order are kept.
 */
export function rewriteCapture(inPath, outPath, wrap) {
  const reader = new CaptureReader();
  const raw = readFileSync(inPath);
  reader.push(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  const writer = new PcapWriter({ linkType: LinkType.ETHERNET });
  const parts = [writer.header()];
  let count = 0;
  while (reader.next()) {
    const r = reader.record;
    if (r.linkType !== LinkType.ETHERNET) throw new Error(`${inPath}: not an Ethernet capture`);
    const frame = r.bytes.slice(r.start, r.start + r.capturedLength);
    const out = wrap(frame);
    parts.push(writer.record(r.tsSeconds, r.tsNanos, out));
    count++;
  }
  reader.end();
  if (reader.fatal) throw new Error(`${inPath}: ${reader.fatal.message}`);
  writeFileSync(outPath, concat(parts));
  return count;
}

/** The IPv4 source and destination of an Ethernet frame, or null for anything else. */
export function ipv4Addresses(frame) {
  if (frame.length < 34 || ((frame[12] << 8) | frame[13]) !== ETHERTYPE_IPV4) return null;
  return { src: [...frame.subarray(26, 30)].join('.'), dst: [...frame.subarray(30, 34)].join('.') };
}

let nextId = 0x1000;

/** Calico IPIP: the frame's IPv4 packet inside an outer IPv4 header (protocol 4) between nodes. */
export function wrapIpip(frame, outer) {
  const inner = frame.subarray(14);
  const header = ipv4Header({
    src: outer.src,
    dst: outer.dst,
    protocol: 4,
    payloadLength: inner.length,
    id: nextId++,
  });
  return concat([frame.subarray(0, 14), header, inner]);
}

/** Cilium Geneve: the whole frame inside Ethernet/IPv4/UDP 6081/Geneve between nodes. */
export function wrapGeneve(frame, outer, vni) {
  const inner = frame.subarray(14);
  const geneve = concat([geneveHeader(vni), frame]);
  const udp = udpHeader(flowSourcePort(inner), GENEVE_PORT, geneve.length);
  const ip = ipv4Header({
    src: outer.src,
    dst: outer.dst,
    protocol: 17,
    payloadLength: udp.length + geneve.length,
    id: nextId++,
  });
  return concat([frame.subarray(0, 14), ip, udp, geneve]);
}
