import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureFiles, FIXTURES, GOLDEN_PUBLIC, HAVE_PUBLIC, publicFiles, ROOT } from './support/files.js';
import {
  DECODED_FIELDS,
  decodeCapture,
  type GoldenPacket,
  loadGolden,
  type OurPacket,
  sha256,
} from './support/golden.js';

/*
 * Field by field against Wireshark. Goldens come from `npm run golden` (scripts/golden.js),
 * which runs tshark 4.0 over every fixture with per-packet decoding (no reassembly).
 *
 * Where podpath and tshark differ on purpose, the difference is listed here with its reason
 * and its kind: 'prefix' means tshark decodes a protocol podpath does not (so our fields must
 * be a prefix of its), 'deeper' that podpath decodes further than tshark (so its fields must
 * be a prefix of ours), 'skip' names fields not compared at all.
 */
interface Divergence {
  fields: readonly string[];
  kind: 'prefix' | 'deeper' | 'skip';
  why: string;
  /** Packet numbers (1-based) it applies to; all packets when absent. */
  packets?: readonly number[];
}

const ALL = DECODED_FIELDS;

const DIVERGENCES: Record<string, Divergence[]> = {
  'bad-pcap-huge-incl-len.pcap': [
    {
      fields: [...ALL, 'count'],
      kind: 'skip',
      why: 'Wireshark guesses a non-standard pcap variant for this fuzzed file and frames it differently; podpath reads the standard layout and stops at record 1, whose length is impossible',
    },
  ],
  'bad-pcap-usec-over-1e6.pcap': [
    { fields: ['len'], kind: 'skip', why: 'tshark clamps the fuzzed original length 4093509168 to 2^31-1' },
  ],
  'fmt-pcap-ext-is-pcapng.pcap': [
    { fields: ALL, kind: 'prefix', why: 'GTP-U (UDP 2152, mobile core) is not decoded' },
  ],
  'fmt-pcap-nsec-vntag.pcap': [
    { fields: ALL, kind: 'prefix', why: 'Cisco VN-Tag (EtherType 0x8926) is not decoded' },
  ],
  'l3-ipv4-frag-tcp-syn.pcap': [
    {
      fields: ['tcp'],
      kind: 'prefix',
      why: 'the first fragment carries 8 bytes of the TCP header; tshark shows its ports, podpath stops at the cut header',
    },
  ],
  'ng-nine-idbs-gre-ppp-sip.pcapng': [{ fields: ALL, kind: 'prefix', why: 'PPP inside GRE is not decoded' }],
  'overlay-gre-various.pcap': [
    {
      fields: ALL,
      kind: 'prefix',
      why: 'Cisco MetaData (0x8909) and GRE keepalives inside GRE are not decoded',
    },
  ],
  'overlay-gre-pptp.pcap': [
    { fields: ALL, kind: 'prefix', why: 'PPP inside PPTP’s enhanced GRE is not decoded' },
  ],
  'overlay-vxlan-gpe-nsh.pcap': [
    { fields: ALL, kind: 'prefix', why: 'VXLAN-GPE (UDP 4790) with NSH is not decoded' },
  ],
  'overlay-vxlan-mixed-ports.pcap': [
    {
      fields: ['dnsId', 'dnsQueryName'],
      kind: 'prefix',
      why: 'tshark’s heuristics find DNS on UDP 12345/32021; podpath decodes DNS on port 53',
    },
  ],
  'overlay-gre-sample.pcap': [
    {
      fields: ['dnsId', 'dnsQueryName'],
      kind: 'prefix',
      why: 'tshark decodes the DNS query an ICMP error quotes; podpath reads quotes to the ports',
    },
  ],
  'overlay-geneve-bigtcp-ipv6.pcap': [
    {
      fields: ALL,
      kind: 'deeper',
      why: 'BIG TCP: the outer IPv6 payload length is 0; tshark stops there, podpath uses the captured length',
    },
  ],
  'overlay-vxlan-bigtcp-ipv4.pcap': [
    {
      fields: ALL,
      kind: 'deeper',
      why: 'BIG TCP: the inner IPv4 total length is 0; tshark stops there, podpath uses the captured length',
    },
  ],
};

