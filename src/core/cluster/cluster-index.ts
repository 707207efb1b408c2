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
  node: string | null;
}

const EXTERNAL: Identity = Object.freeze({ kind: 'external', name: null }) as Identity;

/** IPv4 text to its number, or null. */
export function ipv4Number(text: string): number | null {
  try {
    return Number(IPv4.fromDecimalDottedString(text).getValue());
  } catch {
    return null;
  }
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
      return { version: 6, first, last: r.getLast().getValue(), cidr: cidrText(6, first, prefix), node };
    }
    const r = IPv4CidrRange.fromCidr(cidr);
    const first = r.getFirst().getValue();
    return { version: 4, first, last: r.getLast().getValue(), cidr: cidrText(4, first, prefix), node };
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
    for (const service of snapshot.services) this.indexService(service);
    this.inferRanges();
  }

  private set(address: string, identity: Identity, overwrite = false): void {
    const n = ipv4Number(address);
    if (n !== null) {
      if (overwrite || !this.v4.has(n)) this.v4.set(n, identity);
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
    // Calico IPAM blocks need not match spec.podCIDR: a node also owns the /26 each of its
    // pods sits in. Pods in the node subnet (AWS VPC CNI) are addressed there, not in blocks.
    for (const pod of this.snapshot.pods) {
      if (pod.hostNetwork || pod.node === null) continue;
      for (const ip of pod.ips) {
        const n = ipv4Number(ip);
        if (n === null || nodeSubnets.includes(n >>> 8)) continue;
        if (this.blockOf(4, BigInt(n)) !== null) continue;
        const base = BigInt((n & ~63) >>> 0);
        const range: Range = {
          version: 4,
          first: base,
          last: base + 63n,
          cidr: `${IPv4.fromNumber(base).toString()}/26`,
          node: pod.node,
        };
        this.blocks.push(range);
        this.nodeBlocks.push({ node: pod.node, cidr: range.cidr, inferred: true });
      }
    }
    for (const version of [4, 6] as const) {
      const blocks = this.blocks.filter((b) => b.version === version);
      const pod = commonSupernet(
        version,
        blocks.flatMap((b) => [b.first, b.last]),
        version === 4 ? 32 : 128,
      );
      if (pod !== null) {
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
      const service = commonSupernet(version, values, version === 4 ? 16 : 112);
      if (service !== null) {
        this.serviceRanges.push(service);
        this.serviceRangeList.push(parseRange(service, null)!);
      }
    }
  }

  private blockOf(version: 4 | 6, value: bigint): Range | null {
    for (const b of this.blocks) if (b.version === version && value >= b.first && value <= b.last) return b;
    return null;
  }

  /** The identity of an address in podpath's word layout (IPv4 in word 0). */
  identify(version: number, words: ArrayLike<number>): Identity {
    const known = version === 4 ? this.v4.get(words[0]) : this.v6.get(wordsKey(words));
    if (known !== undefined) return known;
    const v = version === 4 ? 4 : 6;
    const value = version === 4 ? BigInt(words[0]) : wordsValue(words);
    const block = this.blockOf(v, value);
    if (block !== null)
      return { kind: 'unknown-pod', name: `unknown pod on ${block.node}`, node: block.node ?? undefined };
    for (const r of this.podRangeList)
      if (r.version === v && value >= r.first && value <= r.last)
        return { kind: 'unknown-pod', name: 'unknown pod' };
    for (const r of this.serviceRangeList)
      if (r.version === v && value >= r.first && value <= r.last)
        return { kind: 'unknown-service', name: 'unknown Service' };
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
    const wanted = protocol.toUpperCase();
    for (const service of this.services.get(this.canonical(address)) ?? []) {
      const p = service.ports.find((x) => x.port === port && x.protocol === wanted);
      if (p) return this.match(service, p, false);
    }
    if (this.identifyText(address).kind === 'node') {
      const hit = this.nodePorts.get(`${wanted}/${port}`);
      if (hit) return this.match(hit.service, hit.port, true);
    }
    return null;
  }

  private match(service: ServiceInfo, port: ServicePort, viaNodePort: boolean): ServiceMatch {
    let targetPort: number | null = typeof port.targetPort === 'number' ? port.targetPort : null;
    const endpoints: string[] = [];
    for (const e of service.endpoints) {
      if (!e.ready) continue;
      // The endpoint port carries the Service port's name; a single unnamed port matches too.
      const ep =
        e.ports.find((x) => x.name === port.name && x.protocol === port.protocol) ??
        (e.ports.length === 1 ? e.ports[0] : undefined);
      let resolved = ep?.port ?? targetPort;
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
