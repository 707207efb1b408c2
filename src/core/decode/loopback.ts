import { Status, type DecodeStop, truncated } from './stop.js';

/*
 * BSD loopback (LinkType.NULL, 0: the address family in the writer's byte order;
 * LinkType.LOOP, 108: in network byte order), https://www.tcpdump.org/linktypes/LinkType.NULL.html
 *   | Address family (4) | IP packet ...
 * AF_INET is 2 everywhere; AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD,
 * 30 on macOS, so all of them mean IPv6.
 */
export const LOOPBACK_HEADER_LENGTH = 4;

export class LoopbackFields {
  family = 0;
  /** 4 or 6 for the families above, 0 for any other. */
  ipVersion = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

export function decodeLoopback(
  b: Uint8Array,
  at: number,
  end: number,
  out: LoopbackFields,
  stop: DecodeStop,
  isNetworkOrder: boolean,
): number {
  if (end - at < LOOPBACK_HEADER_LENGTH) {
    return truncated(stop, 'loopback', at, LOOPBACK_HEADER_LENGTH, end - at, 'captured');
  }
  const be = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  const le = ((b[at + 3] << 24) | (b[at + 2] << 16) | (b[at + 1] << 8) | b[at]) >>> 0;
  // LinkType.NULL is in the capturing host's order, which the file does not say: a family
  // fits in the low bytes, so whichever reading is small is the right one.
  const family = isNetworkOrder ? be : be <= 0xffff ? be : le;
  out.family = family;
  out.ipVersion = family === 2 ? 4 : family === 10 || family === 24 || family === 28 || family === 30 ? 6 : 0;
  out.payloadStart = at + LOOPBACK_HEADER_LENGTH;
  out.payloadEnd = end;
  return Status.OK;
}
