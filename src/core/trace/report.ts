import type { InterfaceUse } from '../analysis/datapath.js';
import type { FlowSide } from '../analysis/flow-report.js';
import { endpointAddress } from '../analysis/endpoint-text.js';
import type { Encapsulation, Endpoint, FlowSummary } from '../analysis/types.js';
import { formatTimestamp } from '../capture/index.js';
import type { ClusterIndex, ServiceMatch } from '../cluster/index.js';
import type { FlowTable } from '../flow/index.js';
import type { ConnectionModel, Correlation, HopModel } from './correlator.js';
import type {
  Rewrite,
  CompareDocument,
  CompareSide,
  CompareTranslation,
  HopChange,
  TraceConnection,
  TraceDocument,
  TraceHop,
} from './types.js';

/** What the reports need from each correlated capture. */
export interface TraceCaptureInfo {
  /** Display name: the file's base name, or its path when two captures share one. */
  name: string;
  flows: FlowTable;
  /** The flow's summary (oriented by its own initiator), named from the snapshot when given. */
  summary(flow: number): FlowSummary;
  /** The flow's ends and tunnels with `client` (0 = endpoint A) as src. */
  side(flow: number, client: number): FlowSide;
  precisionDigits: number;
  /** What each interface of the capture is (veth, bridge, tunnel, underlay), when known. */
  interfaces?: readonly InterfaceUse[];
}

interface Side {
  protocol: string;
  src: Endpoint;
  dst: Endpoint;
  encapsulation: Encapsulation[];
  interface: FlowSummary['interface'];
}

/** The hop's flow as seen client to server (direction 0, A to B, means A is the client). */
function sideOf(info: TraceCaptureInfo, hop: HopModel): Side {
  return info.side(hop.flow, hop.toServerDirection);
}

const sameEndpoint = (a: Endpoint, b: Endpoint): boolean => a.ip === b.ip && a.port === b.port;

const endpointText = endpointAddress;

const sameEncapsulation = (a: Encapsulation, b: Encapsulation): boolean =>
  a.type === b.type && a.vni === b.vni && a.outer.src === b.outer.src && a.outer.dst === b.outer.dst;

const tunnelText = (e: Encapsulation): string =>
  `${e.type}${e.vni !== null ? ` ${e.vni}` : ''} ${e.outer.srcNode ?? e.outer.src} -> ${e.outer.dstNode ?? e.outer.dst}`;

export type NatKind = 'none' | 'dnat' | 'snat' | 'dnat+snat';

export function natKind(
  before: { src: Endpoint; dst: Endpoint },
  after: { src: Endpoint; dst: Endpoint },
): NatKind {
  const d = !sameEndpoint(before.dst, after.dst);
  const s = !sameEndpoint(before.src, after.src);
  return d && s ? 'dnat+snat' : d ? 'dnat' : s ? 'snat' : 'none';
}

/** The Service a client-to-server tuple went to: by its address or NodePort, or as its endpoint. */
function serviceOf(
  cluster: ClusterIndex | undefined,
  side: { protocol: string; dst: Endpoint },
): { match: ServiceMatch; via: 'address' | 'nodePort' | 'endpoint' } | null {
  if (cluster === undefined || side.dst.ip === undefined || side.dst.port === undefined) return null;
  const direct = cluster.serviceAt(side.dst.ip, side.dst.port, side.protocol);
  if (direct !== null) return { match: direct, via: direct.viaNodePort ? 'nodePort' : 'address' };
  return null;
}

function endpointService(
  cluster: ClusterIndex | undefined,
  side: { protocol: string; dst: Endpoint },
): ServiceMatch | null {
  if (cluster === undefined || side.dst.ip === undefined || side.dst.port === undefined) return null;
  return cluster.servicesOfEndpoint(side.dst.ip, side.dst.port, side.protocol)[0] ?? null;
}

const serviceName = (m: ServiceMatch): string => `${m.service.namespace}/${m.service.name}`;

/** Who rewrote a tuple, in words: kube-proxy's DNAT for a Service, a node's masquerade. */
/**
 * Who rewrote a tuple, as data: a UI words it in its own language from this; `rewriteNote`
 * words it in English for the CLI.
 */
