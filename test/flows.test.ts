import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowSummary } from '../src/core/analysis/index.js';
import { analyze } from './support/analyze.js';
import { Layer } from '../src/core/decode/index.js';
import { concat, pcapLayout } from './support/capture-bytes.js';
import { fixtureFiles, FIXTURES, GOLDEN_PUBLIC, publicFiles, readBytes } from './support/files.js';
import { decode } from './support/packets.js';
import { DIVERGENCES, type GoldenPacket, loadGolden } from './support/golden.js';

/*
 * Flows against Wireshark's per-packet decode: group tshark's packets by their innermost
 * TCP/UDP 5-tuple (and VXLAN outer pair) and expect podpath's flow for each group to hold
 * exactly that many packets. Only packets whose shape is unambiguous in the golden take
 * part: plain TCP/UDP over one IP version, or one VXLAN tunnel around TCP/UDP.
 */

const corpus = (name: string): string => join(FIXTURES, 'corpus', name);
const goldenOf = (path: string) =>
  loadGolden(
    path.startsWith(FIXTURES) ? `${path}.golden.json` : join(GOLDEN_PUBLIC, `${basename(path)}.golden.json`),
  );

/** Order-free key of a conversation, the same for both directions. */
function conversationKey(protocol: string, a: string, b: string, outer: string): string {
  return `${protocol} ${[a, b].sort().join(' ')} ${outer}`;
}

function goldenKey(g: GoldenPacket): string | null {
  if (g.icmpType.length > 0 || g.icmpv6Type.length > 0 || g.arp.length > 0) return null;
  if (g.ip.length > 0 && g.ipv6.length > 0) return null;
  const ips = g.ip.length > 0 ? g.ip : g.ipv6;
  const tunnels = g.vxlanVni.length + g.geneveVni.length;
  const join = (ip: string, port: number): string => `${ip}:${port}`;
  if (tunnels === 0 && ips.length === 1 && g.tcp.length + g.udp.length === 1 && g.dnsId.length <= 1) {
    const [pair] = g.tcp.length === 1 ? g.tcp : g.udp;
    return conversationKey(
      g.tcp.length === 1 ? 'tcp' : 'udp',
      join(ips[0][0], pair[0]),
      join(ips[0][1], pair[1]),
      '',
    );
  }
  if (g.vxlanVni.length === 1 && g.geneveVni.length === 0 && g.ip.length === 2 && g.udp.length >= 1) {
    const innerTcp = g.tcp.length === 1;
    const innerUdp = g.udp.length === 2;
    if (innerTcp === innerUdp) return null;
    const pair = innerTcp ? g.tcp[0] : g.udp[1];
    const outer = [...g.ip[0]].sort().join('|');
    return conversationKey(
      innerTcp ? 'tcp' : 'udp',
      join(g.ip[1][0], pair[0]),
      join(g.ip[1][1], pair[1]),
      outer,
    );
  }
  return null;
}

function flowKey(f: FlowSummary): string | null {
  if (f.protocol !== 'tcp' && f.protocol !== 'udp') return null;
  if (f.encapsulation.length > 1) return null;
  if (f.encapsulation.length === 1 && f.encapsulation[0].type !== 'vxlan') return null;
  const outer =
    f.encapsulation.length === 1
      ? [f.encapsulation[0].outer.src, f.encapsulation[0].outer.dst].sort().join('|')
      : '';
  return conversationKey(f.protocol, `${f.src.ip}:${f.src.port}`, `${f.dst.ip}:${f.dst.port}`, outer);
}

const candidates = [...fixtureFiles(), ...publicFiles({ capturesOnly: true })];