function goldenPathFor(capture: string): string {
  return capture.startsWith(FIXTURES)
    ? `${capture}.golden.json`
    : join(GOLDEN_PUBLIC, `${basename(capture)}.golden.json`);
}

function isPrefix(a: unknown[], b: unknown[]): boolean {
  return a.length <= b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
}

function compare(
  name: string,
  ours: OurPacket[],
  golden: GoldenPacket[],
  badTimestamps: Set<number>,
): string[] {
  const divergences = DIVERGENCES[name] ?? [];
  const rule = (field: string, n: number): Divergence | undefined =>
    divergences.find((d) => d.fields.includes(field) && (d.packets === undefined || d.packets.includes(n)));
  const problems: string[] = [];
  // tshark 4.0 shows pcapng custom and decryption-secrets blocks as frames of protocol "PCAPNG":
  // they are not packets, and podpath's reader skips them.
  const theirs = golden.filter((g) => g.protocolColumn !== 'PCAPNG');
  if (ours.length !== theirs.length && rule('count', 0) === undefined) {
    problems.push(`${name}: ${ours.length} packets, tshark ${theirs.length}`);
  }
  const n = Math.min(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    const a = ours[i];
    const b = theirs[i];
    const where = `${name} packet ${i + 1}`;
    if (rule('len', i + 1) === undefined && a.len !== b.len)
      problems.push(`${where}: len ${a.len}, tshark ${b.len}`);
    if (a.caplen !== b.caplen) problems.push(`${where}: caplen ${a.caplen}, tshark ${b.caplen}`);
    // A repaired timestamp (fraction >= 1 s) has no agreed value: tshark overflows on some.
    if (!badTimestamps.has(i) && a.time !== b.time)
      problems.push(`${where}: time ${a.time}, tshark ${b.time}`);
    if (b.interface !== null && a.interface !== b.interface)
      problems.push(`${where}: interface ${a.interface}, tshark ${b.interface}`);
    for (const field of DECODED_FIELDS) {
      const mine = a[field] as unknown[];
      const wireshark = b[field] as unknown[];
      if (JSON.stringify(mine) === JSON.stringify(wireshark)) continue;
      const d = rule(field, i + 1);
      if (d?.kind === 'skip') continue;
      if (d?.kind === 'prefix' && isPrefix(mine, wireshark)) continue;
      if (d?.kind === 'deeper' && isPrefix(wireshark, mine)) continue;
      problems.push(`${where}: ${field} ${JSON.stringify(mine)}, tshark ${JSON.stringify(wireshark)}`);
    }
  }
  return problems;
}

const captures = [
  ...fixtureFiles(),
  ...fixtureFiles()
    .map((f) => `${f}.gz`)
    .filter((f) => existsSync(f)),
  ...publicFiles({ capturesOnly: true }),
];

describe('decode matches Wireshark field by field', () => {
  it('has a golden for every capture', () => {
    const missing = captures.filter((c) => !existsSync(goldenPathFor(c))).map((c) => relative(ROOT, c));
    expect(missing).toEqual([]);
    if (HAVE_PUBLIC) expect(captures.length).toBeGreaterThan(150);
  });

  it('lists divergences only for files that exist', () => {
    if (!HAVE_PUBLIC) return;
    const names = new Set(captures.map((c) => basename(c)));
    expect(Object.keys(DIVERGENCES).filter((n) => !names.has(n))).toEqual([]);
  });

  it.each(captures.map((c) => [relative(ROOT, c), c]))('%s', (_label, capture) => {
    const golden = loadGolden(goldenPathFor(capture));
    expect(golden, 'golden file missing: run npm run golden').not.toBeNull();
    expect(golden!.sha256, `golden is stale for ${capture}: run npm run golden`).toBe(
      sha256(readFileSync(capture)),
    );
    const ours = decodeCapture(capture);
    expect(compare(basename(capture), ours.packets, golden!.packets, ours.badTimestamps)).toEqual([]);
  });
});
