import type { Endpoint } from '../analysis/index.js';
import type { ServiceMatch } from '../cluster/index.js';
import { formatIp, TCP_ACK } from '../decode/index.js';
import { FlowKind } from '../flow/index.js';
import {
  type Draft,
  endText,
  type FindingsContext,
  type FlowRef,
  type PacketRef,
  tupleKey,
} from './context.js';
import { Count, ResetKind, TcpBit, TcpEvent } from './observer.js';
import type { PacketRole } from './types.js';
import type { FindingCode, TextParams } from '../text/index.js';

/** A SYN unanswered this long before the capture ended (or sent again) went unanswered. */
const SYN_WAIT_SECONDS = 1;
/** A connection's retransmissions count when there are this many, or this share of its segments. */
const RETRANSMISSIONS_MIN = 3;
const RETRANSMISSION_SHARE = 0.02;
/** Example packets taken per connection and kind, so one connection does not fill a finding. */
const EXAMPLES_PER_CONNECTION = 5;

/** One flow of a connection, with which of its endpoints (0 = A) is the client. */
interface Member {
  capture: number;
  flow: number;
  client: number;
}

/** A TCP connection: its flows at every point that saw it, and its health, the worst point's. */
interface TcpConnection {
  members: Member[];
  /** The client's view: the first point on the path. */
  first: Member;
  syns: number;
  synAcks: number;
  segments: [number, number];
  retransmissions: [number, number];
  zeroWindows: [number, number];
  resets: [number, number];
  answered: boolean;
  handshake: boolean;
  refused: boolean;
  /** Who aborted it with a RST after data (0 client, 1 server), or -1. */
  abortedBy: number;
  /** An ICMP error quotes it. */
  quoted: boolean;
  /** Seconds the longest capture went on after the connection's first packet there. */
  waited: number;
}

/** Port unreachable or administratively prohibited: what a REJECT rule sends. */
function isRejection(version: number, type: number, code: number): boolean {
  return version === 4 ? type === 3 && (code === 3 || code === 13) : type === 1 && (code === 4 || code === 1);
}

/**
 * Connections and Services: REJECTed connections (kube-proxy's answer for a Service without
 * endpoints), refusals (nothing listens on the endpoint's port), SYNs nobody answers,
 * handshakes that never complete, and each connection's retransmissions, zero windows and
 * resets.
 */
export function detectTcp(ctx: FindingsContext, out: Draft[]): void {
  const connections = tcpConnections(ctx);
  const examples = new Examples(ctx);
  const sink = new Sink(out);
  rejections(ctx, sink);
  for (const conn of connections) {
    if (conn.refused) refused(ctx, conn, examples, sink);
    else if (
      conn.syns > 0 &&
      !conn.answered &&
      !conn.quoted &&
      (conn.syns >= 2 || conn.waited >= SYN_WAIT_SECONDS)
    )
      unanswered(ctx, conn, examples, sink);
    else if (
      conn.synAcks > 0 &&
      !conn.handshake &&
      conn.segments[0] + conn.segments[1] === 0 &&
      conn.resets[0] + conn.resets[1] === 0 &&
      (conn.synAcks >= 2 || conn.waited >= SYN_WAIT_SECONDS)
    )
      handshakeIncomplete(ctx, conn, examples, sink);
    health(ctx, conn, examples, sink);
  }
}

/** Example packets of a kind of event, by capture and flow. */
class Examples {
  private readonly byKind = new Map<number, Map<number, number[]>>();
  constructor(private readonly ctx: FindingsContext) {}

  /** `direction` (0 = the flow's A, 1 = B): only that side's events (SYNs, resets, zero windows keep it). */
  of(capture: number, flow: number, kind: TcpEvent, direction = -1): number[] {
    const key = ((kind * 4096 + capture) << 2) + direction + 1;
    let map = this.byKind.get(key);
    if (map === undefined) {
      map = new Map();
      for (const e of this.ctx.captures[capture].observer.events(kind)) {
        if (direction >= 0 && e.value !== direction) continue;
        const list = map.get(e.flow) ?? [];
        if (list.length < EXAMPLES_PER_CONNECTION) list.push(e.record);
        map.set(e.flow, list);
      }
      this.byKind.set(key, map);
    }
    return map.get(flow) ?? [];
  }

