import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixtureFiles } from '../../../test/support/files.js';
import { decode, packetsOf } from '../../../test/support/packets.js';
import {
  DecodeStop,
  decodeProxyProtocol,
  Layer,
  PROXY_ABSENT,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_SIGNATURE,
  ProxyProtocolFields,
  Status,
} from './index.js';

const LAB = join(FIXTURES, 'lab/proxy-protocol');

interface Endpoint {
  ip: string;
  port: number;
}
interface TruthFlow {
  src: Endpoint;
  dst: Endpoint;
  proxyProtocol?: { version: number; src: Endpoint; dst: Endpoint };
}
const truth = JSON.parse(readFileSync(join(LAB, 'truth.json'), 'utf8')) as {
  captures: { file: string; flows: TruthFlow[] }[];
};

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function ipv4Word(text: string): number {
  return text.split('.').reduce((word, part) => word * 256 + Number(part), 0);
}

/** Four big-endian words of an IPv6 address, expanded by WHATWG URL rather than our parser. */
function ipv6Words(text: string): number[] {
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right].map((g) =>
    parseInt(g, 16),
  );
  return [0, 1, 2, 3].map((i) => ((all[2 * i] << 16) | all[2 * i + 1]) >>> 0);
}

function decodeAll(b: Uint8Array, at = 0, end = b.length) {
  const out = new ProxyProtocolFields();
  const stop = new DecodeStop();
  const status = decodeProxyProtocol(b, at, end, out, stop);
  return { status, out, stop };
}

/**
 * The first real TCP segment (project fixtures, as realPacket orders them) whose payload holds a
 * PROXY header of `version`. realPacket's `accept` sees only the decoded fields, not the payload
 * bytes, so this walks the fixtures with the same helpers.
 */
function realHeader(version: number) {
  const out = new ProxyProtocolFields();
  for (const file of fixtureFiles()) {
    for (const { bytes, linkType } of packetsOf(file)) {
      const decoded = decode(bytes, linkType);
      if (decoded.transport !== Layer.TCP) continue;
      const { payloadStart: at, payloadEnd: end } = decoded.tcp;
      if (end <= at) continue;
      if (decodeProxyProtocol(bytes, at, end, out, new DecodeStop()) !== Status.OK) continue;
      if (out.version === version) return { file, bytes, at, end, headerLength: out.headerLength };
    }
  }
  throw new Error(`no real PROXY v${version} header in the fixtures`);
}

describe('decodeProxyProtocol on the lab captures', () => {
  for (const capture of truth.captures) {
    it(`finds exactly the headers truth.json gives in ${capture.file}, every other segment absent`, () => {
      const found: TruthFlow[] = [];
      for (const { bytes, linkType } of packetsOf(join(LAB, capture.file))) {
        const p = decode(bytes, linkType);
        if (p.transport !== Layer.TCP) continue;
        const { payloadStart, payloadEnd, sourcePort, destinationPort } = p.tcp;
        if (payloadEnd <= payloadStart) continue;
        const { status, out } = decodeAll(bytes, payloadStart, payloadEnd);
        if (status === PROXY_ABSENT) continue;
        expect(status, `segment ${sourcePort} -> ${destinationPort}`).toBe(Status.OK);
        expect(out.family).toBe(4);
        expect(out.transport).toBe(6);
        expect(out.isLocal).toBe(false);
        expect(Array.from(out.source.subarray(1))).toEqual([0, 0, 0]);
        expect(Array.from(out.destination.subarray(1))).toEqual([0, 0, 0]);
        // The LB writes the header on its own, so it fills the segment; the request follows.
        expect(out.headerLength).toBe(payloadEnd - payloadStart);
        expect(out.headerLength).toBe(out.version === 2 ? 16 + 12 : 48);
        const flow = capture.flows.find((f) => f.src.port === sourcePort && f.dst.port === destinationPort);
        expect(flow?.proxyProtocol, `a flow ${sourcePort} -> ${destinationPort} with a header`).toBeDefined();
        const pp = flow!.proxyProtocol!;
        expect(out.version).toBe(pp.version);
        expect(out.source[0]).toBe(ipv4Word(pp.src.ip));
        expect(out.sourcePort).toBe(pp.src.port);
        expect(out.destination[0]).toBe(ipv4Word(pp.dst.ip));
        expect(out.destinationPort).toBe(pp.dst.port);
        found.push(flow!);
      }
      expect(found).toEqual(capture.flows.filter((f) => f.proxyProtocol));
      expect(found.map((f) => f.proxyProtocol!.version).sort()).toEqual([1, 2]);
    });
  }

  it('finds the headers by walking the fixtures, the client 203.0.113.20 behind the LB 192.168.10.50', () => {
    for (const version of [2, 1]) {
      const { file, bytes, at, end } = realHeader(version);
      expect(basename(file)).toMatch(/^pp-/);
      const { status, out } = decodeAll(bytes, at, end);
      expect(status).toBe(Status.OK);
      expect(out.source[0]).toBe(ipv4Word('203.0.113.20'));
      expect(out.destination[0]).toBe(ipv4Word('192.168.10.50'));
      expect(out.sourcePort).toBe(version === 2 ? 41002 : 41001);
      expect(out.destinationPort).toBe(version === 2 ? 80 : 81);
    }
  });
});

