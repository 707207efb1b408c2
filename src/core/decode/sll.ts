import { Status, type DecodeStop, truncated } from './stop.js';

/*
 * Linux cooked capture, what `tcpdump -i any` writes.
 * SLL (LinkType.LINUX_SLL, 113), https://www.tcpdump.org/linktypes/LinkType.LINUX_SLL.html
 *   | Packet type (2) | ARPHRD type (2) | Address length (2) | Address (8) | Protocol (2) |
 * SLL2 (LinkType.LINUX_SLL2, 276), https://www.tcpdump.org/linktypes/LinkType.LINUX_SLL2.html
 *   | Protocol (2) | Reserved (2) | Interface index (4) |
 *   | ARPHRD type (2) | Packet type (1) | Address length (1) | Address (8) |
 *
 * Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us.
 */
export const SLL_HEADER_LENGTH = 16;
export const SLL2_HEADER_LENGTH = 20;
export const SLL_PACKET_OUTGOING = 4;
/** Protocol values that are not EtherTypes (if_ether.h): 802.3 frames and 802.2 LLC. */
export const SLL_PROTOCOL_802_3 = 0x0001;
export const SLL_PROTOCOL_802_2 = 0x0004;
/** ARPHRD_NETLINK: the payload is a netlink message, not a network packet. */
export const ARPHRD_NETLINK = 824;

export class SllFields {
  /** 1 for SLL, 2 for SLL2. */
  version = 1;
  packetType = 0;
  arphrdType = 0;
  addressLength = 0;
  /** The link-layer address (a MAC for Ethernet devices), high 16 and low 32 bits of the first 6 bytes. */
  addressHigh = 0;
  addressLow = 0;
  /** An EtherType for most devices. */
  protocol = 0;
  /** SLL2 only: the capturing interface's ifindex; -1 for SLL. */
  interfaceIndex = -1;
  payloadStart = 0;
  payloadEnd = 0;
}

export function decodeSll(b: Uint8Array, at: number, end: number, out: SllFields, stop: DecodeStop): number {
  if (end - at < SLL_HEADER_LENGTH)
    return truncated(stop, 'sll', at, SLL_HEADER_LENGTH, end - at, 'captured');
  out.version = 1;
  out.packetType = (b[at] << 8) | b[at + 1];
  out.arphrdType = (b[at + 2] << 8) | b[at + 3];
  out.addressLength = (b[at + 4] << 8) | b[at + 5];
  out.addressHigh = (b[at + 6] << 8) | b[at + 7];
  out.addressLow = ((b[at + 8] << 24) | (b[at + 9] << 16) | (b[at + 10] << 8) | b[at + 11]) >>> 0;
  out.protocol = (b[at + 14] << 8) | b[at + 15];
  out.interfaceIndex = -1;
  out.payloadStart = at + SLL_HEADER_LENGTH;
  out.payloadEnd = end;
  return Status.OK;
}

export function decodeSll2(b: Uint8Array, at: number, end: number, out: SllFields, stop: DecodeStop): number {
  if (end - at < SLL2_HEADER_LENGTH)
    return truncated(stop, 'sll2', at, SLL2_HEADER_LENGTH, end - at, 'captured');
  out.version = 2;
  out.protocol = (b[at] << 8) | b[at + 1];
  out.interfaceIndex = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
  out.arphrdType = (b[at + 8] << 8) | b[at + 9];
  out.packetType = b[at + 10];
  out.addressLength = b[at + 11];
  out.addressHigh = (b[at + 12] << 8) | b[at + 13];
  out.addressLow = ((b[at + 14] << 24) | (b[at + 15] << 16) | (b[at + 16] << 8) | b[at + 17]) >>> 0;
  out.payloadStart = at + SLL2_HEADER_LENGTH;
  out.payloadEnd = end;
  return Status.OK;
}
