import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisDocument, CaptureSummary, FlowSummary } from '../src/core/analysis/index.js';
import { pcapLayout, pcapngBlocks } from './support/capture-bytes.js';
import { runCli, type Run } from './support/cli.js';
import { FIXTURES, HAVE_PUBLIC, PUBLIC, publicFiles, readBytes, ROOT } from './support/files.js';

const CORPUS = join(FIXTURES, 'corpus');
const corpus = (name: string): string => join(CORPUS, name);

function podpath(...args: string[]): Run {
  return runCli(args, { timeout: 30_000, maxBuffer: 64 << 20 });
}

function json(run: Run): AnalysisDocument {
  const doc = JSON.parse(run.stdout) as AnalysisDocument;
  expect(doc.schema).toBe('podpath.analysis/v1');
  expect(Array.isArray(doc.captures)).toBe(true);
  expect(Array.isArray(doc.flows)).toBe(true);
  return doc;
}

interface GoldenPacket {
  n: number;
  len: number;
  caplen: number;
  time: string;
  interface: number | null;
  ip: [string, string][];
  ipv6: [string, string][];
  tcp: [number, number][];
  udp: [number, number][];
  vxlanVni: number[];
  dnsId: number[];
  icmpType: number[];
  icmpv6Type: number[];
  arp: [string, string][];
}

function golden(name: string): GoldenPacket[] {
  return (JSON.parse(readFileSync(corpus(`${name}.golden.json`), 'utf8')) as { packets: GoldenPacket[] })
    .packets;
}

/** tshark's "seconds.nanoseconds" as the ISO-8601 text podpath prints, with `digits` fraction digits. */
function isoFromGolden(time: string, digits: number): string {
  const [seconds, fraction] = time.split('.');
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction.padEnd(9, '0').slice(0, digits)}Z`;
}

function goldenNanos(time: string): bigint {
  const [seconds, fraction] = time.split('.');
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
}

function isoPattern(digits: number): RegExp {
  return new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{${digits}}Z$`);
}

const LAYER_KEYS = [
  'ethernet',
  'vlan',
  'sll',
  'arp',
  'ipv4',
  'ipv6',
  'icmp',
  'icmpv6',
  'udp',
  'tcp',
  'dns',
  'vxlan',
  'geneve',
  'ipip',
  'gre',
];

/** Every capture fixture of the lab corpus with what its recipe (corpus README) says about it. */
const FIXTURE_FACTS: Record<string, { linkTypes: string[]; digits: number }> = {
  'any-sll2.pcap': { linkTypes: ['LINUX_SLL2'], digits: 6 },
  'eth-dns.pcap': { linkTypes: ['ETHERNET'], digits: 6 },
  'eth-tcp-udp-icmp.pcap': { linkTypes: ['ETHERNET'], digits: 6 },
  'eth-tcp-udp-icmp.pcap.gz': { linkTypes: ['ETHERNET'], digits: 6 },
  'ipv6.pcap': { linkTypes: ['ETHERNET'], digits: 6 },
  'nsec.pcap': { linkTypes: ['ETHERNET'], digits: 9 },
  'pcapng-dumpcap.pcapng': { linkTypes: ['ETHERNET'], digits: 9 },
  'pcapng-from-editcap.pcapng': { linkTypes: ['ETHERNET'], digits: 6 },
  'pcapng-nsec.pcapng': { linkTypes: ['ETHERNET'], digits: 9 },
  'pcapng-two-interfaces.pcapng': { linkTypes: ['ETHERNET', 'LINUX_SLL2'], digits: 6 },
  'vxlan-4789.pcap': { linkTypes: ['ETHERNET'], digits: 6 },
  'vxlan-8472-pod.pcap': { linkTypes: ['ETHERNET'], digits: 6 },
  'vxlan-8472.pcap': { linkTypes: ['ETHERNET'], digits: 6 },
};
const FIXTURE_NAMES = Object.keys(FIXTURE_FACTS);

/** Flows of one capture, without the `capture` field, for comparing two runs. */
function flowsOf(doc: AnalysisDocument, capture: string): Omit<FlowSummary, 'capture'>[] {
  return doc.flows.filter((f) => f.capture === capture).map(({ capture: _, ...rest }) => rest);
}

function u16be(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

let tmp: string;
/** One run over every fixture, in FIXTURE_NAMES order, shared by the contract tests. */
let all: AnalysisDocument;
let allRun: Run;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'podpath-cli-'));
  allRun = podpath('analyze', '--json', ...FIXTURE_NAMES.map(corpus));
  all = json(allRun);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function capture(name: string): CaptureSummary {
  const c = all.captures.find((x) => x.file === name);
  if (c === undefined) throw new Error(`no capture ${name} in the output`);
  return c;
}

