import { type InterfaceInfo, LinkType } from '../capture/index.js';
import type { ClusterIndex, Identity, NodeInfo } from '../cluster/index.js';
import { formatIp, Tunnel, TUNNEL_NAMES } from '../decode/index.js';
import { FlowKind, type FlowTable } from '../flow/index.js';
import {
  type EvidenceCode,
  evidenceText,
  type SeenShape,
  type TextFact,
  type TextParams,
} from '../text/index.js';
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
  /**
   * The evidence as data, item for item: the key under "evidence" in the UI's catalogs and its
   * values. `evidence[i]` is the English of `facts[i]`.
   */
  facts: TextFact[];
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

/** A fact of this file's, its code known to be one of EVIDENCE_TEXT's. */
interface Evidence extends TextFact {
  code: EvidenceCode;
}

/** Adds one item of evidence, as data and in English. */
function say(result: Datapath, code: EvidenceCode, params: TextParams = {}): void {
  const fact: Evidence = { code, params };
  result.facts.push(fact);
  result.evidence.push(evidenceText(fact));
}

/** What the snapshot's Node objects say about the CNI. */
function annotatedKind(nodes: NodeInfo[]): { kind: DatapathKind; fact: Evidence } | null {
  const annotated = (test: (n: NodeInfo) => boolean): string[] => nodes.filter(test).map((n) => n.name);
  const flannel = annotated((n) => n.annotations['flannel.alpha.coreos.com/backend-type'] !== undefined);
  if (flannel.length > 0) {
    const type = nodes.find((n) => flannel.includes(n.name))!.annotations[
      'flannel.alpha.coreos.com/backend-type'
    ];
    const kind: DatapathKind = type === 'vxlan' ? 'flannel-vxlan' : type === 'host-gw' ? 'direct' : 'unknown';
    return { kind, fact: { code: 'annotationFlannel', params: { nodes: flannel.join(', '), type } } };
  }
  const vxlan = annotated((n) => n.annotations['projectcalico.org/IPv4VXLANTunnelAddr'] !== undefined);
  if (vxlan.length > 0)
    return {
      kind: 'calico-vxlan',
      fact: { code: 'annotationCalicoVxlan', params: { nodes: vxlan.join(', ') } },
    };
  const ipip = annotated((n) => n.annotations['projectcalico.org/IPv4IPIPTunnelAddr'] !== undefined);
  if (ipip.length > 0)
    return {
      kind: 'calico-ipip',
      fact: { code: 'annotationCalicoIpip', params: { nodes: ipip.join(', ') } },
    };
  const cilium = annotated((n) => Object.keys(n.annotations).some((k) => k.includes('cilium')));
  if (cilium.length > 0) {
    return { kind: 'unknown', fact: { code: 'annotationCilium', params: { nodes: cilium.join(', ') } } };
  }
  const aws = annotated((n) => (n.providerID ?? '').startsWith('aws://') && n.podCIDRs.length === 0);
  if (aws.length > 0)
    return { kind: 'aws-vpc-cni', fact: { code: 'annotationAwsVpcCni', params: { nodes: aws.join(', ') } } };
  const bgp = annotated((n) => n.annotations['projectcalico.org/IPv4Address'] !== undefined);
  if (bgp.length > 0)
    return { kind: 'direct', fact: { code: 'annotationCalicoBgp', params: { nodes: bgp.join(', ') } } };
  return null;
}