describe('flows agree with tshark’s packets', () => {
  it.each(candidates.map((f) => [basename(f), f]))('%s', (_name, path) => {
    const golden = goldenOf(path);
    expect(golden).not.toBeNull();
    const { summary, flows } = analyze(path);
    // Fragments join their first fragment's flow and damaged packets may not key at all:
    // tshark's per-packet view cannot say how they group, so those files sit this out, as
    // do files where the decodes differ on purpose (see DIVERGENCES).
    if (summary.fragments > 0 || summary.damagedPackets > 0 || !summary.complete) return;
    if ((DIVERGENCES[basename(path)] ?? []).some((d) => d.fields.includes('udp') || d.fields.includes('tcp')))
      return;
    const expected = new Map<string, number>();
    for (const g of golden!.packets) {
      const key = goldenKey(g);
      if (key !== null) expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    // Flows on several interfaces (SLL2, pcapng) are one conversation seen more than once.
    const ours = new Map<string, number>();
    for (const f of flows) {
      const key = flowKey(f);
      if (key !== null) ours.set(key, (ours.get(key) ?? 0) + f.packets);
    }
    for (const [key, packets] of expected) expect(ours.get(key), key).toBe(packets);
  });

  it('covers real conversations', () => {
    let total = 0;
    for (const path of fixtureFiles()) {
      for (const g of goldenOf(path)!.packets) if (goldenKey(g) !== null) total++;
    }
    expect(total).toBeGreaterThan(100);
  });
});

describe('flow details on lab captures', () => {
  it('keys pod-to-pod traffic inside VXLAN and names the tunnel from the initiator’s side', () => {
    const { flows } = analyze(corpus('vxlan-8472.pcap'));
    const tcp = flows.find((f) => f.protocol === 'tcp' && f.dst.port === 8080)!;
    expect(tcp).toBeDefined();
    expect(tcp.tcpFlags?.src).toContain('S');
    expect(tcp.encapsulation).toHaveLength(1);
    const [vxlan] = tcp.encapsulation;
    expect(vxlan).toMatchObject({ type: 'vxlan', vni: 1, vniReply: 1, udpPort: 8472 });
    // The client pod's node puts the SYN into the tunnel: outer src is that node.
    const golden = goldenOf(corpus('vxlan-8472.pcap'))!.packets;
    const syn = golden.find((g) => g.tcp.length === 1 && g.tcp[0][1] === 8080)!;
    expect(vxlan.outer).toEqual({ src: syn.ip[0][0], dst: syn.ip[0][1] });
    expect(tcp.src).toEqual({ ip: syn.ip[1][0], port: syn.tcp[0][0] });
    const inFlow = golden.filter(
      (g) => g.tcp.length === 1 && (g.tcp[0][0] === tcp.src.port || g.tcp[0][1] === tcp.src.port),
    );
    expect(tcp.packets).toBe(inFlow.length);
    expect(tcp.packetsToSrc).toBe(inFlow.filter((g) => g.ip[1][1] === tcp.src.ip).length);
  });

  it('keeps Calico’s VNI 4096 on port 4789', () => {
    const { flows } = analyze(corpus('vxlan-4789.pcap'));
    const inner = flows.filter((f) => f.encapsulation.length === 1);
    expect(inner.length).toBeGreaterThan(0);
    for (const f of inner)
      expect(f.encapsulation[0]).toMatchObject({ type: 'vxlan', vni: 4096, udpPort: 4789 });
  });

  it('counts an ICMP echo exchange as one flow by its identifier', () => {
    const { flows } = analyze(corpus('eth-tcp-udp-icmp.pcap'));
    const echo = flows.filter((f) => f.protocol === 'icmp');
    expect(echo).toHaveLength(1);
    expect(echo[0].icmp?.id).toBeTypeOf('number');
    expect(echo[0].src.port).toBeUndefined();
    const golden = goldenOf(corpus('eth-tcp-udp-icmp.pcap'))!.packets;
    expect(echo[0].packets).toBe(golden.filter((g) => g.icmpType.length === 1).length);
    expect(echo[0].packetsToSrc).toBe(golden.filter((g) => g.icmpType[0] === 0).length);
  });

  it('names the interface of every flow of an -i any capture, and sees forwarded traffic twice', () => {
    const { flows } = analyze(corpus('any-sll2.pcap'));
    for (const f of flows) expect(f.interface).toEqual({ index: expect.any(Number), name: null });
    const tcp = flows.filter((f) => f.protocol === 'tcp' && f.dst.port === 8080);
    expect(new Set(tcp.map((f) => f.interface!.index)).size).toBe(2);
    expect(tcp[0].packets).toBe(tcp[1].packets);
  });

  it('names pcapng interfaces when a file has several, and the SLL2 ifindex beside them', () => {
    const { flows } = analyze(corpus('pcapng-two-interfaces.pcapng'));
    expect(new Set(flows.map((f) => f.interface?.index))).toEqual(new Set([0, 1]));
    // Interface 1 is the merged `-i any` capture: its packets name Linux interfaces 2 and 3.
    const sll2 = flows.filter((f) => f.interface?.index === 1);
    expect(new Set(sll2.map((f) => f.interface?.ifindex))).toEqual(new Set([2, 3]));
    for (const f of flows.filter((x) => x.interface?.index === 0))
      expect(f.interface?.ifindex).toBeUndefined();
  });

  it('keys ARP by the two IPv4 addresses and puts the asker first', () => {
    const { flows } = analyze(corpus('vxlan-8472.pcap'));
    const arp = flows.filter((f) => f.protocol === 'arp');
    const golden = goldenOf(corpus('vxlan-8472.pcap'))!.packets.filter((g) => g.arp.length === 1);
    expect(arp.reduce((n, f) => n + f.packets, 0)).toBe(golden.length);
    expect(arp[0].src.ip).toBe(golden[0].arp[0][0]);
  });
});

describe('who started a flow', () => {
  it('is the SYN sender even when a packet of the other side came first, also on a cooked (SLL2) capture', () => {
    // The lab's `-i any` capture, its records reordered: one of the server's packets of the
    // connection first, then the whole capture. The SYN still decides, whatever came before it
    // (the cooked header's direction bits and the payload seen are no evidence).
    const bytes = readBytes(corpus('any-sll2.pcap'));
    const layout = pcapLayout(bytes);
    const record = (r: (typeof layout.records)[number]): Uint8Array =>
      bytes.subarray(r.offset, r.dataOffset + r.capturedLength);
    const fromServer = layout.records.find((r) => {
      const p = decode(bytes.slice(r.dataOffset, r.dataOffset + r.capturedLength), 276);
      return p.transport === Layer.TCP && p.tcp.sourcePort === 8080 && (p.tcp.flags & 0x02) === 0;
    })!;
    expect(fromServer).toBeDefined();
    const path = join(mkdtempSync(join(tmpdir(), 'podpath-initiator-')), 'server-first.pcap');
    writeFileSync(path, concat(bytes.subarray(0, 24), record(fromServer), ...layout.records.map(record)));
    const tcp = analyze(path).flows.filter((f) => f.protocol === 'tcp');
    expect(tcp.length).toBeGreaterThan(0);
    for (const flow of tcp)
      expect([flow.src.port, flow.dst.port, flow.tcpFlags?.src]).toEqual([53644, 8080, 'FSPA']);
  });
});

describe('flow details on public captures', () => {
  const pub = (name: string): string => publicFiles().find((f) => basename(f) === name) ?? '';

  it('makes each ICMP error a flow naming the packet it quotes', () => {
    const path = pub('l3-icmp-frag-needed.pcap');
    if (!existsSync(path)) return;
    const { flows } = analyze(path);
    const errors = flows.filter((f) => f.icmp?.type === 3);
    const golden = goldenOf(path)!.packets.filter((g) => g.icmpType[0] === 3);
    expect(errors.reduce((n, f) => n + f.packets, 0)).toBe(golden.length);
    const distinct = new Set(golden.map((g) => JSON.stringify([g.ip, g.tcp])));
    expect(errors).toHaveLength(distinct.size);
    for (const f of errors) {
      expect(f.icmp).toMatchObject({ type: 3, code: 4, quotes: { protocol: 'tcp' } });
      const match = golden.find((g) => g.ip[0][0] === f.src.ip && g.ip[1][0] === f.icmp!.quotes!.src);
      expect(match, JSON.stringify(f)).toBeDefined();
      expect(f.icmp!.quotes!.dst).toBe(match!.ip[1][1]);
      expect(f.icmp!.quotes!.srcPort).toBe(match!.tcp[0][0]);
    }
  });

  it('sends later IP fragments to their first fragment’s flow', () => {
    const path = pub('l3-ipv4-frags-icmp.pcap');
    if (!existsSync(path)) return;
    const { flows, summary } = analyze(path);
    expect(summary.fragments).toBe(1);
    const echo = flows.filter((f) => f.protocol === 'icmp');
    expect(echo).toHaveLength(1);
    expect(echo[0].packets).toBe(3);
  });

  it('keeps IPv4 and IPv6 conversations apart', () => {
    const path = pub('ng-three-idbs-dns-v4v6.pcapng');
    if (!existsSync(path)) return;
    const { flows } = analyze(path);
    expect(flows.some((f) => f.src.ip?.includes(':'))).toBe(true);
    expect(flows.some((f) => f.src.ip?.includes('.'))).toBe(true);
  });

  it('records the VNI of each direction, and nested tunnels outermost first', () => {
    const path = pub('overlay-vxlan-triple-nested.pcap');
    if (!existsSync(path)) return;
    const { flows } = analyze(path);
    const golden = goldenOf(path)!.packets[0];
    const deepest = flows.find((f) => f.encapsulation.length === 3)!;
    expect(deepest.encapsulation.map((e) => e.vni)).toEqual(golden.vxlanVni);
    expect(deepest.encapsulation.map((e) => [e.outer.src, e.outer.dst])).toEqual(golden.ip.slice(0, 3));
  });
});