export function rewriteOf(
  kind: NatKind,
  before: Side | CompareSide,
  after: Side | CompareSide,
  cluster: ClusterIndex | undefined,
): Rewrite | null {
  if (kind === 'none') return null;
  const out: Rewrite = {};
  if (kind === 'dnat' || kind === 'dnat+snat') {
    const found = serviceOf(cluster, before);
    const ip = before.dst.ip ?? '';
    const service = found?.match.service;
    out.dnat = {
      service: found !== null ? serviceName(found.match) : null,
      via:
        found === null
          ? null
          : found.via === 'nodePort'
            ? 'NodePort'
            : service?.type === 'LoadBalancer' && service.loadBalancerIPs.includes(ip)
              ? 'LoadBalancer'
              : service?.externalIPs.includes(ip)
                ? 'externalIP'
                : 'ClusterIP',
      from: endpointText(before.dst),
      to: endpointText(after.dst),
      toName: after.dst.name ?? null,
      node: found?.via === 'nodePort' ? (before.dst.name ?? before.dst.ip ?? null) : null,
    };
  }
  if (kind === 'snat' || kind === 'dnat+snat') {
    const src = after.src;
    out.snat = {
      from: endpointText(before.src),
      to: endpointText(src),
      node: src.kind === 'node' && src.name ? src.name : null,
      role: src.kind === 'node' && src.role !== undefined && src.role !== 'address' ? src.role : null,
    };
  }
  return out;
}

/** The rewrite in English, as the CLI prints it. */
export function rewriteNote(
  kind: NatKind,
  before: Side | CompareSide,
  after: Side | CompareSide,
  cluster: ClusterIndex | undefined,
): string | null {
  const r = rewriteOf(kind, before, after, cluster);
  if (r === null) return null;
  const parts: string[] = [];
  if (r.dnat !== undefined) {
    const d = r.dnat;
    const to = d.toName ? `${d.toName} ${d.to}` : d.to;
    if (d.service !== null) {
      const how =
        d.via === 'NodePort' ? `NodePort ${d.from.split(':').pop()} on ${d.node}` : `${d.via} ${d.from}`;
      parts.push(`kube-proxy DNAT for ${d.service} (${how} -> ${to})`);
    } else parts.push(`DNAT: destination ${d.from} -> ${to}`);
  }
  if (r.snat !== undefined) {
    const n = r.snat;
    if (n.node !== null)
      parts.push(`masquerade on ${n.node} (source -> ${n.to}${n.role ? `, its ${n.role} address` : ''})`);
    else parts.push(`SNAT: source ${n.from} -> ${n.to}`);
  }
  return parts.join('; ');
}

function classify(
  prev: Side,
  cur: Side,
  prevHop: HopModel,
  hop: HopModel,
  cluster: ClusterIndex | undefined,
): { change: HopChange; changes: string[]; note: string | null; rewrittenBy: string | null } {
  const changes: string[] = [];
  const notes: string[] = [];
  const nat = natKind(prev, cur);
  const rewrittenBy = rewriteNote(nat, prev, cur, cluster);
  if (nat !== 'none') changes.push(nat);
  if (rewrittenBy) notes.push(rewrittenBy);
  const a = prev.encapsulation;
  const b = cur.encapsulation;
  if (b.length > a.length) {
    changes.push('encap');
    notes.push(`into ${tunnelText(b[0])}`);
  } else if (b.length < a.length) {
    changes.push('decap');
    notes.push(`out of ${tunnelText(a[0])}`);
  } else if (a.length > 0 && !sameEncapsulation(a[0], b[0])) {
    changes.push('encap');
    notes.push(`re-encapsulated: ${tunnelText(b[0])}`);
  }
  if (prevHop.ttl >= 0 && hop.ttl >= 0 && hop.ttl < prevHop.ttl) {
    changes.push('routed');
    notes.push(`routed (TTL ${prevHop.ttl} -> ${hop.ttl})`);
  }
  return {
    change: (changes[0] ?? 'none') as HopChange,
    changes,
    note: notes.length > 0 ? notes.join('; ') : null,
    rewrittenBy,
  };
}

function isoTime(correlation: Correlation, time: number, digits: number): string {
  const absolute = correlation.baseSeconds + time;
  let seconds = Math.floor(absolute);
  let nanos = Math.round((absolute - seconds) * 1e9);
  if (nanos >= 1e9) {
    seconds++;
    nanos -= 1e9;
  }
  return formatTimestamp(seconds, nanos, digits);
}

