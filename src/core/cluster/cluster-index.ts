import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange } from 'ip-num';
import { formatIpv4, formatIpv6 } from '../decode/index.js';
import type { ClusterSnapshot, NodeInfo, PodInfo, ServiceInfo, ServicePort } from './snapshot.js';

export type IdentityKind = 'pod' | 'node' | 'service' | 'external' | 'unknown-pod' | 'unknown-service';

/** What an address is in the cluster. */
export interface Identity {
  kind: IdentityKind;
  /** "namespace/name" for pods and Services, the node's name for nodes, null for external. */
  name: string | null;
  namespace?: string;
  /** The node a pod runs on, or whose pod range holds an unknown pod. */
  node?: string;
  /** The pod's controller, e.g. "Deployment/web". */
  workload?: string;
  /** For node addresses: which of the node's addresses this is. */
  role?: 'address' | 'tunnel' | 'bridge' | 'host';
  /** For node addresses: the hostNetwork pods that share them. */
  hostNetworkPods?: string[];
}

/** A Service reached at one of its addresses and ports. */
export interface ServiceMatch {
  service: ServiceInfo;
  port: ServicePort;
  /** The port the endpoints listen on (a named targetPort resolved through the endpoints). */
  targetPort: number | null;
  /** Ready endpoints as "ip:port" ("[ip]:port" for IPv6). */
  endpoints: string[];
  /** Reached through a node's NodePort rather than a Service address. */
  viaNodePort: boolean;
}

interface Range {
  version: 4 | 6;
  first: bigint;
  last: bigint;
  cidr: string;
  prefix: number;
  /** IPv4 first and last as numbers, for lookups without BigInt. */
  lo: number;
  hi: number;
  node: string | null;
  /** The identity of an unknown address in this node block, made on first use. */
  unknown?: Identity;
}

const EXTERNAL: Identity = Object.freeze({ kind: 'external', name: null }) as Identity;
const UNKNOWN_POD: Identity = Object.freeze({ kind: 'unknown-pod', name: 'unknown pod' }) as Identity;
const UNKNOWN_SERVICE: Identity = Object.freeze({
  kind: 'unknown-service',
  name: 'unknown Service',
}) as Identity;

/**
 * IPv4 dotted-quad text to its number, or null. Hand-written, not ip-num: a snapshot of
 * thousands of pods parses tens of thousands of addresses, and ip-num's parser was most of
 * building the index.
 */
export function ipv4Number(text: string): number | null {
  let value = 0;
  let part = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + c - 48;
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46 && part >= 0 && dots < 3) {
      value = value * 256 + part;
      part = -1;
      digits = 0;
      dots++;
    } else return null;
  }
  if (dots !== 3 || part < 0) return null;
  return value * 256 + part;
}

/** IPv6 text to four big-endian 32-bit words, or null. */
export function ipv6Words(text: string): Uint32Array | null {
  try {
    const value = IPv6.fromString(text).getValue();
    const out = new Uint32Array(4);
    for (let i = 0; i < 4; i++) out[i] = Number((value >> BigInt(96 - 32 * i)) & 0xffffffffn);
    return out;
  } catch {
    return null;
  }
}

const wordsKey = (w: ArrayLike<number>): string => `${w[0]}:${w[1]}:${w[2]}:${w[3]}`;
const wordsValue = (w: ArrayLike<number>): bigint =>
  (BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3]);

/** CIDR text as RFC 5952 prints it (ip-num writes IPv6 uncompressed). */
function cidrText(version: 4 | 6, first: bigint, prefix: number): string {
  const words = [
    Number((first >> 96n) & 0xffffffffn),
    Number((first >> 64n) & 0xffffffffn),
    Number((first >> 32n) & 0xffffffffn),
    Number(first & 0xffffffffn),
  ];
  return `${version === 4 ? formatIpv4(Number(first)) : formatIpv6(words)}/${prefix}`;
}

