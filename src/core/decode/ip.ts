import { Status, type DecodeStop, malformed, truncated } from './stop.js';

export const IP_PROTOCOL_HOP_BY_HOP = 0;
export const IP_PROTOCOL_ICMP = 1;
export const IP_PROTOCOL_IPIP = 4;
export const IP_PROTOCOL_TCP = 6;
export const IP_PROTOCOL_UDP = 17;
export const IP_PROTOCOL_IPV6 = 41;
export const IP_PROTOCOL_ROUTING = 43;
export const IP_PROTOCOL_FRAGMENT = 44;
export const IP_PROTOCOL_GRE = 47;
export const IP_PROTOCOL_ESP = 50;
export const IP_PROTOCOL_AH = 51;
export const IP_PROTOCOL_ICMPV6 = 58;
export const IP_PROTOCOL_NO_NEXT_HEADER = 59;
export const IP_PROTOCOL_DESTINATION_OPTIONS = 60;

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV6_HEADER_LENGTH = 40;

/**
 * IPv4 and IPv6 in one shape, so flows and paths read addresses without branching on the
 * version: an IPv4 address is word 0, an IPv6 address words 0-3 (big-endian words).
 */
export class IpFields {
  version = 4;
  /** Offset of the header's first byte. */
  start = 0;
  headerLength = 0;
  /** The protocol field of the fixed header (IPv6: its Next Header). */
  headerProtocol = 0;
  /** The upper-layer protocol after any extension headers (AH, IPv6 options, fragment header). */
  protocol = 0;
  ttl = 0;
  /** IPv4 Identification; for IPv6, the fragment header's Identification when present. */
  identification = 0;
  trafficClass = 0;
  flowLabel = 0;
  isDontFragment = false;
  isMoreFragments = false;
  /** In bytes. */
  fragmentOffset = 0;
  /** Part of a fragmented datagram (first fragment included). */
  isFragment = false;
  /** The length field says more than was captured (snaplen), so the payload is cut. */
  isCut = false;
  /** IPv4 Total Length or IPv6 Payload Length as written. */
  lengthField = 0;
  readonly source = new Uint32Array(4);
  readonly destination = new Uint32Array(4);
  /** The upper-layer payload (after extension headers); its end honours the length field. */
  payloadStart = 0;
  payloadEnd = 0;
  /** Which length limited `payloadEnd`: 'ipv4.totalLength', 'ipv6.payloadLength' or 'captured'. */
  lengthFrom = 'captured';
}

/*
 * IPv4 header, RFC 791 §3.1:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options                    |    Padding    |
 */