describe('decodeProxyProtocol cuts', () => {
  /** Cut 0 is absent (nothing to tell by); every other cut matches so far, so it is truncated. */
  function expectCuts(
    bytes: Uint8Array,
    at: number,
    headerLength: number,
    need: (have: number) => number,
    lengthFrom: (have: number) => string,
  ): void {
    for (let have = 0; have < headerLength; have++) {
      const cut = bytes.slice(0, at + have);
      const { status, stop } = decodeAll(cut, at, at + have);
      if (have === 0) {
        expect(status).toBe(PROXY_ABSENT);
        expect(stop.reason).toBe('end');
        continue;
      }
      expect(status, `${have} bytes`).toBe(Status.TRUNCATED);
      expect(stop.layer).toBe('proxy');
      expect(stop.offset).toBe(at);
      expect(stop.have).toBe(have);
      expect(stop.need, `need with ${have} bytes`).toBe(need(have));
      expect(stop.lengthFrom).toBe(lengthFrom(have));
    }
    expect(decodeAll(bytes.slice(0, at + headerLength), at).status).toBe(Status.OK);
  }

  it('truncates every cut of the real v2 header: the fixed 16 bytes, then the length field', () => {
    const { bytes, at, headerLength } = realHeader(2);
    expect(headerLength).toBe(28);
    expectCuts(
      bytes,
      at,
      headerLength,
      (have) => (have < 16 ? 16 : 28),
      (have) => (have < 16 ? 'proxy.v2.fixed' : 'proxy.v2.length'),
    );
  });

  it('truncates every cut of the real v1 line, needing at least the CRLF and 15 bytes', () => {
    const { bytes, at, headerLength } = realHeader(1);
    expect(headerLength).toBe(48);
    expectCuts(
      bytes,
      at,
      headerLength,
      (have) => (have === 47 ? 48 : Math.max(15, have + 2)),
      () => 'proxy.v1.line',
    );
  });

  it('truncates a v2 header whose length field claims more than the segment holds', () => {
    const { bytes, at, end } = realHeader(2);
    const lying = bytes.slice(0, end);
    lying[at + 14] = 0x01;
    lying[at + 15] = 0x00;
    const { status, stop } = decodeAll(lying, at);
    expect(status).toBe(Status.TRUNCATED);
    expect(stop).toMatchObject({ layer: 'proxy', offset: at, need: 16 + 256, have: 28 });
    expect(stop.lengthFrom).toBe('proxy.v2.length');
  });
});