function parseRange(cidr: string, node: string | null): Range | null {
  try {
    const prefix = Number(cidr.split('/')[1]);
    if (cidr.includes(':')) {
      const r = IPv6CidrRange.fromCidr(cidr);
      const first = r.getFirst().getValue();
      return {
        version: 6,
        first,
        last: r.getLast().getValue(),
        cidr: cidrText(6, first, prefix),
        prefix,
        lo: -1,
        hi: -1,
        node,
      };
    }
    const r = IPv4CidrRange.fromCidr(cidr);
    const first = r.getFirst().getValue();
    const last = r.getLast().getValue();
    return {
      version: 4,
      first,
      last,
      cidr: cidrText(4, first, prefix),
      prefix,
      lo: Number(first),
      hi: Number(last),
      node,
    };
  } catch {
    return null;
  }
}

/** The smallest CIDR holding all values, no longer than `maxPrefix` bits (a wider range is fine). */
function commonSupernet(version: 4 | 6, values: bigint[], maxPrefix: number): string | null {
  if (values.length === 0) return null;
  const bits = version === 4 ? 32 : 128;
  let prefix = Math.min(bits, maxPrefix);
  const low = values.reduce((a, b) => (a < b ? a : b));
  const high = values.reduce((a, b) => (a > b ? a : b));
  while (prefix > 0 && low >> BigInt(bits - prefix) !== high >> BigInt(bits - prefix)) prefix--;
  const network = (low >> BigInt(bits - prefix)) << BigInt(bits - prefix);
  return cidrText(version, network, prefix);
}

function workloadName(pod: PodInfo): string | undefined {
  return pod.workload ? `${pod.workload.kind}/${pod.workload.name}` : undefined;
}

function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Who is who in a cluster snapshot: every pod, node and Service address, the pod and
 * Service ranges (as written, or inferred from the snapshot), and each node's own addresses
 * inside the pod range (tunnel endpoints, bridge gateways). IPv4 lookups are by number.
 */
export class ClusterIndex {
  readonly podRanges: string[] = [];
  readonly serviceRanges: string[] = [];
  /** Node pod ranges: spec.podCIDRs and, for Calico, the /26 blocks its pods sit in. */
  readonly nodeBlocks: { node: string; cidr: string; inferred: boolean }[] = [];
  private readonly v4 = new Map<number, Identity>();
  private readonly v6 = new Map<string, Identity>();
  private readonly services = new Map<string, ServiceInfo[]>();
  private readonly nodePorts = new Map<string, { service: ServiceInfo; port: ServicePort }>();
  private readonly blocks: Range[] = [];
  private readonly podRangeList: Range[] = [];
  private readonly serviceRangeList: Range[] = [];
  private readonly podByName = new Map<string, PodInfo>();

  constructor(readonly snapshot: ClusterSnapshot) {
    for (const pod of snapshot.pods) this.podByName.set(`${pod.namespace}/${pod.name}`, pod);
    for (const node of snapshot.nodes) this.indexNode(node);
    for (const pod of snapshot.pods) if (!pod.hostNetwork) this.indexPod(pod);
    this.indexHostNetworkPods(snapshot);
    for (const service of snapshot.services) this.indexService(service);
    this.inferRanges();
  }

  private set(address: string, identity: Identity, overwrite = false): void {
    const n = ipv4Number(address);
    if (n !== null) {
      // Keyed `| 0` (a small integer, fast to hash) rather than by the unsigned value.
      if (overwrite || !this.v4.has(n | 0)) this.v4.set(n | 0, identity);
      return;
    }
    const w = ipv6Words(address);
    if (w !== null && (overwrite || !this.v6.has(wordsKey(w)))) this.v6.set(wordsKey(w), identity);
  }

