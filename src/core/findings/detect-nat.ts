import type { FlowSummary } from '../analysis/index.js';
import type { ServiceInfo } from '../cluster/index.js';
import { FlowKind } from '../flow/index.js';
import { type Draft, endText, type FindingsContext, type FlowRef, type PacketRef } from './context.js';
import { Count, TcpBit } from './observer.js';

/** Clients named in a finding's text. */
const CLIENTS_LISTED = 3;

/**
 * The client's address lost on the way: NodePort and LoadBalancer traffic masqueraded to a
 * node's address (externalTrafficPolicy: Cluster), and load balancers that proxy and pass the
 * client in a PROXY protocol header instead: the header present (and whether the Service's
 * annotations ask for it), or asked for and missing.
 */
export function detectNat(ctx: FindingsContext, out: Draft[]): void {
  masqueraded(ctx, out);
  proxyProtocol(ctx, out);
  proxyProtocolMissing(ctx, out);
}

/** The first few of a list, and how many more: "a, b, c (+2)". */
function listed(items: readonly string[]): string {
  const more = items.length - CLIENTS_LISTED;
  return `${items.slice(0, CLIENTS_LISTED).join(', ')}${more > 0 ? ` (+${more})` : ''}`;
}

const isExternalService = (s: ServiceInfo): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';

function masqueraded(ctx: FindingsContext, out: Draft[]): void {
  const cluster = ctx.cluster;
  if (cluster === undefined) return;
  const byName = new Map<string, ServiceInfo>();
  for (const s of cluster.snapshot.services)
    if (isExternalService(s) && s.externalTrafficPolicy !== 'Local')
      byName.set(`${s.namespace}/${s.name}`, s);
  if (byName.size === 0) return;
  interface Group {
    draft: Draft;
    connections: Set<string>;
    nodes: Set<string>;
    clients: Set<string>;
    /** Some source was another node than the endpoint's (a kubelet probes only its own pods). */
    remote: boolean;
  }
  const groups = new Map<string, Group>();
  const words = new Uint32Array(4);
  ctx.captures.forEach((_, c) => {
    const table = ctx.table(c);
    for (let flow = 0; flow < table.count; flow++) {
      if (table.kind(flow) !== FlowKind.PORTS) continue;
      // Most flows do not start at a node: looked up by number before any flow is written out.
      const from = table.address(flow, table.initiator(flow), words);
      if (cluster.identify(table.ipVersion(flow), from).kind !== 'node') continue;
      const s = ctx.summary(c, flow);
      // Seen at the endpoint (after DNAT), from a node's own address: masqueraded on the way.
      if (s.src.kind !== 'node') continue;
      const service = (s.endpointOf ?? []).map((e) => e.service).find((name) => byName.has(name));
      if (service === undefined) continue;
      let g = groups.get(service);
      if (g === undefined) {
        const info = byName.get(service)!;
        g = {
          draft: {
            kind: 'client-ip-masqueraded',
            severity: 'warning',
            code: 'clientIpMasqueraded',
            params: {
              service,
              type: info.type,
              policy: info.externalTrafficPolicy ?? 'Cluster',
              endpoint: endText(s.dst),
            },
            key: `client-ip-masqueraded|${service}`,
            weight: 0,
            flows: [],
            packets: [],
            service,
            pods: s.dst.kind === 'pod' && s.dst.name ? [s.dst.name] : [],
          },
          connections: new Set(),
          nodes: new Set(),
          clients: new Set(),
          remote: false,
        };
        groups.set(service, g);
        out.push(g.draft);
      }
      g.nodes.add(endText({ ...s.src, port: undefined }));
      if (s.dst.node === undefined || s.src.name !== s.dst.node) g.remote = true;
      const flows: FlowRef[] = [{ capture: c, flow }];
      const packets: PacketRef[] = [{ capture: c, record: table.firstRecord(flow), role: 'request' }];
      // Where the same connection was also seen before the masquerade, its source is the client.
      const model = ctx.connection(c, flow);
      g.connections.add(ctx.connectionKey(c, flow));
      for (const hop of model?.hops ?? []) {
        if (hop.capture === c && hop.flow === flow) continue;
        const before = ctx.summary(hop.capture, hop.flow);
        const clientSide = ctx.table(hop.capture).initiator(hop.flow) === hop.toServerDirection;
        const src = clientSide ? before.src : before.dst;
        if (src.kind === 'node') continue;
        g.clients.add(endText({ ...src, port: undefined }));
        flows.push({ capture: hop.capture, flow: hop.flow });
        packets.push({
          capture: hop.capture,
          record: ctx.table(hop.capture).firstRecord(hop.flow),
          role: 'request',
        });
      }
      g.draft.flows.push(...flows);
      g.draft.packets.push(...packets);
    }
  });
  for (const g of groups.values()) {
    const d = g.draft;
    d.params.count = g.connections.size;
    d.params.nodes = [...g.nodes].sort().join(', ');
    d.weight = g.connections.size;
    if (g.clients.size > 0) {
      const clients = [...g.clients].sort();
      d.code = 'clientIpMasqueradedSeen';
      d.params.clients = listed(clients);
    } else if (!g.remote) {
      // Only the endpoint's own node, and no client seen before it: the kubelet's probes come
      // from that very address, so this may be nothing but health checks.
      d.code = 'clientIpMasqueradedOrProbes';
      d.severity = 'info';
    }
  }
}

