import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterIndex } from '../src/core/cluster/index.js';
import { type DecodedPacket, dnsQuestionName, formatIp, TCP_ACK, TCP_SYN } from '../src/core/decode/index.js';
import type { FindingPacket, FindingsDocument } from '../src/core/findings/index.js';
import { findingsOfFiles } from '../src/node/findings-files.js';
import { HAVE_PUBLIC, PUBLIC } from './support/files.js';
import { byRole, checkShape, clusterOf, LAB, only } from './support/findings.js';
import { decode, packetsOf } from './support/packets.js';
import {
  type EditablePcap,
  type EditableRecord,
  ETHERNET_LENGTH,
  fixIpv4Checksum,
  fixTransportChecksum,
  fragmentIpv4,
  insertInOrder,
  ipv4At,
  ipv4HeaderLength,
  putIpv4,
  readPcap,
  writePcap,
} from './support/pcap-edit.js';

/*
 * Findings the lab scenarios do not show, made from real captures edited as little as the
 * case needs: a window field set to 0, a client's packets dropped and a SYN-ACK sent again,
 * one direction dropped at each node, a DNS server address rewritten, an answer dropped, a
 * large segment retransmitted into silence, a VXLAN packet split into IPv4 fragments. Each
 * edit keeps the capture valid (lengths, IPv4 and TCP/UDP checksums, time order), each
 * result goes through `findingsOfFiles` as a user's files would, and every evidence packet
 * is decoded back from the edited file to check it is the packet the finding says it is.
 * Where a condition bounds the finding (2 s for a DNS timeout, the ACK a black hole lacks),
 * the same edit short of it shows no finding.
 */

