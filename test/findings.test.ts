import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DecodedPacket,
  dnsQuestionName,
  formatIp,
  Layer,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
} from '../src/core/decode/index.js';
import type { FindingsDocument } from '../src/core/findings/index.js';
import { FINDING_CODES, FINDING_TEXT } from '../src/core/text/index.js';
import { findingsOfFiles } from '../src/node/findings-files.js';
import { Session } from '../src/node/session.js';
import { pcapLayout } from './support/capture-bytes.js';
import { runCli } from './support/cli.js';
import { FIXTURES, HAVE_PUBLIC, PUBLIC } from './support/files.js';
import { packetsOf } from './support/packets.js';
import { byRole, checkShape, clusterOf, LAB, only, recordAt } from './support/findings.js';

/*
 * `podpath findings` against the lab: each scenario built to show a problem (an MTU too small
 * for the overlay, the ndots:5 search walk, a Service without endpoints and one whose endpoint
 * does not listen, NodePort with externalTrafficPolicy Cluster and Local) yields its finding,
 * and every evidence packet is read back from its capture (decoded here, and as tshark's golden
 * decode has it) to check it is what the finding says; the scenarios built to work yield no
 * error. Expected values come from each scenario's README and truth.json.
 */

/** tshark's decode of the public corpus. */
const PUBLIC_GOLDEN = join(FIXTURES, '..', 'golden', 'public');
const CLEAN = [
  'flannel-vxlan',
  'calico-vxlan',
  'calico-ipip',
  'cilium-geneve',
  'direct-routing',
  'clusterip',
  'dual-stack',
  'docker-bridge',
  'egress-snat',
  'proxy-protocol',
];

function capturesOf(scenario: string): string[] {
  return readdirSync(join(LAB, scenario))
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort();
}

async function findingsOf(
  scenario: string,
  options: { files?: string[]; cluster?: boolean } = {},
): Promise<FindingsDocument> {
  const files = options.files ?? capturesOf(scenario);
  const result = await findingsOfFiles(
    files.map((f) => join(LAB, scenario, f)),
    options.cluster === false ? {} : { cluster: clusterOf(scenario) },
  );
  expect(result.failures).toEqual([]);
  checkShape(result.document);
  return result.document;
}

interface GoldenPacket {
  n: number;
  ip: [string, string][];
  tcp: [number, number][];
  udp: [number, number][];
  icmpType: number[];
  dnsQueryName: string[];
  len: number;
  time: string;
}

/** tshark's decode of record `index` (the golden beside the capture). */
function golden(path: string, index: number): GoldenPacket {
  const doc = JSON.parse(readFileSync(`${path}.golden.json`, 'utf8')) as { packets: GoldenPacket[] };
  const p = doc.packets[index];
  expect(p.n).toBe(index + 1);
  return p;
}

const ip = (p: DecodedPacket, slot = p.innerIp): { src: string; dst: string } => {
  const f = p.ip[slot];
  return { src: formatIp(f.version, f.source), dst: formatIp(f.version, f.destination) };
};

