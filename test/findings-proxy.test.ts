// PROXY protocol asked for and missing, or sent and not asked for: the lab's real captures read
// with copies of their snapshots whose Service annotations (and type) are edited the way a
// cluster's would be. The proxy-protocol scenario's load balancer sends v2 on port 80 and v1
// on port 81 to the web pod; clusterip's client pod and nodeport's outside client send plain
// HTTP. Each evidence packet is read back from its capture and checked against tshark's decode.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Finding, FindingsDocument } from '../src/core/findings/index.js';
import { type DecodedPacket, formatIp, Layer, PROXY_V2_SIGNATURE } from '../src/core/decode/index.js';
import { findingsOfFiles } from '../src/node/findings-files.js';
import { clusterIndexOf, loadClusterSnapshot } from '../src/node/snapshot-file.js';
import { pcapLayout } from './support/capture-bytes.js';
import { FIXTURES } from './support/files.js';
import { byRole, checkShape, only, recordAt } from './support/findings.js';
import { decode, packetsOf } from './support/packets.js';

const LAB = join(FIXTURES, 'lab');
const work = mkdtempSync(join(tmpdir(), 'podpath-findings-proxy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface KubeObject {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const AWS = 'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol';
const HETZNER = 'load-balancer.hetzner.cloud/uses-proxyprotocol';
const DIGITALOCEAN = 'service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol';
const SCALEWAY_V2 = 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2';

let copies = 0;

/**
 * A copy of a scenario's snapshot.json (as JSON or, converted, YAML) with its Service `web`
 * edited; returns the copy's path.
 */
function snapshotCopy(
  scenario: string,
  edit: (web: KubeObject) => void,
  format: 'json' | 'yaml' = 'json',
): string {
  const list = JSON.parse(readFileSync(join(LAB, scenario, 'snapshot.json'), 'utf8')) as {
    items: KubeObject[];
  };
  const web = list.items.find((i) => i.kind === 'Service' && i.metadata.name === 'web');
  if (web === undefined) throw new Error(`${scenario} has no Service web`);
  edit(web);
  const path = join(work, `${scenario}-${++copies}.${format}`);
  writeFileSync(path, format === 'json' ? JSON.stringify(list, null, 2) : stringify(list));
  return path;
}

/** The Service made a cloud load balancer's with a PROXY protocol annotation. */
const balancedWith =
  (annotation: string, value: string) =>
  (web: KubeObject): void => {
    web.spec.type = 'LoadBalancer';
    web.metadata.annotations = { ...web.metadata.annotations, [annotation]: value };
  };

const capturesOf = (scenario: string): string[] =>
  readdirSync(join(LAB, scenario))
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((f) => join(LAB, scenario, f));

async function findingsWith(snapshot: string, captures: string[]): Promise<FindingsDocument> {
  const cluster = await clusterIndexOf(await loadClusterSnapshot(snapshot));
  const result = await findingsOfFiles(captures, { cluster });
  expect(result.failures).toEqual([]);
  checkShape(result.document);
  return result.document;
}

/** tshark's TCP ports of record `index` (the golden beside the capture), innermost last. */
function goldenPorts(path: string, index: number): [number, number][] {
  const doc = JSON.parse(readFileSync(`${path}.golden.json`, 'utf8')) as {
    packets: { n: number; tcp: [number, number][] }[];
  };
  expect(doc.packets[index].n).toBe(index + 1);
  return doc.packets[index].tcp;
}

const payloadOf = (p: DecodedPacket, bytes: Uint8Array): Uint8Array =>
  bytes.subarray(p.tcp.payloadStart, p.tcp.payloadEnd);
const text = (b: Uint8Array): string => String.fromCharCode(...b);
const startsWithV2 = (b: Uint8Array): boolean => PROXY_V2_SIGNATURE.every((x, i) => b[i] === x);

/** Each `request` packet opens its stream with the client's own bytes: an HTTP request, no PROXY header. */
function checkRequests(f: Finding, dir: string, serverPorts: number[]): void {
  const requests = byRole(f, 'request');
  expect(requests.length).toBeGreaterThan(0);
  expect(requests).toEqual(f.packets);
  for (const r of requests) {
    const path = join(dir, r.capture);
    const { p, bytes } = recordAt(path, r.index);
    expect(p.transport).toBe(Layer.TCP);
    const payload = payloadOf(p, bytes);
    expect(text(payload.subarray(0, 6))).not.toBe('PROXY ');
    expect(startsWithV2(payload)).toBe(false);
    expect(text(payload.subarray(0, 4))).toBe('GET ');
    expect(serverPorts).toContain(p.tcp.destinationPort);
    // tshark agrees on the ports (the innermost header, inside VXLAN on the nodes' eth0).
    expect(goldenPorts(path, r.index).at(-1)).toEqual([p.tcp.sourcePort, p.tcp.destinationPort]);
  }
}

describe('proxy-protocol-missing: the Service asks its load balancer for PROXY headers, the streams have none', () => {
  it('nodeport: the outside client’s streams to the NodePort and, masqueraded, to the endpoint', async () => {
    const dir = join(LAB, 'nodeport');
    const doc = await findingsWith(
      snapshotCopy('nodeport', balancedWith(HETZNER, 'true')),
      capturesOf('nodeport'),
    );
    const f = only(doc, 'proxy-protocol-missing');
    expect(f).toMatchObject({ severity: 'warning', code: 'proxyProtocolMissing', service: 'default/web' });
    // Connections 1 (via node1) and 3 (via node2) to NodePort 30080; 2 and 4 are web-local's.
    expect(f.params).toEqual({
      service: 'default/web',
      annotation: HETZNER,
      count: 2,
      // Before the masquerade the client is named; node1 tunnel and node2 bridge only passed it on.
      clients: '203.0.113.10',
      ports: '80',
    });
    expect(f.summary).toBe(
      `default/web is annotated for PROXY protocol (${HETZNER}), but 2 connections from 203.0.113.10 reach it (port 80) without a PROXY header`,
    );
    expect(f.explanation).toContain('the load balancer does not send the header');
    expect(f.suggestion).toContain('remove the annotation');
    expect(f.pods).toEqual(['default/web-l9cpv6hc4l-9skml']);
    expect(f.captures).toEqual(['node1-eth0.pcap', 'node2-eth0.pcap', 'outside.pcap', 'web.pcap']);
    expect(f.flows.map((x) => [x.capture, x.src.ip, x.dst.ip, x.dst.port])).toEqual([
      ['node1-eth0.pcap', '203.0.113.10', '192.168.10.101', 30080],
      ['node1-eth0.pcap', '10.244.1.0', '10.244.2.2', 8080],
      ['node2-eth0.pcap', '10.244.1.0', '10.244.2.2', 8080],
      ['node2-eth0.pcap', '203.0.113.10', '192.168.10.102', 30080],
      ['outside.pcap', '203.0.113.10', '192.168.10.101', 30080],
      ['outside.pcap', '203.0.113.10', '192.168.10.102', 30080],
      ['web.pcap', '10.244.1.0', '10.244.2.2', 8080],
      ['web.pcap', '10.244.2.1', '10.244.2.2', 8080],
    ]);
    // One request packet per flow: the stream's first bytes from the client side.
    expect(f.packets).toHaveLength(f.flows.length);
    checkRequests(f, dir, [30080, 8080]);
    // web-local (externalTrafficPolicy Local, not annotated) is left alone.
    expect(
      doc.findings.filter((x) => x.service === 'default/web-local' && x.kind.startsWith('proxy')),
    ).toEqual([]);
  });

  it('clusterip: a pod’s streams to the ClusterIP never pass the load balancer', async () => {
    const dir = join(LAB, 'clusterip');
    const doc = await findingsWith(
      snapshotCopy('clusterip', balancedWith(DIGITALOCEAN, 'true')),
      capturesOf('clusterip'),
    );
    const f = only(doc, 'proxy-protocol-missing');
    expect(f).toMatchObject({ severity: 'warning', code: 'proxyProtocolMissingInCluster' });
    expect(f.params).toMatchObject({
      service: 'default/web',
      annotation: DIGITALOCEAN,
      clients: 'default/client-7glfjtdkgj-5hcgn 10.244.1.2',
      ports: '80',
    });
    // Every TCP connection the truth lists (source ports 40001 and up), once, wherever seen.
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as {
      translations: { protocol: string; before: { src: { port: number } } }[];
    };
    const tcp = truth.translations.filter((t) => t.protocol === 'tcp');
    expect(tcp.length).toBeGreaterThanOrEqual(4);
    expect(f.params.count).toBe(tcp.length);
    expect(new Set(f.flows.map((x) => x.src.port)).size).toBeLessThanOrEqual(tcp.length);
    expect(f.summary).toContain(`${f.params.count} connections from pods in the cluster`);
    expect(f.explanation).toContain('ipMode: Proxy');
    for (const flow of f.flows) expect(flow.src.ip).toBe('10.244.1.2');
    expect(f.flows.some((x) => x.dst.ip === '10.96.45.10' && x.dst.port === 80)).toBe(true);
    checkRequests(f, dir, [80, 8080]);
  });

  it('no finding when the streams carry the header, go to the load balancer, or nothing asks for it', async () => {
    // proxy-protocol as captured (AWS "*"): the LB's streams open with the header, and the
    // client's streams to the LB's own address are the ones it adds the header behind.
    const asIs = await findingsWith(
      join(LAB, 'proxy-protocol', 'snapshot.json'),
      capturesOf('proxy-protocol'),
    );
    expect(asIs.findings.map((f) => [f.kind, f.code]).sort()).toEqual([
      ['proxy-protocol', 'proxyProtocol'],
      ['proxy-protocol', 'proxyProtocol'],
    ]);
    // A NodePort Service's annotation asks no load balancer (cloud controllers act on LoadBalancer only).
    const notBalanced = await findingsWith(
      snapshotCopy('nodeport', (web) => (web.metadata.annotations = { [HETZNER]: 'true' })),
      capturesOf('nodeport'),
    );
    expect(notBalanced.findings.filter((f) => f.kind === 'proxy-protocol-missing')).toEqual([]);
    // Turned off.
    const off = await findingsWith(
      snapshotCopy('nodeport', balancedWith(HETZNER, 'false')),
      capturesOf('nodeport'),
    );
    expect(off.findings.filter((f) => f.kind === 'proxy-protocol-missing')).toEqual([]);
  });

  it('a capture that missed the SYN cannot tell where the stream starts: no finding', async () => {
    const path = join(LAB, 'clusterip', 'client.pcap');
    const snapshot = snapshotCopy('clusterip', balancedWith(DIGITALOCEAN, 'true'));
    const all = await findingsWith(snapshot, [path]);
    const f = only(all, 'proxy-protocol-missing');
    expect(f.captures).toEqual(['client.pcap']);
    // The same capture without the client's SYNs (a capture started just after them).
    const packets = packetsOf(path).map((r) => decode(r.bytes, r.linkType));
    const syns = new Set<number>();
    packets.forEach((p, i) => {
      if (p.transport === Layer.TCP && (p.tcp.flags & 0x12) === 0x02) syns.add(i);
    });
    expect(syns.size).toBeGreaterThanOrEqual(f.params.count as number);
    const cut = await findingsWith(snapshot, [withoutRecords(path, syns)]);
    expect(cut.findings.filter((x) => x.kind === 'proxy-protocol-missing')).toEqual([]);
  });
});

describe('proxy-protocol: a header no annotation of the Service asks for', () => {
  it('the annotation removed: both headers are unannounced, their packets the headers themselves', async () => {
    const dir = join(LAB, 'proxy-protocol');
    const snapshot = snapshotCopy('proxy-protocol', (web) => delete web.metadata.annotations![AWS]);
    const doc = await findingsWith(snapshot, capturesOf('proxy-protocol'));
    const found = doc.findings.filter((f) => f.kind === 'proxy-protocol');
    expect(found.map((f) => [f.severity, f.code, f.params.version, f.service]).sort()).toEqual([
      ['info', 'proxyProtocolUnannounced', 1, 'default/web'],
      ['info', 'proxyProtocolUnannounced', 2, 'default/web'],
    ]);
    expect(doc.findings.filter((f) => f.kind !== 'proxy-protocol')).toEqual([]);
    for (const f of found) {
      expect(f.params).toMatchObject({
        lb: 'default/web 192.168.10.50',
        server: 'default/web-l9cpv6hc4l-9skml 10.244.1.2:8080',
        clients: '203.0.113.20',
        service: 'default/web',
        count: 1,
      });
      expect(f.summary).toContain('but no annotation of default/web asks a load balancer for one');
      expect(f.suggestion).toContain('aws-load-balancer-proxy-protocol');
      const headers = byRole(f, 'proxy-header');
      expect(headers.map((h) => h.capture)).toEqual(['pp-lb-eth0.pcap', 'pp-web.pcap']);
      for (const h of headers) {
        const path = join(dir, h.capture);
        const { p, bytes } = recordAt(path, h.index);
        expect(formatIp(4, p.ip[p.innerIp].source)).toBe('192.168.10.50');
        const payload = payloadOf(p, bytes);
        if (f.params.version === 1) {
          expect(text(payload.subarray(0, payload.indexOf(0x0d)))).toBe(
            'PROXY TCP4 203.0.113.20 192.168.10.50 41001 81',
          );
        } else {
          expect(startsWithV2(payload)).toBe(true);
          // v2, PROXY command, TCP over IPv4; the client 203.0.113.20:41002 to the listener port 80.
          expect([payload[12], payload[13]]).toEqual([0x21, 0x11]);
          expect([...payload.subarray(16, 20)]).toEqual([203, 0, 113, 20]);
          expect((payload[24] << 8) | payload[25]).toBe(41002);
          expect((payload[26] << 8) | payload[27]).toBe(80);
        }
        expect(goldenPorts(path, h.index)).toEqual([[p.tcp.sourcePort, 8080]]);
      }
    }
  });

  it('announced for port 80 only (Scaleway’s per-port v2): the v1 header on port 81 is unannounced', async () => {
    const snapshot = snapshotCopy('proxy-protocol', (web) => {
      web.metadata.annotations = { [SCALEWAY_V2]: '80' };
    });
    const doc = await findingsWith(snapshot, capturesOf('proxy-protocol'));
    // The header's destination port (the listener) says which Service port the stream came in on.
    expect(
      doc.findings
        .filter((f) => f.kind === 'proxy-protocol')
        .map((f) => [f.params.version, f.code])
        .sort(),
    ).toEqual([
      [1, 'proxyProtocolUnannounced'],
      [2, 'proxyProtocol'],
    ]);
    expect(doc.findings.filter((f) => f.kind === 'proxy-protocol-missing')).toEqual([]);
  });
});

describe('the annotation read from the snapshot file', () => {
  it('JSON and YAML copies give the same Service and the same findings', async () => {
    const edit = balancedWith(HETZNER, 'true');
    const json = snapshotCopy('nodeport', edit, 'json');
    const yaml = snapshotCopy('nodeport', edit, 'yaml');
    expect(readFileSync(yaml, 'utf8')).toContain(`${HETZNER}: "true"`);
    for (const path of [json, yaml]) {
      const web = (await loadClusterSnapshot(path)).services.find((s) => s.name === 'web')!;
      expect(web.type).toBe('LoadBalancer');
      expect(web.proxyProtocol).toEqual({ annotation: HETZNER, value: 'true', ports: [80] });
    }
    const captures = capturesOf('nodeport');
    const [fromJson, fromYaml] = await Promise.all([
      findingsWith(json, captures),
      findingsWith(yaml, captures),
    ]);
    expect(fromYaml).toEqual(fromJson);
    expect(only(fromYaml, 'proxy-protocol-missing').params.annotation).toBe(HETZNER);
  });
});

/** A copy of a classic pcap without the records whose numbers (from 0) are in `drop`. */
function withoutRecords(path: string, drop: Set<number>): string {
  const b = new Uint8Array(readFileSync(path));
  const layout = pcapLayout(b);
  const parts: Uint8Array[] = [b.subarray(0, 24)];
  layout.records.forEach((r, i) => {
    if (!drop.has(i)) parts.push(b.subarray(r.offset, r.dataOffset + r.capturedLength));
  });
  const out = join(mkdtempSync(join(work, 'cut-')), path.split('/').pop()!);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}
