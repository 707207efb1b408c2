import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Endpoint } from '../src/core/analysis/index.js';
import { buildClusterSnapshot, ClusterIndex } from '../src/core/cluster/index.js';
import {
  compareDocument,
  type CompareDocument,
  type TraceConnection,
  traceDocument,
  type TraceDocument,
} from '../src/core/trace/index.js';
import { correlateFiles } from '../src/node/trace-files.js';
import { main } from '../src/cli/main.js';
import { pcapLayout } from './support/capture-bytes.js';
import { FIXTURES } from './support/files.js';

/*
 * `podpath trace` and `podpath compare` against the lab's ground truth: every connection the
 * lab made, seen at several capture points, must come out as one connection whose hops are
 * exactly the (capture, interface, tuple) sightings truth.json lists for it, with each NAT
 * step named as the lab's iptables rules made it (which endpoint, which masquerade address).
 * PODPATH_LAB_DIR points it at a fresh lab run (`npm run test:lab`).
 */

interface TruthEnd {
  ip: string;
  port?: number;
  name?: string | null;
}
interface TruthFlow {
  protocol: string;
  src: TruthEnd;
  dst: TruthEnd;
  interface?: string;
}
interface TruthTranslation {
  kind: string;
  service?: string;
  endpoint?: string;
  protocol?: string;
  before: { src: TruthEnd; dst: TruthEnd } | null;
  after: { src: TruthEnd; dst: TruthEnd } | null;
}
interface Truth {
  scenario: string;
  captures: { file: string; interfaces?: Record<string, string>; flows: TruthFlow[] }[];
  translations?: TruthTranslation[];
}

const LAB_DIR = process.env.PODPATH_LAB_DIR ?? join(FIXTURES, 'lab');
const scenarios = existsSync(LAB_DIR)
  ? readdirSync(LAB_DIR)
      .filter((d) => existsSync(join(LAB_DIR, d, 'truth.json')))
      .sort()
  : [];

const truthOf = (scenario: string): Truth =>
  JSON.parse(readFileSync(join(LAB_DIR, scenario, 'truth.json'), 'utf8')) as Truth;

const clusterOf = (scenario: string): ClusterIndex =>
  new ClusterIndex(
    buildClusterSnapshot([
      {
        source: 'snapshot.json',
        value: JSON.parse(readFileSync(join(LAB_DIR, scenario, 'snapshot.json'), 'utf8')),
      },
    ]),
  );

const end = (e: TruthEnd | Endpoint): string => `${e.ip}${e.port === undefined ? '' : `:${e.port}`}`;
const tupleKey = (protocol: string, src: TruthEnd | Endpoint, dst: TruthEnd | Endpoint): string =>
  `${protocol} ${end(src)} > ${end(dst)}`;

async function trace(scenario: string, files: string[], withCluster = true): Promise<TraceDocument> {
  const cluster = withCluster ? clusterOf(scenario) : undefined;
  const r = await correlateFiles(
    files.map((f) => join(LAB_DIR, scenario, f)),
    cluster ? { cluster } : {},
  );
  expect(r.failures).toEqual([]);
  return traceDocument(
    r.correlation,
    r.captures,
    r.files.map((f) => f.summary.packets),
    cluster,
  );
}

async function compare(scenario: string, before: string, after: string): Promise<CompareDocument> {
  const cluster = clusterOf(scenario);
  const r = await correlateFiles([join(LAB_DIR, scenario, before), join(LAB_DIR, scenario, after)], {
    cluster,
    pairs: true,
  });
  return compareDocument(r.correlation, [r.captures[0], r.captures[1]], cluster);
}

/**
 * What truth.json says the trace must find: per connection (a translation's before and after
 * tuples are one connection; an untranslated tuple is its own), the set of sightings
 * "file | interface | tuple".
 */
function expectedConnections(truth: Truth): Map<string, Set<string>> {
  const identity = (f: TruthFlow): string => {
    const key = tupleKey(f.protocol, f.src, f.dst);
    const i = (truth.translations ?? []).findIndex(
      (t) =>
        (t.protocol ?? f.protocol) === f.protocol &&
        ((t.before !== null && tupleKey(f.protocol, t.before.src, t.before.dst) === key) ||
          (t.after !== null && tupleKey(f.protocol, t.after.src, t.after.dst) === key)),
    );
    return i >= 0 ? `translation ${i}` : key;
  };
  const out = new Map<string, Set<string>>();
  for (const c of truth.captures) {
    for (const f of c.flows) {
      const id = identity(f);
      const set = out.get(id) ?? new Set<string>();
      set.add(`${c.file} | ${f.interface ?? '-'} | ${tupleKey(f.protocol, f.src, f.dst)}`);
      out.set(id, set);
    }
  }
  for (const [id, set] of out) if (set.size < 2) out.delete(id);
  return out;
}

