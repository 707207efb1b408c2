import { type InterfaceInfo, LinkType } from '../capture/index.js';
import type { ClusterIndex, Identity, NodeInfo } from '../cluster/index.js';
import { formatIp, Tunnel, TUNNEL_NAMES } from '../decode/index.js';
import { FlowKind, type FlowTable } from '../flow/index.js';
import type { CaptureAnalysis } from './capture-analysis.js';

export type DatapathKind =
  | 'flannel-vxlan'
  | 'calico-vxlan'
  | 'calico-ipip'
  | 'weave'
  | 'cilium-vxlan'
  | 'cilium-geneve'
  | 'direct'
  | 'aws-vpc-cni'
  | 'unknown';

/** Which data path a capture shows, and why. */
export interface Datapath {
  kind: DatapathKind;
  /** Every kind seen, most packets first, when the capture shows more than one. */
  kinds?: DatapathKind[];
  evidence: string[];
  /** Bytes the tunnel adds in front of the inner IP packet (null: no tunnel seen). */
  overheadBytes: number | null;
  /** The largest inner IP packet seen in the tunnel, and the underlay IP MTU that needs. */
  largestInnerPacket?: number;
  underlayMtuNeeded?: number;
  /** For captures with several interfaces: what each one carries. */
  interfaces?: InterfaceUse[];
}

interface TunnelSeen {
  type: number;
  port: number;
  packets: number;
  vnis: Set<number>;
  /** Some flow carried different VNIs each way (Cilium's sender identities). */
  asymmetric: boolean;
}

/** What the snapshot's Node objects say about the CNI. */
function annotatedKind(nodes: NodeInfo[]): { kind: DatapathKind; evidence: string } | null {
  const annotated = (test: (n: NodeInfo) => boolean): string[] => nodes.filter(test).map((n) => n.name);
  const flannel = annotated((n) => n.annotations['flannel.alpha.coreos.com/backend-type'] !== undefined);
  if (flannel.length > 0) {
    const type = nodes.find((n) => flannel.includes(n.name))!.annotations[
      'flannel.alpha.coreos.com/backend-type'
    ];
    const kind: DatapathKind = type === 'vxlan' ? 'flannel-vxlan' : type === 'host-gw' ? 'direct' : 'unknown';
    return {
      kind,
      evidence: `the snapshot's nodes (${flannel.join(', ')}) carry flannel.alpha.coreos.com/backend-type=${type}`,
    };
  }
  const vxlan = annotated((n) => n.annotations['projectcalico.org/IPv4VXLANTunnelAddr'] !== undefined);
  if (vxlan.length > 0)
    return {
      kind: 'calico-vxlan',
      evidence: `the snapshot's nodes (${vxlan.join(', ')}) carry projectcalico.org/IPv4VXLANTunnelAddr`,
    };
  const ipip = annotated((n) => n.annotations['projectcalico.org/IPv4IPIPTunnelAddr'] !== undefined);
  if (ipip.length > 0)
    return {
      kind: 'calico-ipip',
      evidence: `the snapshot's nodes (${ipip.join(', ')}) carry projectcalico.org/IPv4IPIPTunnelAddr`,
    };
  const cilium = annotated((n) => Object.keys(n.annotations).some((k) => k.includes('cilium')));
  if (cilium.length > 0) {
    return {
      kind: 'unknown',
      evidence: `the snapshot's nodes (${cilium.join(', ')}) run Cilium, whose tunnel (VXLAN, Geneve or none) Node objects do not record`,
    };
  }
  const aws = annotated((n) => (n.providerID ?? '').startsWith('aws://') && n.podCIDRs.length === 0);
  if (aws.length > 0)
    return {
      kind: 'aws-vpc-cni',
      evidence: `the snapshot's nodes (${aws.join(', ')}) are AWS instances without a podCIDR (VPC CNI gives pods addresses from the node subnet)`,
    };
  const bgp = annotated((n) => n.annotations['projectcalico.org/IPv4Address'] !== undefined);
  if (bgp.length > 0)
    return {
      kind: 'direct',
      evidence: `the snapshot's nodes (${bgp.join(', ')}) are Calico nodes with no tunnel address (BGP routing)`,
    };
  return null;
}