/** Whether an annotation of the Service has its load balancer send PROXY headers on Service port `port`. */
const sendsProxy = (service: ServiceInfo | undefined, port: number): boolean =>
  service !== undefined &&
  service.type === 'LoadBalancer' &&
  service.proxyProtocol !== null &&
  service.proxyProtocol.ports.includes(port);

/** The Service ports a stream may have come in on: the Service address or NodePort it reached, or those it is an endpoint of. */
function servicePortsOf(s: FlowSummary): { service: string; port: number }[] {
  const out = s.service === undefined ? [] : [{ service: s.service.name, port: s.service.port }];
  for (const e of s.endpointOf ?? []) out.push({ service: e.service, port: e.port });
  return out;
}

function proxyProtocol(ctx: FindingsContext, out: Draft[]): void {
  const services = new Map(
    (ctx.cluster?.snapshot.services ?? []).map((s) => [`${s.namespace}/${s.name}`, s]),
  );
  const drafts = new Map<
    string,
    Draft & {
      clients: Set<string>;
      connections: Set<string>;
      /** Services the streams reached whose annotations ask no load balancer for the header. */
      unannounced: Set<string>;
      announced: boolean;
    }
  >();
  ctx.captures.forEach((capture, c) => {
    const table = ctx.table(c);
    for (const [flow, header] of table.proxyHeaders) {
      const s = ctx.summary(c, flow);
      const initiator = table.initiator(flow);
      // The header opens the stream of the side that connected: the load balancer.
      const lb = header.direction === initiator ? s.src : s.dst;
      const server = header.direction === initiator ? s.dst : s.src;
      const key = `proxy-protocol|${endText(server)}|${header.version}`;
      let d = drafts.get(key);
      if (d === undefined) {
        d = {
          kind: 'proxy-protocol',
          severity: 'info',
          code: 'proxyProtocol',
          params: {
            version: header.version,
            lb: endText({ ...lb, port: undefined }),
            server: endText(server),
          },
          key,
          weight: 0,
          flows: [],
          packets: [],
          clients: new Set(),
          connections: new Set(),
          unannounced: new Set(),
          announced: false,
          ...(server.kind === 'pod' && server.name ? { pods: [server.name] } : {}),
        };
        drafts.set(key, d);
        out.push(d);
      }
      if (header.direction === initiator) {
        let candidates = servicePortsOf(s);
        // The header's destination is the load balancer's listener, whose port is the Service port.
        const listener = candidates.filter((x) => x.port === header.destinationPort);
        if (listener.length > 0) candidates = listener;
        if (candidates.some((x) => sendsProxy(services.get(x.service), x.port))) d.announced = true;
        else for (const x of candidates) d.unannounced.add(x.service);
      }
      const client = s.proxyProtocol?.src;
      if (client !== undefined) d.clients.add(endText({ ...client, port: undefined }));
      d.connections.add(ctx.connectionKey(c, flow));
      d.flows.push({ capture: c, flow });
      const record = capture.observer.firstPayload[flow * 2 + header.direction];
      if (record >= 0) d.packets.push({ capture: c, record, role: 'proxy-header' });
    }
  });
  for (const d of drafts.values()) {
    const clients = [...d.clients].sort();
    d.params.count = d.connections.size;
    d.params.clients = clients.length > 0 ? listed(clients) : '?';
    d.weight = d.connections.size;
    if (d.unannounced.size > 0 && !d.announced) {
      // Sent by something the snapshot does not configure: the server is set up apart from it.
      const named = [...d.unannounced].sort();
      d.code = 'proxyProtocolUnannounced';
      d.params.service = named.join(', ');
      d.service = named[0];
    }
  }
}

/**
 * A Service whose annotations ask its load balancer for PROXY headers, and TCP streams to it
 * (to its ClusterIP, a NodePort, or its endpoints after DNAT) that open without one: the
 * server, set up to read the header first, refuses them or reads the header's place as data.
 * Only streams whose SYN and first data were both captured count; streams to the load
 * balancer's own address are the clients' (the load balancer adds the header behind it).
 */
