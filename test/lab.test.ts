import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowSummary } from '../src/core/analysis/index.js';
import { buildClusterSnapshot, ClusterIndex } from '../src/core/cluster/index.js';
import { analyze } from './support/analyze.js';
import { FIXTURES } from './support/files.js';

/*
 * podpath against the lab's ground truth (test/lab/, `npm run lab`): for every scenario and
 * capture, the packet count, the link type, and every flow the traffic made with its
 * encapsulation, as the lab configured it. PODPATH_LAB_DIR points the test at a fresh lab
 * run (`npm run test:lab`); by default it reads the committed fixtures.
 */

interface TruthEnd {
  ip: string;
  port?: number;
  kind: string;
  name: string | null;
}

interface TruthFlow {
  protocol: string;
  src: TruthEnd;
  dst: TruthEnd;
  encapsulation: {
    type: string;
    vni?: number;
    vniReply?: number;
    udpPort?: number;
    outer: { src: string; dst: string };
  }[];
  interface?: string;
  icmp?: { type: number; code?: number; quotes?: { src: string; dst: string; protocol: string } };
}

interface TruthCapture {
  file: string;
  point: string;
  linkType: string;
  packets: number;
  interfaces?: Record<string, string>;
  flows: TruthFlow[];
  noise: Record<string, number>;
}

interface Truth {
  schema: string;
  scenario: string;
  captures: TruthCapture[];
}

const LAB_DIR = process.env.PODPATH_LAB_DIR ?? join(FIXTURES, 'lab');
const scenarios = existsSync(LAB_DIR)
  ? readdirSync(LAB_DIR)
      .filter((d) => existsSync(join(LAB_DIR, d, 'truth.json')))
      .sort()
  : [];

const NOISE_PROTOCOLS = new Set(['arp', 'igmp']);

function isNoise(f: FlowSummary): boolean {
  if (NOISE_PROTOCOLS.has(f.protocol)) return true;
  // IPv6 neighbour discovery and MLD (ICMPv6 133-137, 130-132, 143) are background, not traffic.
  return f.protocol === 'icmpv6' && f.icmp?.id === undefined && f.icmp?.type === undefined;
}

const pair = (a: string, b: string): string => [a, b].sort().join(' ');
const end = (e: { ip?: string; port?: number }): string =>
  e.port === undefined ? `${e.ip}` : `${e.ip}:${e.port}`;

function ourKey(f: FlowSummary): string {
  const protocol = f.icmp?.type !== undefined ? `${f.protocol}-error:${f.icmp.type}` : f.protocol;
  const encapsulation = f.encapsulation.map((t) => `${t.type}:${pair(t.outer.src, t.outer.dst)}`).join('/');
  return `${protocol}|${pair(end(f.src), end(f.dst))}|${encapsulation}|${f.interface?.ifindex ?? f.interface?.index ?? ''}`;
}

function truthKey(f: TruthFlow, interfaces: Record<string, string> = {}): string {
  const protocol = f.icmp?.type !== undefined ? `${f.protocol}-error:${f.icmp.type}` : f.protocol;
  const encapsulation = f.encapsulation.map((t) => `${t.type}:${pair(t.outer.src, t.outer.dst)}`).join('/');
  const ifindex =
    f.interface === undefined ? '' : Object.entries(interfaces).find(([, name]) => name === f.interface)?.[0];
  return `${protocol}|${pair(end(f.src), end(f.dst))}|${encapsulation}|${ifindex}`;
}

describe('podpath agrees with the lab’s ground truth', () => {
  it('has lab scenarios to check', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  for (const scenario of scenarios) {
    const truth = JSON.parse(readFileSync(join(LAB_DIR, scenario, 'truth.json'), 'utf8')) as Truth;
    describe(scenario, () => {
      it('has a snapshot and a README', () => {
        const snapshot = JSON.parse(readFileSync(join(LAB_DIR, scenario, 'snapshot.json'), 'utf8'));
        expect(snapshot.kind).toBe('List');
        expect(readFileSync(join(LAB_DIR, scenario, 'README.md'), 'utf8')).toMatch(
          /What to look for in podpath/,
        );
      });

      const snapshot = buildClusterSnapshot([
        {
          source: 'snapshot.json',
          value: JSON.parse(readFileSync(join(LAB_DIR, scenario, 'snapshot.json'), 'utf8')),
        },
      ]);
      const cluster = new ClusterIndex(snapshot);
      const nodeByIp = new Map(
        snapshot.nodes.flatMap((n) => n.internalIPs.map((ip) => [ip, n.name] as const)),
      );

      it.each(truth.captures.map((c) => [c.file, c]))('%s', (_file, capture) => {
        const { summary, flows } = analyze(join(LAB_DIR, scenario, capture.file), { cluster });
        expect(summary.packets).toBe(capture.packets);
        expect(summary.linkTypes).toEqual([capture.linkType]);
        expect(summary.warnings).toEqual([]);
        const ours = new Map<string, FlowSummary[]>();
        for (const f of flows) {
          const key = ourKey(f);
          ours.set(key, [...(ours.get(key) ?? []), f]);
        }
        const matched = new Set<FlowSummary>();
        for (const t of capture.flows) {
          const key = truthKey(t, capture.interfaces);
          const found = ours.get(key) ?? [];
          expect(found, `${capture.file}: ${key}`).toHaveLength(1);
          const f = found[0];
          matched.add(f);
          // The initiator is src, on the inner flow and on every tunnel's outer header.
          expect(f.src.ip, `${key} initiator`).toBe(t.src.ip);
          // Every end named from the snapshot as the lab configured it.
          expect({ kind: f.src.kind, name: f.src.name }, `${key} src`).toEqual({
            kind: t.src.kind,
            name: t.src.name,
          });
          expect({ kind: f.dst.kind, name: f.dst.name }, `${key} dst`).toEqual({
            kind: t.dst.kind,
            name: t.dst.name,
          });
          if (t.src.port !== undefined) expect(f.src.port).toBe(t.src.port);
          expect(f.encapsulation).toHaveLength(t.encapsulation.length);
          t.encapsulation.forEach((e, i) => {
            const got = f.encapsulation[i];
            expect(got.type).toBe(e.type);
            expect({ src: got.outer.src, dst: got.outer.dst }).toEqual(e.outer);
            // The nodes behind the tunnel's ends, from the snapshot's node addresses.
            expect(got.outer.srcNode).toBe(nodeByIp.get(e.outer.src) ?? null);
            expect(got.outer.dstNode).toBe(nodeByIp.get(e.outer.dst) ?? null);
            if (e.vni !== undefined) expect(got.vni).toBe(e.vni);
            if (e.vniReply !== undefined) expect(got.vniReply).toBe(e.vniReply);
            if (e.udpPort !== undefined) expect(got.udpPort).toBe(e.udpPort);
          });
          if (t.icmp?.code !== undefined) expect(f.icmp?.code).toBe(t.icmp.code);
          if (t.icmp?.quotes !== undefined) expect(f.icmp?.quotes).toMatchObject(t.icmp.quotes);
        }
        const unexpected = flows.filter((f) => !matched.has(f) && !isNoise(f)).map(ourKey);
        expect(unexpected, 'flows podpath found that the truth does not list').toEqual([]);
      });
    });
  }
});
