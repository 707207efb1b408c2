import { Status, type DecodeStop, truncated } from './stop.js';

/*
 * VXLAN, RFC 7348 §5:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 * followed by the inner Ethernet frame, which carries no FCS.
 * On UDP 4789 (IANA), 8472 (Linux's default, Flannel, Cilium) and 6784 (Weave).
 */
export const VXLAN_LENGTH = 8;
export const VXLAN_FLAG_VNI_VALID = 0x08;

export class VxlanFields {
  flags = 0;
  vni = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

export function decodeVxlan(
  b: Uint8Array,
  at: number,
  end: number,
  out: VxlanFields,
  stop: DecodeStop,
): number {
  if (end - at < VXLAN_LENGTH) return truncated(stop, 'vxlan', at, VXLAN_LENGTH, end - at, 'udp.length');
  out.flags = b[at];
  // Reserved bits are ignored on receipt (§5), as the kernel does; the VNI is read regardless of I.
  out.vni = (b[at + 4] << 16) | (b[at + 5] << 8) | b[at + 6];
  out.payloadStart = at + VXLAN_LENGTH;
  out.payloadEnd = end;
  return Status.OK;
}