  private indexNode(node: NodeInfo): void {
    const identity = (role: Identity['role']): Identity => {
      const id: Identity = { kind: 'node', name: node.name, node: node.name, role };
      if (node.hostNetworkPods.length > 0) id.hostNetworkPods = node.hostNetworkPods;
      return id;
    };
    for (const ip of [...node.internalIPs, ...node.externalIPs]) this.set(ip, identity('address'), true);
    const a = node.annotations;
    // Tunnel endpoints and host addresses the CNIs give a node inside the pod range.
    for (const key of [
      'projectcalico.org/IPv4VXLANTunnelAddr',
      'projectcalico.org/IPv4IPIPTunnelAddr',
      'projectcalico.org/IPv6VXLANTunnelAddr',
    ]) {
      if (a[key]) this.set(a[key], identity('tunnel'), true);
    }
    for (const key of [
      'network.cilium.io/ipv4-cilium-host',
      'io.cilium.network.ipv4-cilium-host',
      'network.cilium.io/ipv6-cilium-host',
    ]) {
      if (a[key]) this.set(a[key], identity('host'), true);
    }
    // Flannel's VTEP underlay address, when it is not the InternalIP (a second NIC, --public-ip).
    for (const key of [
      'flannel.alpha.coreos.com/public-ip',
      'flannel.alpha.coreos.com/public-ip-overwrite',
      'flannel.alpha.coreos.com/public-ipv6',
      'flannel.alpha.coreos.com/public-ipv6-overwrite',
    ]) {
      if (a[key]) this.set(a[key], identity('address'));
    }
    const calicoAddress = a['projectcalico.org/IPv4Address'];
    if (calicoAddress) this.set(calicoAddress.split('/')[0], identity('address'));
    for (const cidr of node.podCIDRs) {
      const range = parseRange(cidr, node.name);
      if (range === null) continue;
      this.blocks.push(range);
      this.nodeBlocks.push({ node: node.name, cidr: range.cidr, inferred: false });
      // Calico and Cilium hand out their own addresses (annotated above); elsewhere (Flannel,
      // the bridge plugin) the podCIDR's first addresses are the node's.
      const ownAddressing = Object.keys(a).some(
        (k) => k.startsWith('projectcalico.org/') || k.includes('cilium'),
      );
      if (!ownAddressing && range.version === 4 && range.last - range.first >= 3n) {
        // Flannel puts the network address on flannel.1 (its VTEP), and the bridge plugin
        // the first address on cni0: both are the node's, and masquerade uses them.
        this.set(IPv4.fromNumber(range.first).toString(), identity('tunnel'));
        this.set(IPv4.fromNumber(range.first + 1n).toString(), identity('bridge'));
      }
    }
  }

  /**
   * A hostNetwork pod's address is its node's. When the snapshot lists no Node object for it
   * (pods and Services only), the pod still tells the node's name and address.
   */
  private indexHostNetworkPods(snapshot: ClusterSnapshot): void {
    const known = new Set(snapshot.nodes.map((n) => n.name));
    const byNode = new Map<string, { ips: Set<string>; pods: string[] }>();
    for (const pod of snapshot.pods) {
      if (!pod.hostNetwork || pod.node === null || known.has(pod.node)) continue;
      const entry = byNode.get(pod.node) ?? { ips: new Set<string>(), pods: [] };
      for (const ip of pod.ips) entry.ips.add(ip);
      entry.pods.push(`${pod.namespace}/${pod.name}`);
      byNode.set(pod.node, entry);
    }
    for (const [node, { ips, pods }] of byNode) {
      const identity: Identity = { kind: 'node', name: node, node, role: 'address', hostNetworkPods: pods };
      for (const ip of ips) this.set(ip, identity);
    }
  }

  private indexPod(pod: PodInfo): void {
    const identity: Identity = {
      kind: 'pod',
      name: `${pod.namespace}/${pod.name}`,
      namespace: pod.namespace,
    };
    if (pod.node !== null) identity.node = pod.node;
    const workload = workloadName(pod);
    if (workload !== undefined) identity.workload = workload;
    for (const ip of pod.ips) this.set(ip, identity, true);
  }