function tunnelKind(t: TunnelSeen, cluster?: ClusterIndex): { kind: DatapathKind; evidence: string } {
  const name = TUNNEL_NAMES[t.type];
  const vnis = [...t.vnis].sort((a, b) => a - b);
  const vniText =
    vnis.length === 0
      ? ''
      : ` with VNI ${vnis.slice(0, 4).join(', ')}${vnis.length > 4 ? ` and ${vnis.length - 4} more` : ''}`;
  const seen = `${t.packets} packets in ${name.toUpperCase()}${t.port > 0 ? ` on UDP ${t.port}` : t.type === Tunnel.IPIP ? ' (IPv4 protocol 4)' : ''}${vniText}`;
  const cilium =
    cluster?.snapshot.nodes.some((n) => Object.keys(n.annotations).some((k) => k.includes('cilium'))) ??
    false;
  switch (t.type) {
    case Tunnel.VXLAN:
      if (
        t.port === 8472 &&
        (t.asymmetric || cilium || (vnis.length > 0 && !(vnis.length === 1 && vnis[0] === 1)))
      ) {
        return {
          kind: 'cilium-vxlan',
          evidence: `${seen}: Cilium's VXLAN (UDP 8472, cilium_vxlan), its VNI the sender's security identity${t.asymmetric ? ', different each way' : ''}`,
        };
      }
      if (t.port === 8472)
        return { kind: 'flannel-vxlan', evidence: `${seen}: Flannel's VXLAN (UDP 8472, VNI 1, flannel.1)` };
      if (t.port === 4789)
        return {
          kind: 'calico-vxlan',
          evidence: `${seen}: Calico's VXLAN (UDP 4789, VNI 4096, vxlan.calico)${vnis.includes(4096) ? '' : '; VNI 4096 is Calico’s default'}`,
        };
      if (t.port === 6784)
        return { kind: 'weave', evidence: `${seen}: Weave Net's fast datapath (VXLAN on UDP 6784)` };
      return { kind: 'unknown', evidence: `${seen}: VXLAN on a port no common CNI uses` };
    case Tunnel.GENEVE:
      return {
        kind: 'cilium-geneve',
        evidence: `${seen}: Geneve on UDP 6081 (cilium_geneve)${t.asymmetric ? ', VNI = the sender’s security identity, different each way' : ''}`,
      };
    case Tunnel.IPIP:
      return { kind: 'calico-ipip', evidence: `${seen}: Calico's IP-in-IP (tunl0)` };
    default:
      return { kind: 'unknown', evidence: `${seen}: not a Kubernetes overlay podpath knows` };
  }
}

/**
 * Explains which data path a capture shows: the tunnels in its packets (port, VNI), else
 * pod addresses crossing the underlay plainly (direct routing, AWS VPC CNI), else, for a
 * capture taken inside one pod, what the snapshot's Node objects say.
 */
export function explainDatapath(analysis: CaptureAnalysis, cluster?: ClusterIndex): Datapath {
  const table = analysis.flows;
  const contexts = table.contexts.contexts;
  const evidence: string[] = [];
  // Tunnels, from the flows: type, port, packets, VNIs, and whether VNIs differ each way.
  const tunnels = new Map<string, TunnelSeen>();
  for (let id = 0; id < table.count; id++) {
    const context = contexts[table.contextOf(id)];
    context.tunnels.forEach((t, level) => {
      const key = `${t.type}/${t.udpPort}`;
      let seen = tunnels.get(key);
      if (seen === undefined) {
        seen = { type: t.type, port: t.udpPort, packets: 0, vnis: new Set(), asymmetric: false };
        tunnels.set(key, seen);
      }
      seen.packets += table.packetsFrom(id, 0) + table.packetsFrom(id, 1);
      const a = table.vni(id, level, 0);
      const b = table.vni(id, level, 1);
      if (a >= 0) seen.vnis.add(a);
      if (b >= 0) seen.vnis.add(b);
      if (a >= 0 && b >= 0 && a !== b) seen.asymmetric = true;
    });
  }
  const ordered = [...tunnels.values()].sort((x, y) => y.packets - x.packets);
  const kinds: DatapathKind[] = [];
  for (const t of ordered) {
    const { kind, evidence: e } = tunnelKind(t, cluster);
    if (!kinds.includes(kind)) kinds.push(kind);
    evidence.push(e);
  }
  const result: Datapath = { kind: kinds[0] ?? 'unknown', evidence, overheadBytes: null };
  if (ordered.length > 0) {
    const stats = analysis.tunnel(ordered[0].type);
    if (stats.packets > 0) {
      result.overheadBytes = stats.overheadBytes;
      result.largestInnerPacket = stats.largestInnerPacket;
      result.underlayMtuNeeded = stats.largestInnerPacket + stats.overheadBytes;
      evidence.push(
        `${TUNNEL_NAMES[ordered[0].type].toUpperCase()} adds ${stats.overheadBytes} bytes in front of each inner IP packet; the largest inner packet seen is ${stats.largestInnerPacket} bytes, so the underlay carries IP packets of ${result.underlayMtuNeeded} bytes (it needs an MTU of at least that)`,
      );
    }
    if (cluster) {
      const nodes = cluster.snapshot.nodes;
      const annotated = annotatedKind(nodes);
      if (annotated && annotated.kind === result.kind) evidence.push(`agrees with ${annotated.evidence}`);
    }
  }
  if (kinds.length > 1) result.kinds = kinds;
  if (ordered.length === 0) explainWithoutTunnel(analysis, result, cluster);
  const tunnelled = !['direct', 'aws-vpc-cni', 'unknown'].includes(result.kind);
  const interfaces = describeInterfaces(table, analysis.reader.interfaces, tunnelled, cluster);
  if (interfaces !== null) result.interfaces = interfaces;
  return result;
}