describe('mtu: ICMP fragmentation needed from the pod’s node', () => {
  it('one mtu error, with the ICMP errors and the 1488-byte request they quote, in both captures', async () => {
    const doc = await findingsOf('mtu');
    expect(doc.counts.error).toBe(1);
    const f = only(doc, 'mtu');
    expect(f.severity).toBe('error');
    expect(f.code).toBe('mtuFragmentationNeeded');
    expect(f.params).toMatchObject({ mtu: 1450, largest: 1488, count: 1, protocol: 'icmp' });
    expect(f.params.router).toContain('10.244.1.1');
    expect(f.params.src).toContain('10.244.1.2');
    expect(f.params.dst).toContain('10.244.2.2');
    expect(f.summary).toContain('next-hop MTU 1450');
    expect(f.pods).toEqual(['default/client-7glfjtdkgj-5hcgn', 'default/web-l9cpv6hc4l-9skml']);
    expect(f.captures).toEqual(['mtu-client.pcap', 'mtu-node1-any.pcap']);
    const errors = byRole(f, 'icmp-error');
    const tooBig = byRole(f, 'too-big');
    // The error on the client's side, on cni0 and on the veth; the request on both of node1's too.
    expect(errors.map((p) => p.capture)).toEqual([
      'mtu-client.pcap',
      'mtu-node1-any.pcap',
      'mtu-node1-any.pcap',
    ]);
    expect(tooBig.map((p) => p.capture)).toEqual([
      'mtu-client.pcap',
      'mtu-node1-any.pcap',
      'mtu-node1-any.pcap',
    ]);
    for (const e of errors) {
      const path = join(LAB, 'mtu', e.capture);
      const { p, bytes } = recordAt(path, e.index);
      expect(p.transport).toBe(Layer.ICMP);
      expect([p.icmp.type, p.icmp.code]).toEqual([3, 4]);
      expect(ip(p)).toEqual({ src: '10.244.1.1', dst: '10.244.1.2' });
      const at = p.starts[p.layerCount - 1];
      expect((bytes[at + 6] << 8) | bytes[at + 7]).toBe(1450);
      const q = p.icmp.quoted;
      expect([formatIp(4, q.source), formatIp(4, q.destination), q.lengthField]).toEqual([
        '10.244.1.2',
        '10.244.2.2',
        1488,
      ]);
      // tshark: the error (3) and, inside it, the echo request (8) it quotes.
      expect(golden(path, e.index).icmpType).toEqual([3, 8]);
    }
    for (const t of tooBig) {
      const path = join(LAB, 'mtu', t.capture);
      const { p } = recordAt(path, t.index);
      expect(ip(p)).toEqual({ src: '10.244.1.2', dst: '10.244.2.2' });
      expect(p.ip[p.innerIp].lengthField).toBe(1488);
      expect(p.ip[p.innerIp].isDontFragment).toBe(true);
      expect([p.icmp.type, p.icmp.isEcho]).toEqual([8, true]);
      expect(golden(path, t.index).icmpType).toEqual([8]);
      // The record the ICMP error quotes comes before it.
      expect(t.index).toBeLessThan(errors.find((e) => e.capture === t.capture)!.index);
    }
    // The request that vanished after node1's bridge is this finding's, not a loss of its own.
    expect(doc.findings.some((x) => x.kind === 'packet-lost-between')).toBe(false);
  });

  it.each([['mtu-client.pcap'], ['mtu-node1-any.pcap']])(
    '%s alone, with and without the snapshot',
    async (file) => {
      for (const cluster of [true, false]) {
        const doc = await findingsOf('mtu', { files: [file], cluster });
        const f = only(doc, 'mtu');
        expect(f.params).toMatchObject({ mtu: 1450, largest: 1488, count: 1 });
        expect(byRole(f, 'too-big').length).toBeGreaterThan(0);
      }
    },
  );
});

describe('dns: the ndots:5 search-list walk', () => {
  const tried = [
    'example.com.default.svc.cluster.local',
    'example.com.svc.cluster.local',
    'example.com.cluster.local',
    'example.com',
  ];

  it('one dns-search-expansion for example.com: 4 queries, the names tried, 3 NXDOMAIN, the time it cost', async () => {
    const doc = await findingsOf('dns');
    expect(doc.counts.error).toBe(0);
    const f = only(doc, 'dns-search-expansion');
    expect(f.severity).toBe('warning');
    expect(f.params).toMatchObject({
      name: 'example.com',
      count: 4,
      failed: 3,
      names: tried.join(', '),
      answeredAs: 'example.com',
      dots: 1,
    });
    expect(f.params.client).toBe('default/client-7glfjtdkgj-5hcgn 10.244.1.2');
    expect(f.params.server).toBe('kube-system/kube-dns 10.96.0.10');
    expect(f.pods).toEqual(['default/client-7glfjtdkgj-5hcgn']);
    // The cost is the client capture's, from the first query to the last answer, as tshark times them.
    const path = join(LAB, 'dns', 'dns-client.pcap');
    const queries = byRole(f, 'query').filter((p) => p.capture === 'dns-client.pcap');
    const answers = byRole(f, 'answer').filter((p) => p.capture === 'dns-client.pcap');
    expect(queries).toHaveLength(4);
    expect(answers).toHaveLength(4);
    const seconds = (i: number): number => Number(golden(path, i).time);
    expect(f.params.costMs).toBeCloseTo((seconds(answers[3].index) - seconds(queries[0].index)) * 1000, 1);
    queries.forEach((q, i) => {
      const { p, bytes } = recordAt(path, q.index);
      expect(p.hasDns && !p.dns.isResponse).toBe(true);
      expect(dnsQuestionName(bytes, p.dns)).toBe(tried[i]);
      expect(golden(path, q.index).dnsQueryName).toEqual([tried[i]]);
    });
    answers.forEach((a, i) => {
      const { p, bytes } = recordAt(path, a.index);
      expect(p.hasDns && p.dns.isResponse).toBe(true);
      expect(dnsQuestionName(bytes, p.dns)).toBe(tried[i]);
      expect(p.dns.rcode).toBe(i < 3 ? 3 : 0);
      expect(ip(p).src).toBe('10.96.0.10');
    });
    // The walk was seen at all four points, and nothing else is wrong there: the NXDOMAINs are
    // the walk's, every query was answered, and every one went to the cluster DNS.
    expect(f.captures).toEqual(capturesOf('dns'));
    for (const kind of ['dns-nxdomain', 'dns-timeout', 'dns-servfail', 'dns-wrong-server'] as const)
      expect(doc.findings.filter((x) => x.kind === kind)).toEqual([]);
  });

  it('each capture alone, and without the snapshot, shows the same walk', async () => {
    for (const file of capturesOf('dns')) {
      for (const cluster of [true, false]) {
        const f = only(await findingsOf('dns', { files: [file], cluster }), 'dns-search-expansion');
        expect(f.params).toMatchObject({ name: 'example.com', count: 4, names: tried.join(', ') });
        expect(byRole(f, 'query')).toHaveLength(4);
      }
    }
  });
});