  /** `side`: only the packets the client (0) or the server (1) sent. */
  packets(members: readonly Member[], kind: TcpEvent, role: PacketRole, side = -1): PacketRef[] {
    const out: PacketRef[] = [];
    for (const m of members) {
      const direction = side < 0 ? -1 : side === 0 ? m.client : 1 - m.client;
      for (const record of this.of(m.capture, m.flow, kind, direction))
        out.push({ capture: m.capture, record, role });
    }
    return out;
  }
}

/** The flow's client-to-server header as text (see tupleKey). */
function memberTuple(ctx: FindingsContext, m: Member): string {
  const table = ctx.table(m.capture);
  const words = new Uint32Array(4);
  const version = table.ipVersion(m.flow);
  const src = formatIp(version, table.address(m.flow, m.client, words));
  const dst = formatIp(version, table.address(m.flow, 1 - m.client, words));
  const sport = table.port(m.flow, m.client);
  return tupleKey(version, src, sport, dst, table.port(m.flow, 1 - m.client), table.ipProtocol(m.flow));
}

/** Whether an ICMP error quotes the flow's client-to-server header. */
function quotes(ctx: FindingsContext, m: Member): boolean {
  return ctx.anyQuoted() && ctx.isQuoted(memberTuple(ctx, m));
}

function tcpConnections(ctx: FindingsContext): TcpConnection[] {
  // Keyed by the correlation's connection, or (negative) by the flow alone.
  const groups = new Map<number, Member[]>();
  const firstOf = new Map<number, Member>();
  ctx.captures.forEach((capture, c) => {
    const o = capture.observer;
    const table = ctx.table(c);
    for (let flow = 0; flow < table.count; flow++) {
      if (!o.isTcp(flow) || table.kind(flow) !== FlowKind.PORTS) continue;
      const model = ctx.connection(c, flow);
      const hop = model?.hops.find((h) => h.capture === c && h.flow === flow);
      const member: Member = {
        capture: c,
        flow,
        client: hop ? hop.toServerDirection : table.initiator(flow),
      };
      const key = ctx.connectionIndex(c, flow);
      const list = groups.get(key) ?? [];
      list.push(member);
      groups.set(key, list);
      if (model !== null && model.hops[0].capture === c && model.hops[0].flow === flow)
        firstOf.set(key, member);
    }
  });
  const out: TcpConnection[] = [];
  for (const [key, members] of groups) {
    const conn: TcpConnection = {
      members,
      first: firstOf.get(key) ?? members[0],
      syns: 0,
      synAcks: 0,
      segments: [0, 0],
      retransmissions: [0, 0],
      zeroWindows: [0, 0],
      resets: [0, 0],
      answered: false,
      handshake: false,
      refused: false,
      abortedBy: -1,
      quoted: false,
      waited: 0,
    };
    for (const m of members) {
      const o = ctx.captures[m.capture].observer;
      const table = ctx.table(m.capture);
      const client = m.client;
      const server = 1 - client;
      conn.syns = Math.max(conn.syns, o.count(m.flow, client, Count.SYNS));
      conn.synAcks = Math.max(conn.synAcks, o.count(m.flow, server, Count.SYN_ACKS));
      for (const [side, i] of [
        [client, 0],
        [server, 1],
      ] as const) {
        conn.segments[i] = Math.max(conn.segments[i], o.count(m.flow, side, Count.SEGMENTS));
        conn.retransmissions[i] = Math.max(
          conn.retransmissions[i],
          o.count(m.flow, side, Count.RETRANSMISSIONS),
        );
        conn.zeroWindows[i] = Math.max(conn.zeroWindows[i], o.count(m.flow, side, Count.ZERO_WINDOWS));
        conn.resets[i] = Math.max(conn.resets[i], o.count(m.flow, side, Count.RESETS));
      }
      // Anything back, or an ACK from the client (it heard a SYN-ACK this capture missed).
      if (table.packetsFrom(m.flow, server) > 0 || (table.tcpFlagsFrom(m.flow, client) & TCP_ACK) !== 0)
        conn.answered = true;
      if (o.has(m.flow, TcpBit.HANDSHAKE_DONE)) conn.handshake = true;
      const kind = o.resetKind[m.flow];
      if (kind === ResetKind.REFUSED && o.count(m.flow, server, Count.RESETS) > 0) conn.refused = true;
      if (kind === ResetKind.ABORTED && conn.abortedBy < 0)
        conn.abortedBy = o.count(m.flow, client, Count.RESETS) > 0 ? 0 : 1;
      if (quotes(ctx, m)) conn.quoted = true;
      conn.waited = Math.max(conn.waited, ctx.after(m.capture, ctx.flowStart(m.capture, m.flow)));
    }
    const model = ctx.connection(conn.first.capture, conn.first.flow);
    if (model?.answered) conn.answered = true;
    out.push(conn);
  }
  return out;
}