describe('analyze --json: captures[]', () => {
  it('exits 0 with one capture per file, in argument order, and nothing on stderr', () => {
    expect(allRun.status).toBe(0);
    expect(allRun.stderr).toBe('');
    expect(all.captures.map((c) => c.file)).toEqual(FIXTURE_NAMES);
  });

  it.each(FIXTURE_NAMES)('%s: format, link types, size, packet count and time span', (name) => {
    const c = capture(name);
    const facts = FIXTURE_FACTS[name];
    const packets = golden(name);
    expect(c.format).toBe(name.includes('.pcapng') ? 'pcapng' : 'pcap');
    expect(c.compressed).toBe(name.endsWith('.gz'));
    expect(c.linkTypes).toEqual(facts.linkTypes);
    expect(c.packets).toBe(packets.length);
    expect(c.bytes).toBe(statSync(corpus(name)).size);
    expect(c.wireBytes).toBe(packets.reduce((n, p) => n + p.len, 0));
    expect(c.start).toMatch(isoPattern(facts.digits));
    expect(c.end).toMatch(isoPattern(facts.digits));
    // pcapng-dumpcap's blocks are not in time order across interfaces: compare with the extremes.
    const times = packets.map((p) => p.time).sort((a, b) => (goldenNanos(a) < goldenNanos(b) ? -1 : 1));
    expect(c.start).toBe(isoFromGolden(times[0], facts.digits));
    expect(c.end).toBe(isoFromGolden(times[times.length - 1], facts.digits));
    expect(c.warnings).toEqual([]);
    expect(c.complete).toBe(true);
  });

  it.each(FIXTURE_NAMES)('%s: layer counts agree with tshark', (name) => {
    const c = capture(name);
    const packets = golden(name);
    for (const key of LAYER_KEYS) expect(typeof c.layers[key], key).toBe('number');
    const having = (field: keyof GoldenPacket): number =>
      packets.filter((p) => (p[field] as unknown[]).length > 0).length;
    expect(c.layers.vxlan, 'vxlan').toBe(having('vxlanVni'));
    expect(c.layers.dns, 'dns').toBe(having('dnsId'));
    expect(c.layers.tcp, 'tcp').toBe(having('tcp'));
    expect(c.layers.udp, 'udp').toBe(having('udp'));
    expect(c.layers.arp, 'arp').toBe(having('arp'));
    expect(c.layers.icmp, 'icmp').toBe(having('icmpType'));
    expect(c.layers.icmpv6, 'icmpv6').toBe(having('icmpv6Type'));
    expect(c.layers.ipv4, 'ipv4').toBe(having('ip'));
    expect(c.layers.ipv6, 'ipv6').toBe(having('ipv6'));
    for (const key of ['geneve', 'ipip', 'gre', 'vlan']) expect(c.layers[key], key).toBe(0);
  });

  it('counts every link-layer header: Ethernet and SLL2 packets of the merged capture', () => {
    const merged = golden('pcapng-two-interfaces.pcapng');
    expect(capture('pcapng-two-interfaces.pcapng').layers.ethernet).toBe(
      merged.filter((p) => p.interface === 0).length,
    );
    expect(capture('pcapng-two-interfaces.pcapng').layers.sll).toBe(
      merged.filter((p) => p.interface === 1).length,
    );
    expect(capture('any-sll2.pcap').layers.sll).toBe(capture('any-sll2.pcap').packets);
    expect(capture('any-sll2.pcap').layers.ethernet).toBe(0);
    // Outer and inner Ethernet of a VXLAN packet count once.
    expect(capture('vxlan-8472.pcap').layers.ethernet).toBe(capture('vxlan-8472.pcap').packets);
  });
});