  private indexService(service: ServiceInfo): void {
    const identity: Identity = {
      kind: 'service',
      name: `${service.namespace}/${service.name}`,
      namespace: service.namespace,
    };
    for (const ip of [...service.clusterIPs, ...service.externalIPs, ...service.loadBalancerIPs]) {
      this.set(ip, identity, true);
      const list = this.services.get(this.canonical(ip)) ?? [];
      list.push(service);
      this.services.set(this.canonical(ip), list);
    }
    for (const port of service.ports) {
      if (port.nodePort !== null) this.nodePorts.set(`${port.protocol}/${port.nodePort}`, { service, port });
    }
  }

  private canonical(ip: string): string {
    const n = ipv4Number(ip);
    if (n !== null) return String(n);
    const w = ipv6Words(ip);
    return w === null ? ip : wordsKey(w);
  }

  private inferRanges(): void {
    const nodes = this.snapshot.nodes;
    const nodeSubnets = nodes.flatMap((n) =>
      n.internalIPs
        .map(ipv4Number)
        .filter((x): x is number => x !== null)
        .map((x) => x >>> 8),
    );
    const nodeByName = new Map(nodes.map((n) => [n.name, n]));
    const ownIpam = (n: NodeInfo | undefined): boolean =>
      n !== undefined &&
      Object.keys(n.annotations).some((k) => k.startsWith('projectcalico.org/') || k.includes('cilium'));
    // Calico IPAM blocks need not match spec.podCIDR (nor lie in the node's own podCIDR): a
    // node owns the /26 each of its pods, and its tunnel address, sits in. Pods of a node with
    // no podCIDR and no IPAM of its own take node-subnet addresses (AWS VPC CNI): no blocks.
    const claim = (node: string, n: number): void => {
      const held = this.blockOf4(n);
      if (held !== null && (held.node === node || held.prefix >= 26)) return;
      const base = BigInt((n & ~63) >>> 0);
      const cidr = `${IPv4.fromNumber(base).toString()}/26`;
      this.blocks.push({
        version: 4,
        first: base,
        last: base + 63n,
        cidr,
        node,
        prefix: 26,
        lo: Number(base),
        hi: Number(base) + 63,
      });
      this.nodeBlocks.push({ node, cidr, inferred: true });
    };
    for (const node of nodes) {
      for (const key of ['projectcalico.org/IPv4VXLANTunnelAddr', 'projectcalico.org/IPv4IPIPTunnelAddr']) {
        const n = ipv4Number(node.annotations[key] ?? '');
        if (n !== null) claim(node.name, n);
      }
    }
    for (const pod of this.snapshot.pods) {
      if (pod.hostNetwork || pod.node === null) continue;
      const node = nodeByName.get(pod.node);
      if (node !== undefined && node.podCIDRs.length === 0 && !ownIpam(node)) continue;
      for (const ip of pod.ips) {
        const n = ipv4Number(ip);
        if (n === null || nodeSubnets.includes(n >>> 8)) continue;
        claim(pod.node, n);
      }
    }
    const written = this.snapshot.writtenRanges ?? { pod: [], service: [], from: [] };
    for (const version of [4, 6] as const) {
      const writtenRange = (list: string[]): Range[] =>
        list
          .map((cidr) => parseRange(cidr, null))
          .filter((r): r is Range => r !== null && r.version === version);
      const writtenPod = writtenRange(written.pod);
      const blocks = this.blocks.filter((b) => b.version === version);
      const pod =
        writtenPod.length > 0
          ? null
          : commonSupernet(
              version,
              blocks.flatMap((b) => [b.first, b.last]),
              version === 4 ? 32 : 128,
            );
      for (const r of writtenPod) {
        this.podRanges.push(r.cidr);
        this.podRangeList.push(r);
      }
      // A range wider than a /8 (IPv4) or /32 (IPv6) is not a pod network but blocks far apart.
      if (pod !== null && Number(pod.split('/')[1]) >= (version === 4 ? 8 : 32)) {
        this.podRanges.push(pod);
        this.podRangeList.push(parseRange(pod, null)!);
      }
      // A Service range is at least a /16 (IPv4) or /112 (IPv6): one Service alone must not
      // make the range a single address, or an unknown Service beside it would go unnamed.
      const clusterIPs = this.snapshot.services
        .flatMap((s) => s.clusterIPs)
        .filter((ip) => ip.includes(':') === (version === 6));
      const values = clusterIPs.map((ip) =>
        version === 4 ? BigInt(ipv4Number(ip) ?? 0) : wordsValue(ipv6Words(ip) ?? [0, 0, 0, 0]),
      );
      const writtenService = writtenRange(written.service);
      for (const r of writtenService) {
        this.serviceRanges.push(r.cidr);
        this.serviceRangeList.push(r);
      }
      const service =
        writtenService.length > 0 ? null : commonSupernet(version, values, version === 4 ? 16 : 112);
      if (service !== null) {
        this.serviceRanges.push(service);
        this.serviceRangeList.push(parseRange(service, null)!);
      }
    }
  }

