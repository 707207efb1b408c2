import { describe, expect, it } from 'vitest';
import { realPacket } from '../../../test/support/packets.js';
import { expectTruncations } from '../../../test/support/truncation.js';
import {
  Status,
  decodeIcmp,
  decodeTcp,
  decodeUdp,
  DecodeStop,
  formatIp,
  IcmpFields,
  Layer,
  TCP_MIN_HEADER_LENGTH,
  TcpFields,
  UDP_HEADER_LENGTH,
  UdpFields,
} from './index.js';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('decodeUdp', () => {
  const { bytes, at } = realPacket(Layer.UDP, (p) => p.udp[0].length > 8);

  it('reads a real header and bounds the payload by its length', () => {
    const f = new UdpFields();
    expect(decodeUdp(bytes, at, bytes.length, f, new DecodeStop(), 'captured')).toBe(Status.OK);
    expect(f.sourcePort).toBe(view(bytes).getUint16(at));
    expect(f.destinationPort).toBe(view(bytes).getUint16(at + 2));
    expect(f.payloadEnd - at).toBe(view(bytes).getUint16(at + 4));
  });

  it('reports every cut inside the header, naming the length that limited it', () => {
    expectTruncations(bytes, at, UDP_HEADER_LENGTH, 'udp', (b, a, e, s) =>
      decodeUdp(b, a, e, new UdpFields(), s, 'ipv4.totalLength'),
    );
    const stop = new DecodeStop();
    decodeUdp(bytes, at, at + 3, new UdpFields(), stop, 'ipv4.totalLength');
    expect(stop).toMatchObject({ layer: 'udp', need: 8, have: 3, lengthFrom: 'ipv4.totalLength' });
  });

  it('does not read past the IP payload when the length lies', () => {
    const lying = bytes.slice();
    view(lying).setUint16(at + 4, 65000);
    const f = new UdpFields();
    expect(decodeUdp(lying, at, lying.length, f, new DecodeStop(), 'captured')).toBe(Status.OK);
    expect(f.payloadEnd).toBe(lying.length);
    view(lying).setUint16(at + 4, 5);
    const stop = new DecodeStop();
    expect(decodeUdp(lying, at, lying.length, new UdpFields(), stop, 'captured')).toBe(Status.MALFORMED);
    expect(stop.detail).toBe('length below the 8-byte header');
  });
});

describe('decodeTcp', () => {
  const { bytes, at } = realPacket(Layer.TCP, (p) => p.tcp.headerLength > 20);

  it('reads a real header and skips its options by the data offset', () => {
    const f = new TcpFields();
    expect(decodeTcp(bytes, at, bytes.length, f, new DecodeStop(), 'captured')).toBe(Status.OK);
    expect(f.sequence).toBe(view(bytes).getUint32(at + 4));
    expect(f.acknowledgment).toBe(view(bytes).getUint32(at + 8));
    expect(f.flags).toBe(bytes[at + 13]);
    expect(f.payloadStart).toBe(at + (bytes[at + 12] >> 4) * 4);
  });

  it('reports every cut inside the fixed header and inside the options', () => {
    expectTruncations(bytes, at, TCP_MIN_HEADER_LENGTH, 'tcp', (b, a, e, s) =>
      decodeTcp(b, a, e, new TcpFields(), s, 'captured'),
    );
    const headerLength = (bytes[at + 12] >> 4) * 4;
    const stop = new DecodeStop();
    decodeTcp(bytes, at, at + headerLength - 1, new TcpFields(), stop, 'captured');
    expect(stop).toMatchObject({
      reason: 'truncated',
      need: headerLength,
      have: headerLength - 1,
      lengthFrom: 'tcp.dataOffset',
    });
  });

  it('rejects a data offset below five words', () => {
    const lying = bytes.slice();
    lying[at + 12] = 0x30;
    const stop = new DecodeStop();
    expect(decodeTcp(lying, at, lying.length, new TcpFields(), stop, 'captured')).toBe(Status.MALFORMED);
    expect(stop.value).toBe(12);
  });
});

describe('decodeIcmp', () => {
  it('reads an echo identifier and sequence', () => {
    const { bytes, at } = realPacket(Layer.ICMP, (p) => p.icmp.isEcho);
    const f = new IcmpFields();
    expect(decodeIcmp(bytes, at, bytes.length, f, new DecodeStop(), 4, 'captured')).toBe(Status.OK);
    expect(f.identifier).toBe(view(bytes).getUint16(at + 4));
    expect(f.sequence).toBe(view(bytes).getUint16(at + 6));
    expectTruncations(
      bytes,
      at,
      8,
      'icmp',
      (b, a, e, s) => decodeIcmp(b, a, e, new IcmpFields(), s, 4, 'captured'),
      (have) => (have < 4 ? 4 : 8),
    );
  });

  it('reads the packet an error quotes', () => {
    const { bytes, at } = realPacket(
      Layer.ICMP,
      (p) => p.icmp.isError && p.icmp.type === 3 && p.icmp.code === 4,
    );
    const f = new IcmpFields();
    expect(decodeIcmp(bytes, at, bytes.length, f, new DecodeStop(), 4, 'captured')).toBe(Status.OK);
    expect(f.hasQuote).toBe(true);
    expect(formatIp(4, f.quoted.source)).toBe(Array.from(bytes.subarray(at + 8 + 12, at + 8 + 16)).join('.'));
    expect(f.quoted.protocol).toBe(bytes[at + 8 + 9]);
    expect(f.hasQuotedPorts).toBe(f.quoted.protocol === 6 || f.quoted.protocol === 17);
    if (f.quoted.protocol === 1) expect(f.quotedIcmpType).toBe(8);
    // A quote cut anywhere is no error for the ICMP message itself.
    for (let end = at + 8; end < at + 8 + 24; end++) {
      const g = new IcmpFields();
      expect(decodeIcmp(bytes, at, end, g, new DecodeStop(), 4, 'captured')).toBe(Status.OK);
      expect(g.hasQuote).toBe(end - at - 8 >= 20);
    }
  });

  it('reads an ICMPv6 error quote (packet too big)', () => {
    const { decoded } = realPacket(Layer.ICMPV6, (p) => p.icmp.type === 2);
    expect(decoded.icmp.isError).toBe(true);
    expect(decoded.icmp.hasQuote).toBe(true);
    expect(decoded.icmp.quoted.version).toBe(6);
  });
});
