import { Status, type DecodeStop, truncated } from './stop.js';

/*
 * Ethernet II (IEEE 802.3 §3.1.1; the FCS is not part of what tcpdump captures unless the
 * link type says so, and the caller cuts it off):
 *
 *   | Destination MAC (6) | Source MAC (6) | EtherType or length (2) | Payload ...
 *
 * An EtherType below 0x0600 is an 802.3 length and the payload is LLC, which we do not decode.
 */
export const ETHERNET_HEADER_LENGTH = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_RARP = 0x8035;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_TRANSPARENT_ETHERNET = 0x6558;
export const ETHERTYPE_ERSPAN_2 = 0x88be;
export const ETHERTYPE_ERSPAN_3 = 0x22eb;
/** EtherType values below this are 802.3 length fields. */
export const ETHERTYPE_MIN = 0x0600;

export class EthernetFields {
  /** The header's bytes; the MAC addresses are read from them only when asked for. */
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  etherType = 0;
  payloadStart = 0;
  payloadEnd = 0;

  /** MAC addresses as a 16-bit high part and a 32-bit low part. */
  get destinationHigh(): number {
    return (this.bytes[this.start] << 8) | this.bytes[this.start + 1];
  }

  get destinationLow(): number {
    const b = this.bytes;
    const at = this.start + 2;
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  get sourceHigh(): number {
    return (this.bytes[this.start + 6] << 8) | this.bytes[this.start + 7];
  }

  get sourceLow(): number {
    const b = this.bytes;
    const at = this.start + 8;
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }
}

export function decodeEthernet(
  b: Uint8Array,
  at: number,
  end: number,
  out: EthernetFields,
  stop: DecodeStop,
): number {
  if (end - at < ETHERNET_HEADER_LENGTH)
    return truncated(stop, 'ethernet', at, ETHERNET_HEADER_LENGTH, end - at, 'captured');
  out.bytes = b;
  out.start = at;
  out.etherType = (b[at + 12] << 8) | b[at + 13];
  out.payloadStart = at + ETHERNET_HEADER_LENGTH;
  out.payloadEnd = end;
  return Status.OK;
}

/*
 * 802.1Q / 802.1ad tag (IEEE 802.1Q §9.6), after the TPID that the previous layer read as
 * its EtherType:
 *
 *   | PCP (3) | DEI (1) | VLAN ID (12) | EtherType (16) |
 */
export const VLAN_TAG_LENGTH = 4;

export class VlanFields {
  /** The EtherType that announced this tag: 0x8100, 0x88a8 or 0x9100. */
  tpid = 0;
  priority = 0;
  isDropEligible = false;
  vlanId = 0;
  etherType = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

export function decodeVlan(
  b: Uint8Array,
  at: number,
  end: number,
  out: VlanFields,
  stop: DecodeStop,
): number {
  if (end - at < VLAN_TAG_LENGTH) return truncated(stop, 'vlan', at, VLAN_TAG_LENGTH, end - at, 'captured');
  const tci = (b[at] << 8) | b[at + 1];
  out.priority = tci >>> 13;
  out.isDropEligible = (tci & 0x1000) !== 0;
  out.vlanId = tci & 0x0fff;
  out.etherType = (b[at + 2] << 8) | b[at + 3];
  out.payloadStart = at + VLAN_TAG_LENGTH;
  out.payloadEnd = end;
  return Status.OK;
}

/** aa:bb:cc:dd:ee:ff from the two parts. */
export function formatMac(high: number, low: number): string {
  const parts = [high >>> 8, high & 0xff, low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff];
  return parts.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
