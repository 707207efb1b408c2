import { Status, type DecodeStop, truncated } from './stop.js';

/*
 * ARP (RFC 826), for Ethernet and IPv4 (the only pair Kubernetes networks use):
 *   | Hardware type (2) | Protocol type (2) | HW len (1) | Proto len (1) | Operation (2) |
 *   | Sender HW address (hlen) | Sender protocol address (plen) |
 *   | Target HW address (hlen) | Target protocol address (plen) |
 */
export const ARP_FIXED_LENGTH = 8;

export class ArpFields {
  hardwareType = 0;
  protocolType = 0;
  hardwareLength = 0;
  protocolLength = 0;
  operation = 0;
  /** True for the Ethernet/IPv4 form, the only one whose addresses are read below. */
  isEthernetIpv4 = false;
  senderHardwareHigh = 0;
  senderHardwareLow = 0;
  senderProtocolAddress = 0;
  targetHardwareHigh = 0;
  targetHardwareLow = 0;
  targetProtocolAddress = 0;
}

export function decodeArp(b: Uint8Array, at: number, end: number, out: ArpFields, stop: DecodeStop): number {
  if (end - at < ARP_FIXED_LENGTH) return truncated(stop, 'arp', at, ARP_FIXED_LENGTH, end - at, 'captured');
  out.hardwareType = (b[at] << 8) | b[at + 1];
  out.protocolType = (b[at + 2] << 8) | b[at + 3];
  out.hardwareLength = b[at + 4];
  out.protocolLength = b[at + 5];
  out.operation = (b[at + 6] << 8) | b[at + 7];
  const total = ARP_FIXED_LENGTH + 2 * (out.hardwareLength + out.protocolLength);
  if (end - at < total) return truncated(stop, 'arp', at, total, end - at, 'captured');
  out.isEthernetIpv4 = out.hardwareLength === 6 && out.protocolLength === 4 && out.protocolType === 0x0800;
  if (out.isEthernetIpv4) {
    const s = at + 8;
    out.senderHardwareHigh = (b[s] << 8) | b[s + 1];
    out.senderHardwareLow = ((b[s + 2] << 24) | (b[s + 3] << 16) | (b[s + 4] << 8) | b[s + 5]) >>> 0;
    out.senderProtocolAddress = ((b[s + 6] << 24) | (b[s + 7] << 16) | (b[s + 8] << 8) | b[s + 9]) >>> 0;
    out.targetHardwareHigh = (b[s + 10] << 8) | b[s + 11];
    out.targetHardwareLow = ((b[s + 12] << 24) | (b[s + 13] << 16) | (b[s + 14] << 8) | b[s + 15]) >>> 0;
    out.targetProtocolAddress = ((b[s + 16] << 24) | (b[s + 17] << 16) | (b[s + 18] << 8) | b[s + 19]) >>> 0;
  }
  return Status.OK;
}
