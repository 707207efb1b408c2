import { describe, expect, it } from 'vitest';
import { realPacket } from '../../../test/support/packets.js';
import { expectTruncations } from '../../../test/support/truncation.js';
import {
  ARP_FIXED_LENGTH,
  ArpFields,
  decodeArp,
  decodeEthernet,
  decodeLoopback,
  decodeSll,
  decodeSll2,
  decodeVlan,
  Status,
  DecodeStop,
  ETHERNET_HEADER_LENGTH,
  EthernetFields,
  formatMac,
  Layer,
  LOOPBACK_HEADER_LENGTH,
  LoopbackFields,
  SLL2_HEADER_LENGTH,
  SLL_HEADER_LENGTH,
  SllFields,
  VLAN_TAG_LENGTH,
  VlanFields,
} from './index.js';

const hex = (b: Uint8Array, from: number, to: number): string =>
  Array.from(b.subarray(from, to), (x) => x.toString(16).padStart(2, '0')).join(':');

describe('decodeEthernet', () => {
  const { bytes, at } = realPacket(Layer.ETHERNET);

  it('reads a real frame', () => {
    const f = new EthernetFields();
    expect(decodeEthernet(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(formatMac(f.destinationHigh, f.destinationLow)).toBe(hex(bytes, at, at + 6));
    expect(formatMac(f.sourceHigh, f.sourceLow)).toBe(hex(bytes, at + 6, at + 12));
    expect(f.etherType).toBe((bytes[at + 12] << 8) | bytes[at + 13]);
    expect(f.payloadStart).toBe(at + 14);
  });

  it('reports every cut inside the header', () => {
    expectTruncations(bytes, at, ETHERNET_HEADER_LENGTH, 'ethernet', (b, a, e, s) =>
      decodeEthernet(b, a, e, new EthernetFields(), s),
    );
  });
});

describe('decodeVlan', () => {
  const { bytes, at, decoded } = realPacket(Layer.VLAN);

  it('reads a real 802.1Q tag', () => {
    const f = new VlanFields();
    expect(decodeVlan(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.vlanId).toBe(((bytes[at] & 0x0f) << 8) | bytes[at + 1]);
    expect(f.vlanId).toBe(decoded.vlan[0].vlanId);
    expect([0x0800, 0x86dd, 0x0806, 0x8100]).toContain(f.etherType);
  });

  it('reports every cut inside the tag', () => {
    expectTruncations(bytes, at, VLAN_TAG_LENGTH, 'vlan', (b, a, e, s) =>
      decodeVlan(b, a, e, new VlanFields(), s),
    );
  });
});

describe('decodeSll and decodeSll2', () => {
  it('reads a real SLL2 header with its interface index and direction', () => {
    const { bytes, at } = realPacket(Layer.SLL2);
    const f = new SllFields();
    expect(decodeSll2(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.version).toBe(2);
    expect(f.interfaceIndex).toBe(new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 4));
    expect(f.interfaceIndex).toBeGreaterThan(0);
    expect(f.packetType).toBeLessThanOrEqual(4);
    expectTruncations(bytes, at, SLL2_HEADER_LENGTH, 'sll2', (b, a, e, s) =>
      decodeSll2(b, a, e, new SllFields(), s),
    );
  });

  it('reads a real SLL header', () => {
    const { bytes, at } = realPacket(Layer.SLL);
    const f = new SllFields();
    expect(decodeSll(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.interfaceIndex).toBe(-1);
    expect(f.protocol).toBe((bytes[at + 14] << 8) | bytes[at + 15]);
    expectTruncations(bytes, at, SLL_HEADER_LENGTH, 'sll', (b, a, e, s) =>
      decodeSll(b, a, e, new SllFields(), s),
    );
  });
});

describe('decodeLoopback', () => {
  const { bytes, at } = realPacket(Layer.LOOPBACK, (p) => p.loopback.ipVersion !== 0);

  it('reads the address family in host order, whichever it was', () => {
    const f = new LoopbackFields();
    expect(decodeLoopback(bytes, at, bytes.length, f, new DecodeStop(), false)).toBe(Status.OK);
    expect([4, 6]).toContain(f.ipVersion);
    const swapped = bytes.slice();
    swapped.set(bytes.subarray(at, at + 4).reverse(), at);
    const g = new LoopbackFields();
    decodeLoopback(swapped, at, swapped.length, g, new DecodeStop(), false);
    expect(g.ipVersion).toBe(f.ipVersion);
  });

  it('reports every cut inside the header', () => {
    expectTruncations(bytes, at, LOOPBACK_HEADER_LENGTH, 'loopback', (b, a, e, s) =>
      decodeLoopback(b, a, e, new LoopbackFields(), s, false),
    );
  });
});

describe('decodeArp', () => {
  const { bytes, at } = realPacket(Layer.ARP, (p) => p.arp.isEthernetIpv4);

  it('reads a real Ethernet/IPv4 ARP message', () => {
    const f = new ArpFields();
    expect(decodeArp(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.isEthernetIpv4).toBe(true);
    expect([1, 2]).toContain(f.operation);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(f.senderProtocolAddress).toBe(view.getUint32(at + 14));
    expect(f.targetProtocolAddress).toBe(view.getUint32(at + 24));
  });

  it('reports cuts in the fixed part and in the addresses', () => {
    expectTruncations(
      bytes,
      at,
      ARP_FIXED_LENGTH + 20,
      'arp',
      (b, a, e, s) => decodeArp(b, a, e, new ArpFields(), s),
      (have) => (have < ARP_FIXED_LENGTH ? ARP_FIXED_LENGTH : 28),
    );
  });

  it('believes its own length fields only as far as the bytes go', () => {
    const lying = bytes.slice();
    lying[at + 4] = 200; // hardware address length 200
    const stop = new DecodeStop();
    expect(decodeArp(lying, at, lying.length, new ArpFields(), stop)).not.toBe(Status.OK);
    expect(stop.need).toBe(8 + 2 * (200 + 4));
  });
});
