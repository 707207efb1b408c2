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

/*
 * The data path each capture shows, from what each scenario built (see its README): the
 * scenario's kind unless a capture is listed. Captures with no pod traffic in them (an
 * outside host's) and captures inside a pod of a CNI whose Node objects do not say how it
 * tunnels (Cilium; the proxy-protocol and docker-bridge setups, which name no CNI) show no
 * data path: `unknown`, with the reason in the evidence.
 */
const DATAPATH: Record<string, { kind: string; kinds?: string[]; captures?: Record<string, string> }> = {
  'calico-ipip': { kind: 'calico-ipip' },
  'calico-vxlan': { kind: 'calico-vxlan' },
  'cilium-geneve': { kind: 'unknown', captures: { 'node1-eth0.pcap': 'cilium-geneve' } },
  clusterip: { kind: 'flannel-vxlan' },
  // node1 and node2 are Calico BGP (their pods' blocks routed), node3 an AWS VPC CNI node.
  'direct-routing': {
    kind: 'direct',
    kinds: ['direct', 'aws-vpc-cni'],
    captures: { 'node3-eth0.pcap': 'aws-vpc-cni' },
  },
  dns: { kind: 'flannel-vxlan' },
  'docker-bridge': { kind: 'unknown' },
  'dual-stack': { kind: 'direct' },
  'egress-snat': { kind: 'flannel-vxlan', captures: { 'outside.pcap': 'unknown' } },
  'flannel-vxlan': { kind: 'flannel-vxlan' },
  mtu: { kind: 'flannel-vxlan' },
  'no-endpoints': { kind: 'flannel-vxlan' },
  nodeport: { kind: 'flannel-vxlan', captures: { 'outside.pcap': 'unknown' } },
  // The load balancer reaches the pod by its own address on the underlay: routed directly.
  'proxy-protocol': { kind: 'unknown', captures: { 'pp-lb-eth0.pcap': 'direct' } },
};

/** Bytes each tunnel puts in front of the inner IP packet (outer IP, UDP, VXLAN or Geneve, inner Ethernet). */
const OVERHEAD: Record<string, number> = {
  'flannel-vxlan': 50,
  'calico-vxlan': 50,
  'cilium-vxlan': 50,
  'calico-ipip': 20,
};

interface KubeItem {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { ports?: { name?: string; port: number; protocol?: string; targetPort?: number | string }[] };
  ports?: { name?: string; port: number; protocol?: string }[];
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

/** A Service port's ready endpoints as "ip:port", read straight from the snapshot's objects. */
function serviceEndpoints(
  items: KubeItem[],
  name: string,
  port: number,
  protocol: string,
  ipv6: boolean,
): string[] {
  const [namespace, service] = name.split('/');
  const spec = items.find(
    (i) =>
      i.kind === 'Service' &&
      i.metadata.name === service &&
      (i.metadata.namespace ?? 'default') === namespace,
  );
  const servicePort = spec?.spec?.ports?.find(
    (p) => p.port === port && (p.protocol ?? 'TCP').toLowerCase() === protocol,
  );
  if (servicePort === undefined) throw new Error(`no port ${port}/${protocol} on ${name}`);
  const out: string[] = [];
  for (const slice of items) {
    if (slice.kind !== 'EndpointSlice' || slice.metadata.labels?.['kubernetes.io/service-name'] !== service)
      continue;
    const target = slice.ports?.find((p) => (p.name ?? null) === (servicePort.name ?? null));
    if (target === undefined) continue;
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const ip of e.addresses)
        if (ip.includes(':') === ipv6) out.push(ipv6 ? `[${ip}]:${target.port}` : `${ip}:${target.port}`);
    }
  }
  return out.sort();
}

/** What an interface is, by the name the lab gave it. */
function roleOf(name: string): string {
  if (name === 'lo') return 'loopback';
  if (name === 'eth0') return 'underlay';
  if (/^(flannel\.1|vxlan\.calico|tunl0|cilium_)/.test(name)) return 'tunnel';
  if (/^(veth|cali|eni)/.test(name)) return 'veth';
  if (/^(cni0|docker0)$/.test(name)) return 'bridge';
  throw new Error(`no role for interface ${name}`);
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
      const kube = (
        JSON.parse(readFileSync(join(LAB_DIR, scenario, 'snapshot.json'), 'utf8')) as { items: KubeItem[] }
      ).items;
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
          // A flow to a Service address and port: that Service, with the snapshot's ready endpoints.
          if (t.dst.kind === 'service' && t.dst.port !== undefined) {
            const expected = serviceEndpoints(
              kube,
              t.dst.name!,
              t.dst.port,
              t.protocol,
              t.dst.ip.includes(':'),
            );
            expect(f.service?.name, `${key} service`).toBe(t.dst.name);
            expect([...(f.service?.endpoints ?? [])].sort(), `${key} endpoints`).toEqual(expected);
          }
          if (t.icmp?.code !== undefined) expect(f.icmp?.code).toBe(t.icmp.code);
          if (t.icmp?.quotes !== undefined) expect(f.icmp?.quotes).toMatchObject(t.icmp.quotes);
        }
        const unexpected = flows.filter((f) => !matched.has(f) && !isNoise(f)).map(ourKey);
        expect(unexpected, 'flows podpath found that the truth does not list').toEqual([]);

        // The data path, with evidence, and the tunnel's cost where one is seen.
        const expected = DATAPATH[scenario];
        expect(expected, `${scenario} has a data path expectation`).toBeDefined();
        const datapath = summary.datapath!;
        const kind = expected.captures?.[capture.file] ?? expected.kind;
        expect(datapath.kind, `${capture.file} datapath: ${datapath.evidence.join('; ')}`).toBe(kind);
        expect(datapath.evidence.length).toBeGreaterThan(0);
        if (kind === expected.kind && expected.kinds !== undefined)
          expect(datapath.kinds).toEqual(expected.kinds);
        const tunnelled = capture.flows.some((f) => f.encapsulation.length > 0);
        if (tunnelled && OVERHEAD[kind] !== undefined) {
          expect(datapath.overheadBytes).toBe(OVERHEAD[kind]);
          expect(datapath.underlayMtuNeeded).toBe(datapath.largestInnerPacket! + OVERHEAD[kind]);
        }
        if (!tunnelled) expect(datapath.overheadBytes).toBeNull();
        // Each interface of a -i any capture: what podpath says it is, against its real name.
        if (capture.interfaces !== undefined) {
          const used = new Set(
            capture.flows.map(
              (f) => Object.entries(capture.interfaces!).find(([, n]) => n === f.interface)?.[0],
            ),
          );
          const roles = new Map((datapath.interfaces ?? []).map((i) => [String(i.index), i]));
          for (const index of used) {
            if (index === undefined) continue;
            const name = capture.interfaces[index];
            expect(
              roles.get(index)?.role,
              `${capture.file} interface ${index} (${name}): ${roles.get(index)?.carries}`,
            ).toBe(roleOf(name));
          }
        }
      });
    });
  }
});
