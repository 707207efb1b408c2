import { describe, expect, it } from 'vitest';
import { realPacket } from '../../../test/support/packets.js';
import { expectTruncations } from '../../../test/support/truncation.js';
import {
  Status,
  decodeDns,
  DecodeStop,
  dnsQuestionName,
  DnsFields,
  DNS_HEADER_LENGTH,
  Layer,
} from './index.js';

describe('decodeDns', () => {
  const { bytes, at } = realPacket(Layer.DNS, (p) => p.dns.questionCount === 1 && !p.dns.isTcp);

  it('reads a real query header and question', () => {
    const f = new DnsFields();
    expect(decodeDns(bytes, at, bytes.length, f, new DecodeStop(), false, 'udp.length')).toBe(Status.OK);
    expect(f.id).toBe((bytes[at] << 8) | bytes[at + 1]);
    expect(f.nameStart).toBe(at + 12);
    const name = dnsQuestionName(bytes, f);
    expect(name).toMatch(/^[\w.-]+$/);
    expect(f.questionClass).toBe(1);
  });

  it('reports every cut inside the header', () => {
    expectTruncations(bytes, at, DNS_HEADER_LENGTH, 'dns', (b, a, e, s) =>
      decodeDns(b, a, e, new DnsFields(), s, false, 'udp.length'),
    );
  });

  it('stops on a reserved label type and on a name longer than 255 bytes', () => {
    const bad = bytes.slice();
    bad[at + 12] = 0x80;
    const stop = new DecodeStop();
    expect(decodeDns(bad, at, bad.length, new DnsFields(), stop, false, 'udp.length')).toBe(Status.MALFORMED);
    const long = new Uint8Array(12 + 300 + 5);
    long[5] = 1; // one question
    for (let i = 12; i < 12 + 300; i += 6) long.set([5, 97, 97, 97, 97, 97], i);
    const stop2 = new DecodeStop();
    expect(decodeDns(long, 0, long.length, new DnsFields(), stop2, false, 'udp.length')).toBe(
      Status.MALFORMED,
    );
    expect(stop2.detail).toBe('name longer than 255 bytes');
  });

  it('does not loop on a compression pointer to itself', () => {
    const loop = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const f = new DnsFields();
    expect(decodeDns(loop, 0, loop.length, f, new DecodeStop(), false, 'udp.length')).toBe(Status.OK);
    expect(dnsQuestionName(loop, f)).toBeNull();
  });

  it('reads DNS over TCP after its length prefix', () => {
    const tcp = realPacket(Layer.DNS, (p) => p.dns.isTcp);
    expect(tcp.decoded.dns.messageStart).toBe(tcp.at + 2);
    expect(dnsQuestionName(tcp.bytes, tcp.decoded.dns)).toMatch(/\./);
  });
});