function tunnelKind(t: TunnelSeen, cluster?: ClusterIndex): { kind: DatapathKind; fact: Evidence } {
  const vnis = [...t.vnis].sort((a, b) => a - b);
  // How the packets were seen, in one of EVIDENCE_TEXT.seen's shapes.
  const transport = t.port > 0 ? 'udp' : t.type === Tunnel.IPIP ? 'ipip' : 'bare';
  const shape = `${transport}${vnis.length === 0 ? '' : vnis.length > 4 ? 'VnisMore' : 'Vnis'}` as SeenShape;
  const seen: TextParams = { seen: shape, packets: t.packets, tunnel: TUNNEL_NAMES[t.type].toUpperCase() };
  if (t.port > 0) seen.port = t.port;
  if (vnis.length > 0) seen.vnis = vnis.slice(0, 4).join(', ');
  if (vnis.length > 4) seen.moreVnis = vnis.length - 4;
  const said = (kind: DatapathKind, code: EvidenceCode): { kind: DatapathKind; fact: Evidence } => ({
    kind,
    fact: { code, params: seen },
  });
  const cilium =
    cluster?.snapshot.nodes.some((n) => Object.keys(n.annotations).some((k) => k.includes('cilium'))) ??
    false;
  switch (t.type) {
    case Tunnel.VXLAN:
      if (
        t.port === 8472 &&
        (t.asymmetric || cilium || (vnis.length > 0 && !(vnis.length === 1 && vnis[0] === 1)))
      ) {
        return said('cilium-vxlan', t.asymmetric ? 'tunnelCiliumVxlanAsymmetric' : 'tunnelCiliumVxlan');
      }
      if (t.port === 8472) return said('flannel-vxlan', 'tunnelFlannelVxlan');
      if (t.port === 4789)
        return said('calico-vxlan', vnis.includes(4096) ? 'tunnelCalicoVxlan' : 'tunnelCalicoVxlanOtherVni');
      if (t.port === 6784) return said('weave', 'tunnelWeave');
      return said('unknown', 'tunnelVxlanOtherPort');
    case Tunnel.GENEVE:
      return said('cilium-geneve', t.asymmetric ? 'tunnelGeneveAsymmetric' : 'tunnelGeneve');
    case Tunnel.IPIP:
      return said('calico-ipip', 'tunnelCalicoIpip');
    default:
      return said('unknown', 'tunnelUnknown');
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
  const classified = ordered.map((t) => tunnelKind(t, cluster));
  for (const { kind } of classified) if (!kinds.includes(kind)) kinds.push(kind);
  const result: Datapath = { kind: kinds[0] ?? 'unknown', evidence: [], facts: [], overheadBytes: null };
  for (const { fact } of classified) say(result, fact.code, fact.params);
  if (ordered.length > 0) {
    const stats = analysis.tunnel(ordered[0].type);
    if (stats.packets > 0) {
      result.overheadBytes = stats.overheadBytes;
      result.largestInnerPacket = stats.largestInnerPacket;
      result.underlayMtuNeeded = stats.largestInnerPacket + stats.overheadBytes;
      say(result, 'tunnelOverhead', {
        tunnel: TUNNEL_NAMES[ordered[0].type].toUpperCase(),
        overhead: stats.overheadBytes,
        largest: stats.largestInnerPacket,
        underlay: result.underlayMtuNeeded,
      });
    }
    if (cluster) {
      const nodes = cluster.snapshot.nodes;
      const annotated = annotatedKind(nodes);
      if (annotated && annotated.kind === result.kind)
        say(result, 'agreesWithSnapshot', { annotation: annotated.fact.code, ...annotated.fact.params });
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
    say(result, 'noTunnelNoCluster');
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
  // A flow has two ends, so at most two pods are in every one; `second` would keep any more.
  if (inEvery.length === 1) say(result, 'everyFlowHasPod', { pod: inEvery[0] });
  else if (inEvery.length > 1)
    say(result, 'everyFlowBetweenPods', { first: inEvery[0], second: inEvery.slice(1).join(' and ') });
  if (podFlows.size === 0) {
    say(result, 'noPodTraffic');
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
    say(result, 'crossNodeUnencapsulated', { conversations: crossNode });
    if (crossNodeInNodeSubnet > 0)
      say(result, 'crossNodeInNodeSubnet', { conversations: crossNodeInNodeSubnet });
    if (routed > 0) say(result, 'crossNodeRouted', { conversations: routed });
    result.kind = crossNodeInNodeSubnet > routed ? 'aws-vpc-cni' : 'direct';
    if (crossNodeInNodeSubnet > 0 && routed > 0)
      result.kinds = result.kind === 'direct' ? ['direct', 'aws-vpc-cni'] : ['aws-vpc-cni', 'direct'];
    if (annotated !== null) say(result, annotated.fact.code, annotated.fact.params);
    return;
  }
  if (annotated !== null) {
    result.kind = annotated.kind;
    say(result, annotated.fact.code, annotated.fact.params);
    return;
  }
  if (outsidePeers.size > 0 && inEvery.length === 0) {
    // No tunnel anywhere, no CNI that would tunnel, and hosts beyond the cluster reach pods by
    // their pod addresses: those addresses are routed as they are (direct routing).
    const peers = [...outsidePeers].sort();
    result.kind = 'direct';
    const shown = peers.slice(0, 3).join(', ');
    if (peers.length > 3)
      say(result, 'outsideHostsDirectMore', { peers: shown, morePeers: peers.length - 3 });
    else say(result, 'outsideHostsDirect', { peers: shown });
    say(result, 'noTunnellingAnnotation');
    return;
  }
  say(result, 'noTunnelNoAnnotation');
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
  /** `carries` as data: the key under "evidence" in the UI's catalogs and its values. */
  carriesFact: TextFact;
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
    const use = (role: InterfaceRole, code: EvidenceCode, params: TextParams = {}, pod?: string): void => {
      const carriesFact: Evidence = { code, params };
      const entry: InterfaceUse = {
        index,
        name: e.name,
        role,
        carries: evidenceText(carriesFact),
        carriesFact,
      };
      if (pod !== undefined) entry.pod = pod;
      out.push(entry);
    };
    const named = e.name === null ? null : roleByName(e.name);
    const onNode: TextParams = localNode === null ? {} : { node: localNode };
    if (e.tunnelled.size > 0) {
      use('underlay', 'carriesTunnelled', { tunnels: [...e.tunnelled].join(', ') });
    } else if (e.flows.size === 0) {
      use(named ?? 'unknown', 'carriesLinkLayerOnly');
    } else if (e.loopback === e.flows.size) {
      use('loopback', 'carriesLoopback');
    } else if (e.inLocal.size === 1 && e.localPairs > 0) {
      const pod = [...e.inLocal][0];
      use('veth', 'carriesPodVeth', { pod }, pod);
    } else if (e.inLocal.size === 1) {
      // The pod's veth, or the bridge (cni0) its routed traffic also crosses. A veth that
      // carries traffic between two pods of the node is certain; the bridge never sees that.
      // Otherwise, of two interfaces one pod sends into, the bridge is the older (lower
      // index): the bridge plugin creates it before any pod's veth.
      const pod = [...e.inLocal][0];
      const mine = [...byIndex.entries()].filter(([, o]) => o.inLocal.size === 1 && o.inLocal.has(pod));
      const veth = mine.find(([, o]) => o.localPairs > 0);
      const lowest = Math.min(...mine.map(([i]) => i));
      if (veth !== undefined) use('bridge', 'carriesBridgeBesideVeth', { pod, veth: veth[0] });
      else if (mine.length > 1 && index === lowest)
        use('bridge', 'carriesBridgeOlder', { pod, other: mine.find(([i]) => i !== index)![0] });
      else if (mine.length > 1) use('veth', 'carriesVethBesideBridge', { pod, bridge: lowest }, pod);
      else if (sll2) use('veth', 'carriesVethNoBridge', { pod }, pod);
      else use(named ?? 'veth-or-bridge', 'carriesVethOrBridge', { pod }, pod);
    } else if (e.inLocal.size > 1) {
      const pods = [...e.inLocal].sort();
      use('bridge', 'carriesSeveralPods', {
        pods: `${pods.slice(0, 3).join(', ')}${pods.length > 3 ? ', ...' : ''}`,
      });
    } else if (e.inRemotePods > 0 && (anyTunnel || tunnelCni)) {
      use('tunnel', localNode === null ? 'carriesTunnelDevice' : 'carriesTunnelDeviceOnNode', onNode);
    } else if (e.inRemotePods > 0) {
      use('underlay', localNode === null ? 'carriesUnderlayDirect' : 'carriesUnderlayDirectOnNode', onNode);
    } else if (named !== null) {
      use(named, 'carriesNamed', { name: e.name! });
    } else if (e.inOther > 0) {
      use('unknown', 'carriesHostInterface');
    } else {
      use('unknown', 'carriesOutgoingOnly');
    }
  }
  // A recorded name beats inference; say so where they disagree.
  for (const entry of out) {
    const named = entry.name === null ? null : roleByName(entry.name);
    if (named !== null && named !== entry.role) {
      const suggested = entry.carriesFact;
      entry.carriesFact = {
        code: 'carriesNamedOverride',
        params: { name: entry.name!, role: named, suggested: suggested.code, ...suggested.params },
      };
      entry.carries = evidenceText(entry.carriesFact);
      entry.role = named;
    }
  }
  return out;
}
