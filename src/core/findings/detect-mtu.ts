import type { DatapathKind } from '../analysis/index.js';
import { formatIp } from '../decode/index.js';
import { type Draft, endText, type FindingsContext, type FlowRef, type PacketRef } from './context.js';
import { Count, ETHERNET_MTU, type FragmentEvent, LARGE_SEGMENT, TcpBit, TcpEvent } from './observer.js';

/** Bytes each overlay adds in front of the pod's packet (without options). */
const OVERHEAD: Partial<Record<DatapathKind, number>> = {
  'flannel-vxlan': 50,
  'calico-vxlan': 50,
  'cilium-vxlan': 50,
  'cilium-geneve': 50,
  weave: 50,
  'calico-ipip': 20,
};

/** Large segments retransmitted this often, never acknowledged, make an MTU black hole. */
const BLACK_HOLE_RETRANSMISSIONS = 2;

/**
 * MTU trouble: ICMP "fragmentation needed" / "packet too big" errors (with the packets they
 * quote), pod packets too long for the overlay they cross, TCP connections whose large
 * segments are retransmitted and never acknowledged while the rest gets through (a black
 * hole: the ICMP that would say so is lost or filtered), and tunnel packets fragmented on
 * the underlay.
 */
export function detectMtu(ctx: FindingsContext, out: Draft[]): void {
  const byPair = new Map<string, Draft>();
  tooBig(ctx, out, byPair);
  oversized(ctx, out, byPair);
  blackHoles(ctx, out, byPair);
  fragmentedTunnels(ctx, out);
}

function tooBig(ctx: FindingsContext, out: Draft[], byPair: Map<string, Draft>): void {
  const drafts = new Map<string, Draft & { perCapture: Map<number, number>; largest: number }>();
  ctx.captures.forEach((capture, c) => {
    for (const e of capture.observer.icmpErrors) {
      const isTooBig = e.version === 4 ? e.type === 3 && e.code === 4 : e.type === 2;
      if (!isTooBig) continue;
      const flow = ctx.summary(c, e.flow);
      const quotes = flow.icmp?.quotes;
      const router = flow.src.ip ?? '?';
      const key = `mtu|too-big|${router}|${e.mtu}|${quotes?.src}|${quotes?.dst}|${quotes?.protocol}`;
      let d = drafts.get(key);
      if (d === undefined) {
        d = {
          kind: 'mtu',
          severity: 'error',
          code: e.version === 4 ? 'mtuFragmentationNeeded' : 'mtuPacketTooBig',
          params: {},
          key,
          weight: 0,
          flows: [],
          packets: [],
          perCapture: new Map(),
          largest: 0,
        };
        d.params = {
          router: endText(flow.src),
          mtu: e.mtu,
          src: quotes ? ctx.nameIp(quotes.src) : '?',
          dst: quotes ? ctx.nameIp(quotes.dst) : '?',
          protocol: quotes?.protocol ?? '?',
        };
        const pods = quotes ? podsAt(ctx, quotes.src, quotes.dst) : [];
        if (pods.length > 0) d.pods = pods;
        drafts.set(key, d);
        out.push(d);
        if (quotes) byPair.set(`${quotes.src}|${quotes.dst}`, d);
      }
      // Per capture and interface: one error crossing a node's bridge and veth is one error.
      const where = e.flow * 4096 + c;
      d.perCapture.set(where, (d.perCapture.get(where) ?? 0) + 1);
      d.largest = Math.max(d.largest, e.quotedLength);
      d.packets.push({ capture: c, record: e.record, role: 'icmp-error' });
      for (const record of e.quotedRecords) d.packets.push({ capture: c, record, role: 'too-big' });
      d.flows.push({ capture: c, flow: e.flow });
      for (const flow of e.quotedFlows) d.flows.push({ capture: c, flow });
    }
  });
  for (const d of drafts.values()) {
    // One error seen at several points is one error: count the point that saw most.
    const errors = Math.max(...d.perCapture.values());
    d.params.count = errors;
    d.params.largest = d.largest;
    d.weight = errors;
  }
}

/** The pods among some addresses, with a snapshot. */
function podsAt(ctx: FindingsContext, ...ips: string[]): string[] {
  const out: string[] = [];
  for (const ip of ips) {
    const id = ctx.cluster?.identifyText(ip);
    if (id?.kind === 'pod' && id.name !== null) out.push(id.name);
  }
  return out;
}

