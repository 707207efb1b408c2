import { describe, expect, it } from 'vitest';
import { decode, realPacket } from '../../../test/support/packets.js';
import { expectTruncations } from '../../../test/support/truncation.js';
import {
  Status,
  decodeIpv4,
  decodeIpv6,
  DecodeStop,
  formatIpv4,
  formatIpv6,
  IpFields,
  IPV4_MIN_HEADER_LENGTH,
  IPV6_HEADER_LENGTH,
  Layer,
} from './index.js';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('decodeIpv4', () => {
  const { bytes, at } = realPacket(Layer.IPV4, (p) => !p.ip[0].isFragment && p.ip[0].lengthField > 40);

  it('reads a real header', () => {
    const f = new IpFields();
    expect(decodeIpv4(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(formatIpv4(f.source[0])).toBe(Array.from(bytes.subarray(at + 12, at + 16)).join('.'));
    expect(formatIpv4(f.destination[0])).toBe(Array.from(bytes.subarray(at + 16, at + 20)).join('.'));
    expect(f.protocol).toBe(bytes[at + 9]);
    expect(f.payloadStart).toBe(at + (bytes[at] & 0x0f) * 4);
    expect(f.payloadEnd).toBe(at + view(bytes).getUint16(at + 2));
    expect(f.lengthFrom).toBe('ipv4.totalLength');
  });

  it('reports every cut inside the header', () => {
    expectTruncations(bytes, at, IPV4_MIN_HEADER_LENGTH, 'ipv4', (b, a, e, s) =>
      decodeIpv4(b, a, e, new IpFields(), s),
    );
  });

  it('takes a total length beyond the capture as a snaplen cut, not an error', () => {
    const lying = bytes.slice();
    view(lying).setUint16(at + 2, 60000);
    const f = new IpFields();
    expect(decodeIpv4(lying, at, lying.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.isCut).toBe(true);
    expect(f.payloadEnd).toBe(lying.length);
    expect(f.lengthFrom).toBe('captured');
  });

  it('rejects a total length shorter than the header, and a header length below 20', () => {
    const short = bytes.slice();
    view(short).setUint16(at + 2, 12);
    const stop = new DecodeStop();
    expect(decodeIpv4(short, at, short.length, new IpFields(), stop)).toBe(Status.MALFORMED);
    expect(stop.detail).toBe('total length below the header length');
    const ihl = bytes.slice();
    ihl[at] = 0x43;
    expect(decodeIpv4(ihl, at, ihl.length, new IpFields(), new DecodeStop())).toBe(Status.MALFORMED);
  });

  it('needs the options an IHL announces', () => {
    const options = bytes.slice(0, at + 24);
    options[at] = 0x4f; // IHL 15: 60 bytes
    const stop = new DecodeStop();
    decodeIpv4(options, at, options.length, new IpFields(), stop);
    expect(stop).toMatchObject({ reason: 'truncated', need: 60, have: 24, lengthFrom: 'ipv4.ihl' });
  });

  it('treats total length 0 as TSO: the captured length rules', () => {
    const tso = bytes.slice();
    view(tso).setUint16(at + 2, 0);
    const f = new IpFields();
    expect(decodeIpv4(tso, at, tso.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.payloadEnd).toBe(tso.length);
  });

  it('decodes only the first fragment’s transport header', () => {
    const later = realPacket(
      Layer.IPV4,
      (p, a) => p.ip[0].fragmentOffset > 0 && a === p.starts[p.layerCount - 1],
    );
    expect(later.decoded.stop.reason).toBe('fragment');
    expect(later.decoded.transport).toBe(0);
    const first = realPacket(
      Layer.IPV4,
      (p) => p.ip[0].isMoreFragments && p.ip[0].fragmentOffset === 0 && p.transport !== 0,
    );
    expect(first.decoded.stop.reason).toBe('end');
  });
});

describe('decodeIpv6', () => {
  const { bytes, at } = realPacket(
    Layer.IPV6,
    (p) => p.ip[p.ipCount - 1].headerProtocol === p.ip[p.ipCount - 1].protocol,
  );

  it('reads a real header', () => {
    const f = new IpFields();
    expect(decodeIpv6(bytes, at, bytes.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.version).toBe(6);
    expect(f.payloadEnd - f.payloadStart).toBe(view(bytes).getUint16(at + 4));
    expect(formatIpv6(f.source)).toMatch(/:/);
  });

  it('reports every cut inside the fixed header', () => {
    expectTruncations(bytes, at, IPV6_HEADER_LENGTH, 'ipv6', (b, a, e, s) =>
      decodeIpv6(b, a, e, new IpFields(), s),
    );
  });

  it('walks a fragment header to the upper layer and stops at later fragments', () => {
    const { decoded } = realPacket(Layer.IPV6, (p) => p.ip[0].version === 6 && p.ip[0].isFragment);
    const ip = decoded.ip[0];
    expect(ip.headerProtocol).toBe(44);
    if (ip.fragmentOffset === 0) expect(decoded.transport).not.toBe(0);
    else expect(decoded.stop.reason).toBe('fragment');
  });

  it('walks a hop-by-hop header, and does not believe one longer than the packet', () => {
    // The corpus has no hop-by-hop header, so add one (a router alert, as MLD sends) to a real packet.
    const { bytes: real, at: ipAt } = realPacket(
      Layer.IPV6,
      (p) => p.transport === 12 && p.ip[0].headerProtocol === 17,
    );
    const hop = new Uint8Array(real.length + 8);
    hop.set(real.subarray(0, ipAt + 40));
    hop.set([17, 0, 5, 2, 0, 0, 1, 0], ipAt + 40);
    hop.set(real.subarray(ipAt + 40), ipAt + 48);
    hop[ipAt + 6] = 0;
    view(hop).setUint16(ipAt + 4, view(real).getUint16(ipAt + 4) + 8);
    const f = new IpFields();
    expect(decodeIpv6(hop, ipAt, hop.length, f, new DecodeStop())).toBe(Status.OK);
    expect(f.headerProtocol).toBe(0);
    expect(f.protocol).toBe(17);
    expect(f.payloadStart).toBe(ipAt + 48);
    hop[ipAt + 41] = 255; // hop-by-hop length: 256 * 8 bytes
    const stop = new DecodeStop();
    decodeIpv6(hop, ipAt, hop.length, new IpFields(), stop);
    expect(stop).toMatchObject({ reason: 'truncated', need: 2048, offset: ipAt + 40 });
  });
});

describe('address text', () => {
  it('follows RFC 5952', () => {
    const words = (...w: number[]) => Uint32Array.from(w);
    expect(formatIpv6(words(0x20010db8, 0, 0, 1))).toBe('2001:db8::1');
    expect(formatIpv6(words(0, 0, 0, 1))).toBe('::1');
    expect(formatIpv6(words(0, 0, 0, 0))).toBe('::');
    expect(formatIpv6(words(0x20010db8, 0x00000001, 0x00000000, 0x00010001))).toBe('2001:db8:0:1::1:1');
    expect(formatIpv6(words(0x20010db8, 0, 0x00010000, 0))).toBe('2001:db8:0:0:1::');
    expect(formatIpv6(words(0, 0, 0xffff, 0x0a000001))).toBe('::ffff:10.0.0.1');
    expect(formatIpv6(words(0xfe800000, 0, 0x02000000, 0x00000001))).toBe('fe80::200:0:0:1');
  });

  it('reads raw IP by its version nibble', () => {
    const { bytes } = realPacket(Layer.IPV6);
    const p = decode(bytes.subarray(realPacket(Layer.IPV6).at), 101);
    expect(p.ip[0].version).toBe(6);
  });
});