describe('decodeProxyProtocol v2 variants built from the real header', () => {
  const real = realHeader(2);
  const header = real.bytes.slice(real.at, real.at + 28);
  const http = ascii('GET / HTTP/1.1\r\nHost: web\r\n\r\n');

  function withLength(bytes: Uint8Array, length: number): Uint8Array {
    bytes[14] = length >> 8;
    bytes[15] = length & 0xff;
    return bytes;
  }

  it('reads TCP over IPv6 into four big-endian words', () => {
    const v6 = withLength(new Uint8Array(16 + 36), 36);
    v6.set(header.subarray(0, 14));
    v6[13] = 0x21;
    const source = '2001:db8:0:0:0:0:cb00:7114';
    const destination = 'fd00::a:32';
    ipv6Words(source).forEach((w, i) => new DataView(v6.buffer).setUint32(16 + i * 4, w));
    ipv6Words(destination).forEach((w, i) => new DataView(v6.buffer).setUint32(32 + i * 4, w));
    v6.set(header.subarray(24, 28), 48);
    const { status, out } = decodeAll(v6);
    expect(status).toBe(Status.OK);
    expect(out).toMatchObject({
      version: 2,
      family: 6,
      transport: 6,
      sourcePort: 41002,
      destinationPort: 80,
    });
    expect(Array.from(out.source)).toEqual(ipv6Words(source));
    expect(Array.from(out.destination)).toEqual(ipv6Words(destination));
    expect(out.headerLength).toBe(52);
    // UDP over IPv6, and the same fields reused for IPv4 afterwards clear words 1-3.
    v6[13] = 0x22;
    const stop = new DecodeStop();
    expect(decodeProxyProtocol(v6, 0, v6.length, out, stop)).toBe(Status.OK);
    expect(out.transport).toBe(17);
    expect(decodeProxyProtocol(header, 0, header.length, out, stop)).toBe(Status.OK);
    expect(Array.from(out.source)).toEqual([ipv4Word('203.0.113.20'), 0, 0, 0]);
  });

  it('reads a LOCAL command (a health check) as no addresses, whatever the family says', () => {
    const local = header.slice();
    local[12] = 0x20;
    const { status, out } = decodeAll(local);
    expect(status).toBe(Status.OK);
    expect(out).toMatchObject({ version: 2, isLocal: true, family: 0, transport: 0, headerLength: 28 });
    expect(Array.from(out.source)).toEqual([0, 0, 0, 0]);
    expect(out.sourcePort).toBe(0);
    const bare = withLength(header.slice(0, 16), 0);
    bare[12] = 0x20;
    bare[13] = 0x00;
    expect(decodeAll(bare).out.headerLength).toBe(16);
  });

  it('skips TLVs by the length, so the payload starts after them', () => {
    // An NLB's PP2_TYPE_AWS TLV: subtype 1, the VPC endpoint ID (AWS NLB docs).
    const endpoint = ascii('vpce-0123456789abcdef0');
    const tlv = new Uint8Array([0xea, 0, endpoint.length + 1, 0x01, ...endpoint]);
    const noop = new Uint8Array([0x04, 0, 2, 0, 0]);
    const bytes = new Uint8Array([...header, ...tlv, ...noop, ...http]);
    withLength(bytes, 12 + tlv.length + noop.length);
    const { status, out } = decodeAll(bytes);
    expect(status).toBe(Status.OK);
    expect(out.headerLength).toBe(28 + tlv.length + noop.length);
    expect(new TextDecoder().decode(bytes.subarray(out.headerLength, out.headerLength + 4))).toBe('GET ');
    expect(out.source[0]).toBe(ipv4Word('203.0.113.20'));
  });

  it('falls back to no addresses for UNSPEC and UNIX, as the spec allows', () => {
    for (const familyTransport of [0x00, 0x10, 0x31, 0x32]) {
      const bytes = header.slice();
      bytes[13] = familyTransport;
      const { status, out } = decodeAll(bytes);
      expect(status, familyTransport.toString(16)).toBe(Status.OK);
      expect(out).toMatchObject({ family: 0, transport: 0, isLocal: false, sourcePort: 0, headerLength: 28 });
    }
  });

  it('calls a signature followed by garbage malformed', () => {
    const cases: [number, number, string][] = [
      [12, 0x11, 'version is not 2'],
      [12, 0x31, 'version is not 2'],
      [12, 0x22, 'command is not LOCAL or PROXY'],
      [13, 0x41, 'address family is not UNSPEC, INET, INET6 or UNIX'],
      [13, 0x13, 'transport is not UNSPEC, STREAM or DGRAM'],
      [15, 11, 'length below the address block'],
      [13, 0x21, 'length below the address block'], // IPv6 in 12 bytes
    ];
    for (const [offset, value, detail] of cases) {
      const bytes = header.slice();
      bytes[offset] = value;
      const { status, stop } = decodeAll(bytes);
      expect(status, detail).toBe(Status.MALFORMED);
      expect(stop).toMatchObject({ reason: 'malformed', layer: 'proxy', detail });
    }
  });
});

