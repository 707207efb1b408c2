import { Status, type DecodeStop, malformed, truncated } from './stop.js';

/*
 * UDP, RFC 768:
 *   |          Source Port          |       Destination Port        |
 *   |            Length             |           Checksum            |
 */
export const UDP_HEADER_LENGTH = 8;

export class UdpFields {
  sourcePort = 0;
  destinationPort = 0;
  /** The Length field: header plus data. */
  length = 0;
  payloadStart = 0;
  payloadEnd = 0;
  lengthFrom = 'captured';
}

export function decodeUdp(
  b: Uint8Array,
  at: number,
  end: number,
  out: UdpFields,
  stop: DecodeStop,
  endFrom: string,
): number {
  const available = end - at;
  if (available < UDP_HEADER_LENGTH) return truncated(stop, 'udp', at, UDP_HEADER_LENGTH, available, endFrom);
  out.sourcePort = (b[at] << 8) | b[at + 1];
  out.destinationPort = (b[at + 2] << 8) | b[at + 3];
  const length = (b[at + 4] << 8) | b[at + 5];
  out.length = length;
  out.payloadStart = at + UDP_HEADER_LENGTH;
  if (length === 0) {
    // 0 is legal for IPv6 jumbograms (RFC 2675): the IP layer bounds the datagram.
    out.payloadEnd = end;
    out.lengthFrom = endFrom;
  } else if (length < UDP_HEADER_LENGTH) {
    return malformed(stop, 'udp', at + 4, 'length below the 8-byte header', length);
  } else if (at + length <= end) {
    out.payloadEnd = at + length;
    out.lengthFrom = 'udp.length';
  } else {
    // Longer than the IP payload: a lying length or a snaplen cut; decode what is there.
    out.payloadEnd = end;
    out.lengthFrom = endFrom;
  }
  return Status.OK;
}