function explainWithoutTunnel(analysis: CaptureAnalysis, result: Datapath, cluster?: ClusterIndex): void {
  const table = analysis.flows;
  const words = new Uint32Array(4);
  if (!cluster) {
    result.evidence.push(
      'no tunnelled packets; without a cluster snapshot (--cluster) podpath cannot tell pod addresses from others',
    );
    return;
  }
  // Which pods and nodes the conversations involve, and how many join pods of two nodes.
  const podFlows = new Map<string, number>();
  const nodes = new Set<string>();
  let crossNode = 0;
  let crossNodeInNodeSubnet = 0;
  // Pods talking by their own address with hosts outside the cluster (a load balancer's IP targets).
  const outsidePeers = new Set<string>();
  const outsideFacing = new Set(
    cluster.snapshot.services.flatMap((x) => [...x.loadBalancerIPs, ...x.externalIPs]),
  );
  let flows = 0;
  for (let id = 0; id < table.count; id++) {
    const kind = table.kind(id);
    if (kind === FlowKind.ARP || kind === FlowKind.ETHERNET) continue;
    const version = table.ipVersion(id);
    flows++;
    const ends = [0, 1].map((side) => {
      const identity = cluster.identify(version, table.address(id, side, words));
      if (identity.kind === 'pod') podFlows.set(identity.name!, (podFlows.get(identity.name!) ?? 0) + 1);
      if (identity.node !== undefined) nodes.add(identity.node);
      const inNodeSubnet = identity.kind === 'pod' && !cluster.inPodBlock(version, words);
      return { identity, inNodeSubnet };
    });
    const [a, b] = ends;
    if (
      a.identity.kind === 'pod' &&
      b.identity.kind === 'pod' &&
      a.identity.node !== undefined &&
      b.identity.node !== undefined &&
      a.identity.node !== b.identity.node
    ) {
      crossNode++;
      if (a.inNodeSubnet || b.inNodeSubnet) crossNodeInNodeSubnet++;
    } else {
      for (const [pod, other, side] of [[a, b, 1] as const, [b, a, 0] as const]) {
        if (pod.identity.kind !== 'pod') continue;
        const text = formatIp(version, table.address(id, side, words));
        if (other.identity.kind === 'external' || outsideFacing.has(text)) outsidePeers.add(text);
      }
    }
  }
  // Inside a pod, every conversation has that pod at one end.
  const inEvery = [...podFlows.entries()].filter(([, n]) => n === flows && flows > 0).map(([pod]) => pod);
  if (inEvery.length === 1)
    result.evidence.push(
      `every flow has ${inEvery[0]} at one end: likely captured inside that pod, where no tunnel is visible`,
    );
  else if (inEvery.length > 1)
    result.evidence.push(
      `every flow is between ${inEvery.join(' and ')}: likely captured inside one of them, where no tunnel is visible`,
    );
  if (podFlows.size === 0) {
    result.evidence.push(
      'no pod takes part in any conversation here: the capture does not show the pod data path',
    );
    return;
  }
  // The CNI of the nodes involved, as their Node objects tell it. A tunnel CNI there means
  // these plain pod packets were caught inside a pod or on the tunnel device, not the underlay.
  const involved = cluster.snapshot.nodes.filter((n) => nodes.has(n.name));
  const annotated = annotatedKind(involved.length > 0 ? involved : cluster.snapshot.nodes);
  const tunnelCni = annotated !== null && annotated.kind !== 'direct' && annotated.kind !== 'aws-vpc-cni';
  if (crossNode > 0 && !tunnelCni) {
    // Pod addresses crossing between nodes with no tunnel: routed on the underlay. AWS VPC CNI
    // pods are hosts of the node subnet; the rest come from pod CIDRs (Calico BGP, host-gw).
    const routed = crossNode - crossNodeInNodeSubnet;
    result.evidence.push(
      `${crossNode} conversations between pods on different nodes appear here unencapsulated`,
    );
    if (crossNodeInNodeSubnet > 0)
      result.evidence.push(
        `${crossNodeInNodeSubnet} of them involve pods with addresses in the node subnet (AWS VPC CNI)`,
      );
    if (routed > 0)
      result.evidence.push(
        `${routed} of them are between pod-CIDR addresses routed on the underlay (Calico BGP, Flannel host-gw)`,
      );
    result.kind = crossNodeInNodeSubnet > routed ? 'aws-vpc-cni' : 'direct';
    if (crossNodeInNodeSubnet > 0 && routed > 0)
      result.kinds = result.kind === 'direct' ? ['direct', 'aws-vpc-cni'] : ['aws-vpc-cni', 'direct'];
    if (annotated !== null) result.evidence.push(annotated.evidence);
    return;
  }
  if (annotated !== null) {
    result.kind = annotated.kind;
    result.evidence.push(annotated.evidence);
    return;
  }
  if (outsidePeers.size > 0 && inEvery.length === 0) {
    // No tunnel anywhere, no CNI that would tunnel, and hosts beyond the cluster reach pods by
    // their pod addresses: those addresses are routed as they are (direct routing).
    const peers = [...outsidePeers].sort();
    result.kind = 'direct';
    result.evidence.push(
      `hosts outside the cluster (${peers.slice(0, 3).join(', ')}${peers.length > 3 ? ` and ${peers.length - 3} more` : ''}) talk to pods by their pod addresses, unencapsulated, outside any pod: pod addresses are routed as they are`,
      'no Node annotation names a tunnelling CNI',
    );
    return;
  }
  result.evidence.push('no tunnelled packets, and no Node annotation names the CNI');
}