describe('no-endpoints: REJECT for a Service without endpoints, RST from an endpoint that does not listen', () => {
  it('service-no-endpoints names default/api, with the ICMP errors and the SYN they quote', async () => {
    const doc = await findingsOf('no-endpoints');
    const f = only(doc, 'service-no-endpoints');
    expect(f).toMatchObject({ severity: 'error', code: 'serviceNoEndpoints', service: 'default/api' });
    expect(f.params).toMatchObject({
      service: 'default/api',
      address: '10.96.77.7:80',
      count: 1,
      notReady: 1,
    });
    expect(f.params.node).toContain('10.244.1.1');
    expect(f.summary).toMatch(/^default\/api has no ready endpoints/);
    const errors = byRole(f, 'icmp-error');
    const syns = byRole(f, 'syn');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(syns.length).toBeGreaterThanOrEqual(2);
    for (const e of errors) {
      const path = join(LAB, 'no-endpoints', e.capture);
      const { p } = recordAt(path, e.index);
      expect([p.icmp.type, p.icmp.code]).toEqual([3, 3]);
      expect(formatIp(4, p.icmp.quoted.destination)).toBe('10.96.77.7');
      expect([p.icmp.quotedSourcePort, p.icmp.quotedDestinationPort]).toEqual([40001, 80]);
      expect(golden(path, e.index).ip[1]).toEqual(['10.244.1.2', '10.96.77.7']);
    }
    for (const s of syns) {
      const { p } = recordAt(join(LAB, 'no-endpoints', s.capture), s.index);
      expect(p.tcp.flags & (TCP_SYN | TCP_ACK)).toBe(TCP_SYN);
      expect(ip(p).dst).toBe('10.96.77.7');
      expect([p.tcp.sourcePort, p.tcp.destinationPort]).toEqual([40001, 80]);
    }
  });

  it('endpoint-not-listening names default/broken and its endpoint, with the SYN and the RST seen on each side of the DNAT', async () => {
    const doc = await findingsOf('no-endpoints');
    const f = only(doc, 'endpoint-not-listening');
    expect(f).toMatchObject({ severity: 'error', code: 'endpointNotListening', service: 'default/broken' });
    expect(f.params).toMatchObject({ targetPort: 8080, count: 1 });
    expect(f.params.endpoint).toBe('default/broken-trn8t42v5l-8dq2z 10.244.2.2:8080');
    expect(f.params.address).toBe('default/broken 10.96.77.8:80');
    expect(f.captures).toEqual(['broken.pcap', 'client.pcap', 'node1-any.pcap']);
    const resets = byRole(f, 'rst');
    expect(resets.length).toBeGreaterThanOrEqual(3);
    for (const r of resets) {
      const { p } = recordAt(join(LAB, 'no-endpoints', r.capture), r.index);
      expect(p.tcp.flags & TCP_RST).toBe(TCP_RST);
      expect(p.tcp.destinationPort).toBe(40002);
      // The pod's own address behind the DNAT, the ClusterIP in front of it (conntrack's rewrite).
      expect(['10.244.2.2:8080', '10.96.77.8:80']).toContain(`${ip(p).src}:${p.tcp.sourcePort}`);
    }
    const inClient = resets.find((r) => r.capture === 'client.pcap')!;
    expect(ip(recordAt(join(LAB, 'no-endpoints', 'client.pcap'), inClient.index).p).src).toBe('10.96.77.8');
    for (const s of byRole(f, 'syn')) {
      const { p } = recordAt(join(LAB, 'no-endpoints', s.capture), s.index);
      expect(p.tcp.flags & (TCP_SYN | TCP_ACK)).toBe(TCP_SYN);
      expect(p.tcp.sourcePort).toBe(40002);
    }
    expect(doc.findings.map((x) => x.kind).sort()).toEqual([
      'endpoint-not-listening',
      'service-no-endpoints',
    ]);
  });

  it('without a snapshot: the same two problems, told by what the packets show', async () => {
    const doc = await findingsOf('no-endpoints', { cluster: false });
    expect(doc.findings.map((f) => [f.kind, f.code]).sort()).toEqual([
      ['connection-refused', 'rejectedOnPath'],
      ['tcp-reset', 'tcpRefused'],
    ]);
    expect(doc.counts.error).toBe(2);
  });
});