describe('decodeProxyProtocol v1 lines', () => {
  const line = (text: string) => decodeAll(ascii(text));

  it('reads TCP6 lines with "::", full and embedded-IPv4 forms', () => {
    const pairs = [
      ['2001:db8::cb00:7114', 'fd00::a:32'],
      ['::', '::1'],
      ['2001:0DB8:0000:0000:0000:FF00:0042:8329', '1::'],
      ['::ffff:203.0.113.20', '64:ff9b::192.168.10.50'],
      ['1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8'],
      ['fe80::1:0:0:2', '1:0:0:2::'],
    ];
    for (const [source, destination] of pairs) {
      const { status, out } = line(`PROXY TCP6 ${source} ${destination} 41001 443\r\nGET /`);
      expect(status, source).toBe(Status.OK);
      expect(out).toMatchObject({
        version: 1,
        family: 6,
        transport: 6,
        sourcePort: 41001,
        destinationPort: 443,
      });
      expect(Array.from(out.source), source).toEqual(ipv6Words(source));
      expect(Array.from(out.destination), destination).toEqual(ipv6Words(destination));
      expect(out.headerLength).toBe(`PROXY TCP6 ${source} ${destination} 41001 443\r\n`.length);
    }
  });

  it('reads UNKNOWN with or without the optional fields, up to the 107-byte worst case', () => {
    const short = line('PROXY UNKNOWN\r\n');
    expect(short.status).toBe(Status.OK);
    expect(short.out).toMatchObject({ version: 1, family: 0, transport: 0, headerLength: 15 });
    const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const worst = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`;
    expect(worst.length).toBe(PROXY_V1_MAX_LENGTH);
    expect(line(worst).out.headerLength).toBe(107);
    expect(line('PROXY UNKNOWN anything at all\r\n').status).toBe(Status.OK);
    const tooLong = line(`PROXY UNKNOWN ${full} ${full} 65535 655350\r\n`);
    expect(tooLong.status).toBe(Status.MALFORMED);
    expect(tooLong.stop.detail).toBe('no CRLF within 107 bytes');
  });

  it('calls lines that do not match the spec exactly malformed', () => {
    const bad: [string, string][] = [
      ['PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', 'protocol is not TCP4, TCP6 or UNKNOWN'],
      ['PROXY UNKNOWNX\r\n', 'protocol is not TCP4, TCP6 or UNKNOWN'],
      ['PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'protocol is not TCP4, TCP6 or UNKNOWN'],
      ['PROXY TCP4 203.0.113.020 5.6.7.8 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP4 256.0.0.1 5.6.7.8 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', 'destination address does not parse'],
      ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP6 2001:db8::1::2 ::1 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP6 1:2:3:4:5:6:7:8:: ::1 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP6 12345:: ::1 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP6 :1:: ::1 1 2\r\n', 'source address does not parse'],
      ['PROXY TCP6 ::1 1:: 1\r\n', 'source port does not parse'],
      ['PROXY TCP6 ::1 1::2: 1 2\r\n', 'destination address does not parse'],
      ['PROXY TCP6 ::1 1:2:3:4:5:6:7:1.2.3.4 1 2\r\n', 'destination address does not parse'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', 'source port does not parse'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n', 'source port does not parse'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'source port does not parse'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', 'destination port does not parse'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n', 'destination port does not parse'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', 'line ends with LF without CR'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', 'CR not followed by LF'],
    ];
    for (const [text, detail] of bad) {
      const { status, stop } = line(text);
      expect(status, text).toBe(Status.MALFORMED);
      expect(stop.detail, text).toBe(detail);
      expect(stop.layer).toBe('proxy');
    }
  });

  it('round-trips any IPv4 and IPv6 addresses and ports written as text', () => {
    const port = fc.integer({ min: 0, max: 65535 });
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), port, port, (source, destination, sourcePort, destinationPort) => {
        const { status, out } = line(
          `PROXY TCP4 ${source} ${destination} ${sourcePort} ${destinationPort}\r\n`,
        );
        expect(status).toBe(Status.OK);
        expect(out.source[0]).toBe(ipv4Word(source));
        expect(out.destination[0]).toBe(ipv4Word(destination));
        expect([out.sourcePort, out.destinationPort]).toEqual([sourcePort, destinationPort]);
      }),
    );
    // Runs of zero groups, so "::" lands everywhere; WHATWG URL writes the compressed form.
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    const address = fc
      .array(group, { minLength: 8, maxLength: 8 })
      .map((g) => new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]/`).hostname.slice(1, -1));
    fc.assert(
      fc.property(address, fc.ipV6(), (source, destination) => {
        const { status, out } = line(`PROXY TCP6 ${source} ${destination} 1 2\r\n`);
        expect(status, `${source} ${destination}`).toBe(Status.OK);
        expect(Array.from(out.source)).toEqual(ipv6Words(source));
        expect(Array.from(out.destination)).toEqual(ipv6Words(destination));
      }),
    );
  });
});