const round = (x: number | null, digits = 6): number | null =>
  x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits;

function connectionOf(
  model: ConnectionModel,
  captures: readonly TraceCaptureInfo[],
  correlation: Correlation,
  cluster: ClusterIndex | undefined,
  digits: number,
): TraceConnection {
  const sides = model.hops.map((h) => sideOf(captures[h.capture], h));
  let service: TraceConnection['service'] = null;
  let serviceVia: TraceConnection['serviceVia'];
  for (const side of sides) {
    const found = serviceOf(cluster, side);
    if (found !== null) {
      service = serviceName(found.match);
      serviceVia = found.via;
      break;
    }
  }
  if (service === null) {
    for (const side of sides) {
      const m = endpointService(cluster, side);
      if (m !== null) {
        service = serviceName(m);
        serviceVia = 'endpoint';
        break;
      }
    }
  }
  const hops: TraceHop[] = model.hops.map((h, i) => {
    const side = sides[i];
    const { change, changes, note, rewrittenBy } =
      i === 0
        ? { change: 'none' as HopChange, changes: [], note: null, rewrittenBy: null }
        : classify(sides[i - 1], side, model.hops[i - 1], h, cluster);
    const use =
      side.interface === null
        ? undefined
        : captures[h.capture].interfaces?.find((u) => u.index === side.interface?.index);
    return {
      capture: captures[h.capture].name,
      interface:
        side.interface === null
          ? null
          : { ...side.interface, ...(use ? { role: use.role } : {}), ...(use?.pod ? { pod: use.pod } : {}) },
      time: isoTime(correlation, h.time, digits),
      sinceFirstMs: round((h.time - model.hops[0].time) * 1000) ?? 0,
      src: side.src,
      dst: side.dst,
      encapsulation: side.encapsulation,
      change,
      changes,
      note,
      rewrittenBy,
      rewrite: i === 0 ? null : rewriteOf(natKind(sides[i - 1], side), sides[i - 1], side, cluster),
      ttl: h.ttl >= 0 ? h.ttl : null,
      packets: { toServer: h.toServer, toClient: h.toClient },
      fromPreviousMs: round(h.fromPreviousMs),
    };
  });
  const lost = model.lost.map((l) => ({
    after: captures[model.hops[l.afterHop].capture].name,
    interface: hops[l.afterHop].interface,
    direction: l.direction,
    packets: l.packets,
  }));
  const connection: TraceConnection = {
    protocol: sides[0].protocol,
    service,
    hops,
    latency: { firstToLastMs: round(model.firstToLastMs) },
    lostAfter: lost.length > 0 ? lost[0].after : null,
    lost,
    answered: model.answered,
    matchedPackets: model.matchedPackets,
  };
  if (serviceVia !== undefined) connection.serviceVia = serviceVia;
  return connection;
}

function clockWarnings(correlation: Correlation, captures: readonly TraceCaptureInfo[]): string[] {
  const warnings: string[] = [];
  correlation.clocks.forEach((c, i) => {
    if (i === 0) return;
    if (c.basis === 'unmatched')
      warnings.push(
        `${captures[i].name}: no packet in common with ${captures[0].name} or the captures linked to it; its clock is taken as is`,
      );
    else if (c.basis === 'one-way')
      warnings.push(
        `${captures[i].name}: packets matched in one direction only; its clock offset cannot be told from transit time and is taken as ${round(c.offset)} s`,
      );
  });
  return warnings;
}

/**
 * The podpath.trace/v1 output as one object. Its connections are made one at a time by
 * `traceConnections`, so a writer can stream them; here they are collected.
 */
export function traceDocument(
  correlation: Correlation,
  captures: readonly TraceCaptureInfo[],
  packets: readonly number[],
  cluster?: ClusterIndex,
): TraceDocument {
  const head = traceHead(correlation, captures, packets);
  const { warnings, matchedPackets, ...rest } = head;
  return {
    ...rest,
    connections: [...traceConnections(correlation, captures, cluster)],
    matchedPackets,
    warnings,
  };
}