  /** The most specific block holding the address: a Calico /26 inside another node's podCIDR is its own node's. */
  private blockOf(version: 4 | 6, value: bigint): Range | null {
    if (version === 4) return this.blockOf4(Number(value));
    let best: Range | null = null;
    for (const b of this.blocks)
      if (b.version === 6 && value >= b.first && value <= b.last && (best === null || b.prefix > best.prefix))
        best = b;
    return best;
  }

  /** blockOf for IPv4, by number: no BigInt per lookup. */
  private blockOf4(n: number): Range | null {
    let best: Range | null = null;
    for (const b of this.blocks)
      if (b.version === 4 && n >= b.lo && n <= b.hi && (best === null || b.prefix > best.prefix)) best = b;
    return best;
  }

  /**
   * Whether an address lies in a node's pod block (a podCIDR, or a Calico block its pods sit
   * in). Pods outside every block take addresses from the node subnet (AWS VPC CNI).
   */
  inPodBlock(version: number, words: ArrayLike<number>): boolean {
    return (version === 4 ? this.blockOf4(words[0]) : this.blockOf(6, wordsValue(words))) !== null;
  }

  /** The identity of an address in podpath's word layout (IPv4 in word 0). */
  identify(version: number, words: ArrayLike<number>): Identity {
    if (version === 4) return this.identify4(words[0]);
    const known = this.v6.get(wordsKey(words));
    if (known !== undefined) return known;
    const value = wordsValue(words);
    return this.unknownIdentity(this.blockOf(6, value), 6, value);
  }

  /** identify for IPv4, by number: no BigInt unless the address is in no table at all. */
  private identify4(n: number): Identity {
    const known = this.v4.get(n | 0);
    if (known !== undefined) return known;
    return this.unknownIdentity(this.blockOf4(n), 4, BigInt(n));
  }

  private unknownIdentity(block: Range | null, v: 4 | 6, value: bigint): Identity {
    if (block !== null) {
      // One identity per block, so callers that cache by identity make its text once.
      block.unknown ??= {
        kind: 'unknown-pod',
        name: `unknown pod on ${block.node}`,
        node: block.node ?? undefined,
      };
      return block.unknown;
    }
    for (const r of this.podRangeList)
      if (r.version === v && value >= r.first && value <= r.last) return UNKNOWN_POD;
    for (const r of this.serviceRangeList)
      if (r.version === v && value >= r.first && value <= r.last) return UNKNOWN_SERVICE;
    return EXTERNAL;
  }

  /** The identity of an address written as text. */
  identifyText(address: string): Identity {
    const n = ipv4Number(address);
    if (n !== null) return this.identify(4, [n, 0, 0, 0]);
    const w = ipv6Words(address);
    return w === null ? EXTERNAL : this.identify(6, w);
  }

  /** The node an address belongs to (its own address, tunnel endpoint, bridge), or null. */
  nodeOf(address: string): string | null {
    const id = this.identifyText(address);
    return id.kind === 'node' ? id.name : null;
  }