/** The overhead of the tunnel a capture's cross-node pod traffic takes, when known. */
function overheadOf(ctx: FindingsContext, c: number): { kind: DatapathKind; bytes: number } | null {
  const datapath = ctx.captures[c].datapath;
  if (datapath === undefined) return null;
  const bytes = OVERHEAD[datapath.kind];
  if (bytes === undefined) return null;
  return { kind: datapath.kind, bytes: datapath.overheadBytes ?? bytes };
}

function oversized(ctx: FindingsContext, out: Draft[], byPair: Map<string, Draft>): void {
  if (ctx.cluster === undefined) return;
  const drafts = new Map<string, Draft & { largest: number; count: number }>();
  ctx.captures.forEach((capture, c) => {
    const overhead = overheadOf(ctx, c);
    if (overhead === null) return;
    const limit = ETHERNET_MTU - overhead.bytes;
    const perFlow = new Map<number, { records: number[]; largest: number }>();
    for (const e of capture.observer.events(TcpEvent.LARGE)) {
      if (e.value <= limit) continue;
      const entry = perFlow.get(e.flow) ?? { records: [], largest: 0 };
      entry.records.push(e.record);
      entry.largest = Math.max(entry.largest, e.value);
      perFlow.set(e.flow, entry);
    }
    for (const [flow, { records, largest }] of perFlow) {
      const s = ctx.summary(c, flow);
      // Only pod-to-pod traffic across nodes takes the tunnel.
      if (s.encapsulation.length > 0) continue;
      if (s.src.kind !== 'pod' || s.dst.kind !== 'pod' || !s.src.node || !s.dst.node) continue;
      if (s.src.node === s.dst.node) continue;
      const pair = `${s.src.ip}|${s.dst.ip}`;
      const reverse = `${s.dst.ip}|${s.src.ip}`;
      const merged = byPair.get(pair) ?? byPair.get(reverse);
      const packets: PacketRef[] = records.map((record) => ({ capture: c, record, role: 'too-big' }));
      if (merged !== undefined) {
        merged.packets.push(...packets);
        merged.flows.push({ capture: c, flow });
        continue;
      }
      const key = `mtu|oversized|${pair}`;
      let d = drafts.get(key);
      if (d === undefined) {
        d = {
          kind: 'mtu',
          severity: 'warning',
          code: 'mtuOversizedForOverlay',
          params: {
            src: endText({ ...s.src, port: undefined }),
            dst: endText({ ...s.dst, port: undefined }),
            datapath: overhead.kind,
            overhead: overhead.bytes,
            limit,
          },
          key,
          weight: 0,
          flows: [],
          packets: [],
          pods: [s.src.name!, s.dst.name!],
          largest: 0,
          count: 0,
        };
        drafts.set(key, d);
        out.push(d);
      }
      d.largest = Math.max(d.largest, largest);
      d.count = Math.max(d.count, records.length);
      d.packets.push(...packets);
      d.flows.push({ capture: c, flow });
    }
  });
  for (const d of drafts.values()) {
    d.params.largest = d.largest;
    d.params.count = d.count;
    d.weight = d.count;
  }
}