describe('nodeport: externalTrafficPolicy Cluster masquerades, Local keeps the client', () => {
  it('client-ip-masqueraded for default/web in the Cluster endpoint’s capture, naming the nodes it came from', async () => {
    const doc = await findingsOf('nodeport', { files: ['web.pcap'] });
    const f = only(doc, 'client-ip-masqueraded');
    expect(f).toMatchObject({ severity: 'warning', code: 'clientIpMasqueraded', service: 'default/web' });
    expect(f.params).toMatchObject({ policy: 'Cluster', type: 'NodePort', count: 2 });
    expect(f.params.nodes).toBe('node1 tunnel 10.244.1.0, node2 bridge 10.244.2.1');
    expect(f.suggestion).toContain('externalTrafficPolicy: Local');
    for (const r of byRole(f, 'request')) {
      const { p } = recordAt(join(LAB, 'nodeport', 'web.pcap'), r.index);
      expect(['10.244.1.0', '10.244.2.1']).toContain(ip(p).src);
      expect([ip(p).dst, p.tcp.destinationPort, p.tcp.flags & (TCP_SYN | TCP_ACK)]).toEqual([
        '10.244.2.2',
        8080,
        TCP_SYN,
      ]);
    }
  });

  it('none for default/web-local: its endpoint sees the client itself', async () => {
    const doc = await findingsOf('nodeport', { files: ['web-local.pcap'] });
    expect(doc.findings).toEqual([]);
  });

  it('all five captures: the masquerade with the real client it hid, and the SYNs node2 drops for web-local', async () => {
    const doc = await findingsOf('nodeport');
    const f = only(doc, 'client-ip-masqueraded');
    expect(f.code).toBe('clientIpMasqueradedSeen');
    expect(f.params).toMatchObject({ clients: '203.0.113.10', count: 2 });
    const s = only(doc, 'syn-unanswered');
    expect(s).toMatchObject({
      severity: 'error',
      code: 'synUnansweredLocalPolicy',
      service: 'default/web-local',
    });
    expect(s.params).toMatchObject({
      node: 'node2',
      nodePort: 30081,
      endpointNodes: 'node1',
      count: 1,
      syns: 3,
    });
    for (const p of byRole(s, 'syn')) {
      const { p: packet } = recordAt(join(LAB, 'nodeport', p.capture), p.index);
      expect([ip(packet).dst, packet.tcp.sourcePort, packet.tcp.destinationPort]).toEqual([
        '192.168.10.102',
        41004,
        30081,
      ]);
    }
    expect(doc.counts).toEqual({ error: 1, warning: 1, info: 0 });
  });
});

describe('proxy-protocol: the client in the load balancer’s PROXY header', () => {
  it('an info finding per header version, its packets the ones that open with the header', async () => {
    const doc = await findingsOf('proxy-protocol');
    const found = doc.findings.filter((f) => f.kind === 'proxy-protocol');
    expect(found.map((f) => f.params.version).sort()).toEqual([1, 2]);
    for (const f of found) {
      expect(f.severity).toBe('info');
      expect(f.params.clients).toBe('203.0.113.20');
      for (const h of byRole(f, 'proxy-header')) {
        const { p, bytes } = recordAt(join(LAB, 'proxy-protocol', h.capture), h.index);
        const start = p.tcp.payloadStart;
        const v1 = String.fromCharCode(...bytes.subarray(start, start + 6)) === 'PROXY ';
        const v2 = bytes[start] === 0x0d && bytes[start + 4] === 0x00 && bytes[start + 11] === 0x0a;
        expect(f.params.version === 1 ? v1 : v2).toBe(true);
      }
    }
  });
});