/** The flow's ends, client and server (its summary is oriented by its initiator). */
function ends(ctx: FindingsContext, m: Member): { client: Endpoint; server: Endpoint } {
  const s = ctx.summary(m.capture, m.flow);
  const initiator = ctx.table(m.capture).initiator(m.flow);
  return initiator === m.client ? { client: s.src, server: s.dst } : { client: s.dst, server: s.src };
}

/** The Service the client reached, by its address or NodePort (from the client's view). */
function serviceOf(ctx: FindingsContext, conn: TcpConnection): ServiceMatch | null {
  if (ctx.cluster === undefined) return null;
  for (const m of [conn.first, ...conn.members]) {
    const { server } = ends(ctx, m);
    if (server.ip === undefined || server.port === undefined) continue;
    const match = ctx.cluster.serviceAt(server.ip, server.port, 'tcp');
    if (match !== null) return match;
  }
  return null;
}

/** A flow of the connection that reached a Service's endpoint (after DNAT), with the endpoint. */
function endpointOf(
  ctx: FindingsContext,
  conn: TcpConnection,
): { endpoint: Endpoint; service: string } | null {
  if (ctx.cluster === undefined) return null;
  for (const m of conn.members) {
    const { server } = ends(ctx, m);
    if (server.ip === undefined || server.port === undefined) continue;
    const match = ctx.cluster.servicesOfEndpoint(server.ip, server.port, 'tcp')[0];
    if (match !== undefined) return { endpoint: server, service: serviceName(match) };
  }
  return null;
}

const serviceName = (m: ServiceMatch): string => `${m.service.namespace}/${m.service.name}`;

function flowsOf(conn: TcpConnection): FlowRef[] {
  return conn.members.map((m) => ({ capture: m.capture, flow: m.flow }));
}

function synPackets(ctx: FindingsContext, conn: TcpConnection, examples: Examples): PacketRef[] {
  const out = examples.packets(conn.members, TcpEvent.SYN, 'syn');
  if (out.length > 0) return out;
  for (const m of conn.members) {
    const record = ctx.captures[m.capture].observer.firstSyn[m.flow];
    if (record >= 0) out.push({ capture: m.capture, record, role: 'syn' });
  }
  return out;
}

/** Where drafts go: those with one key add up (connections and counts summed, evidence joined). */
class Sink {
  private readonly index = new Map<string, Draft>();
  private readonly units = new Map<string, Set<string>>();
  constructor(private readonly out: Draft[]) {}

