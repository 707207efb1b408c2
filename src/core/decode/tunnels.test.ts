import { describe, expect, it } from 'vitest';
import { decode, realPacket } from '../../../test/support/packets.js';
import { expectTruncations } from '../../../test/support/truncation.js';
import {
  Status,
  DecodeTables,
  decodeGeneve,
  decodeGre,
  decodeVxlan,
  DecodeStop,
  GENEVE_BASE_LENGTH,
  GeneveFields,
  GreFields,
  Layer,
  Tunnel,
  VXLAN_LENGTH,
  VxlanFields,
} from './index.js';

describe('decodeVxlan', () => {
  const { bytes, at, decoded } = realPacket(Layer.VXLAN);

  it('reads the VNI and hands on to the inner Ethernet frame', () => {
    const f = new VxlanFields();
    expect(decodeVxlan(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.vni).toBe((bytes[at + 4] << 16) | (bytes[at + 5] << 8) | bytes[at + 6]);
    expect(decoded.tunnelType[0]).toBe(Tunnel.VXLAN);
    expect(decoded.ethernetCount).toBe(2);
  });

  it('reports every cut inside the header', () => {
    expectTruncations(bytes, at, VXLAN_LENGTH, 'vxlan', (b, a, e, s) =>
      decodeVxlan(b, a, e, new VxlanFields(), s),
    );
  });

  it('finds VXLAN on a port added by the user', () => {
    const { bytes: b, linkType, decoded: d } = realPacket(Layer.VXLAN, (p) => p.tunnelPort[0] === 4789);
    const udp = d.udp[0];
    const moved = b.slice();
    const port = d.starts[d.layerCount - 1];
    void port;
    // Rewrite the UDP destination port 4789 to 9999: not VXLAN by default, VXLAN once added.
    const udpAt = d.starts[Array.from(d.kinds.subarray(0, d.layerCount)).indexOf(Layer.UDP)];
    moved[udpAt + 2] = 9999 >> 8;
    moved[udpAt + 3] = 9999 & 0xff;
    expect(udp.destinationPort === 4789 || udp.sourcePort === 4789).toBe(true);
    if (udp.destinationPort !== 4789) return;
    expect(decode(moved, linkType).vxlanCount).toBe(0);
    const tables = new DecodeTables();
    tables.addVxlanPort(9999);
    const again = decode(moved, linkType, tables);
    expect(again.vxlanCount).toBe(1);
    expect(again.tunnelPort[0]).toBe(9999);
  });
});

describe('decodeGeneve', () => {
  const { bytes, at } = realPacket(Layer.GENEVE, (p) => p.geneve[0].optionsLength > 0);

  it('skips options by their length and reads the VNI', () => {
    const f = new GeneveFields();
    expect(decodeGeneve(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.optionsLength).toBe((bytes[at] & 0x3f) * 4);
    expect(f.payloadStart).toBe(at + 8 + f.optionsLength);
  });

  it('reports every cut inside the base header, and options longer than the packet', () => {
    expectTruncations(
      bytes,
      at,
      GENEVE_BASE_LENGTH,
      'geneve',
      (b, a, e, s) => decodeGeneve(b, a, e, new GeneveFields(), s),
      () => 8,
    );
    const lying = bytes.slice(0, at + 16);
    lying[at] = (lying[at] & 0xc0) | 0x3f;
    const stop = new DecodeStop();
    decodeGeneve(lying, at, lying.length, new GeneveFields(), stop);
    expect(stop).toMatchObject({ reason: 'truncated', need: 8 + 63 * 4, lengthFrom: 'geneve.optionsLength' });
  });

  it('records the tunnel with its UDP port', () => {
    const { decoded } = realPacket(Layer.GENEVE);
    expect(decoded.tunnelType[0]).toBe(Tunnel.GENEVE);
    expect(decoded.tunnelPort[0]).toBe(6081);
  });
});

describe('decodeGre', () => {
  const { bytes, at } = realPacket(Layer.GRE, (p) => p.gre[0].hasKey || p.gre[0].hasSequence);

  it('reads its optional fields and finds the payload after them', () => {
    const f = new GreFields();
    expect(decodeGre(bytes, at, bytes.length, f, new DecodeStop(), 'captured')).toBe(Status.OK);
    let length = 4;
    if (bytes[at] & 0x80) length += 4;
    if (bytes[at] & 0x20) length += 4;
    if (bytes[at] & 0x10) length += 4;
    if ((bytes[at + 1] & 7) === 1 && bytes[at + 1] & 0x80) length += 4;
    expect(f.payloadStart - at).toBeGreaterThanOrEqual(length);
  });

  it('reports cuts inside the base header and rejects source routing', () => {
    expectTruncations(bytes, at, 4, 'gre', (b, a, e, s) =>
      decodeGre(b, a, e, new GreFields(), s, 'captured'),
    );
    const routed = bytes.slice();
    routed[at] |= 0x40;
    const stop = new DecodeStop();
    expect(decodeGre(routed, at, routed.length, new GreFields(), stop, 'captured')).toBe(Status.MALFORMED);
  });

  it('reads through ERSPAN to the mirrored frame, and through IP-in-IP', () => {
    const erspan = realPacket(Layer.GRE, (p) => p.gre[0].erspanType > 0);
    expect(erspan.decoded.ethernetCount).toBeGreaterThan(1);
    const ipip = realPacket(Layer.UDP, (p) => p.tunnelCount > 0 && p.tunnelType[0] === Tunnel.IPIP);
    expect(ipip.decoded.ipCount).toBe(2);
    expect(ipip.decoded.enclosingTunnels).toBe(1);
  });
});