describe('analyze --json: flows[]', () => {
  it('every flow has the contract fields with the right types', () => {
    expect(all.flows.length).toBeGreaterThan(0);
    for (const f of all.flows) {
      expect(FIXTURE_NAMES).toContain(f.capture);
      expect(typeof f.protocol).toBe('string');
      for (const end of [f.src, f.dst]) {
        expect(typeof end.ip).toBe('string');
        if ('port' in end) expect(Number.isInteger(end.port)).toBe(true);
      }
      for (const n of [f.packets, f.bytes, f.packetsToSrc, f.bytesToSrc])
        expect(Number.isInteger(n)).toBe(true);
      expect(f.packets).toBeGreaterThan(0);
      expect(f.packetsToSrc).toBeLessThanOrEqual(f.packets);
      expect(f.bytesToSrc).toBeLessThanOrEqual(f.bytes);
      const digits = FIXTURE_FACTS[f.capture].digits;
      expect(f.start).toMatch(isoPattern(digits));
      expect(f.end).toMatch(isoPattern(digits));
      expect(f.start! <= f.end!).toBe(true);
      expect(Array.isArray(f.encapsulation)).toBe(true);
      if (f.interface !== null) {
        expect(Number.isInteger(f.interface.index)).toBe(true);
        expect(f.interface.name === null || typeof f.interface.name === 'string').toBe(true);
      }
      if (f.protocol === 'tcp' || f.protocol === 'udp') {
        expect(f.src.port).toBeTypeOf('number');
        expect(f.dst.port).toBeTypeOf('number');
      }
    }
  });

  it.each(FIXTURE_NAMES)('%s: the flows account for every packet and byte, and flowCount matches', (name) => {
    const c = capture(name);
    const flows = all.flows.filter((f) => f.capture === name);
    expect(flows.length).toBe(c.flowCount);
    expect(flows.reduce((n, f) => n + f.packets, 0)).toBe(c.packets);
    expect(flows.reduce((n, f) => n + f.bytes, 0)).toBe(c.wireBytes);
  });

  it('interface is null on single-interface pcaps and names the SLL2 ifindex on any-sll2.pcap', () => {
    for (const name of [
      'eth-tcp-udp-icmp.pcap',
      'vxlan-8472.pcap',
      'nsec.pcap',
      'ipv6.pcap',
      'eth-dns.pcap',
    ]) {
      for (const f of all.flows.filter((x) => x.capture === name)) expect(f.interface).toBeNull();
    }
    const sll2 = all.flows.filter((f) => f.capture === 'any-sll2.pcap');
    expect(sll2.length).toBeGreaterThan(0);
    // The router's eth0 and eth1 have ifindex 2 and 3 (corpus README); forwarded flows appear on both.
    for (const f of sll2) {
      expect(f.interface).not.toBeNull();
      expect([2, 3]).toContain(f.interface!.index);
      expect(f.interface!.name).toBeNull();
    }
    const tcp = sll2.filter((f) => f.protocol === 'tcp' && f.dst.port === 8080);
    expect(tcp.map((f) => f.interface!.index).sort()).toEqual([2, 3]);
    // Two-interface pcapng: every flow names an interface.
    for (const f of all.flows.filter((x) => x.capture === 'pcapng-two-interfaces.pcapng'))
      expect(f.interface).not.toBeNull();
  });

  it('vxlan-8472.pcap: the pod-to-pod TCP flow carries its VXLAN tunnel, as tshark decodes it', () => {
    const packets = golden('vxlan-8472.pcap');
    const tcpPackets = packets.filter((p) => p.tcp.length > 0 && p.tcp[0].includes(8080));
    const syn = tcpPackets[0];
    const [client, server] = syn.ip[1];
    const [outerSrc, outerDst] = syn.ip[0];
    expect(client).toMatch(/^10\.244\.1\./);
    expect(server).toMatch(/^10\.244\.2\./);
    const flow = all.flows.find(
      (f) => f.capture === 'vxlan-8472.pcap' && f.protocol === 'tcp' && f.dst.port === 8080,
    );
    expect(flow).toBeDefined();
    expect(flow!.src).toEqual({ ip: client, port: syn.tcp[0][0] });
    expect(flow!.dst).toEqual({ ip: server, port: 8080 });
    expect(flow!.packets).toBe(tcpPackets.length);
    expect(flow!.packetsToSrc).toBe(tcpPackets.filter((p) => p.ip[1][0] === server).length);
    expect(flow!.bytes).toBe(tcpPackets.reduce((n, p) => n + p.len, 0));
    expect(flow!.start).toBe(isoFromGolden(syn.time, 6));
    expect(flow!.end).toBe(isoFromGolden(tcpPackets[tcpPackets.length - 1].time, 6));
    expect(flow!.interface).toBeNull();
    expect(flow!.encapsulation).toEqual([
      {
        type: 'vxlan',
        vni: syn.vxlanVni[0],
        vniReply: 1,
        udpPort: syn.udp[0][1],
        outer: { src: outerSrc, dst: outerDst },
      },
    ]);
    expect(flow!.encapsulation[0]).toEqual({
      type: 'vxlan',
      vni: 1,
      vniReply: 1,
      udpPort: 8472,
      outer: { src: '192.168.10.101', dst: '192.168.10.102' },
    });
  });

  it('vxlan-4789.pcap: every pod flow is in VNI 4096 on UDP 4789; ARP between the nodes is not tunnelled', () => {
    const flows = all.flows.filter((f) => f.capture === 'vxlan-4789.pcap');
    const pod = flows.filter((f) => f.protocol !== 'arp');
    expect(pod.map((f) => f.protocol).sort()).toEqual(['icmp', 'tcp', 'udp']);
    for (const f of pod) {
      expect(f.encapsulation).toEqual([
        {
          type: 'vxlan',
          vni: 4096,
          vniReply: 4096,
          udpPort: 4789,
          outer: { src: '192.168.10.101', dst: '192.168.10.102' },
        },
      ]);
    }
    expect(flows.find((f) => f.protocol === 'arp')!.encapsulation).toEqual([]);
    // Inside the pod the same traffic has no tunnel.
    for (const f of all.flows.filter((x) => x.capture === 'vxlan-8472-pod.pcap'))
      expect(f.encapsulation).toEqual([]);
  });

  it('ICMP echo flows carry the echo id read from the packet, and no ports', () => {
    const cases = [
      // ICMP id offset: outer Ethernet, IPv4, UDP, VXLAN, inner Ethernet, inner IPv4, then 4 bytes.
      { name: 'vxlan-8472.pcap', ipAt: 14 + 20 + 8 + 8 + 14 },
      { name: 'eth-tcp-udp-icmp.pcap', ipAt: 14 },
    ];
    for (const { name, ipAt } of cases) {
      const bytes = readBytes(corpus(name));
      const { records } = pcapLayout(bytes);
      const index = golden(name).findIndex((p) => p.icmpType[0] === 8);
      const data = bytes.subarray(records[index].dataOffset);
      expect(data[ipAt] >> 4).toBe(4);
      const id = u16be(data, ipAt + (data[ipAt] & 15) * 4 + 4);
      const icmp = all.flows.filter((f) => f.capture === name && f.protocol === 'icmp');
      expect(icmp).toHaveLength(1);
      expect(icmp[0].icmp).toEqual({ id });
      expect(icmp[0].packets).toBe(golden(name).filter((p) => p.icmpType.length > 0).length);
      expect('port' in icmp[0].src).toBe(false);
      expect('port' in icmp[0].dst).toBe(false);
    }
  });

  it('several files: flows come file by file in argument order, each with its capture name', () => {
    const seen = all.flows.map((f) => FIXTURE_NAMES.indexOf(f.capture));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(all.flows.map((f) => f.capture))).toEqual(new Set(FIXTURE_NAMES));
  });

  it('gzip: the .pcap.gz gives the same packets and flows as the .pcap, and says it was compressed', () => {
    const plain = capture('eth-tcp-udp-icmp.pcap');
    const gz = capture('eth-tcp-udp-icmp.pcap.gz');
    expect(gz.compressed).toBe(true);
    expect(plain.compressed).toBe(false);
    expect(gz.bytes).toBe(statSync(corpus('eth-tcp-udp-icmp.pcap.gz')).size);
    expect(gz.bytes).toBeLessThan(plain.bytes);
    const { file: _a, bytes: _b, compressed: _c, ...gzRest } = gz;
    const { file: _d, bytes: _e, compressed: _f, ...plainRest } = plain;
    expect(gzRest).toEqual(plainRest);
    expect(flowsOf(all, 'eth-tcp-udp-icmp.pcap.gz')).toEqual(flowsOf(all, 'eth-tcp-udp-icmp.pcap'));
  });
});