  /**
   * `unit`, when given, names what the draft counts (a connection seen by several ICMP errors,
   * at several points): `count` is then the number of distinct units.
   */
  add(draft: Draft, sums: readonly string[] = [], unit?: string): void {
    const known = this.index.get(draft.key);
    if (unit !== undefined) {
      const units = this.units.get(draft.key) ?? new Set<string>();
      units.add(unit);
      this.units.set(draft.key, units);
      draft.params.count = units.size;
      draft.weight = units.size;
      if (known !== undefined) {
        known.params.count = units.size;
        known.weight = units.size;
      }
    }
    if (known === undefined) {
      this.index.set(draft.key, draft);
      this.out.push(draft);
      return;
    }
    if (unit !== undefined) sums = sums.filter((name) => name !== 'count');
    for (const name of sums) known.params[name] = Number(known.params[name]) + Number(draft.params[name]);
    if (unit === undefined) known.weight += draft.weight;
    known.flows.push(...draft.flows);
    known.packets.push(...draft.packets);
    for (const pod of draft.pods ?? []) if (!(known.pods ??= []).includes(pod)) known.pods.push(pod);
  }
}

/** A connection's client without its (ephemeral) port: findings group connections by server. */
function host(e: Endpoint): string {
  return endText({ ...e, port: undefined });
}

function podsIn(...endpoints: Endpoint[]): string[] {
  return endpoints.filter((e) => e.kind === 'pod' && e.name).map((e) => e.name!);
}

/** ICMP port unreachable (or prohibited) quoting a connection: who rejected it, and what it was for. */
function rejections(ctx: FindingsContext, sink: Sink): void {
  // Flows by their client-to-server tuple, to link each rejection to the connection it refused.
  let byTuple: Map<string, FlowRef[]> | null = null;
  const flowsFor = (tuple: string): FlowRef[] => {
    if (byTuple === null) {
      byTuple = new Map();
      ctx.captures.forEach((_, c) => {
        const table = ctx.table(c);
        for (let flow = 0; flow < table.count; flow++) {
          if (table.kind(flow) !== FlowKind.PORTS) continue;
          for (const client of [0, 1]) {
            const t = memberTuple(ctx, { capture: c, flow, client });
            byTuple!.set(t, [...(byTuple!.get(t) ?? []), { capture: c, flow }]);
          }
        }
      });
    }
    return byTuple.get(tuple) ?? [];
  };
  ctx.captures.forEach((capture, c) => {
    const table = ctx.table(c);
    for (const e of capture.observer.icmpErrors) {
      if (!isRejection(e.version, e.type, e.code)) continue;
      const detail = table.icmpErrors.get(e.flow);
      if (detail === undefined || !detail.hasQuotedPorts) continue;
      const s = ctx.summary(c, e.flow);
      const protocol = detail.quotedProtocol === 6 ? 'tcp' : detail.quotedProtocol === 17 ? 'udp' : null;
      if (protocol === null) continue;
      const version = detail.quotedVersion;
      const client = formatIp(version, detail.quotedSource);
      const dst = formatIp(version, detail.quotedDestination);
      const dport = detail.quotedDestinationPort;
      const tuple = tupleKey(version, client, detail.quotedSourcePort, dst, dport, detail.quotedProtocol);
      const related = flowsFor(tuple);
      const packets: PacketRef[] = [{ capture: c, record: e.record, role: 'icmp-error' }];
      for (const f of related) {
        const syn = ctx.captures[f.capture].observer.firstSyn[f.flow];
        const record = syn >= 0 ? syn : ctx.table(f.capture).firstRecord(f.flow);
        packets.push({ capture: f.capture, record, role: syn >= 0 ? 'syn' : 'request' });
      }
      const flows: FlowRef[] = [{ capture: c, flow: e.flow }, ...related];
      const sender = s.src.ip ?? '?';
      const address = dst.includes(':') ? `[${dst}]:${dport}` : `${dst}:${dport}`;
      const match = ctx.cluster?.serviceAt(dst, dport, protocol) ?? null;
      const clientIdentity = ctx.cluster?.identifyText(client);
      const pods =
        clientIdentity?.kind === 'pod' && clientIdentity.name !== null ? [clientIdentity.name] : [];
      const base = { weight: 1, flows, packets, pods };
      if (match !== null) {
        const service = serviceName(match);
        const all = match.service.endpoints.length;
        sink.add(
          {
            kind: 'service-no-endpoints',
            severity: 'error',
            code: match.endpoints.length === 0 ? 'serviceNoEndpoints' : 'serviceRejectedDespiteEndpoints',
            params: {
              service,
              address,
              protocol: protocol.toUpperCase(),
              client: ctx.nameIp(client),
              node: endText(s.src),
              ...(match.endpoints.length === 0 ? { notReady: all } : { ready: match.endpoints.length }),
              count: 1,
            },
            key: `service-no-endpoints|${service}|${match.port.port}`,
            service,
            ...base,
          },
          ['count'],
          tuple,
        );
        continue;
      }
      const onEndpoint = ctx.cluster?.servicesOfEndpoint(dst, dport, protocol)[0];
      if (sender === dst && onEndpoint !== undefined) {
        const service = serviceName(onEndpoint);
        sink.add(
          {
            kind: 'endpoint-not-listening',
            severity: 'error',
            code: 'endpointPortUnreachable',
            params: {
              service,
              endpoint: ctx.nameIp(dst),
              port: dport,
              protocol: protocol.toUpperCase(),
              client: ctx.nameIp(client),
              count: 1,
            },
            key: `endpoint-not-listening|${service}|${dport}`,
            service,
            ...base,
          },
          ['count'],
          tuple,
        );
        continue;
      }
      sink.add(
        {
          kind: 'connection-refused',
          severity: 'error',
          code: sender === dst ? 'portUnreachable' : 'rejectedOnPath',
          params: {
            address: ctx.nameIp(dst),
            port: dport,
            protocol: protocol.toUpperCase(),
            client: ctx.nameIp(client),
            sender: endText(s.src),
            count: 1,
          },
          key: `connection-refused|${sender}|${dst}|${dport}|${protocol}`,
          ...base,
        },
        ['count'],
        tuple,
      );
    }
  });
}