function blackHoles(ctx: FindingsContext, out: Draft[], byPair: Map<string, Draft>): void {
  const drafts = new Map<string, Draft & { retransmissions: number }>();
  ctx.captures.forEach((capture, c) => {
    const o = capture.observer;
    const table = ctx.table(c);
    const examples = new Map<number, number[]>();
    for (const e of o.events(TcpEvent.RETRANSMISSION)) {
      if (e.value < LARGE_SEGMENT) continue;
      const list = examples.get(e.flow) ?? [];
      list.push(e.record);
      examples.set(e.flow, list);
    }
    for (let flow = 0; flow < table.count; flow++) {
      if (!o.isTcp(flow)) continue;
      for (let d = 0; d < 2; d++) {
        const large = o.count(flow, d, Count.LARGE_RETRANSMISSIONS);
        if (large < BLACK_HOLE_RETRANSMISSIONS) continue;
        // The peer must be heard acknowledging (else the capture sees one way only), never past it.
        if (!o.has(flow, TcpBit.ACK_KNOWN << (1 - d))) continue;
        const seq = o.largeSeq[flow * 2 + d];
        if (((o.maxAck[flow * 2 + 1 - d] - seq) | 0) > 0) continue;
        if (!o.has(flow, TcpBit.HANDSHAKE_DONE) && o.count(flow, 1 - d, Count.SEGMENTS) === 0) continue;
        const words = new Uint32Array(4);
        const version = table.ipVersion(flow);
        const sender = formatIp(version, table.address(flow, d, words));
        const receiver = formatIp(version, table.address(flow, 1 - d, words));
        const packets: PacketRef[] = (examples.get(flow) ?? []).map((record) => ({
          capture: c,
          record,
          role: 'retransmission',
        }));
        const flows: FlowRef[] = [{ capture: c, flow }];
        const merged = byPair.get(`${sender}|${receiver}`);
        if (merged !== undefined) {
          merged.packets.push(...packets);
          merged.flows.push(...flows);
          continue;
        }
        const key = `mtu|black-hole|${ctx.connectionKey(c, flow)}|${d}`;
        let draft = drafts.get(key);
        if (draft === undefined) {
          const s = ctx.summary(c, flow);
          const initiator = table.initiator(flow);
          const from = d === initiator ? s.src : s.dst;
          const to = d === initiator ? s.dst : s.src;
          draft = {
            kind: 'mtu',
            severity: 'error',
            code: 'mtuBlackHole',
            params: { src: endText(from), dst: endText(to) },
            key,
            weight: 0,
            flows: [],
            packets: [],
            retransmissions: 0,
          };
          drafts.set(key, draft);
          out.push(draft);
        }
        draft.retransmissions = Math.max(draft.retransmissions, large);
        draft.packets.push(...packets);
        draft.flows.push(...flows);
      }
    }
  });
  for (const d of drafts.values()) {
    d.params.count = d.retransmissions;
    d.params.segment = LARGE_SEGMENT;
    d.weight = d.retransmissions;
  }
}

function fragmentedTunnels(ctx: FindingsContext, out: Draft[]): void {
  const drafts = new Map<string, Draft & { perCapture: Map<string, number> }>();
  ctx.captures.forEach((capture, c) => {
    const fragments = capture.observer.fragments;
    // Only a first fragment shows a UDP tunnel's port: the later ones of its datagram (same
    // addresses, protocol and Identification) are the tunnel's too.
    const tunnelDatagrams = new Set<string>();
    for (const f of fragments) if (f.isTunnel) tunnelDatagrams.add(datagramKey(f));
    for (const f of fragments) {
      if (!f.isTunnel && (tunnelDatagrams.size === 0 || !tunnelDatagrams.has(datagramKey(f)))) continue;
      const src = formatIp(f.version, f.source);
      const dst = formatIp(f.version, f.destination);
      const key = `fragmented-tunnel|${src}|${dst}`;
      let d = drafts.get(key);
      if (d === undefined) {
        d = {
          kind: 'fragmented-tunnel',
          severity: 'warning',
          code: 'fragmentedTunnel',
          params: { src: ctx.nameIp(src), dst: ctx.nameIp(dst) },
          key,
          weight: 0,
          flows: [],
          packets: [],
          perCapture: new Map(),
        };
        drafts.set(key, d);
        out.push(d);
      }
      // Per capture and interface: a first fragment joins the inner packet's flow, the later
      // ones a flow of the outer addresses, but they are one datagram's fragments all the same.
      const where = `${c}|${f.flow >= 0 ? (ctx.summary(c, f.flow).interface?.index ?? -1) : -1}`;
      d.perCapture.set(where, (d.perCapture.get(where) ?? 0) + 1);
      d.packets.push({ capture: c, record: f.record, role: 'fragment' });
      if (f.flow >= 0) d.flows.push({ capture: c, flow: f.flow });
    }
  });
  for (const d of drafts.values()) {
    const fragments = Math.max(0, ...d.perCapture.values());
    d.params.count = fragments;
    d.weight = fragments;
  }
}

function datagramKey(f: FragmentEvent): string {
  return `${f.version}|${f.source.join('.')}|${f.destination.join('.')}|${f.protocol}|${f.identification}`;
}