export function decodeIpv4(b: Uint8Array, at: number, end: number, out: IpFields, stop: DecodeStop): number {
  const available = end - at;
  if (available < IPV4_MIN_HEADER_LENGTH) {
    return truncated(stop, 'ipv4', at, IPV4_MIN_HEADER_LENGTH, available, 'captured');
  }
  const first = b[at];
  if (first >>> 4 !== 4) return malformed(stop, 'ipv4', at, 'version is not 4', first >>> 4);
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH)
    return malformed(stop, 'ipv4', at, 'header length below 20', headerLength);
  if (available < headerLength) return truncated(stop, 'ipv4', at, headerLength, available, 'ipv4.ihl');
  const totalLength = (b[at + 2] << 8) | b[at + 3];
  const previousVersion = out.version;
  out.version = 4;
  out.start = at;
  out.headerLength = headerLength;
  out.trafficClass = b[at + 1];
  out.flowLabel = 0;
  out.lengthField = totalLength;
  out.identification = (b[at + 4] << 8) | b[at + 5];
  const flagsAndOffset = (b[at + 6] << 8) | b[at + 7];
  out.isDontFragment = (flagsAndOffset & 0x4000) !== 0;
  out.isMoreFragments = (flagsAndOffset & 0x2000) !== 0;
  out.fragmentOffset = (flagsAndOffset & 0x1fff) * 8;
  out.isFragment = out.isMoreFragments || out.fragmentOffset !== 0;
  out.ttl = b[at + 8];
  out.headerProtocol = b[at + 9];
  out.protocol = out.headerProtocol;
  const s = out.source;
  const d = out.destination;
  if (previousVersion !== 4) {
    // This slot last held an IPv6 header: clear the words IPv4 leaves unused.
    s.fill(0);
    d.fill(0);
  }
  s[0] = ((b[at + 12] << 24) | (b[at + 13] << 16) | (b[at + 14] << 8) | b[at + 15]) >>> 0;
  d[0] = ((b[at + 16] << 24) | (b[at + 17] << 16) | (b[at + 18] << 8) | b[at + 19]) >>> 0;
  out.payloadStart = at + headerLength;
  if (totalLength === 0) {
    // Total length 0: TSO or BIG TCP on the capturing host, so the captured length is all we have.
    out.payloadEnd = end;
    out.isCut = false;
    out.lengthFrom = 'captured';
  } else if (totalLength < headerLength) {
    return malformed(stop, 'ipv4', at + 2, 'total length below the header length', totalLength);
  } else if (at + totalLength <= end) {
    // Shorter than captured: the rest is Ethernet padding or trailer.
    out.payloadEnd = at + totalLength;
    out.isCut = false;
    out.lengthFrom = 'ipv4.totalLength';
  } else {
    out.payloadEnd = end;
    out.isCut = true;
    out.lengthFrom = 'captured';
  }
  if (out.headerProtocol === IP_PROTOCOL_AH && out.fragmentOffset === 0) {
    return skipAuthenticationHeader(b, out, stop);
  }
  return Status.OK;
}

/*
 * IPv6 header, RFC 8200 §3:
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                     Source Address (128 bits)                 |
 *   |                  Destination Address (128 bits)               |
 * followed by extension headers (§4): hop-by-hop, routing, destination options
 * (| Next Header | Hdr Ext Len in 8-octet units, not counting the first 8 | ...), and the
 * fragment header (| Next Header | Reserved | Fragment Offset (13) |Res|M| Identification |).
 */