describe('decodeProxyProtocol on other payloads', () => {
  it('finds nothing in HTTP, HTTP/2, TLS and text protocols that start alike', () => {
    const payloads = [
      'GET / HTTP/1.1\r\n',
      'POST /api HTTP/1.1\r\n',
      'PUT /x HTTP/1.1\r\n',
      'PATCH /x HTTP/1.1\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'PROXYFOO\r\n',
      'PROX\r\n',
      '\r\n\r\nbody',
      '\r\n\r\n\x00\r\nQUIT\r',
      'SSH-2.0-OpenSSH_9.6\r\n',
    ].map(ascii);
    payloads.push(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    for (const payload of payloads) {
      const { status, stop } = decodeAll(payload);
      expect(status, new TextDecoder().decode(payload)).toBe(PROXY_ABSENT);
      expect(stop.reason).toBe('end');
    }
  });

  it('counts a payload that matches the start of a header so far as truncated', () => {
    expect(decodeAll(ascii('P')).status).toBe(Status.TRUNCATED);
    expect(decodeAll(ascii('PROXY')).status).toBe(Status.TRUNCATED);
    expect(decodeAll(ascii('\r\n')).status).toBe(Status.TRUNCATED);
    expect(decodeAll(PROXY_V2_SIGNATURE).stop).toMatchObject({ need: 16, have: 12 });
  });

  it('never throws on random bytes, and says OK only for a header that fits', () => {
    const starts = fc.oneof(
      fc.constant(new Uint8Array(0)),
      fc.constant(PROXY_V2_SIGNATURE),
      fc.constant(ascii('PROXY ')),
      fc.constant(ascii('PROXY TCP4 ')),
      fc.constant(ascii('PROXY TCP6 ')),
    );
    const tail = fc.oneof(
      fc.uint8Array({ maxLength: 140 }),
      fc
        .array(fc.constantFrom(...'0123456789abcdefABCDEF.: \r\n'.split('')), { maxLength: 110 })
        .map((c) => ascii(c.join(''))),
    );
    fc.assert(
      fc.property(starts, tail, fc.nat(4), (start, rest, at) => {
        const bytes = new Uint8Array(at + start.length + rest.length);
        bytes.set(start, at);
        bytes.set(rest, at + start.length);
        const { status, out, stop } = decodeAll(bytes, at);
        expect([PROXY_ABSENT, Status.OK, Status.TRUNCATED, Status.MALFORMED]).toContain(status);
        if (status === Status.OK) expect(out.headerLength).toBeLessThanOrEqual(bytes.length - at);
        if (status === Status.TRUNCATED) expect(stop.need).toBeGreaterThan(stop.have);
        if (status === PROXY_ABSENT) expect(stop.reason).toBe('end');
      }),
      { numRuns: 2000 },
    );
  });
});