function sightings(truth: Truth, c: TraceConnection): Set<string> {
  return new Set(
    c.hops.map((h) => {
      const names = truth.captures.find((x) => x.file === h.capture)?.interfaces;
      const iface =
        h.interface === null ? '-' : (names?.[String(h.interface.index)] ?? `if ${h.interface.index}`);
      return `${h.capture} | ${iface} | ${tupleKey(c.protocol, h.src, h.dst)}`;
    }),
  );
}

/** The scenarios whose NAT and overlay paths the trace must rebuild, and what to give it. */
const TRACED: Record<string, string[]> = {
  clusterip: ['client.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web-node1.pcap', 'web-node2.pcap'],
  nodeport: ['outside.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web.pcap', 'web-local.pcap'],
  dns: ['dns-client.pcap', 'dns-node1-eth0.pcap', 'dns-node2-eth0.pcap', 'dns-coredns.pcap'],
  'egress-snat': ['client.pcap', 'node1-eth0.pcap', 'outside.pcap'],
  'flannel-vxlan': ['client.pcap', 'node1-any.pcap', 'node1-eth0.pcap', 'web-1.pcap'],
  'docker-bridge': [],
  'no-endpoints': [],
};

describe.skipIf(scenarios.length === 0)('podpath trace against the lab', () => {
  for (const scenario of scenarios) {
    const truth = truthOf(scenario);
    const files = TRACED[scenario]?.length ? TRACED[scenario] : truth.captures.map((c) => c.file);
    it(`${scenario}: every connection's sightings are exactly truth's, none invented`, async () => {
      const doc = await trace(scenario, files);
      const expected = expectedConnections(truth);
      const got = doc.connections.map((c) => sightings(truth, c));
      for (const [id, want] of expected) {
        const match = got.find((g) => [...want].some((w) => g.has(w)));
        expect(match, `${scenario}: no connection for ${id}`).toBeDefined();
        expect([...(match ?? [])].sort(), `${scenario}: ${id}`).toEqual([...want].sort());
      }
      expect(doc.connections).toHaveLength(expected.size);
      // One kernel clock for every namespace: the estimated offsets are transit-time small.
      for (const offset of Object.values(doc.clockOffsets)) expect(Math.abs(offset)).toBeLessThan(0.001);
      for (const c of doc.connections) {
        const name = `${scenario}: ${tupleKey(c.protocol, c.hops[0].src, c.hops[0].dst)}`;
        if (scenario === 'mtu' && c.protocol === 'icmp' && c.hops[0].dst.ip === '10.244.2.2') {
          // The 1488-byte DF ping: seen on the veth and cni0, dropped before flannel.1.
          const names = truth.captures.find((x) => x.file === 'mtu-node1-any.pcap')!.interfaces!;
          expect(
            c.lost.map((l) => [l.after, names[String(l.interface?.index)], l.direction, l.packets]),
          ).toEqual([['mtu-node1-any.pcap', 'cni0', 'toServer', 1]]);
        } else expect(c.lostAfter, name).toBeNull();
        expect(c.latency.firstToLastMs, name).not.toBeNull();
        // Hops in time order on the common clock (those that saw packets to the server), give
        // or take the few microseconds two captures of one wire (eth0 and -i any) disagree by.
        const times = c.hops.filter((h) => h.packets.toServer > 0).map((h) => h.sinceFirstMs);
        for (let i = 1; i < times.length; i++) expect(times[i], name).toBeGreaterThan(times[i - 1] - 0.005);
      }
    });
  }

  for (const scenario of ['clusterip', 'nodeport', 'dns', 'egress-snat'].filter((s) =>
    scenarios.includes(s),
  )) {
    it(`${scenario}: each translation is named as the lab made it`, async () => {
      const truth = truthOf(scenario);
      const doc = await trace(scenario, TRACED[scenario]);
      const translations = (truth.translations ?? []).filter((t) => t.before !== null && t.after !== null);
      expect(translations.length).toBeGreaterThan(0);
      for (const t of translations) {
        const before = t.before!;
        const after = t.after!;
        const c = doc.connections.find((x) =>
          x.hops.some((h) => end(h.src) === end(before.src) && end(h.dst) === end(before.dst)),
        );
        expect(c, `${scenario}: ${end(before.src)} > ${end(before.dst)}`).toBeDefined();
        const hops = c!.hops;
        const firstAfter = hops.findIndex(
          (h) => end(h.src) === end(after.src) && end(h.dst) === end(after.dst),
        );
        const lastBefore = hops.reduce(
          (at, h, index) => (end(h.src) === end(before.src) && end(h.dst) === end(before.dst) ? index : at),
          -1,
        );
        expect(firstAfter, 'the translated tuple is seen').toBeGreaterThan(0);
        // Every sighting before the translation comes before every sighting after it.
        expect(lastBefore).toBe(firstAfter - 1);
        const hop = hops[firstAfter];
        expect(hop.change).toBe(t.kind);
        expect(c!.service).toBe(t.service ?? null);
        if (t.kind.includes('dnat')) {
          // The endpoint it reached, named from the snapshot.
          expect(hop.dst.ip).toBe(after.dst.ip);
          if (t.endpoint !== undefined) expect(hop.dst.name).toBe(t.endpoint);
          expect(hop.rewrittenBy).toContain(`kube-proxy DNAT for ${t.service}`);
        }
        if (t.kind.includes('snat')) {
          // The masquerade address, and that a node did it.
          expect(hop.src.ip).toBe(after.src.ip);
          expect(hop.src.kind).toBe('node');
          expect(hop.rewrittenBy).toMatch(/masquerade on node\d/);
        } else {
          // No SNAT: the client's own address arrives (externalTrafficPolicy Local, pod clients).
          expect(end(hop.src)).toBe(end(before.src));
        }
      }
    });
  }

  it.skipIf(!scenarios.includes('nodeport'))(
    'nodeport: the connection to a node without a Local endpoint is seen twice and never answered',
    async () => {
      const doc = await trace('nodeport', TRACED.nodeport);
      const dropped = doc.connections.find((c) => c.hops[0].src.port === 41004);
      expect(dropped?.hops.map((h) => h.capture)).toEqual(['outside.pcap', 'node2-eth0.pcap']);
      expect(dropped?.answered).toBe(false);
      expect(dropped?.service).toBe('default/web-local');
      expect(doc.connections.filter((c) => !c.answered)).toHaveLength(1);
    },
  );

  it.skipIf(!scenarios.includes('flannel-vxlan'))(
    'flannel-vxlan: -i any hops follow the veth, the bridge, the tunnel device and eth0, with encap at eth0',
    async () => {
      const truth = truthOf('flannel-vxlan');
      const names = truth.captures.find((c) => c.file === 'node1-any.pcap')!.interfaces!;
      const doc = await trace('flannel-vxlan', ['client.pcap', 'node1-any.pcap', 'web-1.pcap']);
      const tcp = doc.connections.find(
        (c) => c.protocol === 'tcp' && c.hops[0].dst.port === 8080 && c.hops.length > 3,
      )!;
      const path = tcp.hops.map((h) => (h.interface ? names[String(h.interface.index)] : h.capture));
      expect(path[0]).toBe('client.pcap');
      expect(path[1]).toMatch(/^veth/);
      expect(path.slice(2)).toEqual(['cni0', 'flannel.1', 'eth0', 'web-1.pcap']);
      expect(tcp.hops.map((h) => h.change)).toEqual(['none', 'none', 'none', 'routed', 'encap', 'decap']);
      expect(tcp.hops[4].encapsulation[0]).toMatchObject({ type: 'vxlan', vni: 1, udpPort: 8472 });
      expect(tcp.hops[4].note).toContain('into vxlan 1 node1 -> node2');
      expect(tcp.hops.map((h) => h.interface?.role ?? null)).toEqual([
        null,
        'veth',
        'bridge',
        'tunnel',
        'underlay',
        null,
      ]);
    },
  );
});