  /**
   * The Service reached at `address`:`port` over `protocol` ('tcp', 'udp', 'sctp'): one of
   * its addresses and ports, or a NodePort on a node's address. Null when none.
   */
  serviceAt(address: string, port: number, protocol: string): ServiceMatch | null {
    const n = ipv4Number(address);
    if (n !== null) return this.serviceAtWords(4, [n, 0, 0, 0], port, protocol);
    const w = ipv6Words(address);
    return w === null ? null : this.serviceAtWords(6, w, port, protocol);
  }

  /** serviceAt for an address in podpath's word layout (IPv4 in word 0): no text per lookup. */
  serviceAtWords(
    version: number,
    words: ArrayLike<number>,
    port: number,
    protocol: string,
  ): ServiceMatch | null {
    const kind = this.identify(version, words).kind;
    if (kind !== 'service' && kind !== 'node') return null;
    const wanted = protocol.toUpperCase();
    const ipv6 = version !== 4;
    const key = ipv6 ? wordsKey(words) : String(words[0]);
    for (const service of this.services.get(key) ?? []) {
      const p = service.ports.find((x) => x.port === port && x.protocol === wanted);
      if (p) return this.match(service, p, false, ipv6);
    }
    if (kind === 'node') {
      const hit = this.nodePorts.get(`${wanted}/${port}`);
      if (hit) return this.match(hit.service, hit.port, true, ipv6);
    }
    return null;
  }

  private endpointIndex: Map<string, ServiceMatch[]> | null = null;

  /**
   * The Services that have `address`:`port` as a ready endpoint for `protocol`: what a
   * connection seen only after DNAT (inside the server pod, say) was sent to.
   */
  servicesOfEndpoint(address: string, port: number, protocol: string): ServiceMatch[] {
    if (this.endpointIndex === null) {
      const index = new Map<string, ServiceMatch[]>();
      for (const service of this.snapshot.services) {
        for (const p of service.ports) {
          for (const ipv6 of [false, true]) {
            const m = this.match(service, p, false, ipv6);
            for (const endpoint of m.endpoints) {
              const colon = endpoint.lastIndexOf(':');
              const ip = endpoint.slice(0, colon).replace(/^\[|\]$/g, '');
              const key = `${p.protocol}/${this.canonical(ip)}/${endpoint.slice(colon + 1)}`;
              const list = index.get(key) ?? [];
              if (!list.some((x) => x.service === service && x.port === p)) list.push(m);
              index.set(key, list);
            }
          }
        }
      }
      this.endpointIndex = index;
    }
    return this.endpointIndex.get(`${protocol.toUpperCase()}/${this.canonical(address)}/${port}`) ?? [];
  }

  /** The Service port's ready endpoints of the family asked for (kube-proxy NATs within one). */
  private match(service: ServiceInfo, port: ServicePort, viaNodePort: boolean, ipv6: boolean): ServiceMatch {
    const numeric: number | null = typeof port.targetPort === 'number' ? port.targetPort : null;
    let targetPort = numeric;
    const endpoints: string[] = [];
    for (const e of service.endpoints) {
      if (!e.ready || e.ip.includes(':') !== ipv6) continue;
      // The endpoint port carries the Service port's name; a single unnamed port matches too.
      const ep =
        e.ports.find((x) => x.name === port.name && x.protocol === port.protocol) ??
        (e.ports.length === 1 ? e.ports[0] : undefined);
      let resolved = ep?.port ?? numeric;
      if (resolved === null && typeof port.targetPort === 'string' && e.pod !== null) {
        resolved = this.podByName.get(e.pod)?.namedPorts[port.targetPort] ?? null;
      }
      if (resolved === null) continue;
      targetPort ??= resolved;
      endpoints.push(formatEndpoint(e.ip, resolved));
    }
    return { service, port, targetPort, endpoints, viaNodePort };
  }
}