const work = mkdtempSync(join(tmpdir(), 'podpath-findings-edited-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CLIENT = 'default/client-7glfjtdkgj-5hcgn';
const CLIENT_POD = `${CLIENT} 10.244.1.2`;

async function findingsOf(paths: string[], cluster?: ClusterIndex): Promise<FindingsDocument> {
  const result = await findingsOfFiles(paths, cluster === undefined ? {} : { cluster });
  expect(result.failures).toEqual([]);
  checkShape(result.document);
  return result.document;
}

/** Every record of a (written) capture, decoded from its bytes. */
function decodedOf(path: string): { p: DecodedPacket; bytes: Uint8Array }[] {
  return packetsOf(path).map((r) => ({ p: decode(r.bytes, r.linkType), bytes: r.bytes }));
}

/** A finding's evidence packets, each decoded from the edited file its capture name stands for. */
function evidence(
  packets: FindingPacket[],
  paths: Record<string, string>,
): { p: DecodedPacket; bytes: Uint8Array }[] {
  const files = new Map<string, ReturnType<typeof decodedOf>>();
  return packets.map((e) => {
    let records = files.get(e.capture);
    if (records === undefined) files.set(e.capture, (records = decodedOf(paths[e.capture])));
    expect(e.index).toBeLessThan(records.length);
    return records[e.index];
  });
}

const ipOf = (p: DecodedPacket, slot = p.innerIp): { src: string; dst: string } => {
  const f = p.ip[slot];
  return { src: formatIp(f.version, f.source), dst: formatIp(f.version, f.destination) };
};

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number): number =>
  ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const isIpv4 = (r: EditableRecord): boolean => u16(r.frame, 12) === 0x0800;
const addressAt = (b: Uint8Array, at: number): string => Array.from(b.subarray(at, at + 4)).join('.');

/** An Ethernet/IPv4/TCP record's header offsets, ports, flags, window and payload length. */
function tcpOf(r: EditableRecord): {
  ip: number;
  tcp: number;
  sport: number;
  dport: number;
  flags: number;
  window: number;
  payload: number;
} | null {
  if (!isIpv4(r)) return null;
  const ip = ipv4At(r.frame);
  if (r.frame[ip + 9] !== 6) return null;
  const tcp = ip + ipv4HeaderLength(r.frame, ip);
  const payload = u16(r.frame, ip + 2) - (tcp - ip) - (r.frame[tcp + 12] >> 4) * 4;
  return {
    ip,
    tcp,
    sport: u16(r.frame, tcp),
    dport: u16(r.frame, tcp + 2),
    flags: r.frame[tcp + 13],
    window: u16(r.frame, tcp + 14),
    payload,
  };
}

/** Where the TCP timestamps option (RFC 7323 §3, kind 8, length 10) sits, or -1. */
function timestampOption(frame: Uint8Array, tcp: number): number {
  const end = tcp + (frame[tcp + 12] >> 4) * 4;
  for (let at = tcp + 20; at < end;) {
    const kind = frame[at];
    if (kind === 0) break;
    if (kind === 1) {
      at++;
      continue;
    }
    if (kind === 8) return at;
    at += frame[at + 1];
  }
  return -1;
}

/**
 * The evidence packets as the finding names them (capture, record, role): where each sits in its
 * flow (`flow`, `flowIndex`) is checked once, in findings.test.ts's Session test.
 */
const named = (packets: readonly FindingPacket[]): Pick<FindingPacket, 'capture' | 'index' | 'role'>[] =>
  packets.map(({ capture, index, role }) => ({ capture, index, role }));

describe('the edits', () => {
  it.each([
    ['lab clusterip/client.pcap', join(LAB, 'clusterip', 'client.pcap')],
    ...(HAVE_PUBLIC ? [['public l4-tcp-retrans-fast.pcap', join(PUBLIC, 'l4-tcp-retrans-fast.pcap')]] : []),
  ])('%s read and written unchanged is the same file, byte for byte', (_, path) => {
    const copy = writePcap(work, readPcap(path));
    expect(Buffer.compare(readFileSync(copy), readFileSync(path))).toBe(0);
  });
});

describe('real captures, edited', () => {
  it('tcp-zero-window: each side’s zero windows in a finding of its own, with its own packets', async () => {
    // clusterip client.pcap, connections 40001-40004: the Service's ACK of each request
    // advertises window 0 (its reply then reopens the window), and in 40004 the client's ACK
    // of the handshake does too (its request reopens it). Each zero window is followed by a
    // window update from the same side before the other sends data into it.
    const path = join(LAB, 'clusterip', 'client.pcap');
    const pcap = readPcap(path);
    const requested = new Set<number>();
    const fromServer: number[] = [];
    const fromClient: number[] = [];
    const zero = (r: EditableRecord, ip: number, tcp: number): void => {
      r.frame[tcp + 14] = 0;
      r.frame[tcp + 15] = 0;
      fixTransportChecksum(r.frame, ip);
    };
    pcap.records.forEach((r, i) => {
      const t = tcpOf(r);
      if (t === null) return;
      if (t.sport >= 40001 && t.sport <= 40004 && t.payload > 0) requested.add(t.sport);
      const pureAck = t.flags === TCP_ACK && t.payload === 0;
      if (pureAck && t.sport === 80 && requested.has(t.dport)) {
        requested.delete(t.dport);
        zero(r, t.ip, t.tcp);
        fromServer.push(i);
      }
      if (pureAck && t.sport === 40004 && !requested.has(40004) && fromClient.length === 0) {
        zero(r, t.ip, t.tcp);
        fromClient.push(i);
      }
    });
    expect([fromServer.length, fromClient.length]).toEqual([4, 1]);
    // Each zero window is reopened by the next packet its side sends, with no data from the
    // peer before it (tshark, too, flags only "TCP Zero Window segment", no window-full).
    for (const i of [...fromServer, ...fromClient]) {
      const z = tcpOf(pcap.records[i])!;
      const same = (t: ReturnType<typeof tcpOf>): boolean =>
        t !== null && [t.sport, t.dport].sort().join() === [z.sport, z.dport].sort().join();
      const later = pcap.records
        .slice(i + 1)
        .map(tcpOf)
        .filter(same);
      const reopen = later.findIndex((t) => t!.sport === z.sport);
      expect(later[reopen]!.window).toBeGreaterThan(0);
      expect(later.slice(0, reopen).every((t) => t!.payload === 0)).toBe(true);
    }
    const edited = writePcap(work, pcap);
    const doc = await findingsOf([edited], clusterOf('clusterip'));
    expect(doc.findings.map((f) => f.kind)).toEqual(['tcp-zero-window', 'tcp-zero-window']);
    const server = doc.findings.find((f) => f.params.advertiser === 'default/web 10.96.45.10:80')!;
    const client = doc.findings.find((f) => f.params.advertiser === CLIENT_POD)!;
    expect(server).toMatchObject({
      severity: 'warning',
      code: 'tcpZeroWindow',
      pods: [CLIENT],
    });
    expect(server.params).toEqual({
      advertiser: 'default/web 10.96.45.10:80',
      peer: CLIENT_POD,
      count: 4,
      connections: 4,
    });
    expect(client).toMatchObject({ severity: 'warning', code: 'tcpZeroWindow' });
    expect(client.params).toEqual({
      advertiser: CLIENT_POD,
      peer: 'default/web 10.96.45.10:80',
      count: 1,
      connections: 1,
    });
    // Each finding lists the packets its side sent, no more.
    const paths = { 'client.pcap': edited };
    expect(named(server.packets)).toEqual(
      fromServer.map((index) => ({ capture: 'client.pcap', index, role: 'zero-window' })),
    );
    expect(named(client.packets)).toEqual(
      fromClient.map((index) => ({ capture: 'client.pcap', index, role: 'zero-window' })),
    );
    for (const [f, src] of [
      [server, '10.96.45.10'],
      [client, '10.244.1.2'],
    ] as const) {
      for (const { p } of evidence(f.packets, paths)) {
        expect(ipOf(p).src).toBe(src);
        expect([p.tcp.window, p.tcp.flags, p.tcp.payloadEnd - p.tcp.payloadStart]).toEqual([0, TCP_ACK, 0]);
      }
    }
    // The counters per flow say the same: flow direction src is the client.
    expect(server.flows.map((x) => x.tcp!.zeroWindows)).toEqual([
      { src: 0, dst: 1 },
      { src: 0, dst: 1 },
      { src: 0, dst: 1 },
      { src: 1, dst: 1 },
    ]);
  });

  it('tcp-handshake-incomplete: web’s SYN-ACK never acknowledged and sent again 1 s later', async () => {
    // clusterip web-node2.pcap (inside the endpoint pod), connection 40001: the client's ACK
    // and request never arrive, so neither do web's answers to them; the kernel sends the
    // SYN-ACK again after its 1 s timer, the same segment with the TCP timestamp 1000 ms on.
    const path = join(LAB, 'clusterip', 'web-node2.pcap');
    const pcap = readPcap(path);
    const of40001 = (r: EditableRecord): boolean => {
      const t = tcpOf(r);
      return t !== null && (t.sport === 40001 || t.dport === 40001);
    };
    const handshake = pcap.records.filter((r) => of40001(r) && (tcpOf(r)!.flags & TCP_SYN) !== 0);
    expect(handshake.map((r) => tcpOf(r)!.flags)).toEqual([TCP_SYN, TCP_SYN | TCP_ACK]);
    const [syn, synAck] = handshake;
    pcap.records = pcap.records.filter((r) => !of40001(r) || handshake.includes(r));
    const again: EditableRecord = {
      ...synAck,
      from: -1,
      micros: synAck.micros + 1_000_000,
      frame: synAck.frame.slice(),
    };
    const t = tcpOf(again)!;
    const ts = timestampOption(again.frame, t.tcp);
    expect(ts).toBeGreaterThan(0);
    const tsval = u32(again.frame, ts + 2) + 1000;
    new DataView(again.frame.buffer).setUint32(ts + 2, tsval >>> 0);
    fixTransportChecksum(again.frame, t.ip);
    const againIndex = insertInOrder(pcap, again);
    const edited = writePcap(work, pcap);
    const doc = await findingsOf([edited], clusterOf('clusterip'));
    expect(doc.findings.map((f) => f.kind)).toEqual(['tcp-handshake-incomplete']);
    const f = only(doc, 'tcp-handshake-incomplete');
    expect(f).toMatchObject({ severity: 'warning', code: 'handshakeIncomplete' });
    expect(f.params).toEqual({
      client: CLIENT_POD,
      server: 'default/web-l9cpv6hc4l-9skml 10.244.2.2:8080',
      count: 1,
      synAcks: 2,
    });
    expect(f.pods).toEqual([CLIENT, 'default/web-l9cpv6hc4l-9skml']);
    const synIndex = pcap.records.indexOf(syn);
    const synAckIndex = pcap.records.indexOf(synAck);
    expect(named(f.packets)).toEqual([
      { capture: 'web-node2.pcap', index: synIndex, role: 'syn' },
      { capture: 'web-node2.pcap', index: synAckIndex, role: 'syn-ack' },
      { capture: 'web-node2.pcap', index: againIndex, role: 'syn-ack' },
    ]);
    const [s, first, second] = evidence(f.packets, { 'web-node2.pcap': edited });
    expect([ipOf(s.p).src, s.p.tcp.sourcePort, s.p.tcp.flags]).toEqual(['10.244.1.2', 40001, TCP_SYN]);
    for (const x of [first, second]) {
      expect([ipOf(x.p).src, x.p.tcp.sourcePort, x.p.tcp.destinationPort]).toEqual([
        '10.244.2.2',
        8080,
        40001,
      ]);
      expect(x.p.tcp.flags).toBe(TCP_SYN | TCP_ACK);
      expect(x.p.tcp.acknowledgment).toBe((s.p.tcp.sequence + 1) >>> 0);
    }
    expect(second.p.tcp.sequence).toBe(first.p.tcp.sequence);
    const written = readPcap(edited).records;
    expect(written[againIndex].micros - written[synAckIndex].micros).toBe(1_000_000);
    // Nothing else of the connection: no ACK, no data, no RST.
    expect(written.filter(of40001)).toHaveLength(3);
  });

  it('asymmetric-path: requests leave through node1’s eth0 only, replies come back through node2’s only', async () => {
    // clusterip: every connection DNATed to the node2 endpoint crosses both nodes' eth0 in
    // VXLAN. node1's capture keeps only what node1 sent (outer 192.168.10.101 -> .102),
    // node2's only what node2 sent: each direction seen at a different point.
    const dir = join(LAB, 'clusterip');
    const keepFrom = (name: string, sender: string): string => {
      const pcap = readPcap(join(dir, name));
      pcap.records = pcap.records.filter(
        (r) => !isIpv4(r) || addressAt(r.frame, ETHERNET_LENGTH + 12) === sender,
      );
      return writePcap(work, pcap);
    };
    const node1 = keepFrom('node1-eth0.pcap', '192.168.10.101');
    const node2 = keepFrom('node2-eth0.pcap', '192.168.10.102');
    // The connections: the inner protocols and port pairs in node1's VXLAN packets (outer
    // Ethernet, IPv4, UDP and VXLAN, then the inner Ethernet: the inner IPv4 header at 64).
    const connections = new Set(
      readPcap(join(dir, 'node1-eth0.pcap'))
        .records.filter(isIpv4)
        .map(({ frame }) => {
          const inner = ipv4At(frame, 64);
          const ports = inner + ipv4HeaderLength(frame, inner);
          return `${frame[inner + 9]}|${[u16(frame, ports), u16(frame, ports + 2)].sort().join('|')}`;
        }),
    );
    const doc = await findingsOf(
      [join(dir, 'client.pcap'), node1, node2, join(dir, 'web-node2.pcap')],
      clusterOf('clusterip'),
    );
    expect(doc.findings.map((f) => f.kind)).toEqual(['asymmetric-path']);
    const f = only(doc, 'asymmetric-path');
    expect(f).toMatchObject({ severity: 'warning', code: 'asymmetricPath' });
    expect(f.params).toEqual({
      requestsAt: 'node1-eth0.pcap',
      repliesAt: 'node2-eth0.pcap',
      client: `${CLIENT_POD}:40001`,
      server: 'default/web 10.96.45.10:80',
      count: connections.size,
    });
    expect(f.captures).toEqual(['node1-eth0.pcap', 'node2-eth0.pcap']);
    const paths = { 'node1-eth0.pcap': node1, 'node2-eth0.pcap': node2 };
    // Per connection, its first packet at each point: a request at node1, a reply at node2.
    const requests = byRole(f, 'request');
    const replies = byRole(f, 'answer');
    expect(requests.map((p) => p.capture)).toEqual(Array(connections.size).fill('node1-eth0.pcap'));
    expect(replies.map((p) => p.capture)).toEqual(Array(connections.size).fill('node2-eth0.pcap'));
    for (const { p } of evidence(requests, paths)) {
      expect(ipOf(p, p.tunnelIp[0])).toEqual({ src: '192.168.10.101', dst: '192.168.10.102' });
      expect(ipOf(p)).toEqual({ src: '10.244.1.2', dst: '10.244.2.2' });
    }
    for (const { p } of evidence(replies, paths)) {
      expect(ipOf(p, p.tunnelIp[0])).toEqual({ src: '192.168.10.102', dst: '192.168.10.101' });
      expect(ipOf(p)).toEqual({ src: '10.244.2.2', dst: '10.244.1.2' });
    }
  });

  /** dns-client.pcap: records 2 and 3 are the query for web.default.svc.cluster.local and its answer. */
  const dnsClient = (): EditablePcap => {
    const pcap = readPcap(join(LAB, 'dns', 'dns-client.pcap'));
    const [query, answer] = [2, 3].map((i) => decode(pcap.records[i].frame, 1));
    expect([query.dns.isResponse, answer.dns.isResponse, query.dns.id]).toEqual([false, true, answer.dns.id]);
    expect(dnsQuestionName(pcap.records[2].frame, query.dns)).toBe('web.default.svc.cluster.local');
    return pcap;
  };

  it('dns-wrong-server: the pod asks 8.8.8.8 for web.default.svc.cluster.local', async () => {
    // The query's destination and the answer's source rewritten to 8.8.8.8 (IPv4 and UDP
    // checksums recomputed), as from a pod whose dnsConfig names a public resolver.
    const pcap = dnsClient();
    for (const [i, field] of [
      [2, 16],
      [3, 12],
    ] as const) {
      const frame = pcap.records[i].frame;
      const ip = ipv4At(frame);
      putIpv4(frame, ip + field, '8.8.8.8');
      fixIpv4Checksum(frame, ip);
      fixTransportChecksum(frame, ip);
    }
    const edited = writePcap(work, pcap);
    const doc = await findingsOf([edited], clusterOf('dns'));
    expect(doc.findings.map((f) => f.kind).sort()).toEqual(['dns-search-expansion', 'dns-wrong-server']);
    const f = only(doc, 'dns-wrong-server');
    expect(f).toMatchObject({
      severity: 'warning',
      code: 'dnsWrongServer',
      pods: [CLIENT],
    });
    expect(f.params).toEqual({
      client: CLIENT_POD,
      server: '8.8.8.8',
      clusterDns: 'kube-system/kube-dns 10.96.0.10',
      count: 1,
      names: 'web.default.svc.cluster.local',
    });
    expect(named(f.packets)).toEqual([
      { capture: 'dns-client.pcap', index: 2, role: 'query' },
      { capture: 'dns-client.pcap', index: 3, role: 'answer' },
    ]);
    const [query, answer] = evidence(f.packets, { 'dns-client.pcap': edited });
    expect([ipOf(query.p), query.p.dns.isResponse]).toEqual([{ src: '10.244.1.2', dst: '8.8.8.8' }, false]);
    expect([ipOf(answer.p), answer.p.dns.isResponse]).toEqual([{ src: '8.8.8.8', dst: '10.244.1.2' }, true]);
    expect(dnsQuestionName(answer.bytes, answer.p.dns)).toBe('web.default.svc.cluster.local');
    // Only the snapshot says which server is the cluster's.
    const bare = await findingsOf([edited]);
    expect(bare.findings.filter((x) => x.kind === 'dns-wrong-server')).toEqual([]);
  });

  it('dns-timeout: the answer for web.default.svc.cluster.local lost, the capture going on 2.5 s', async () => {
    // The answer dropped, and the example.com walk after it moved 2.5 s later (as if it were
    // started then); 1.5 s later is too soon to call the query lost.
    const lose = (seconds: number): string => {
      const pcap = dnsClient();
      pcap.records.splice(3, 1);
      for (const r of pcap.records.slice(3)) r.micros += seconds * 1e6;
      return writePcap(work, pcap);
    };
    const edited = lose(2.5);
    const doc = await findingsOf([edited], clusterOf('dns'));
    expect(doc.findings.map((f) => f.kind).sort()).toEqual(['dns-search-expansion', 'dns-timeout']);
    const f = only(doc, 'dns-timeout');
    expect(f).toMatchObject({ severity: 'error', code: 'dnsTimeout' });
    expect(f.params).toEqual({
      server: 'kube-system/kube-dns 10.96.0.10',
      client: CLIENT_POD,
      count: 1,
      names: 'web.default.svc.cluster.local',
    });
    expect(named(f.packets)).toEqual([{ capture: 'dns-client.pcap', index: 2, role: 'query' }]);
    const [query] = evidence(f.packets, { 'dns-client.pcap': edited });
    expect([ipOf(query.p), query.p.dns.isResponse]).toEqual([
      { src: '10.244.1.2', dst: '10.96.0.10' },
      false,
    ]);
    expect(dnsQuestionName(query.bytes, query.p.dns)).toBe('web.default.svc.cluster.local');
    expect(doc.counts.error).toBe(1);
    const soon = await findingsOf([lose(1.5)], clusterOf('dns'));
    expect(soon.findings.filter((x) => x.kind === 'dns-timeout')).toEqual([]);
  });

  it.runIf(HAVE_PUBLIC)(
    'mtu black hole: a 1470-byte segment sent again and again, never acknowledged, while smaller data got through',
    async () => {
      // l4-tcp-retrans-fast.pcap (real, headers only, checksums zeroed by its source): the
      // server's fast retransmissions at records 31, 33 and 35 are 1470-byte packets. Drop the
      // client's ACKs past record 31's sequence (records 36 and 37) and, in both versions, its
      // RST (38); then send record 31 twice more on the retransmission timer, 0.4 s after
      // record 35 and 0.8 s after that, each with the server's next IP Identification: what a
      // sender does when the path drops full-size packets and no ICMP says so.
      const blackHole = (keepAcks: boolean): string => {
        const pcap = readPcap(join(PUBLIC, 'l4-tcp-retrans-fast.pcap'));
        const large = pcap.records[31];
        expect(u16(large.frame, ETHERNET_LENGTH + 2)).toBe(1470);
        const retransmitted = pcap.records[35];
        pcap.records.splice(keepAcks ? 38 : 36, keepAcks ? 1 : 3);
        let id = u16(retransmitted.frame, ETHERNET_LENGTH + 4);
        for (const later of [400_000, 1_200_000]) {
          const frame = large.frame.slice();
          id++;
          frame[ETHERNET_LENGTH + 4] = id >> 8;
          frame[ETHERNET_LENGTH + 5] = id & 0xff;
          const copy = {
            from: -1,
            micros: retransmitted.micros + later,
            frame,
            originalLength: large.originalLength,
          };
          insertInOrder(pcap, copy);
        }
        return writePcap(work, pcap);
      };
      const path = blackHole(false);
      const doc = await findingsOf([path]);
      expect(doc.findings.map((f) => f.kind).sort()).toEqual(['mtu', 'tcp-retransmissions']);
      const f = only(doc, 'mtu');
      expect(f).toMatchObject({ severity: 'error', code: 'mtuBlackHole' });
      // 5: the three fast retransmissions and the two copies, none acknowledged.
      expect(f.params).toEqual({ src: '192.168.0.27:80', dst: '10.0.88.85:50368', count: 5, segment: 1281 });
      expect(f.packets.map((p) => [p.index, p.role])).toEqual([
        [31, 'retransmission'],
        [33, 'retransmission'],
        [35, 'retransmission'],
        [36, 'retransmission'],
        [37, 'retransmission'],
      ]);
      const records = decodedOf(path);
      const shown = evidence(f.packets, { 'l4-tcp-retrans-fast.pcap': path });
      for (const { p } of shown) {
        expect([ipOf(p).src, p.tcp.sourcePort]).toEqual(['192.168.0.27', 80]);
        expect(p.ip[p.innerIp].lengthField).toBeGreaterThanOrEqual(1281);
      }
      const first = shown[0].p.tcp.sequence;
      expect(shown.slice(3).map(({ p }) => p.tcp.sequence)).toEqual([first, first]);
      expect(new Set(shown.map(({ p }) => p.ip[0].identification)).size).toBe(5);
      // The client acknowledges data, never past the first large segment sent again.
      const acks = records
        .filter(({ p }) => ipOf(p).src === '10.0.88.85' && (p.tcp.flags & TCP_ACK) !== 0)
        .map(({ p }) => p.tcp.acknowledgment);
      expect(acks.filter((a) => ((a - first) | 0) < 0).length).toBeGreaterThan(0);
      expect(acks.every((a) => ((a - first) | 0) <= 0)).toBe(true);
      // With the client's ACKs kept the segments did arrive: no black hole.
      const acked = await findingsOf([blackHole(true)]);
      expect(acked.findings.filter((x) => x.kind === 'mtu')).toEqual([]);
    },
  );

  it('fragmented-tunnel: a VXLAN packet whose outer IPv4 header node2 split in two, both fragments counted', async () => {
    // flannel-vxlan node1-eth0.pcap, record 11: node2's VXLAN packet (outer 192.168.10.102 ->
    // .101, Don't Fragment clear as Linux VXLAN sends it) with web's 44-byte reply inside,
    // split after 88 bytes of outer payload (UDP, VXLAN, inner Ethernet, IPv4 and TCP headers
    // and 6 bytes of data) into two fragments, as an underlay hop with a small MTU would.
    const path = join(LAB, 'flannel-vxlan', 'node1-eth0.pcap');
    const pcap = readPcap(path);
    const original = pcap.records[11];
    const ip = ipv4At(original.frame);
    expect(u16(original.frame, ip + 20 + 2)).toBe(8472);
    const [head, tail] = fragmentIpv4(original.frame, ip, 88);
    pcap.records.splice(
      11,
      1,
      { from: 11, micros: original.micros, frame: head, originalLength: head.length },
      { from: 11, micros: original.micros + 1, frame: tail, originalLength: tail.length },
    );
    const edited = writePcap(work, pcap);
    const doc = await findingsOf([edited], clusterOf('flannel-vxlan'));
    expect(doc.findings.map((f) => f.kind)).toEqual(['fragmented-tunnel']);
    const f = only(doc, 'fragmented-tunnel');
    expect(f).toMatchObject({ severity: 'warning', code: 'fragmentedTunnel' });
    expect(f.params).toEqual({ src: 'node2 192.168.10.102', dst: 'node1 192.168.10.101', count: 2 });
    expect(named(f.packets)).toEqual([
      { capture: 'node1-eth0.pcap', index: 11, role: 'fragment' },
      { capture: 'node1-eth0.pcap', index: 12, role: 'fragment' },
    ]);
    const [a, b] = evidence(f.packets, { 'node1-eth0.pcap': edited });
    const outer = [a.p.ip[0], b.p.ip[0]];
    expect(outer.map((x) => [x.isMoreFragments, x.fragmentOffset, x.isDontFragment])).toEqual([
      [true, 0, false],
      [false, 88, false],
    ]);
    expect(outer[0].identification).toBe(outer[1].identification);
    for (const { p } of [a, b]) expect(ipOf(p, 0)).toEqual({ src: '192.168.10.102', dst: '192.168.10.101' });
    // The first fragment still shows the tunnel; the two payloads put together are the packet's.
    expect(a.p.tunnelCount).toBe(1);
    const payload = (x: { p: DecodedPacket; bytes: Uint8Array }): Uint8Array =>
      x.bytes.subarray(x.p.ip[0].payloadStart, x.p.ip[0].payloadEnd);
    expect(Buffer.concat([payload(a), payload(b)])).toEqual(
      Buffer.from(original.frame.subarray(ip + 20, ip + u16(original.frame, ip + 2))),
    );
  });
});