/** What an interface of the capture is, by what crosses it (or by its name, when recorded). */
export type InterfaceRole =
  'underlay' | 'tunnel' | 'veth' | 'bridge' | 'veth-or-bridge' | 'loopback' | 'unknown';

export interface InterfaceUse {
  index: number;
  name: string | null;
  role: InterfaceRole;
  /** For a pod's veth: the pod behind it. */
  pod?: string;
  carries: string;
}

/** Interface names as Linux CNIs make them. */
function roleByName(name: string): InterfaceRole | null {
  if (name === 'lo') return 'loopback';
  if (
    /^(flannel\.\d+|vxlan[.-]calico|vxlan-v6\.calico|tunl\d+|cilium_(vxlan|geneve)|weave|vxlan-\d+|genev_sys_\d+)$/.test(
      name,
    )
  )
    return 'tunnel';
  if (/^(veth|cali|eni|lxc|vethwe)/.test(name)) return 'veth';
  if (/^(cni\d+|cbr\d+|docker\d+|br-|weave$)/.test(name)) return 'bridge';
  if (/^(eth|ens|enp|eno|enX|bond|wlan)/.test(name)) return 'underlay';
  return null;
}

interface InterfaceSeen {
  name: string | null;
  tunnelled: Set<string>;
  flows: Set<number>;
  /** Pods on the capture's node whose packets arrived here (a pod sends into its veth). */
  inLocal: Set<string>;
  /** Anyone else whose packets arrived here unencapsulated: remote pods, nodes, outsiders. */
  inRemotePods: number;
  inOther: number;
  /** Flows between two pods of the capture's node. */
  localPairs: number;
  loopback: number;
  /** Each flow as `low address|high address|protocol|ports`, to compare interfaces. */
  conversations: Set<string>;
}