function proxyProtocolMissing(ctx: FindingsContext, out: Draft[]): void {
  const cluster = ctx.cluster;
  if (cluster === undefined) return;
  const byName = new Map<string, ServiceInfo>();
  // Flows are first sifted by the server's port, a number, before any is written out.
  const ports = new Set<number>();
  for (const s of cluster.snapshot.services) {
    if (s.type !== 'LoadBalancer' || s.proxyProtocol === null) continue;
    byName.set(`${s.namespace}/${s.name}`, s);
    for (const p of s.ports) {
      if (!s.proxyProtocol.ports.includes(p.port)) continue;
      ports.add(p.port);
      if (p.nodePort !== null) ports.add(p.nodePort);
      if (typeof p.targetPort === 'number') ports.add(p.targetPort);
      for (const e of s.endpoints) for (const ep of e.ports) if (ep.name === p.name) ports.add(ep.port);
    }
  }
  if (byName.size === 0) return;
  type Origin = 'pod' | 'outside' | 'node';
  interface Group {
    draft: Draft;
    /** Per connection, its sources at each capture point by what they are. */
    connections: Map<string, Record<Origin, Set<string>>>;
    ports: Set<number>;
  }
  const groups = new Map<string, Group>();
  ctx.captures.forEach((capture, c) => {
    const table = ctx.table(c);
    const observer = capture.observer;
    for (let flow = 0; flow < table.count; flow++) {
      if (table.kind(flow) !== FlowKind.PORTS || !observer.isTcp(flow)) continue;
      const initiator = table.initiator(flow);
      if (!ports.has(table.port(flow, 1 - initiator))) continue;
      // The initiator's SYN and its stream's first bytes seen, and they are not a PROXY header.
      if (observer.count(flow, initiator, Count.SYNS) === 0) continue;
      if (!observer.has(flow, TcpBit.OPENS_STREAM << initiator)) continue;
      if (observer.has(flow, TcpBit.PROXY_SIGNATURE << initiator)) continue;
      const s = ctx.summary(c, flow);
      // A client's stream to the load balancer's own address has no header: the LB adds it behind.
      const toBalancer =
        s.service !== undefined &&
        s.dst.ip !== undefined &&
        byName.get(s.service.name)?.loadBalancerIPs.includes(s.dst.ip) === true;
      const hit = servicePortsOf(s)
        .slice(toBalancer ? 1 : 0)
        .find((x) => sendsProxy(byName.get(x.service), x.port));
      if (hit === undefined) continue;
      let g = groups.get(hit.service);
      if (g === undefined) {
        const info = byName.get(hit.service)!;
        g = {
          draft: {
            kind: 'proxy-protocol-missing',
            severity: 'warning',
            code: 'proxyProtocolMissing',
            params: { service: hit.service, annotation: info.proxyProtocol!.annotation },
            key: `proxy-protocol-missing|${hit.service}`,
            weight: 0,
            flows: [],
            packets: [],
            service: hit.service,
            pods: [],
          },
          connections: new Map(),
          ports: new Set(),
        };
        groups.set(hit.service, g);
        out.push(g.draft);
      }
      g.ports.add(hit.port);
      const key = ctx.connectionKey(c, flow);
      let sources = g.connections.get(key);
      if (sources === undefined) {
        sources = { pod: new Set(), outside: new Set(), node: new Set() };
        g.connections.set(key, sources);
      }
      const kind = s.src.kind;
      const origin = kind === 'pod' || kind === 'unknown-pod' ? 'pod' : kind === 'node' ? 'node' : 'outside';
      sources[origin].add(endText({ ...s.src, port: undefined }));
      if (s.dst.kind === 'pod' && s.dst.name) g.draft.pods!.push(s.dst.name);
      g.draft.flows.push({ capture: c, flow });
      const record = observer.firstPayload[flow * 2 + initiator];
      if (record >= 0) g.draft.packets.push({ capture: c, record, role: 'request' });
    }
  });
  for (const g of groups.values()) {
    const d = g.draft;
    // A capture point before a masquerade names the client; a node's address after it only
    // says which node the connection passed.
    const origins = [...g.connections.values()].map((x) =>
      x.pod.size > 0 ? x.pod : x.outside.size > 0 ? x.outside : x.node,
    );
    const clients = new Set(origins.flatMap((x) => [...x]));
    d.params.count = g.connections.size;
    d.params.clients = listed([...clients].sort());
    d.params.ports = [...g.ports].sort((a, b) => a - b).join(', ');
    d.weight = g.connections.size;
    // Pods alone: clients inside the cluster, which never pass the load balancer.
    if ([...g.connections.values()].every((x) => x.pod.size > 0)) d.code = 'proxyProtocolMissingInCluster';
  }
}
