import { Status, type DecodeStop, truncated } from './stop.js';

/*
 * Geneve, RFC 8926 §3.4, on UDP 6081:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *   |        Virtual Network Identifier (VNI)       |    Reserved   |
 *   |                    Variable-Length Options                    |
 * Opt Len counts 4-byte words; options are skipped by it. Protocol Type is an EtherType
 * (0x6558 for an Ethernet frame). Cilium puts the sender's security identity in the VNI.
 */
export const GENEVE_BASE_LENGTH = 8;

export class GeneveFields {
  version = 0;
  optionsLength = 0;
  isOam = false;
  isCritical = false;
  protocolType = 0;
  vni = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

export function decodeGeneve(
  b: Uint8Array,
  at: number,
  end: number,
  out: GeneveFields,
  stop: DecodeStop,
): number {
  const available = end - at;
  if (available < GENEVE_BASE_LENGTH)
    return truncated(stop, 'geneve', at, GENEVE_BASE_LENGTH, available, 'udp.length');
  out.version = b[at] >>> 6;
  out.optionsLength = (b[at] & 0x3f) * 4;
  out.isOam = (b[at + 1] & 0x80) !== 0;
  out.isCritical = (b[at + 1] & 0x40) !== 0;
  out.protocolType = (b[at + 2] << 8) | b[at + 3];
  out.vni = (b[at + 4] << 16) | (b[at + 5] << 8) | b[at + 6];
  const length = GENEVE_BASE_LENGTH + out.optionsLength;
  if (available < length) return truncated(stop, 'geneve', at, length, available, 'geneve.optionsLength');
  out.payloadStart = at + length;
  out.payloadEnd = end;
  return Status.OK;
}