/**
 * For an SLL2 (`-i any`) or multi-interface pcapng capture: what each interface is. Linux's
 * cooked header records which way each packet crossed its interface, and that tells them
 * apart: a pod's packets arrive on its veth (and on the bridge, when its CNI has one), packets
 * from other nodes arrive on the underlay inside a tunnel and then on the tunnel device
 * without one. Names, where the capture kept them, say it outright.
 */
function describeInterfaces(
  table: FlowTable,
  interfaces: InterfaceInfo[],
  tunnelCni: boolean,
  cluster?: ClusterIndex,
): InterfaceUse[] | null {
  const sll2 = interfaces.some((i) => i.linkType === LinkType.LINUX_SLL2);
  if (!sll2 && interfaces.length < 2) return null;
  const contexts = table.contexts.contexts;
  const words = new Uint32Array(4);
  const identities: (Identity | null)[][] = [];
  // The capture's node: its pods cross the most interfaces (veth, bridge, tunnel device).
  const podInterfaces = new Map<string, Set<number>>();
  const indexOf = (id: number): number => {
    const context = contexts[table.contextOf(id)];
    return context.linkInterface >= 0 ? context.linkInterface : context.captureInterface;
  };
  for (let id = 0; id < table.count; id++) {
    const kind = table.kind(id);
    if (kind === FlowKind.ARP || kind === FlowKind.ETHERNET || !cluster) {
      identities.push([null, null]);
      continue;
    }
    const version = table.ipVersion(id);
    const ends = [0, 1].map((side) => cluster.identify(version, table.address(id, side, words)));
    identities.push(ends);
    if (contexts[table.contextOf(id)].tunnels.length > 0) continue;
    for (const end of ends) {
      if (end.kind !== 'pod' || end.node === undefined) continue;
      const set = podInterfaces.get(end.node) ?? new Set<number>();
      set.add(indexOf(id));
      podInterfaces.set(end.node, set);
    }
  }
  let localNode: string | null = null;
  let most = 0;
  for (const [node, set] of podInterfaces) {
    if (set.size > most) {
      most = set.size;
      localNode = node;
    }
  }
  const byIndex = new Map<number, InterfaceSeen>();
  for (let id = 0; id < table.count; id++) {
    const context = contexts[table.contextOf(id)];
    const index = indexOf(id);
    let e = byIndex.get(index);
    if (e === undefined) {
      e = {
        name: context.linkInterface >= 0 ? null : (interfaces[context.captureInterface]?.name ?? null),
        tunnelled: new Set(),
        flows: new Set(),
        inLocal: new Set(),
        inRemotePods: 0,
        inOther: 0,
        localPairs: 0,
        loopback: 0,
        conversations: new Set(),
      };
      byIndex.set(index, e);
    }
    const kind = table.kind(id);
    if (kind === FlowKind.ARP || kind === FlowKind.ETHERNET) continue;
    e.flows.add(id);
    for (const t of context.tunnels)
      e.tunnelled.add(`${TUNNEL_NAMES[t.type]}${t.udpPort > 0 ? ` udp/${t.udpPort}` : ''}`);
    const version = table.ipVersion(id);
    const a = formatIp(version, table.address(id, 0, words));
    const b = formatIp(version, table.address(id, 1, words));
    if (/^(127\.|::1$)/.test(a) && /^(127\.|::1$)/.test(b)) e.loopback++;
    e.conversations.add(`${a}|${b}|${table.ipProtocol(id)}|${table.port(id, 0)}|${table.port(id, 1)}`);
    if (context.tunnels.length > 0) continue;
    const ends = identities[id];
    const local = (x: Identity | null): boolean => x?.kind === 'pod' && x.node === localNode;
    if (local(ends[0]) && local(ends[1])) e.localPairs++;
    for (const side of [0, 1]) {
      if ((table.linkDirections(id, side) & 2) === 0) continue; // none of its packets arrived here
      const who = ends[side];
      if (local(who)) e.inLocal.add(who!.name!);
      else if (who?.kind === 'pod') e.inRemotePods++;
      else e.inOther++;
    }
  }
  const anyTunnel = [...byIndex.values()].some((e) => e.tunnelled.size > 0);
  const out: InterfaceUse[] = [];
  for (const [index, e] of [...byIndex.entries()].sort((x, y) => x[0] - y[0])) {
    const use = (role: InterfaceRole, carries: string, pod?: string): void => {
      const entry: InterfaceUse = { index, name: e.name, role, carries };
      if (pod !== undefined) entry.pod = pod;
      out.push(entry);
    };
    const named = e.name === null ? null : roleByName(e.name);
    const localText = localNode === null ? '' : ` (the capture's node: ${localNode})`;
    if (e.tunnelled.size > 0) {
      use('underlay', `the underlay: tunnelled packets (${[...e.tunnelled].join(', ')})`);
    } else if (e.flows.size === 0) {
      use(named ?? 'unknown', 'no IP traffic, only ARP or other link-layer frames');
    } else if (e.loopback === e.flows.size) {
      use('loopback', 'loopback traffic (127.0.0.0/8, ::1)');
    } else if (e.inLocal.size === 1 && e.localPairs > 0) {
      const pod = [...e.inLocal][0];
      use(
        'veth',
        `pod ${pod} sends into it, and it carries traffic between pods of one node: that pod's veth`,
        pod,
      );
    } else if (e.inLocal.size === 1) {
      // The pod's veth, or the bridge (cni0) its routed traffic also crosses. A veth that
      // carries traffic between two pods of the node is certain; the bridge never sees that.
      // Otherwise, of two interfaces one pod sends into, the bridge is the older (lower
      // index): the bridge plugin creates it before any pod's veth.
      const pod = [...e.inLocal][0];
      const mine = [...byIndex.entries()].filter(([, o]) => o.inLocal.size === 1 && o.inLocal.has(pod));
      const veth = mine.find(([, o]) => o.localPairs > 0);
      const lowest = Math.min(...mine.map(([i]) => i));
      if (veth !== undefined)
        use(
          'bridge',
          `pod ${pod} sends into it, as into its veth (interface ${veth[0]}), but no traffic between pods of the node crosses it: the bridge`,
        );
      else if (mine.length > 1 && index === lowest)
        use(
          'bridge',
          `pod ${pod} sends into it and into interface ${mine.find(([i]) => i !== index)![0]}; this one is older (a lower index), as the bridge is: the bridge`,
        );
      else if (mine.length > 1)
        use(
          'veth',
          `pod ${pod} sends into it and into interface ${lowest}, the older one (the bridge): this is the pod's veth`,
          pod,
        );
      else if (sll2)
        use(
          'veth',
          `pod ${pod} sends into it and into no other interface (the capture saw them all): the pod's veth, with no bridge behind it`,
          pod,
        );
      else
        use(
          named ?? 'veth-or-bridge',
          `pod ${pod} sends into it: the pod's veth, or the bridge behind it`,
          pod,
        );
    } else if (e.inLocal.size > 1) {
      const pods = [...e.inLocal].sort();
      use(
        'bridge',
        `several pods of the node (${pods.slice(0, 3).join(', ')}${pods.length > 3 ? ', ...' : ''}) send into it: the bridge`,
      );
    } else if (e.inRemotePods > 0 && (anyTunnel || tunnelCni)) {
      use(
        'tunnel',
        `pods of other nodes send into it, unencapsulated${localText}: the tunnel device, where the overlay's inner packets appear`,
      );
    } else if (e.inRemotePods > 0) {
      use(
        'underlay',
        `pods of other nodes send into it with their own addresses, and no tunnel is used${localText}: the underlay, routed directly`,
      );
    } else if (named !== null) {
      use(named, `named ${e.name}`);
    } else if (e.inOther > 0) {
      use('unknown', 'hosts and nodes, no pod sends into it: a host interface');
    } else {
      use('unknown', 'only packets leaving through it, so no sender tells what is behind it');
    }
  }
  // A recorded name beats inference; say so where they disagree.
  for (const entry of out) {
    const named = entry.name === null ? null : roleByName(entry.name);
    if (named !== null && named !== entry.role) {
      entry.carries = `named ${entry.name} (${named}); the traffic suggested: ${entry.carries}`;
      entry.role = named;
    }
  }
  return out;
}
