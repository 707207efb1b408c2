import type { ServiceInfo } from '../cluster/index.js';
import { FlowKind } from '../flow/index.js';
import { type Draft, endText, type FindingsContext, type FlowRef, type PacketRef } from './context.js';

/** Clients named in a finding's text. */
const CLIENTS_LISTED = 3;

/**
 * The client's address lost on the way: NodePort and LoadBalancer traffic masqueraded to a
 * node's address (externalTrafficPolicy: Cluster), and load balancers that proxy and pass the
 * client in a PROXY protocol header instead.
 */
export function detectNat(ctx: FindingsContext, out: Draft[]): void {
  masqueraded(ctx, out);
  proxyProtocol(ctx, out);
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

function proxyProtocol(ctx: FindingsContext, out: Draft[]): void {
  const drafts = new Map<string, Draft & { clients: Set<string>; connections: Set<string> }>();
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
          ...(server.kind === 'pod' && server.name ? { pods: [server.name] } : {}),
        };
        drafts.set(key, d);
        out.push(d);
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
  }
}