describe('scenarios built to work yield no error', () => {
  it.each(CLEAN)('%s: all captures, each capture alone, with and without the snapshot', async (scenario) => {
    const runs: [string[], boolean][] = [
      [capturesOf(scenario), true],
      [capturesOf(scenario), false],
      ...capturesOf(scenario).map((f) => [[f], true] as [string[], boolean]),
    ];
    for (const [files, cluster] of runs) {
      const doc = await findingsOf(scenario, { files, cluster });
      expect(
        doc.findings.filter((f) => f.severity === 'error').map((f) => f.summary),
        `${files.join(' ')} ${cluster ? 'with' : 'without'} the snapshot`,
      ).toEqual([]);
      // Nor warnings: false alarms are bugs too (the proxy scenario's PROXY header is information).
      expect(doc.findings.filter((f) => f.severity === 'warning').map((f) => f.summary)).toEqual([]);
    }
  });
});

// ---- real captures, edited: ICMP filtered, a clock set wrong, a packet lost ------------------

const work = mkdtempSync(join(tmpdir(), 'podpath-findings-edit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a classic pcap (same base name) with its clock moved by `micros` and chosen records dropped. */
function edited(path: string, micros: number, drop: (index: number) => boolean = () => false): string {
  const b = new Uint8Array(readFileSync(path));
  const layout = pcapLayout(b);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = layout.littleEndian;
  const parts: Uint8Array[] = [b.subarray(0, 24)];
  layout.records.forEach((r, i) => {
    if (drop(i)) return;
    const total = view.getUint32(r.offset, le) * 1e6 + view.getUint32(r.offset + 4, le) + micros;
    view.setUint32(r.offset, Math.floor(total / 1e6), le);
    view.setUint32(r.offset + 4, total % 1e6, le);
    parts.push(b.subarray(r.offset, r.dataOffset + r.capturedLength));
  });
  const out = join(mkdtempSync(join(work, 'edit-')), path.split('/').pop()!);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

describe('edited lab captures', () => {
  it('mtu with the ICMP error filtered: the 1488-byte pod packet is still too long for Flannel’s VXLAN', async () => {
    const path = join(LAB, 'mtu', 'mtu-client.pcap');
    // Record 3 is the ICMP error (see the mtu tests above): a firewall that drops ICMP.
    const filtered = edited(path, 0, (i) => i === 3);
    const result = await findingsOfFiles([filtered], { cluster: clusterOf('mtu') });
    checkShape(result.document);
    const f = only(result.document, 'mtu');
    expect(f).toMatchObject({ severity: 'warning', code: 'mtuOversizedForOverlay' });
    expect(f.params).toMatchObject({
      largest: 1488,
      limit: 1450,
      overhead: 50,
      datapath: 'flannel-vxlan',
      count: 1,
    });
    expect(f.packets).toEqual([
      { capture: 'mtu-client.pcap', index: 2, role: 'too-big', flow: 1, flowIndex: 0 },
    ]);
    expect(recordAt(path, 2).p.ip[0].lengthField).toBe(1488);
  });

  it('a node clock 3.5 s fast: clock-offset for both of its captures', async () => {
    const dir = join(LAB, 'clusterip');
    const files = ['client.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web-node2.pcap'].map((f) =>
      join(dir, f),
    );
    const skewed = [files[0], files[1], edited(files[2], 3_500_000), edited(files[3], 3_500_000)];
    const doc = (await findingsOfFiles(skewed, { cluster: clusterOf('clusterip') })).document;
    checkShape(doc);
    const clocks = doc.findings.filter((f) => f.kind === 'clock-offset');
    expect(clocks.map((f) => [f.code, f.params.capture])).toEqual([
      ['clockSkew', 'node2-eth0.pcap'],
      ['clockSkew', 'web-node2.pcap'],
    ]);
    for (const f of clocks) expect(Math.abs(Number(f.params.seconds) + 3.5)).toBeLessThan(0.001);
    expect(doc.findings.filter((f) => f.kind !== 'clock-offset')).toEqual([]);
  });

  it('a segment dropped after node1: packet-lost-between node1’s and node2’s eth0, the packet it was', async () => {
    const dir = join(LAB, 'clusterip');
    const node1 = join(dir, 'node1-eth0.pcap');
    // The first client data segment inside VXLAN on node1's eth0, and the same one on node2's.
    const isData = (path: string, i: number): boolean => {
      const { p } = recordAt(path, i);
      return (
        p.transport === Layer.TCP &&
        p.tunnelCount > 0 &&
        p.tcp.payloadEnd > p.tcp.payloadStart &&
        p.tcp.destinationPort === 8080
      );
    };
    const count = packetsOf(node1).length;
    const first = Array.from({ length: count }, (_, i) => i).find((i) => isData(node1, i))!;
    const { p: sent } = recordAt(node1, first);
    const seq = sent.tcp.sequence;
    const dropSame = (path: string) => (i: number) => {
      const { p } = recordAt(path, i);
      return p.transport === Layer.TCP && p.tcp.sequence === seq && p.tcp.payloadEnd > p.tcp.payloadStart;
    };
    const node2 = edited(join(dir, 'node2-eth0.pcap'), 0, dropSame(join(dir, 'node2-eth0.pcap')));
    const web = edited(join(dir, 'web-node2.pcap'), 0, dropSame(join(dir, 'web-node2.pcap')));
    const doc = (
      await findingsOfFiles([join(dir, 'client.pcap'), node1, node2, web], {
        cluster: clusterOf('clusterip'),
      })
    ).document;
    checkShape(doc);
    const f = only(doc, 'packet-lost-between');
    expect(f).toMatchObject({ severity: 'warning', code: 'lostTowardServer' });
    expect(f.params).toMatchObject({
      after: 'node1-eth0.pcap',
      next: 'node2-eth0.pcap',
      count: 1,
      connections: 1,
    });
    // In its flow (the one the finding names on node1), after the handshake's three packets.
    const flow = f.flows.find((x) => x.capture === 'node1-eth0.pcap')!.flow;
    expect(f.packets).toEqual([
      { capture: 'node1-eth0.pcap', index: first, role: 'lost', flow, flowIndex: 3 },
    ]);
    expect(doc.counts.error).toBe(0);
  });
  it('masqueraded only from the endpoint’s own node, no client seen: information (kubelet probes look the same)', async () => {
    const path = join(LAB, 'nodeport', 'web.pcap');
    // Keep connection 3 (node2's own bridge address) and drop connection 1 (from node1's tunnel).
    const fromNode1 = (i: number): boolean => {
      const { p } = recordAt(path, i);
      return p.innerIp >= 0 && [ip(p).src, ip(p).dst].includes('10.244.1.0');
    };
    const doc = (await findingsOfFiles([edited(path, 0, fromNode1)], { cluster: clusterOf('nodeport') }))
      .document;
    checkShape(doc);
    const f = only(doc, 'client-ip-masqueraded');
    expect(f).toMatchObject({ severity: 'info', code: 'clientIpMasqueradedOrProbes' });
    expect(f.params).toMatchObject({ nodes: 'node2 bridge 10.244.2.1', count: 1 });
  });
});

describe('the text catalog', () => {
  it('every code has a summary (or its plural forms), an explanation and a suggestion', () => {
    for (const code of FINDING_CODES) {
      const entry = FINDING_TEXT[code] as Record<string, string>;
      expect(entry.explanation, code).toBeTypeOf('string');
      expect(entry.suggestion, code).toBeTypeOf('string');
      expect(
        entry.summary !== undefined || (entry.summary_one !== undefined && entry.summary_other !== undefined),
      ).toBe(true);
    }
  });
});

describe.runIf(HAVE_PUBLIC)('the public corpus', () => {
  const publicFindings = async (file: string): Promise<FindingsDocument> => {
    const result = await findingsOfFiles([join(PUBLIC, file)]);
    checkShape(result.document);
    return result.document;
  };

  it('l3-icmp-frag-needed: 4 ICMP errors (MTU 1492) from the router, quoting the TCP segments they dropped', async () => {
    const doc = await publicFindings('l3-icmp-frag-needed.pcap');
    const f = only(doc, 'mtu');
    expect(f.params).toMatchObject({ mtu: 1492, count: 4, largest: 1500, protocol: 'tcp' });
    expect(byRole(f, 'icmp-error')).toHaveLength(4);
    for (const e of byRole(f, 'icmp-error'))
      expect(golden(join(PUBLIC_GOLDEN, 'l3-icmp-frag-needed.pcap'), e.index).icmpType).toEqual([3]);
    for (const t of byRole(f, 'too-big')) {
      const { p } = recordAt(join(PUBLIC, 'l3-icmp-frag-needed.pcap'), t.index);
      expect(p.transport).toBe(Layer.TCP);
      expect(p.ip[p.innerIp].lengthField).toBeGreaterThan(1492);
    }
  });

  it('l3-icmp6-packet-too-big: an ICMPv6 packet too big', async () => {
    const f = only(await publicFindings('l3-icmp6-packet-too-big.pcap'), 'mtu');
    expect(f.code).toBe('mtuPacketTooBig');
    expect(byRole(f, 'icmp-error')).toHaveLength(1);
  });

  // tshark's tcp.analysis.retransmission frames (1-based), less one: the records podpath flags.
  it.each([
    ['l4-tcp-retrans-fast.pcap', [31, 33, 35]],
    ['l4-tcp-retrans-fin.pcap', [1, 3]],
  ])('%s: the retransmissions tshark flags', async (file, records) => {
    const f = only(await publicFindings(file), 'tcp-retransmissions');
    expect(f.params.count).toBe(records.length);
    expect(byRole(f, 'retransmission').map((p) => p.index)).toEqual(records);
    expect(f.flows[0].tcp!.retransmissions.src + f.flows[0].tcp!.retransmissions.dst).toBe(records.length);
  });

  it('l7-dns-nxdomain: the NXDOMAIN answer and its query', async () => {
    const f = only(await publicFindings('l7-dns-nxdomain.pcap'), 'dns-nxdomain');
    expect(f.code).toBe('dnsNxdomain');
    const answer = byRole(f, 'answer')[0];
    const { p } = recordAt(join(PUBLIC, 'l7-dns-nxdomain.pcap'), answer.index);
    expect(p.dns.rcode).toBe(3);
    expect(f.params.names).toBe(
      golden(join(PUBLIC_GOLDEN, 'l7-dns-nxdomain.pcap'), answer.index).dnsQueryName[0],
    );
  });

  it('l4-tcp-retrans-fast: the client’s RST after data aborts the connection', async () => {
    const f = only(await publicFindings('l4-tcp-retrans-fast.pcap'), 'tcp-reset');
    expect(f).toMatchObject({ severity: 'warning', code: 'tcpAborted' });
    // tshark: frame 39 is the only RST, from 10.0.88.85:50368.
    expect(byRole(f, 'rst').map((p) => p.index)).toEqual([38]);
    expect(f.params.by).toBe('10.0.88.85');
  });

  it('l3-dns-frags-v4-v6: SERVFAIL for sigfail.verteiltesysteme.net, and a query answered only when sent again', async () => {
    const doc = await publicFindings('l3-dns-frags-v4-v6.pcap');
    const servfail = only(doc, 'dns-servfail');
    expect(servfail.params).toMatchObject({ names: 'sigfail.verteiltesysteme.net', count: 1 });
    const late = only(doc, 'dns-timeout');
    expect(late).toMatchObject({ severity: 'warning', code: 'dnsTimeoutRetried' });
    expect(late.params).toMatchObject({ names: 'weberlab.de', count: 1 });
    expect(Number(late.params.waitedMs)).toBeGreaterThan(5000);
    // tshark frames 36 and 37: the query and its retry, 5 s apart.
    expect(byRole(late, 'query').map((p) => p.index)).toEqual([35, 36]);
  });

  it('fragmented DNS answers are answers, not timeouts', async () => {
    for (const file of ['l3-dns-frags-v4-v6.pcap', 'l3-ipv6-frag-dns.pcap']) {
      const doc = await publicFindings(file);
      expect(doc.findings.filter((f) => f.code === 'dnsTimeout')).toEqual([]);
    }
  });
});

describe('the app: Session.findings', () => {
  it('flows carry the app’s ids and packets the capture ids; the packets view shows the evidence at its index', async () => {
    const s = new Session({ version: '0', threaded: false });
    await s.openSnapshot(join(LAB, 'mtu', 'snapshot.json'));
    await s.openCaptures(['mtu-client.pcap', 'mtu-node1-any.pcap'].map((f) => join(LAB, 'mtu', f)));
    await s.settled();
    const doc = await s.findings();
    const f = only(doc, 'mtu');
    for (const flow of f.flows)
      expect(flow.id).toBe(`${flow.capture === 'mtu-client.pcap' ? 'c1' : 'c2'}:${flow.flow}`);
    for (const p of f.packets) {
      expect(p.captureId).toBe(p.capture === 'mtu-client.pcap' ? 'c1' : 'c2');
      const page = await s.packets(`${p.captureId}:*`, p.index, 1);
      expect(page.packets[0].index).toBe(p.index);
      const names = page.packets[0].layers.map((l) => l.name.toLowerCase());
      expect(names.some((n) => n.includes('icmp'))).toBe(true);
      // And within its own flow: the flow's packets at `flowIndex` are this packet.
      expect(p.flowId).toBe(`${p.captureId}:${p.flow}`);
      const inFlow = await s.packets(p.flowId!, p.flowIndex!, 1);
      expect(inFlow.packets[0].index).toBe(p.index);
    }
    // Each ICMP-error flow's own packets include its error packet.
    const icmpFlow = f.flows.find((x) => x.icmp?.type === 3)!;
    const rows = await s.packets(icmpFlow.id!, 0, 100);
    const errorsThere = byRole(f, 'icmp-error').filter((p) => p.capture === icmpFlow.capture);
    expect(errorsThere.some((e) => rows.packets.some((r) => r.index === e.index))).toBe(true);
  });
});

describe('podpath findings (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-findings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mtu = (f: string): string => join(LAB, 'mtu', f);

  it('--json: the podpath.findings/v1 document on stdout, exit 0 although there are findings', () => {
    const run = runCli(['findings', '--json', '--cluster', mtu('snapshot.json'), mtu('mtu-client.pcap')]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as FindingsDocument;
    checkShape(doc);
    expect(doc.cluster).toBe(true);
    expect(doc.captures).toEqual([{ file: 'mtu-client.pcap', packets: 6, flows: 3 }]);
    const [f] = doc.findings;
    expect(Object.keys(f)).toEqual(
      expect.arrayContaining([
        'kind',
        'severity',
        'summary',
        'explanation',
        'suggestion',
        'flows',
        'packets',
      ]),
    );
    expect(f.kind).toBe('mtu');
    expect(f.packets.map((p) => [p.capture, p.index, p.role])).toEqual([
      ['mtu-client.pcap', 2, 'too-big'],
      ['mtu-client.pcap', 3, 'icmp-error'],
    ]);
  });

  it('readable output: the findings grouped by severity, with why, what to change and the packets', () => {
    const run = runCli(['findings', ...capturesOf('no-endpoints').map((f) => join(LAB, 'no-endpoints', f))]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^3 captures \(broken\.pcap, client\.pcap, node1-any\.pcap\): 2 errors, 0 warnings, 0 info/,
    );
    expect(run.stdout).toContain('(no --cluster snapshot');
    expect(run.stdout).toContain('\nERRORS\n');
    expect(run.stdout).toMatch(/1\. \[(connection-refused|tcp-reset)\]/);
    expect(run.stdout).toContain('why: ');
    expect(run.stdout).toContain('fix: ');
    expect(run.stdout).toMatch(/packets: .*#\d+ /);
    const clean = runCli(['findings', join(LAB, 'clusterip', 'client.pcap')]);
    expect(clean.stdout).toContain('No problem found.');
  });

  it('exit 1 naming a file it cannot read (missing, not a capture), still reporting the others', () => {
    const notCapture = join(dir, 'not-a-capture.pcap');
    writeFileSync(notCapture, 'hello, not a capture\n');
    for (const bad of [join(dir, 'missing.pcap'), notCapture]) {
      const run = runCli(['findings', '--json', mtu('mtu-client.pcap'), bad]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(bad);
      expect((JSON.parse(run.stdout) as FindingsDocument).findings[0].kind).toBe('mtu');
    }
    const none = runCli(['findings', join(dir, 'missing.pcap')]);
    expect(none.status).toBe(1);
    expect(none.stdout).toBe('');
    const badSnapshot = runCli(['findings', '--cluster', notCapture, mtu('mtu-client.pcap')]);
    expect(badSnapshot.status).toBe(1);
    expect(badSnapshot.stderr).toMatch(/^podpath: /);
  });

  it('exit 2 for bad usage', () => {
    for (const args of [
      ['findings'],
      ['findings', '--bogus', mtu('mtu-client.pcap')],
      ['findings', '--jsonl', mtu('mtu-client.pcap')],
      ['findings', '--summary-only', mtu('mtu-client.pcap')],
      ['findings', mtu('mtu-client.pcap'), '--cluster'],
    ]) {
      const run = runCli(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^podpath: .*\nRun 'podpath --help' for usage\.\n$/);
    }
    expect(runCli(['--help']).stdout).toContain(
      'podpath findings <capture>... [--json] [--cluster <snapshot>]',
    );
  });
});
