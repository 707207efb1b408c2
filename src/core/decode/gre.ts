import { ETHERTYPE_ERSPAN_2, ETHERTYPE_ERSPAN_3, ETHERTYPE_TRANSPARENT_ETHERNET } from './ethernet.js';
import { Status, type DecodeStop, malformed, truncated } from './stop.js';

/*
 * GRE, RFC 2784 with the key and sequence fields of RFC 2890:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *   |      Checksum (optional)      |       Reserved1 (Optional)    |
 *   |                         Key (optional)                        |
 *   |                 Sequence Number (Optional)                    |
 * Version 1 is PPTP's enhanced GRE (RFC 2637 §4.1): the key is always there and A adds an
 * acknowledgment number. Routing (R, RFC 1701) is obsolete and not decoded.
 *
 * Protocol type 0x88be / 0x22eb is ERSPAN (draft-foschiano-erspan): port mirroring that
 * carries whole Ethernet frames, read through here to the mirrored frame:
 *   type II  (0x88be, S set): | Ver=1 | VLAN | COS | En | T | Session ID | Reserved | Index |  8 bytes
 *   type I   (0x88be, S clear): no header
 *   type III (0x22eb): 12 bytes, + 8 when the O flag (last bit) is set
 */
export const GRE_BASE_LENGTH = 4;
const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
const GRE_ACK = 0x0080;

export class GreFields {
  flags = 0;
  version = 0;
  protocolType = 0;
  hasKey = false;
  key = 0;
  hasSequence = false;
  sequence = 0;
  /** 0 when not ERSPAN, else its type (1, 2 or 3). */
  erspanType = 0;
  erspanSessionId = 0;
  /** Where the carried packet starts; for ERSPAN, the mirrored Ethernet frame. */
  payloadStart = 0;
  payloadEnd = 0;
  /** What the payload is: an EtherType, 0x6558 for Ethernet (ERSPAN included). */
  payloadType = 0;
}

export function decodeGre(
  b: Uint8Array,
  at: number,
  end: number,
  out: GreFields,
  stop: DecodeStop,
  endFrom: string,
): number {
  const available = end - at;
  if (available < GRE_BASE_LENGTH) return truncated(stop, 'gre', at, GRE_BASE_LENGTH, available, endFrom);
  const flags = (b[at] << 8) | b[at + 1];
  out.flags = flags;
  out.version = flags & 0x07;
  out.protocolType = (b[at + 2] << 8) | b[at + 3];
  if ((flags & GRE_ROUTING) !== 0)
    return malformed(stop, 'gre', at, 'routing present (RFC 1701) is not supported', flags);
  if (out.version > 1) return malformed(stop, 'gre', at, 'unknown GRE version', out.version);
  let length = GRE_BASE_LENGTH;
  if ((flags & GRE_CHECKSUM) !== 0) length += 4;
  out.hasKey = (flags & GRE_KEY) !== 0;
  const keyAt = at + length;
  if (out.hasKey) length += 4;
  out.hasSequence = (flags & GRE_SEQUENCE) !== 0;
  const sequenceAt = at + length;
  if (out.hasSequence) length += 4;
  if (out.version === 1 && (flags & GRE_ACK) !== 0) length += 4;
  if (available < length) return truncated(stop, 'gre', at, length, available, endFrom);
  out.key = out.hasKey
    ? ((b[keyAt] << 24) | (b[keyAt + 1] << 16) | (b[keyAt + 2] << 8) | b[keyAt + 3]) >>> 0
    : 0;
  out.sequence = out.hasSequence
    ? ((b[sequenceAt] << 24) | (b[sequenceAt + 1] << 16) | (b[sequenceAt + 2] << 8) | b[sequenceAt + 3]) >>> 0
    : 0;
  out.erspanType = 0;
  out.erspanSessionId = 0;
  out.payloadType = out.protocolType;
  let start = at + length;
  if (out.protocolType === ETHERTYPE_ERSPAN_2 || out.protocolType === ETHERTYPE_ERSPAN_3) {
    let erspanLength = 0;
    if (out.protocolType === ETHERTYPE_ERSPAN_3) {
      out.erspanType = 3;
      erspanLength = 12;
      if (end - start >= 12 && (b[start + 11] & 0x01) !== 0) erspanLength = 20;
    } else if (out.hasSequence) {
      out.erspanType = 2;
      erspanLength = 8;
    } else {
      out.erspanType = 1;
    }
    if (end - start < erspanLength) return truncated(stop, 'gre', start, erspanLength, end - start, endFrom);
    if (erspanLength > 0) out.erspanSessionId = ((b[start + 2] & 0x03) << 8) | b[start + 3];
    start += erspanLength;
    out.payloadType = ETHERTYPE_TRANSPARENT_ETHERNET;
  }
  out.payloadStart = start;
  out.payloadEnd = end;
  return Status.OK;
}