describe.skipIf(!scenarios.includes('clusterip'))('podpath compare against the lab', () => {
  it('client pod before DNAT vs the node2 endpoint pod after it: the NAT table and the rest', async () => {
    const truth = truthOf('clusterip');
    const doc = await compare('clusterip', 'client.pcap', 'web-node2.pcap');
    const want = (truth.translations ?? []).filter((t) => t.after?.dst.ip === '10.244.2.2');
    expect(want.length).toBeGreaterThan(0);
    expect(
      doc.translations
        .map((t) => `${end(t.before.src)} > ${end(t.before.dst)} => ${end(t.after.dst)}`)
        .sort(),
    ).toEqual(
      want.map((t) => `${end(t.before!.src)} > ${end(t.before!.dst)} => ${end(t.after!.dst)}`).sort(),
    );
    for (const t of doc.translations) {
      expect(t.kind).toBe('dnat');
      expect(t.service).toBe('default/web');
      expect(t.rewrittenBy).toContain('kube-proxy DNAT for default/web (ClusterIP 10.96.45.10:');
      expect(t.packets).toBeGreaterThan(0);
      expect(t.latencyMs.median).toBeGreaterThan(0);
    }
    // The client's connections that went to the node1 endpoint were never seen in web-node2.
    const client = truth.captures.find((c) => c.file === 'client.pcap')!.flows;
    expect(doc.onlyBefore).toHaveLength(client.length - want.length);
    expect(doc.onlyAfter).toEqual([]);
    expect(doc.warnings).toEqual([]);
  });

  it('two captures with nothing in common say so and invent no translation', async () => {
    const cluster = clusterOf('clusterip');
    const other = scenarios.includes('egress-snat') ? join(LAB_DIR, 'egress-snat', 'outside.pcap') : null;
    if (other === null) return;
    const r = await correlateFiles([join(LAB_DIR, 'clusterip', 'client.pcap'), other], {
      cluster,
      pairs: true,
    });
    const doc = compareDocument(r.correlation, [r.captures[0], r.captures[1]], cluster);
    expect(doc.translations).toEqual([]);
    expect(doc.matchedPackets).toBe(0);
    expect(doc.warnings[0]).toMatch(/no packet in common/);
    expect(doc.onlyBefore.length).toBeGreaterThan(0);
    expect(doc.onlyAfter.length).toBeGreaterThan(0);
  });
});

