import { fillTemplate, type TextCatalog, type TextFact, type TextParams } from './template.js';

/**
 * The English of the data-path evidence (`Datapath.evidence`) and of what each interface
 * carries (`InterfaceUse.carries`), by code. src/renderer/locales/en.json holds the same
 * object as its "evidence" section, and ko.json the same keys in Korean; the test checks both.
 *
 * `seen` words the start of a tunnel's evidence, one template per shape (UDP port or IPIP or
 * neither; VNIs none, listed, or listed with more left out), so no sentence is glued from
 * English pieces. Codes that wrap another sentence name it in a value (`annotation`,
 * `suggested`) and take its values too.
 */
export const EVIDENCE_TEXT = {
  seen: {
    udp: '{{packets}} packets in {{tunnel}} on UDP {{port}}',
    udpVnis: '{{packets}} packets in {{tunnel}} on UDP {{port}} with VNI {{vnis}}',
    udpVnisMore: '{{packets}} packets in {{tunnel}} on UDP {{port}} with VNI {{vnis}} and {{moreVnis}} more',
    ipip: '{{packets}} packets in {{tunnel}} (IPv4 protocol 4)',
    ipipVnis: '{{packets}} packets in {{tunnel}} (IPv4 protocol 4) with VNI {{vnis}}',
    ipipVnisMore:
      '{{packets}} packets in {{tunnel}} (IPv4 protocol 4) with VNI {{vnis}} and {{moreVnis}} more',
    bare: '{{packets}} packets in {{tunnel}}',
    bareVnis: '{{packets}} packets in {{tunnel}} with VNI {{vnis}}',
    bareVnisMore: '{{packets}} packets in {{tunnel}} with VNI {{vnis}} and {{moreVnis}} more',
  },
  tunnelCiliumVxlan:
    "$t(evidence.seen.{{seen}}): Cilium's VXLAN (UDP 8472, cilium_vxlan), its VNI the sender's security identity",
  tunnelCiliumVxlanAsymmetric:
    "$t(evidence.seen.{{seen}}): Cilium's VXLAN (UDP 8472, cilium_vxlan), its VNI the sender's security identity, different each way",
  tunnelFlannelVxlan: "$t(evidence.seen.{{seen}}): Flannel's VXLAN (UDP 8472, VNI 1, flannel.1)",
  tunnelCalicoVxlan: "$t(evidence.seen.{{seen}}): Calico's VXLAN (UDP 4789, VNI 4096, vxlan.calico)",
  tunnelCalicoVxlanOtherVni:
    "$t(evidence.seen.{{seen}}): Calico's VXLAN (UDP 4789, VNI 4096, vxlan.calico); VNI 4096 is Calico’s default",
  tunnelWeave: "$t(evidence.seen.{{seen}}): Weave Net's fast datapath (VXLAN on UDP 6784)",
  tunnelVxlanOtherPort: '$t(evidence.seen.{{seen}}): VXLAN on a port no common CNI uses',
  tunnelGeneve: '$t(evidence.seen.{{seen}}): Geneve on UDP 6081 (cilium_geneve)',
  tunnelGeneveAsymmetric:
    '$t(evidence.seen.{{seen}}): Geneve on UDP 6081 (cilium_geneve), VNI = the sender’s security identity, different each way',
  tunnelCalicoIpip: "$t(evidence.seen.{{seen}}): Calico's IP-in-IP (tunl0)",
  tunnelUnknown: '$t(evidence.seen.{{seen}}): not a Kubernetes overlay podpath knows',
  tunnelOverhead:
    '{{tunnel}} adds {{overhead}} bytes in front of each inner IP packet; the largest inner packet seen is {{largest}} bytes, so the underlay carries IP packets of {{underlay}} bytes (it needs an MTU of at least that)',
  annotationFlannel: "the snapshot's nodes ({{nodes}}) carry flannel.alpha.coreos.com/backend-type={{type}}",
  annotationCalicoVxlan: "the snapshot's nodes ({{nodes}}) carry projectcalico.org/IPv4VXLANTunnelAddr",
  annotationCalicoIpip: "the snapshot's nodes ({{nodes}}) carry projectcalico.org/IPv4IPIPTunnelAddr",
  annotationCilium:
    "the snapshot's nodes ({{nodes}}) run Cilium, whose tunnel (VXLAN, Geneve or none) Node objects do not record",
  annotationAwsVpcCni:
    "the snapshot's nodes ({{nodes}}) are AWS instances without a podCIDR (VPC CNI gives pods addresses from the node subnet)",
  annotationCalicoBgp:
    "the snapshot's nodes ({{nodes}}) are Calico nodes with no tunnel address (BGP routing)",
  agreesWithSnapshot: 'agrees with $t(evidence.{{annotation}})',
  noTunnelNoCluster:
    'no tunnelled packets; without a cluster snapshot (--cluster) podpath cannot tell pod addresses from others',
  everyFlowHasPod:
    'every flow has {{pod}} at one end: likely captured inside that pod, where no tunnel is visible',
  everyFlowBetweenPods:
    'every flow is between {{first}} and {{second}}: likely captured inside one of them, where no tunnel is visible',
  noPodTraffic: 'no pod takes part in any conversation here: the capture does not show the pod data path',
  crossNodeUnencapsulated:
    '{{conversations}} conversations between pods on different nodes appear here unencapsulated',
  crossNodeInNodeSubnet:
    '{{conversations}} of them involve pods with addresses in the node subnet (AWS VPC CNI)',
  crossNodeRouted:
    '{{conversations}} of them are between pod-CIDR addresses routed on the underlay (Calico BGP, Flannel host-gw)',
  outsideHostsDirect:
    'hosts outside the cluster ({{peers}}) talk to pods by their pod addresses, unencapsulated, outside any pod: pod addresses are routed as they are',
  outsideHostsDirectMore:
    'hosts outside the cluster ({{peers}} and {{morePeers}} more) talk to pods by their pod addresses, unencapsulated, outside any pod: pod addresses are routed as they are',
  noTunnellingAnnotation: 'no Node annotation names a tunnelling CNI',
  noTunnelNoAnnotation: 'no tunnelled packets, and no Node annotation names the CNI',
  carriesTunnelled: 'the underlay: tunnelled packets ({{tunnels}})',
  carriesLinkLayerOnly: 'no IP traffic, only ARP or other link-layer frames',
  carriesLoopback: 'loopback traffic (127.0.0.0/8, ::1)',
  carriesPodVeth:
    "pod {{pod}} sends into it, and it carries traffic between pods of one node: that pod's veth",
  carriesBridgeBesideVeth:
    'pod {{pod}} sends into it, as into its veth (interface {{veth}}), but no traffic between pods of the node crosses it: the bridge',
  carriesBridgeOlder:
    'pod {{pod}} sends into it and into interface {{other}}; this one is older (a lower index), as the bridge is: the bridge',
  carriesVethBesideBridge:
    "pod {{pod}} sends into it and into interface {{bridge}}, the older one (the bridge): this is the pod's veth",
  carriesVethNoBridge:
    "pod {{pod}} sends into it and into no other interface (the capture saw them all): the pod's veth, with no bridge behind it",
  carriesVethOrBridge: "pod {{pod}} sends into it: the pod's veth, or the bridge behind it",
  carriesSeveralPods: 'several pods of the node ({{pods}}) send into it: the bridge',
  carriesTunnelDevice:
    "pods of other nodes send into it, unencapsulated: the tunnel device, where the overlay's inner packets appear",
  carriesTunnelDeviceOnNode:
    "pods of other nodes send into it, unencapsulated (the capture's node: {{node}}): the tunnel device, where the overlay's inner packets appear",
  carriesUnderlayDirect:
    'pods of other nodes send into it with their own addresses, and no tunnel is used: the underlay, routed directly',
  carriesUnderlayDirectOnNode:
    "pods of other nodes send into it with their own addresses, and no tunnel is used (the capture's node: {{node}}): the underlay, routed directly",
  carriesNamed: 'named {{name}}',
  carriesHostInterface: 'hosts and nodes, no pod sends into it: a host interface',
  carriesOutgoingOnly: 'only packets leaving through it, so no sender tells what is behind it',
  carriesNamedOverride: 'named {{name}} ({{role}}); the traffic suggested: $t(evidence.{{suggested}})',
} as const satisfies TextCatalog;

type Sentences<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T];
export type EvidenceCode = Sentences<typeof EVIDENCE_TEXT>;
/** One of the shapes in `EVIDENCE_TEXT.seen`. */
export type SeenShape = keyof typeof EVIDENCE_TEXT.seen;

/** Every code an evidence fact (or an interface's `carriesFact`) can have. */
export const EVIDENCE_CODES = Object.keys(EVIDENCE_TEXT).filter(
  (key) => typeof EVIDENCE_TEXT[key as keyof typeof EVIDENCE_TEXT] === 'string',
) as EvidenceCode[];

const ROOT: TextCatalog = { evidence: EVIDENCE_TEXT };

export function evidenceFact(code: EvidenceCode, params: TextParams = {}): TextFact {
  return { code, params };
}

/** The English of an evidence fact. */
export function evidenceText(fact: TextFact): string {
  return fillTemplate(ROOT, `evidence.${fact.code}`, fact.params);
}