export function decodeIpv6(b: Uint8Array, at: number, end: number, out: IpFields, stop: DecodeStop): number {
  const available = end - at;
  if (available < IPV6_HEADER_LENGTH) {
    return truncated(stop, 'ipv6', at, IPV6_HEADER_LENGTH, available, 'captured');
  }
  const first = b[at];
  if (first >>> 4 !== 6) return malformed(stop, 'ipv6', at, 'version is not 6', first >>> 4);
  const payloadLength = (b[at + 4] << 8) | b[at + 5];
  out.version = 6;
  out.start = at;
  out.headerLength = IPV6_HEADER_LENGTH;
  out.trafficClass = ((first & 0x0f) << 4) | (b[at + 1] >>> 4);
  out.flowLabel = ((b[at + 1] & 0x0f) << 16) | (b[at + 2] << 8) | b[at + 3];
  out.lengthField = payloadLength;
  out.headerProtocol = b[at + 6];
  out.ttl = b[at + 7];
  out.identification = 0;
  out.isDontFragment = false;
  out.isMoreFragments = false;
  out.fragmentOffset = 0;
  out.isFragment = false;
  const s = out.source;
  const d = out.destination;
  for (let i = 0; i < 4; i++) {
    const o = at + 8 + i * 4;
    s[i] = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    const p = o + 16;
    d[i] = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }
  const declaredEnd = at + IPV6_HEADER_LENGTH + payloadLength;
  if (payloadLength === 0) {
    // Payload length 0 with a hop-by-hop header: a jumbogram (RFC 2675) or BIG TCP.
    out.payloadEnd = end;
    out.isCut = false;
    out.lengthFrom = 'captured';
  } else if (declaredEnd <= end) {
    out.payloadEnd = declaredEnd;
    out.isCut = false;
    out.lengthFrom = 'ipv6.payloadLength';
  } else {
    out.payloadEnd = end;
    out.isCut = true;
    out.lengthFrom = 'captured';
  }
  // Walk the extension headers to the upper-layer protocol.
  let next = out.headerProtocol;
  let cursor = at + IPV6_HEADER_LENGTH;
  for (let guard = 0; guard < 16; guard++) {
    if (
      next === IP_PROTOCOL_HOP_BY_HOP ||
      next === IP_PROTOCOL_ROUTING ||
      next === IP_PROTOCOL_DESTINATION_OPTIONS
    ) {
      if (out.payloadEnd - cursor < 8) {
        return truncated(stop, 'ipv6', cursor, 8, out.payloadEnd - cursor, out.lengthFrom);
      }
      const length = (b[cursor + 1] + 1) * 8;
      if (out.payloadEnd - cursor < length) {
        return truncated(stop, 'ipv6', cursor, length, out.payloadEnd - cursor, out.lengthFrom);
      }
      next = b[cursor];
      cursor += length;
    } else if (next === IP_PROTOCOL_FRAGMENT) {
      if (out.payloadEnd - cursor < 8) {
        return truncated(stop, 'ipv6', cursor, 8, out.payloadEnd - cursor, out.lengthFrom);
      }
      const offsetAndFlags = (b[cursor + 2] << 8) | b[cursor + 3];
      out.fragmentOffset = offsetAndFlags & 0xfff8;
      out.isMoreFragments = (offsetAndFlags & 1) !== 0;
      out.isFragment = true;
      out.identification =
        ((b[cursor + 4] << 24) | (b[cursor + 5] << 16) | (b[cursor + 6] << 8) | b[cursor + 7]) >>> 0;
      next = b[cursor];
      cursor += 8;
      // Later fragments carry the rest of the payload, not headers.
      if (out.fragmentOffset !== 0) break;
    } else if (next === IP_PROTOCOL_AH) {
      if (out.payloadEnd - cursor < 8) {
        return truncated(stop, 'ipv6', cursor, 8, out.payloadEnd - cursor, out.lengthFrom);
      }
      const length = (b[cursor + 1] + 2) * 4;
      if (out.payloadEnd - cursor < length) {
        return truncated(stop, 'ipv6', cursor, length, out.payloadEnd - cursor, out.lengthFrom);
      }
      next = b[cursor];
      cursor += length;
    } else {
      break;
    }
  }
  out.protocol = next;
  out.payloadStart = cursor;
  out.headerLength = cursor - at;
  return Status.OK;
}

/*
 * Authentication Header, RFC 4302 §2:
 *   | Next Header | Payload Len (32-bit words, minus 2) | Reserved | SPI | Sequence | ICV ...
 */
function skipAuthenticationHeader(b: Uint8Array, out: IpFields, stop: DecodeStop): number {
  const at = out.payloadStart;
  if (out.payloadEnd - at < 8) return truncated(stop, 'ipv4', at, 8, out.payloadEnd - at, out.lengthFrom);
  const length = (b[at + 1] + 2) * 4;
  if (out.payloadEnd - at < length)
    return truncated(stop, 'ipv4', at, length, out.payloadEnd - at, out.lengthFrom);
  out.protocol = b[at];
  out.payloadStart = at + length;
  return Status.OK;
}

/** Dotted quad of an IPv4 address held as a number. */
export function formatIpv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/** RFC 5952 text of an IPv6 address held as four big-endian words (IPv4-mapped as ::ffff:a.b.c.d). */
export function formatIpv6(words: ArrayLike<number>): string {
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) groups.push(words[i] >>> 16, words[i] & 0xffff);
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return `::ffff:${formatIpv4(words[3])}`;
  }
  // The longest run of two or more zero groups, first one on ties, becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Text of an address in the IpFields layout. */
export function formatIp(version: number, words: ArrayLike<number>): string {
  return version === 4 ? formatIpv4(words[0]) : formatIpv6(words);
}