/** A RST answering the SYN: nothing listens there (or, for a Service, on its endpoint's port). */
function refused(ctx: FindingsContext, conn: TcpConnection, examples: Examples, sink: Sink): void {
  const { client, server } = ends(ctx, conn.first);
  const packets = [
    ...synPackets(ctx, conn, examples),
    ...examples.packets(conn.members, TcpEvent.RESET, 'rst'),
  ];
  const base = { weight: 1, flows: flowsOf(conn), packets, pods: podsIn(client, server) };
  const match = serviceOf(ctx, conn);
  const endpoint = endpointOf(ctx, conn);
  if (match !== null || endpoint !== null) {
    const service = match !== null ? serviceName(match) : endpoint!.service;
    const serviceInfo =
      match?.service ?? ctx.cluster!.snapshot.services.find((s) => `${s.namespace}/${s.name}` === service);
    const ready = match?.endpoints ?? [];
    if (match !== null && ready.length === 0) {
      sink.add(
        {
          kind: 'service-no-endpoints',
          severity: 'error',
          code: 'serviceNoEndpointsReset',
          params: {
            service,
            address: endText(server),
            client: host(client),
            notReady: serviceInfo?.endpoints.length ?? 0,
            count: 1,
          },
          key: `service-no-endpoints|${service}|${match.port.port}`,
          service,
          ...base,
        },
        ['count'],
      );
      return;
    }
    const targetPort = match?.targetPort ?? endpoint?.endpoint.port ?? '?';
    sink.add(
      {
        kind: 'endpoint-not-listening',
        severity: 'error',
        code: endpoint !== null ? 'endpointNotListening' : 'endpointNotListeningBehindService',
        params: {
          service,
          address: endText(server),
          endpoint: endpoint !== null ? endText(endpoint.endpoint) : ready.slice(0, 3).join(', '),
          targetPort,
          client: host(client),
          count: 1,
        },
        key: `endpoint-not-listening|${service}|${targetPort}`,
        service,
        ...base,
        pods: [...base.pods, ...(endpoint ? podsIn(endpoint.endpoint) : [])],
      },
      ['count'],
    );
    return;
  }
  sink.add(
    {
      kind: 'tcp-reset',
      severity: 'error',
      code: 'tcpRefused',
      params: { server: endText(server), client: host(client), count: 1 },
      key: `tcp-reset|refused|${endText(server)}`,
      ...base,
    },
    ['count'],
  );
}