// ---- real captures, edited: a clock set wrong, a packet lost ------------------------------

const work = mkdtempSync(join(tmpdir(), 'podpath-trace-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a classic pcap with its timestamps moved by `micros` and chosen records dropped. */
function edited(
  path: string,
  micros: number,
  drop: (record: Uint8Array, index: number) => boolean = () => false,
): string {
  const b = new Uint8Array(readFileSync(path));
  const layout = pcapLayout(b);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = layout.littleEndian;
  const parts: Uint8Array[] = [b.subarray(0, 24)];
  layout.records.forEach((r, i) => {
    if (drop(b.subarray(r.dataOffset, r.dataOffset + r.capturedLength), i)) return;
    const total = view.getUint32(r.offset, le) * 1e6 + view.getUint32(r.offset + 4, le) + micros;
    view.setUint32(r.offset, Math.floor(total / 1e6), le);
    view.setUint32(r.offset + 4, total % 1e6, le);
    parts.push(b.subarray(r.offset, r.dataOffset + r.capturedLength));
  });
  // Same base name in a folder of its own: the trace names captures by base name.
  const folder = mkdtempSync(join(work, 'edit-'));
  const out = join(folder, path.split('/').pop()!);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

/** A TCP segment of `port` from the client with payload (Ethernet, optionally inside VXLAN). */
function isClientData(record: Uint8Array, clientPort: number): boolean {
  // Innermost IPv4 header: plain Ethernet at 14, or VXLAN's inner one at 14+20+8+8+14.
  for (const ip of [14, 64]) {
    if (record.length < ip + 40 || record[ip] !== 0x45 || record[ip + 9] !== 6) continue;
    const tcp = ip + 20;
    const srcPort = (record[tcp] << 8) | record[tcp + 1];
    const total = (record[ip + 2] << 8) | record[ip + 3];
    const dataOffset = (record[tcp + 12] >> 4) * 4;
    if (srcPort === clientPort && total > 20 + dataOffset) return true;
  }
  return false;
}

describe.skipIf(!scenarios.includes('clusterip'))('podpath trace on edited lab captures', () => {
  const dir = join(LAB_DIR, 'clusterip');

  it('finds a node clock set 3.5 s ahead and puts the hops back in order', async () => {
    const files = ['client.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web-node2.pcap'].map((f) =>
      join(dir, f),
    );
    const plain = await correlateFiles(files);
    // node2's two captures run 3.5 s fast, as an unsynchronised node would record them.
    const skewed = [files[0], files[1], edited(files[2], 3_500_000), edited(files[3], 3_500_000)];
    const r = await correlateFiles(skewed);
    const a = traceDocument(plain.correlation, plain.captures, [0, 0, 0, 0]);
    const b = traceDocument(r.correlation, r.captures, [0, 0, 0, 0]);
    const offsets = Object.values(b.clockOffsets);
    expect(offsets[0]).toBe(0);
    expect(Math.abs(offsets[1])).toBeLessThan(0.001);
    expect(Math.abs(offsets[2] + 3.5)).toBeLessThan(0.001);
    expect(Math.abs(offsets[3] + 3.5)).toBeLessThan(0.001);
    const order = (d: TraceDocument): string[][] => d.connections.map((c) => c.hops.map((h) => h.capture));
    expect(order(b)).toEqual(order(a));
    expect(order(a)[0]).toEqual(['client.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web-node2.pcap']);
    for (const [i, c] of b.connections.entries()) {
      expect(
        Math.abs((c.latency.firstToLastMs ?? 0) - (a.connections[i].latency.firstToLastMs ?? 0)),
      ).toBeLessThan(1);
    }
  });

  it('names the last point a lost packet was seen', async () => {
    const truth = truthOf('clusterip');
    // A connection that crossed both nodes: drop one of its client data segments after node1.
    const t = (truth.translations ?? []).find((x) => x.after?.dst.ip === '10.244.2.2')!;
    const port = t.before!.src.port!;
    let dropped = 0;
    const dropOne = (record: Uint8Array): boolean => {
      if (dropped > 0 || !isClientData(record, port)) return false;
      dropped++;
      return true;
    };
    const node2 = edited(join(dir, 'node2-eth0.pcap'), 0, dropOne);
    expect(dropped).toBe(1);
    dropped = 0;
    const web = edited(join(dir, 'web-node2.pcap'), 0, dropOne);
    expect(dropped).toBe(1);
    const r = await correlateFiles([join(dir, 'client.pcap'), join(dir, 'node1-eth0.pcap'), node2, web]);
    const doc = traceDocument(r.correlation, r.captures, [0, 0, 0, 0]);
    const c = doc.connections.find((x) => x.hops[0].src.port === port)!;
    expect(c.lostAfter).toBe('node1-eth0.pcap');
    expect(c.lost).toEqual([
      { after: 'node1-eth0.pcap', interface: null, direction: 'toServer', packets: 1 },
    ]);
    // The other connections lost nothing.
    expect(doc.connections.filter((x) => x.lostAfter !== null)).toHaveLength(1);
  });
});

/** The CLI in-process: its exit status and what it wrote. */
async function run(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(argv, {
    stdout: (t) => void (out += t),
    stdoutBytes: (b) => void (out += Buffer.from(b).toString()),
    stderr: (t) => void (err += t),
  });
  return { status, out, err };
}

/** A command over captures of one lab scenario, with its snapshot. */
const withSnapshot = (scenario: string, command: string, files: string[], ...flags: string[]) =>
  run([
    command,
    ...files.map((f) => join(LAB_DIR, scenario, f)),
    '--cluster',
    join(LAB_DIR, scenario, 'snapshot.json'),
    ...flags,
  ]);

describe.skipIf(!scenarios.includes('nodeport'))('podpath trace and compare from the command line', () => {
  const dir = join(LAB_DIR, 'nodeport');

  it('trace --json keeps the documented shape', async () => {
    const r = await withSnapshot(
      'nodeport',
      'trace',
      ['outside.pcap', 'node1-eth0.pcap', 'web.pcap'],
      '--json',
    );
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out) as TraceDocument;
    expect(doc.schema).toBe('podpath.trace/v1');
    expect(Object.keys(doc.clockOffsets)).toEqual(['outside.pcap', 'node1-eth0.pcap', 'web.pcap']);
    const c = doc.connections.find((x) => x.hops[0].src.port === 41001)!;
    expect(c).toMatchObject({ protocol: 'tcp', service: 'default/web', lostAfter: null });
    for (const h of c.hops) {
      expect(Object.keys(h)).toEqual(
        expect.arrayContaining(['capture', 'interface', 'time', 'src', 'dst', 'encapsulation', 'change']),
      );
      expect(h.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    expect(c.hops.map((h) => h.change)).toEqual(['none', 'routed', 'dnat+snat', 'decap']);
    expect(typeof c.latency.firstToLastMs).toBe('number');
  });

  it('trace prints each hop and the rewrite in words', async () => {
    const r = await withSnapshot('nodeport', 'trace', ['outside.pcap', 'web-local.pcap']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('203.0.113.10:41002 -> 10.244.1.3:8080');
    expect(r.out).toContain('kube-proxy DNAT for default/web-local (NodePort 30081 on node1');
  });

  it('compare --json and its readable table', async () => {
    const json = await withSnapshot('nodeport', 'compare', ['outside.pcap', 'web.pcap'], '--json');
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.out) as CompareDocument;
    expect(doc.schema).toBe('podpath.compare/v1');
    expect(doc.translations.map((t) => [end(t.before.src), end(t.after.src), t.kind, t.service])).toEqual(
      expect.arrayContaining([
        ['203.0.113.10:41001', expect.stringMatching(/^10\.244\.1\.0:\d+$/), 'dnat+snat', 'default/web'],
        ['203.0.113.10:41003', expect.stringMatching(/^10\.244\.2\.1:\d+$/), 'dnat+snat', 'default/web'],
      ]),
    );
    const text = await withSnapshot('nodeport', 'compare', ['outside.pcap', 'web.pcap']);
    expect(text.out).toMatch(/BEFORE\s+AFTER\s+REWRITTEN BY\s+PACKETS\s+LATENCY/);
    expect(text.out).toContain('masquerade on node1');
    expect(text.out).toContain('only in outside.pcap: 2 flows');
  });

  it('compare needs exactly two captures; unreadable files are named', async () => {
    const one = await run(['compare', join(dir, 'outside.pcap')]);
    expect(one.status).toBe(2);
    expect(one.err).toContain('compare needs two captures');
    const missing = await run(['trace', join(dir, 'outside.pcap'), join(dir, 'nope.pcap')]);
    expect(missing.status).toBe(1);
    expect(missing.err).toContain('nope.pcap');
  });
});

describe.skipIf(!scenarios.includes('nodeport') || !scenarios.includes('clusterip'))(
  'one capture on its own',
  () => {
    it('a node capture that sees both sides of the NAT gives the rewrite as two hops of it', async () => {
      const truth = truthOf('nodeport');
      const t = truth.translations!.find(
        (x) => x.kind === 'dnat+snat' && x.before?.dst.ip === '192.168.10.101',
      )!;
      const doc = await trace('nodeport', ['node1-eth0.pcap']);
      const c = doc.connections.find((x) => x.hops[0].src.port === t.before!.src.port)!;
      expect(c.hops.map((h) => [h.capture, end(h.src), end(h.dst), h.change])).toEqual([
        ['node1-eth0.pcap', end(t.before!.src), end(t.before!.dst), 'none'],
        ['node1-eth0.pcap', end(t.after!.src), end(t.after!.dst), 'dnat+snat'],
      ]);
      expect(c.hops[1].encapsulation[0]).toMatchObject({
        type: 'vxlan',
        outer: { srcNode: 'node1', dstNode: 'node2' },
      });
      expect(c.service).toBe('default/web');
    });

    it('analyze marks a flow seen only after DNAT as its Service endpoint', async () => {
      const { status, out } = await withSnapshot('clusterip', 'analyze', ['web-node2.pcap'], '--json');
      expect(status).toBe(0);
      const flows = (
        JSON.parse(out) as { flows: { protocol: string; dst: Endpoint; endpointOf?: unknown }[] }
      ).flows;
      const tcp = flows.filter((f) => f.protocol === 'tcp');
      expect(tcp.length).toBeGreaterThan(0);
      for (const f of tcp) {
        expect(f.dst.port).toBe(8080);
        expect(f.endpointOf).toEqual([
          { service: 'default/web', port: 80, targetPort: 8080, portName: 'http' },
        ]);
      }
      const udp = flows.filter((f) => f.protocol === 'udp');
      for (const f of udp)
        expect(f.endpointOf).toEqual([expect.objectContaining({ service: 'default/web', port: 9000 })]);
    });
  },
);