/** A copy of a VXLAN capture with UDP port `from` rewritten to `to` in both directions. */
function rewriteVxlanPort(name: string, from: number, to: number): { path: string; rewritten: number } {
  const bytes = readBytes(corpus(name)).slice();
  const { records } = pcapLayout(bytes);
  let rewritten = 0;
  for (const r of records) {
    const d = r.dataOffset;
    // Untagged Ethernet, IPv4 without options, UDP.
    if (u16be(bytes, d + 12) !== 0x0800 || bytes[d + 14] !== 0x45 || bytes[d + 14 + 9] !== 17) continue;
    const udp = d + 14 + 20;
    for (const at of [udp, udp + 2]) {
      if (u16be(bytes, at) !== from) continue;
      bytes[at] = to >> 8;
      bytes[at + 1] = to & 0xff;
      rewritten++;
    }
  }
  const path = join(tmp, `${basename(name, '.pcap')}-port-${to}.pcap`);
  writeFileSync(path, bytes);
  return { path, rewritten };
}

describe('--vxlan-port', () => {
  it('decodes a VXLAN capture moved to another UDP port only when told the port', () => {
    const { path, rewritten } = rewriteVxlanPort('vxlan-4789.pcap', 4789, 9999);
    const vxlanPackets = golden('vxlan-4789.pcap').filter((p) => p.vxlanVni.length > 0);
    // One port per VXLAN packet (the destination, or the source of a reply).
    expect(rewritten).toBe(vxlanPackets.filter((p) => p.udp[0].includes(4789)).length);
    expect(rewritten).toBe(20);
    const copy = basename(path);

    const without = json(podpath('analyze', '--json', path));
    expect(without.captures[0].layers.vxlan).toBe(0);
    expect(without.captures[0].packets).toBe(22);
    for (const f of without.flows) expect(f.encapsulation).toEqual([]);
    // What is left is plain UDP between the nodes on port 9999.
    const outer = without.flows.filter((f) => f.protocol === 'udp');
    expect(outer.length).toBeGreaterThan(0);
    for (const f of outer) {
      expect([f.src.ip, f.dst.ip].sort()).toEqual(['192.168.10.101', '192.168.10.102']);
      expect([f.src.port, f.dst.port]).toContain(9999);
    }

    const run = podpath('analyze', '--json', '--vxlan-port', '9999', path, corpus('vxlan-4789.pcap'));
    expect(run.status).toBe(0);
    const withFlag = json(run);
    const original = capture('vxlan-4789.pcap');
    expect(withFlag.captures[0].layers).toEqual(original.layers);
    expect(withFlag.captures[0].layers.vxlan).toBe(20);
    // 4789 is still VXLAN with the extra port given.
    expect(withFlag.captures[1].layers).toEqual(original.layers);
    const expected = flowsOf(all, 'vxlan-4789.pcap').map((f) => ({
      ...f,
      encapsulation: f.encapsulation.map((e) => ({ ...e, udpPort: 9999 })),
    }));
    expect(flowsOf(withFlag, copy)).toEqual(expected);
    expect(flowsOf(withFlag, copy).filter((f) => f.encapsulation.length > 0)).toHaveLength(3);

    // Repeated flag and comma list.
    const list = json(podpath('analyze', '--json', '--vxlan-port', '1234,9999', '--vxlan-port=5555', path));
    expect(list.captures[0].layers.vxlan).toBe(20);
  });
});