/** SYNs sent, nothing back anywhere: who should have answered, as the snapshot tells it. */
function unanswered(ctx: FindingsContext, conn: TcpConnection, examples: Examples, sink: Sink): void {
  const { client, server } = ends(ctx, conn.first);
  const packets = synPackets(ctx, conn, examples);
  const base = {
    weight: 1,
    flows: flowsOf(conn),
    packets,
    pods: podsIn(client, server),
  };
  const params = { client: host(client), server: endText(server), count: 1, syns: conn.syns };
  const sums = ['count', 'syns'];
  // Every unanswered SYN of one server is one finding; what differs is who should have answered.
  const synUnanswered = (code: FindingCode, extra: TextParams, service?: string): void =>
    sink.add(
      {
        kind: 'syn-unanswered',
        severity: 'error',
        code,
        params: { ...params, ...extra },
        key: `syn-unanswered|${endText(server)}`,
        ...(service !== undefined ? { service } : {}),
        ...base,
      },
      sums,
    );
  const match = serviceOf(ctx, conn);
  const endpoint = endpointOf(ctx, conn);
  if (match !== null) {
    const service = serviceName(match);
    const info = match.service;
    if (match.endpoints.length === 0) {
      sink.add(
        {
          kind: 'service-no-endpoints',
          severity: 'error',
          code: 'serviceNoEndpointsSilent',
          params: {
            client: params.client,
            count: 1,
            syns: conn.syns,
            service,
            address: endText(server),
            notReady: info.endpoints.length,
          },
          key: `service-no-endpoints|${service}|${match.port.port}`,
          service,
          ...base,
        },
        sums,
      );
      return;
    }
    if (match.viaNodePort && info.externalTrafficPolicy === 'Local') {
      const node = server.name ?? server.ip ?? '?';
      const local = info.endpoints.filter((e) => e.ready && e.node === server.name);
      if (local.length === 0) {
        sink.add(
          {
            kind: 'syn-unanswered',
            severity: 'error',
            code: 'synUnansweredLocalPolicy',
            params: {
              client: params.client,
              count: 1,
              syns: conn.syns,
              service,
              nodePort: server.port ?? '?',
              node,
              endpointNodes: [
                ...new Set(info.endpoints.filter((e) => e.ready).map((e) => e.node ?? '?')),
              ].join(', '),
            },
            key: `syn-unanswered|${endText(server)}`,
            service,
            ...base,
          },
          sums,
        );
        return;
      }
    }
    synUnanswered(
      endpoint !== null ? 'synUnansweredEndpoint' : 'synUnansweredService',
      {
        service,
        endpoint: endpoint !== null ? endText(endpoint.endpoint) : match.endpoints.slice(0, 3).join(', '),
      },
      service,
    );
    return;
  }
  if (endpoint !== null) {
    synUnanswered(
      'synUnansweredEndpoint',
      { service: endpoint.service, endpoint: endText(endpoint.endpoint) },
      endpoint.service,
    );
    return;
  }
  synUnanswered('synUnanswered', {});
}

