import { Status, type DecodeStop, malformed, truncated } from './stop.js';

/*
 * LinkType.NFLOG (239): what `tcpdump -i nflog:N` writes for packets an iptables NFLOG rule
 * logged, https://www.tcpdump.org/linktypes/LinkType.NFLOG.html
 *   | Family (1) | Version (1) | Resource ID (2, network order) |
 * then TLVs, each padded to 4 bytes, their length and type in the capturing host's order:
 *   | Length (2) | Type (2) | Value ... |
 * Type 9 (NFULA_PAYLOAD) holds the logged packet, starting at its IP header.
 */
export const NFLOG_HEADER_LENGTH = 4;
const NFULA_PAYLOAD = 9;

export class NflogFields {
  family = 0;
  resourceId = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

export function decodeNflog(
  b: Uint8Array,
  at: number,
  end: number,
  out: NflogFields,
  stop: DecodeStop,
): number {
  if (end - at < NFLOG_HEADER_LENGTH)
    return truncated(stop, 'nflog', at, NFLOG_HEADER_LENGTH, end - at, 'captured');
  out.family = b[at];
  out.resourceId = (b[at + 2] << 8) | b[at + 3];
  let cursor = at + NFLOG_HEADER_LENGTH;
  while (cursor + 4 <= end) {
    // Host byte order, unrecorded: TLV types are small, so the reading that gives one is right.
    const littleEndian = b[cursor + 3] === 0 && b[cursor + 2] !== 0;
    const length = littleEndian ? b[cursor] | (b[cursor + 1] << 8) : (b[cursor] << 8) | b[cursor + 1];
    const type = littleEndian ? b[cursor + 2] : b[cursor + 3];
    if (length < 4) return malformed(stop, 'nflog', cursor, 'TLV length below 4', length);
    if (type === NFULA_PAYLOAD) {
      // A payload longer than the capture is a snaplen cut: decode what is there.
      out.payloadStart = cursor + 4;
      out.payloadEnd = Math.min(end, cursor + length);
      return Status.OK;
    }
    if (cursor + length > end) return truncated(stop, 'nflog', cursor, length, end - cursor, 'captured');
    cursor += (length + 3) & ~3;
  }
  return truncated(stop, 'nflog', cursor, 4, end - cursor, 'captured');
}
