import { type DecodedPacket, Layer, Network } from '../decode/index.js';
import { finishHash } from '../flow/hash.js';

/**
 * Bytes of transport payload hashed into a fingerprint: enough to tell packets apart, cheap.
 * TCP's sequence and acknowledgment numbers already tell its segments apart, so it needs
 * fewer.
 */
const PAYLOAD_BYTES = 64;
const TCP_PAYLOAD_BYTES = 16;

function step1(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x9e3779b1);
  return (h << 13) | (h >>> 19);
}

function step2(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x85ebca77);
  return (h << 17) | (h >>> 15);
}

/**
 * What NAT and encapsulation leave intact in a packet, hashed twice (64 bits in all): the
 * IPv4 Identification, TCP sequence and acknowledgment numbers and flags, the payload length
 * and its first bytes, the ICMP echo sequence (not its identifier: SNAT rewrites that like a
 * port). Addresses, ports and TTL are left out on purpose: they are what NAT and routing
 * change. DNS id and question are in the UDP payload. A packet seen in the client pod, on
 * its node's underlay inside VXLAN after DNAT, and in the server pod has one fingerprint.
 */
export class Fingerprint {
  h1 = 0;
  h2 = 0;
  /**
   * Weak: an IPv4 UDP or ICMP packet with Identification 0 (a kernel sends 0 on unconnected
   * sockets with DF set), or IPv6 UDP and ICMPv6 (no Identification): identical payloads then give identical fingerprints,
   * so these are matched by time as well.
   */
  weak = false;
  /** The TCP sequence number and payload length (0 for other protocols). */
  sequence = 0;
  length = 0;
  /** Inner IP TTL or hop limit. */
  ttl = 0;
  /** 6, 17, 1 or 58. */
  protocol = 0;
}

/**
 * Fills `out` for the innermost IP packet of `p` (whose bytes are `b`); false when it has no
 * fingerprint: not IP, a fragment, or a protocol other than TCP, UDP and ICMP echo or error.
 */
export function fingerprint(p: DecodedPacket, b: Uint8Array, out: Fingerprint): boolean {
  if (p.innerNetwork !== Network.IP) return false;
  const ip = p.ip[p.innerIp];
  if (ip.isFragment) return false;
  const transport = p.transport;
  let w0: number;
  let w1: number;
  let w2: number;
  let start: number;
  let end: number;
  let weak = false;
  let sequence = 0;
  const id = ip.version === 4 ? ip.identification : ip.flowLabel;
  if (transport === Layer.TCP) {
    const t = p.tcp;
    w0 = t.sequence;
    w1 = t.acknowledgment;
    start = t.payloadStart;
    end = Math.max(start, Math.min(t.payloadEnd, ip.payloadEnd));
    sequence = t.sequence;
    w2 = (6 << 24) | (t.flags << 16) | (end - start);
  } else if (transport === Layer.UDP) {
    const u = p.udp[p.transportSlot];
    start = u.payloadStart;
    end = Math.max(start, u.payloadEnd);
    w0 = u.length;
    w1 = 0;
    w2 = (17 << 24) | (end - start);
    weak = id === 0 || ip.version === 6;
  } else if ((transport === Layer.ICMP || transport === Layer.ICMPV6) && p.icmp.isError) {
    // An error quotes the packet it answers, and conntrack rewrites that quote along with the
    // error's own addresses: only what NAT leaves alone in the quote goes in.
    const c = p.icmp;
    if (!c.hasQuote) return false;
    const q = c.quoted;
    start = end = 0;
    w0 = (c.type << 8) | c.code;
    w1 = (q.identification << 8) ^ q.protocol ^ (q.lengthField << 16);
    w2 = ((ip.version === 4 ? 1 : 58) << 24) | ((c.payloadEnd - c.payloadStart) & 0xffff);
    weak = id === 0 && q.identification === 0;
  } else if (transport === Layer.ICMP || transport === Layer.ICMPV6) {
    const c = p.icmp;
    if (!c.isEcho) return false;
    start = c.payloadStart;
    end = Math.max(start, c.payloadEnd);
    w0 = (c.type << 8) | c.code;
    w1 = c.sequence;
    w2 = ((ip.version === 4 ? 1 : 58) << 24) | (end - start);
    weak = id === 0 || ip.version === 6;
  } else {
    return false;
  }
  // Two chains with different seeds, multipliers and word orders (64 bits in all); each step
  // is one multiply and a rotate, and finishHash avalanches the result.
  let h1 = step1(step1(step1(step1(0x3c6ef372, w0), w1), w2), id);
  let h2 = step2(step2(step2(step2(0x510e527f, id), w2), w1), w0);
  const stop = Math.min(end, start + (transport === Layer.TCP ? TCP_PAYLOAD_BYTES : PAYLOAD_BYTES));
  let at = start;
  for (; at + 4 <= stop; at += 4) {
    const word = (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
    h1 = step1(h1, word);
    h2 = step2(h2, word);
  }
  for (; at < stop; at++) {
    h1 = step1(h1, b[at]);
    h2 = step2(h2, b[at] + 0x100);
  }
  out.h1 = finishHash(h1, stop - start) | 0;
  out.h2 = finishHash(h2, w2) | 0;
  out.weak = weak;
  out.sequence = sequence;
  out.length = end - start;
  out.ttl = ip.ttl;
  out.protocol = w2 >>> 24;
  return true;
}