function handshakeIncomplete(
  ctx: FindingsContext,
  conn: TcpConnection,
  examples: Examples,
  sink: Sink,
): void {
  const { client, server } = ends(ctx, conn.first);
  sink.add(
    {
      kind: 'tcp-handshake-incomplete',
      severity: 'warning',
      code: 'handshakeIncomplete',
      params: { client: host(client), server: endText(server), count: 1, synAcks: conn.synAcks },
      key: `tcp-handshake-incomplete|${endText(server)}`,
      weight: 1,
      flows: flowsOf(conn),
      packets: [
        ...synPackets(ctx, conn, examples),
        ...examples.packets(conn.members, TcpEvent.SYN_ACK, 'syn-ack'),
      ],
      pods: podsIn(client, server),
    },
    ['count', 'synAcks'],
  );
}

/** Retransmissions, zero windows and aborts of a connection that did open. */
function health(ctx: FindingsContext, conn: TcpConnection, examples: Examples, sink: Sink): void {
  const retransmissions = conn.retransmissions[0] + conn.retransmissions[1];
  const segments = conn.segments[0] + conn.segments[1];
  const retransmitted =
    retransmissions > 0 &&
    (retransmissions >= RETRANSMISSIONS_MIN || retransmissions >= segments * RETRANSMISSION_SHARE);
  const synAgain = conn.syns >= 2 && conn.answered && !conn.refused;
  const zeroWindows = conn.zeroWindows[0] + conn.zeroWindows[1];
  if (!retransmitted && !synAgain && zeroWindows === 0 && conn.abortedBy < 0) return;
  // Most connections are healthy: only these are named (a flow summary each).
  const { client, server } = ends(ctx, conn.first);
  const pods = podsIn(client, server);
  const flows = flowsOf(conn);
  if (retransmitted) {
    sink.add(
      {
        kind: 'tcp-retransmissions',
        severity: 'warning',
        code: 'tcpRetransmissions',
        params: {
          server: endText(server),
          client: host(client),
          connections: 1,
          count: retransmissions,
          segments,
          fromClient: conn.retransmissions[0],
          fromServer: conn.retransmissions[1],
        },
        key: `tcp-retransmissions|${endText(server)}`,
        weight: retransmissions,
        flows,
        packets: examples.packets(conn.members, TcpEvent.RETRANSMISSION, 'retransmission'),
        pods,
      },
      ['connections', 'count', 'segments', 'fromClient', 'fromServer'],
    );
  }
  if (synAgain) {
    sink.add(
      {
        kind: 'tcp-retransmissions',
        severity: 'warning',
        code: 'tcpSynRetransmitted',
        params: { server: endText(server), client: host(client), count: 1, syns: conn.syns },
        key: `tcp-retransmissions|syn|${endText(server)}`,
        weight: conn.syns - 1,
        flows,
        packets: synPackets(ctx, conn, examples),
        pods,
      },
      ['count', 'syns'],
    );
  }
  for (const side of [0, 1]) {
    const times = conn.zeroWindows[side];
    if (times === 0) continue;
    const advertiser = side === 0 ? host(client) : endText(server);
    const peer = side === 0 ? endText(server) : host(client);
    sink.add(
      {
        kind: 'tcp-zero-window',
        severity: 'warning',
        code: 'tcpZeroWindow',
        params: { advertiser, peer, count: times, connections: 1 },
        key: `tcp-zero-window|${advertiser}|${peer}`,
        weight: times,
        flows,
        packets: examples.packets(conn.members, TcpEvent.ZERO_WINDOW, 'zero-window', side),
        pods,
      },
      ['count', 'connections'],
    );
  }
  if (conn.abortedBy >= 0) {
    const by = conn.abortedBy === 0 ? host(client) : endText(server);
    const peer = conn.abortedBy === 0 ? endText(server) : host(client);
    sink.add(
      {
        kind: 'tcp-reset',
        severity: 'warning',
        code: 'tcpAborted',
        params: { by, peer, count: 1 },
        key: `tcp-reset|aborted|${by}|${peer}`,
        weight: 1,
        flows,
        packets: examples.packets(conn.members, TcpEvent.RESET, 'rst'),
        pods,
      },
      ['count'],
    );
  }
}