/** Everything in the trace document but its connections (fields in document order). */
export function traceHead(
  correlation: Correlation,
  captures: readonly TraceCaptureInfo[],
  packets: readonly number[],
): Omit<TraceDocument, 'connections'> {
  const clockOffsets: Record<string, number> = {};
  captures.forEach((c, i) => (clockOffsets[c.name] = round(correlation.clocks[i].offset, 9) ?? 0));
  const warnings = clockWarnings(correlation, captures);
  if (correlation.matchedPackets === 0 && captures.length > 1)
    warnings.unshift('no packet was seen in more than one place: these captures have nothing in common');
  return {
    schema: 'podpath.trace/v1',
    clockOffsets,
    clocks: captures.map((c, i) => {
      const m = correlation.clocks[i];
      return {
        capture: c.name,
        offsetSeconds: round(m.offset, 9) ?? 0,
        relativeTo: m.basis === 'reference' || m.basis === 'unmatched' ? null : captures[m.relativeTo].name,
        basis: m.basis,
        matchedPackets: m.matchedPackets,
      };
    }),
    captures: captures.map((c, i) => ({
      file: c.name,
      packets: packets[i],
      fingerprinted: correlation.fingerprinted[i],
    })),
    matchedPackets: correlation.matchedPackets,
    warnings,
  };
}

/** The document's connections, one at a time, in the order of their first sighting. */
export function* traceConnections(
  correlation: Correlation,
  captures: readonly TraceCaptureInfo[],
  cluster?: ClusterIndex,
): Generator<TraceConnection> {
  const digits = Math.max(6, ...captures.map((c) => c.precisionDigits));
  for (const m of correlation.connections) yield connectionOf(m, captures, correlation, cluster, digits);
}

/** The NAT table between two captures, from a correlation of exactly those two. */
export function compareDocument(
  correlation: Correlation,
  captures: readonly [TraceCaptureInfo, TraceCaptureInfo],
  cluster?: ClusterIndex,
): CompareDocument {
  const translations: CompareTranslation[] = [];
  const matchedFlows = [new Set<number>(), new Set<number>()];
  for (const model of correlation.connections) {
    const before = model.hops.find((h) => h.capture === 0);
    const after = [...model.hops].reverse().find((h) => h.capture === 1);
    if (before === undefined || after === undefined) continue;
    for (const h of model.hops) matchedFlows[h.capture].add(h.flow);
    const b = sideOf(captures[0], before);
    const a = sideOf(captures[1], after);
    const kind = natKind(b, a);
    let service: string | null = null;
    const found = serviceOf(cluster, b) ?? serviceOf(cluster, a);
    if (found !== null) service = serviceName(found.match);
    else {
      const m = endpointService(cluster, a);
      if (m !== null) service = serviceName(m);
    }
    const pair = model.pairs?.get(1) ?? { packets: 0, medianMs: null };
    translations.push({
      before: { protocol: b.protocol, src: b.src, dst: b.dst, encapsulation: b.encapsulation },
      after: { protocol: a.protocol, src: a.src, dst: a.dst, encapsulation: a.encapsulation },
      kind,
      service,
      rewrittenBy: rewriteNote(kind, b, a, cluster),
      rewrite: rewriteOf(kind, b, a, cluster),
      packets: pair.packets,
      latencyMs: { median: round(pair.medianMs) },
    });
  }
  const unmatched = (side: 0 | 1): FlowSummary[] => {
    const info = captures[side];
    const out: FlowSummary[] = [];
    for (let id = 0; id < info.flows.count; id++) {
      if (matchedFlows[side].has(id)) continue;
      const summary = info.summary(id);
      if (summary.src.ip === undefined || summary.protocol === 'arp') continue;
      out.push(summary);
    }
    return out;
  };
  const warnings = translations.length > 0 ? clockWarnings(correlation, captures) : [];
  if (translations.length === 0)
    warnings.unshift(
      `${captures[0].name} and ${captures[1].name} have no packet in common: there is nothing to compare (are they captures of the same traffic?)`,
    );
  return {
    schema: 'podpath.compare/v1',
    before: captures[0].name,
    after: captures[1].name,
    clockOffset: round(correlation.clocks[1]?.offset ?? 0, 9) ?? 0,
    matchedPackets: translations.reduce((n, t) => n + t.packets, 0),
    translations,
    onlyBefore: unmatched(0),
    onlyAfter: unmatched(1),
    warnings,
  };
}
