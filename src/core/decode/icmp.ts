import { decodeIpv4, decodeIpv6, IpFields, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from './ip.js';
import { Status, DecodeStop, truncated } from './stop.js';

/*
 * ICMP (RFC 792) and ICMPv6 (RFC 4443 §2.1) share the first four bytes:
 *   |     Type      |     Code      |          Checksum             |
 * Echo request/reply (ICMP 8/0, ICMPv6 128/129):
 *   |           Identifier          |        Sequence Number        |
 * Errors (ICMP 3, 4, 5, 11, 12; ICMPv6 1-4): four bytes (unused, MTU or pointer), then as
 * much of the offending packet as fits: its IP header and the first bytes of its payload.
 */
export const ICMP_HEADER_LENGTH = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DESTINATION_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMPV6_DESTINATION_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAMETER_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

export class IcmpFields {
  /** 4 for ICMP, 6 for ICMPv6. */
  version = 4;
  type = 0;
  code = 0;
  isEcho = false;
  isError = false;
  /** Echo identifier and sequence (0 for other messages). */
  identifier = 0;
  sequence = 0;
  /** The quoted packet of an error; `hasQuote` false when too little of it was included. */
  hasQuote = false;
  readonly quoted = new IpFields();
  hasQuotedPorts = false;
  quotedSourcePort = 0;
  quotedDestinationPort = 0;
  /** The quoted packet's own ICMP type when it is ICMP (-1 otherwise). */
  quotedIcmpType = -1;
  payloadStart = 0;
  payloadEnd = 0;
  /** Problems inside the quoted packet stop only the quote, not the packet. */
  readonly quoteStop = new DecodeStop();
}

export function decodeIcmp(
  b: Uint8Array,
  at: number,
  end: number,
  out: IcmpFields,
  stop: DecodeStop,
  version: number,
  endFrom: string,
): number {
  const available = end - at;
  const layer = version === 4 ? 'icmp' : 'icmpv6';
  // Four bytes make the message; echo and errors need the next four too.
  if (available < 4) return truncated(stop, layer, at, 4, available, endFrom);
  const type = b[at];
  out.version = version;
  out.type = type;
  out.code = b[at + 1];
  out.isEcho =
    version === 4
      ? type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY
      : type === ICMPV6_ECHO_REQUEST || type === ICMPV6_ECHO_REPLY;
  out.isError =
    version === 4
      ? type === 3 || type === 4 || type === 5 || type === 11 || type === 12
      : type >= 1 && type <= 4;
  out.identifier = 0;
  out.sequence = 0;
  out.hasQuote = false;
  out.hasQuotedPorts = false;
  out.quotedIcmpType = -1;
  out.payloadStart = at + 4;
  out.payloadEnd = end;
  if (out.isEcho || out.isError) {
    if (available < ICMP_HEADER_LENGTH)
      return truncated(stop, layer, at, ICMP_HEADER_LENGTH, available, endFrom);
    out.payloadStart = at + ICMP_HEADER_LENGTH;
  }
  if (out.isEcho) {
    out.identifier = (b[at + 4] << 8) | b[at + 5];
    out.sequence = (b[at + 6] << 8) | b[at + 7];
  } else if (out.isError) {
    decodeQuote(b, at + ICMP_HEADER_LENGTH, end, out);
  }
  return Status.OK;
}

function decodeQuote(b: Uint8Array, at: number, end: number, out: IcmpFields): void {
  const quoted = out.quoted;
  const qstop = out.quoteStop;
  qstop.reset();
  if (end - at < 1) return;
  const version = b[at] >>> 4;
  const status =
    version === 4
      ? decodeIpv4(b, at, end, quoted, qstop)
      : version === 6
        ? decodeIpv6(b, at, end, quoted, qstop)
        : -1;
  if (status !== Status.OK) return;
  out.hasQuote = true;
  const l4 = quoted.payloadStart;
  if (quoted.fragmentOffset !== 0) return;
  if ((quoted.protocol === IP_PROTOCOL_TCP || quoted.protocol === IP_PROTOCOL_UDP) && end - l4 >= 4) {
    out.hasQuotedPorts = true;
    out.quotedSourcePort = (b[l4] << 8) | b[l4 + 1];
    out.quotedDestinationPort = (b[l4 + 2] << 8) | b[l4 + 3];
  } else if ((quoted.protocol === 1 || quoted.protocol === 58) && end - l4 >= 1) {
    out.quotedIcmpType = b[l4];
  }
}