describe('exit status and errors', () => {
  it('exits 1 naming a missing file, and still reports the good one', () => {
    const missing = join(tmp, 'no-such.pcap');
    const run = podpath('analyze', '--json', missing, corpus('nsec.pcap'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(missing);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const doc = json(run);
    expect(doc.captures.map((c) => c.file)).toEqual(['nsec.pcap']);
    expect(doc.captures[0].packets).toBe(22);
    expect(doc.flows.every((f) => f.capture === 'nsec.pcap')).toBe(true);
    expect(doc.flows).toHaveLength(4);
  });

  it('exits 1 naming a file that is not a capture, and still reports the good one', () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'kubectl get pods -o wide\n');
    const run = podpath('analyze', '--json', corpus('eth-dns.pcap'), text);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(text);
    expect(run.stderr).toMatch(/not a pcap or pcapng capture/);
    const doc = json(run);
    const good = doc.captures.find((c) => c.file === 'eth-dns.pcap');
    expect(good?.packets).toBe(21);
    expect(doc.flows.filter((f) => f.capture === 'eth-dns.pcap')).toHaveLength(good!.flowCount);
    expect(doc.flows.filter((f) => f.capture === 'notes.txt')).toEqual([]);
    const bad = doc.captures.find((c) => c.file === 'notes.txt');
    if (bad !== undefined) expect(bad.format).toBeNull();

    // Readable output too: exit 1, the good file still printed.
    const readable = podpath('analyze', text, corpus('eth-dns.pcap'));
    expect(readable.status).toBe(1);
    expect(readable.stderr).toContain(text);
    expect(readable.stdout).toContain('eth-dns.pcap: pcap');
    // An empty file is no capture either.
    const empty = join(tmp, 'empty.pcap');
    writeFileSync(empty, '');
    const emptyRun = podpath('analyze', empty);
    expect(emptyRun.status).toBe(1);
    expect(emptyRun.stderr).toContain(empty);
  });

  it.each([
    [[], /no command/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['analyze', '--frob', 'x.pcap'], /unknown option '--frob'/],
    [['analyze', '--vxlan-port', 'abc', 'x.pcap'], /'abc' is not a UDP port/],
    [['analyze', '--vxlan-port', '70000', 'x.pcap'], /'70000' is not a UDP port/],
    [['analyze', '--vxlan-port', '0', 'x.pcap'], /'0' is not a UDP port/],
    [['analyze', 'x.pcap', '--vxlan-port'], /--vxlan-port needs a UDP port/],
    [['analyze', '--top', 'many', 'x.pcap'], /--top needs a number/],
    [['analyze'], /analyze needs at least one capture file/],
    [['analyze', '--json'], /analyze needs at least one capture file/],
  ])('exits 2 for %j with a one-line message', (args, message) => {
    const run = podpath(...(args as string[]));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const [first, ...rest] = run.stderr.trimEnd().split('\n');
    expect(first).toMatch(/^podpath: /);
    expect(first).toMatch(message);
    // At most a pointer to --help after it.
    expect(rest.every((line) => /--help/.test(line))).toBe(true);
    expect(rest.length).toBeLessThanOrEqual(1);
  });

  it('--help prints usage and exits 0; --version prints package.json version', () => {
    for (const flag of ['--help', '-h']) {
      const help = podpath(flag);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/Usage:/);
      expect(help.stdout).toContain('podpath analyze <capture>...');
      for (const option of ['--json', '--vxlan-port', '--top']) expect(help.stdout).toContain(option);
    }
    const version = podpath('--version');
    expect(version.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe('damaged files', () => {
  it('a capture cut in the middle of a record: exit 0, the earlier packets counted, a warning at the cut', () => {
    const pcap = readBytes(corpus('eth-tcp-udp-icmp.pcap'));
    const { records } = pcapLayout(pcap);
    // Cut inside record 9's data, and (second file) inside record 15's header.
    const inData = records[9].dataOffset + (records[9].capturedLength >> 1);
    const inHeader = records[15].offset + 7;
    const cutData = join(tmp, 'cut-in-data.pcap');
    const cutHeader = join(tmp, 'cut-in-header.pcap');
    writeFileSync(cutData, pcap.subarray(0, inData));
    writeFileSync(cutHeader, pcap.subarray(0, inHeader));
    // pcapng: cut inside the Enhanced Packet Block of the 5th packet.
    const ng = readBytes(corpus('pcapng-nsec.pcapng'));
    const epbs = pcapngBlocks(ng).filter((b) => b.type === 6);
    const ngCut = epbs[4].offset + 30;
    const cutNg = join(tmp, 'cut.pcapng');
    writeFileSync(cutNg, ng.subarray(0, ngCut));

    const run = podpath('analyze', '--json', cutData, cutHeader, cutNg);
    expect(run.status).toBe(0);
    const doc = json(run);
    const expectations = [
      { c: doc.captures[0], packets: 9, offset: records[9].offset, size: inData },
      { c: doc.captures[1], packets: 15, offset: records[15].offset, size: inHeader },
      { c: doc.captures[2], packets: 4, offset: epbs[4].offset, size: ngCut },
    ];
    for (const { c, packets, offset, size } of expectations) {
      expect(c.packets, c.file).toBe(packets);
      expect(c.bytes).toBe(size);
      expect(c.warnings).toHaveLength(1);
      expect(c.warnings[0].offset).toBe(offset);
      expect(c.warnings[0].message).toMatch(/ends in the middle of a (record|block)/);
      expect(c.warnings[0].message).toContain(`${size - offset} of`);
      expect(c.warnings[0].record).toBe(packets);
      const flows = doc.flows.filter((f) => f.capture === c.file);
      expect(flows.reduce((n, f) => n + f.packets, 0)).toBe(packets);
    }
    // The packets before the cut are the same as in the whole file.
    const whole = golden('eth-tcp-udp-icmp.pcap');
    expect(doc.captures[0].wireBytes).toBe(whole.slice(0, 9).reduce((n, p) => n + p.len, 0));
    expect(doc.captures[0].end).toBe(isoFromGolden(whole[8].time, 6));

    const readable = podpath('analyze', cutData);
    expect(readable.status).toBe(0);
    expect(readable.stdout).toContain('warnings (1):');
    expect(readable.stdout).toContain(
      `at byte ${records[9].offset}: the capture ends in the middle of a record`,
    );
  });
});

describe('readable output', () => {
  const tableRows = (text: string): string[] => {
    const lines = text.split('\n');
    const header = lines.findIndex((l) => /^\s+PROTOCOL\s+SOURCE\s+DESTINATION\s+PACKETS\s+BYTES/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows: string[] = [];
    for (let i = header + 1; i < lines.length && lines[i].trim() !== ''; i++) rows.push(lines[i]);
    return rows;
  };

  it('describes the file, its layers and warnings, and tabulates the flows with their tunnel', () => {
    const run = podpath('analyze', corpus('vxlan-8472.pcap'));
    expect(run.status).toBe(0);
    const c = capture('vxlan-8472.pcap');
    const out = run.stdout;
    expect(out).toMatch(/^vxlan-8472\.pcap: pcap, ETHERNET, µs timestamps$/m);
    expect(out).toContain(`${c.packets} packets`);
    expect(out).toContain(`${c.start} to ${c.end}`);
    const layers = Object.entries(c.layers)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    expect(out).toContain(`  layers: ${layers}\n`);
    expect(out).toContain('  warnings: none\n');
    expect(out).toContain(`  flows: ${c.flowCount}\n`);
    const rows = tableRows(out);
    expect(rows).toHaveLength(c.flowCount);
    const tunnel = 'vxlan vni 1 udp/8472 192.168.10.101 > 192.168.10.102';
    expect(rows.filter((r) => r.includes(tunnel))).toHaveLength(3);
    const tcp = all.flows.find((f) => f.capture === 'vxlan-8472.pcap' && f.protocol === 'tcp')!;
    expect(rows[0]).toMatch(
      new RegExp(`^\\s+tcp\\s+${tcp.src.ip}:${tcp.src.port}\\s+${tcp.dst.ip}:8080\\s+${tcp.packets}\\s`),
    );
    expect(rows[0]).toContain(tunnel);
    expect(rows.find((r) => /^\s+arp/.test(r))).not.toContain('vxlan');
  });

  it('--top 1 shows only the largest flow', () => {
    const run = podpath('analyze', '--top', '1', corpus('vxlan-8472.pcap'), corpus('eth-dns.pcap'));
    expect(run.status).toBe(0);
    const [first, second] = run.stdout.split('\n\n');
    for (const [text, name] of [
      [first, 'vxlan-8472.pcap'],
      [second, 'eth-dns.pcap'],
    ]) {
      expect(text).toMatch(new RegExp(`^${name.replace('.', '\\.')}: pcap`));
      expect(text).toContain(`flows: ${capture(name).flowCount} (top 1 by bytes)`);
      const rows = tableRows(text);
      expect(rows).toHaveLength(1);
      const biggest = all.flows
        .filter((f) => f.capture === name)
        .reduce((a, b) => (b.bytes > a.bytes ? b : a));
      expect(rows[0]).toContain(`${biggest.src.ip}:${biggest.src.port}`);
    }
    // --top 0 lists every flow.
    expect(tableRows(podpath('analyze', '--top', '0', corpus('eth-dns.pcap')).stdout)).toHaveLength(
      capture('eth-dns.pcap').flowCount,
    );
  });

  it('names interfaces and nanosecond timestamps', () => {
    const run = podpath('analyze', corpus('pcapng-dumpcap.pcapng'), corpus('any-sll2.pcap'));
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^pcapng-dumpcap\.pcapng: pcapng, ETHERNET, ns timestamps$/m);
    expect(run.stdout).toMatch(/^any-sll2\.pcap: pcap, LINUX_SLL2, µs timestamps$/m);
    expect(run.stdout).toContain('if 0 eth0');
    expect(run.stdout).toContain('if 1 eth1');
  });
});

describe('--cluster', () => {
  const LAB = join(FIXTURES, 'lab');
  const lab = (scenario: string, file: string): string => join(LAB, scenario, file);
  type KubeItem = {
    kind: string;
    metadata: { name: string; namespace?: string };
    spec?: Record<string, unknown>;
  };
  const items = (scenario: string): KubeItem[] =>
    (JSON.parse(readFileSync(lab(scenario, 'snapshot.json'), 'utf8')) as { items: KubeItem[] }).items;

  it('names both ends of every flow, the Service and its ready endpoints, and the tunnel nodes', () => {
    const run = podpath(
      'analyze',
      '--json',
      '--cluster',
      lab('clusterip', 'snapshot.json'),
      lab('clusterip', 'client.pcap'),
      lab('clusterip', 'node1-eth0.pcap'),
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    const doc = json(run);
    const kube = items('clusterip');
    expect(doc.cluster).toMatchObject({
      sources: [lab('clusterip', 'snapshot.json')],
      counts: {
        nodes: kube.filter((i) => i.kind === 'Node').length,
        services: kube.filter((i) => i.kind === 'Service').length,
        endpointSlices: kube.filter((i) => i.kind === 'EndpointSlice').length,
      },
      endpointsFrom: 'EndpointSlice',
    });
    for (const f of doc.flows.filter((x) => x.protocol !== 'arp')) {
      for (const end of [f.src, f.dst]) {
        expect(['pod', 'node', 'service', 'external', 'unknown-pod', 'unknown-service']).toContain(end.kind);
        if (end.kind === 'pod') expect(end.name).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+$/);
      }
    }
    // The client's connections to the ClusterIP: the Service, its port, and both endpoints.
    const toService = doc.flows.filter((f) => f.capture === 'client.pcap' && f.dst.kind === 'service');
    expect(toService.length).toBeGreaterThan(0);
    const slice = kube.find(
      (i) => i.kind === 'EndpointSlice' && i.metadata.name.startsWith('web-'),
    )! as unknown as {
      endpoints: { addresses: string[] }[];
    };
    const ready = slice.endpoints.map((e) => e.addresses[0]).sort();
    for (const f of toService) {
      expect(f.dst.name).toBe('default/web');
      expect(f.service?.name).toBe('default/web');
      expect(f.service?.port).toBe(f.dst.port);
      const port = f.protocol === 'tcp' ? 8080 : 9000;
      expect(f.service?.targetPort).toBe(port);
      expect([...f.service!.endpoints].sort()).toEqual(ready.map((ip) => `${ip}:${port}`));
    }
    // On node1's eth0, the connection after DNAT: pod to pod inside VXLAN from node1 to node2.
    const tunnelled = doc.flows.filter((f) => f.capture === 'node1-eth0.pcap' && f.encapsulation.length > 0);
    expect(tunnelled.length).toBeGreaterThan(0);
    for (const f of tunnelled) {
      expect(f.src.kind).toBe('pod');
      expect(f.encapsulation[0].outer).toMatchObject({ srcNode: 'node1', dstNode: 'node2' });
    }
    expect(doc.captures.map((c) => c.datapath?.kind)).toEqual(['flannel-vxlan', 'flannel-vxlan']);
    expect(doc.captures[1].datapath?.overheadBytes).toBe(50);
  });

  it('a NodePort reached on a node address is its Service, with the nodePort', () => {
    const doc = json(
      podpath(
        'analyze',
        '--json',
        '--cluster',
        lab('nodeport', 'snapshot.json'),
        lab('nodeport', 'outside.pcap'),
      ),
    );
    const f = doc.flows.find((x) => x.dst.port === 30080)!;
    expect(f.dst).toMatchObject({ kind: 'node', name: 'node1' });
    expect(f.service).toMatchObject({ name: 'default/web', nodePort: 30080, port: 80, targetPort: 8080 });
    expect(f.src.kind).toBe('external');
  });

  it('reads the same snapshot from a folder of per-kind YAML files', async () => {
    const { stringify } = await import('yaml');
    const dir = join(tmp, 'snapshot-yaml');
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const kube = items('clusterip');
    for (const kind of ['Node', 'Pod', 'Service', 'EndpointSlice'])
      writeFileSync(
        join(dir, `${kind.toLowerCase()}s.yaml`),
        stringify({ apiVersion: 'v1', kind: 'List', items: kube.filter((i) => i.kind === kind) }),
      );
    const fromJson = json(
      podpath(
        'analyze',
        '--json',
        '--cluster',
        lab('clusterip', 'snapshot.json'),
        lab('clusterip', 'client.pcap'),
      ),
    );
    const fromYaml = json(podpath('analyze', '--json', '--cluster', dir, lab('clusterip', 'client.pcap')));
    expect(fromYaml.cluster?.sources).toHaveLength(4);
    expect(fromYaml.flows).toEqual(fromJson.flows);
  });

  it('readable output: names first, addresses second; the Service; the data path and its evidence', () => {
    const run = podpath(
      'analyze',
      '--cluster',
      lab('clusterip', 'snapshot.json'),
      lab('clusterip', 'client.pcap'),
    );
    expect(run.status).toBe(0);
    const client = items('clusterip').find((i) => i.kind === 'Pod' && i.metadata.name.startsWith('client-'))!;
    expect(run.stdout).toContain(`default/${client.metadata.name} 10.244.1.2:40001`);
    expect(run.stdout).toContain('default/web 10.96.45.10:80');
    expect(run.stdout).toMatch(/Service default\/web:80 -> 10\.244\.\d\.\d:8080, 10\.244\.\d\.\d:8080/);
    expect(run.stdout).toContain('  data path: flannel-vxlan\n');
    expect(run.stdout).toContain('flannel.alpha.coreos.com/backend-type=vxlan');
  });

  it('a bad snapshot: exit 1 and a message that says what was expected and where, never a stack trace', () => {
    const notKube = join(tmp, 'not-kube.json');
    writeFileSync(notKube, '{"hello": "world"}\n');
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{\n  "kind": "List",\n  "items": [\n    {"kind": "Pod",}\n  ]\n}\n');
    const capturePath = lab('clusterip', 'client.pcap');
    for (const [path, message] of [
      [notKube, /expected Kubernetes objects/],
      [broken, /is not valid JSON: .* at line 4, column \d+/],
      [join(tmp, 'missing.json'), /cannot read .*missing\.json/],
      [corpus('eth-dns.pcap'), /is not a text file/],
    ] as const) {
      const run = podpath('analyze', '--json', '--cluster', path, capturePath);
      expect(run.status, path).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.startsWith('podpath: ')).toBe(true);
      expect(run.stdout).toBe('');
    }
  });
});

describe.runIf(HAVE_PUBLIC)('the public corpus', () => {
  const NOT_A_CAPTURE = 'bad-pcapng-block-cut-no-shb.bin';

  it('every file: exit 0 (1 only for the one non-capture), valid JSON, no stack trace', () => {
    const files = publicFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(files.map((f) => basename(f))).toContain(NOT_A_CAPTURE);
    const good = files.filter((f) => basename(f) !== NOT_A_CAPTURE);
    const BATCH = 40;
    for (let i = 0; i < good.length; i += BATCH) {
      const batch = good.slice(i, i + BATCH);
      const run = podpath('analyze', '--json', ...batch);
      expect(run.stderr, batch.join(' ')).toBe('');
      expect(run.status).toBe(0);
      const doc = json(run);
      expect(doc.captures.map((c) => c.file)).toEqual(batch.map((f) => basename(f)));
      for (const c of doc.captures) {
        expect(c.format === 'pcap' || c.format === 'pcapng', c.file).toBe(true);
        expect(c.bytes, c.file).toBe(statSync(join(PUBLIC, c.file)).size);
        for (const key of LAYER_KEYS) expect(typeof c.layers[key]).toBe('number');
        expect(doc.flows.filter((f) => f.capture === c.file)).toHaveLength(c.flowCount);
        for (const w of c.warnings) {
          expect(w.message.length).toBeGreaterThan(0);
          expect(w.offset).toBeGreaterThanOrEqual(0);
        }
      }
      // The readable form of the same files also runs clean.
      const readable = podpath('analyze', ...batch);
      expect(readable.status).toBe(0);
      expect(readable.stderr).toBe('');
    }
    const bad = podpath('analyze', '--json', join(PUBLIC, NOT_A_CAPTURE));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(NOT_A_CAPTURE);
    json(bad);
  }, 120_000);
});
