import { Status, type DecodeStop, malformed, truncated } from './stop.js';

/*
 * TCP, RFC 9293 §3.1:
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                           [Options]                           |
 */
export const TCP_MIN_HEADER_LENGTH = 20;
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export class TcpFields {
  sourcePort = 0;
  destinationPort = 0;
  sequence = 0;
  acknowledgment = 0;
  headerLength = 0;
  /** The eight flag bits, FIN = 0x01 ... CWR = 0x80. */
  flags = 0;
  window = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

export function decodeTcp(
  b: Uint8Array,
  at: number,
  end: number,
  out: TcpFields,
  stop: DecodeStop,
  endFrom: string,
): number {
  const available = end - at;
  if (available < TCP_MIN_HEADER_LENGTH)
    return truncated(stop, 'tcp', at, TCP_MIN_HEADER_LENGTH, available, endFrom);
  const headerLength = (b[at + 12] >>> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_LENGTH)
    return malformed(stop, 'tcp', at + 12, 'data offset below 20 bytes', headerLength);
  if (available < headerLength) return truncated(stop, 'tcp', at, headerLength, available, 'tcp.dataOffset');
  out.sourcePort = (b[at] << 8) | b[at + 1];
  out.destinationPort = (b[at + 2] << 8) | b[at + 3];
  out.sequence = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
  out.acknowledgment = ((b[at + 8] << 24) | (b[at + 9] << 16) | (b[at + 10] << 8) | b[at + 11]) >>> 0;
  out.headerLength = headerLength;
  out.flags = b[at + 13];
  out.window = (b[at + 14] << 8) | b[at + 15];
  // Options are skipped by the data offset.
  out.payloadStart = at + headerLength;
  out.payloadEnd = end;
  return Status.OK;
}

const FLAG_LETTERS = 'FSRPAUEC';

/** "SYN,ACK"-style text of TCP flags. */
export function formatTcpFlags(flags: number): string {
  const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
  const out: string[] = [];
  for (let i = 0; i < 8; i++) if ((flags & (1 << i)) !== 0) out.push(names[i]);
  return out.join(',');
}

/** Compact tcpdump-style letters, e.g. "SA" for SYN+ACK (F S R P A U E C). */
export function tcpFlagLetters(flags: number): string {
  let out = '';
  for (let i = 0; i < 8; i++) if ((flags & (1 << i)) !== 0) out += FLAG_LETTERS[i];
  return out;
}
