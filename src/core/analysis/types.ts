/**
 * The `podpath analyze --json` document, schema "podpath.analysis/v1". Scripts rely on
 * these names: fields may be added, never renamed or removed.
 */
import type { TextParams } from '../text/index.js';
import type { Datapath } from './datapath.js';

export const ANALYSIS_SCHEMA = 'podpath.analysis/v1';

export interface AnalysisDocument {
  schema: typeof ANALYSIS_SCHEMA;
  captures: CaptureSummary[];
  /** With --cluster: what the snapshot held and the ranges podpath named addresses by. */
  cluster?: ClusterSummary;
  flows: FlowSummary[];
}

export interface ClusterSummary {
  sources: string[];
  counts: {
    nodes: number;
    pods: number;
    services: number;
    endpointSlices: number;
    endpoints: number;
    podsWithoutIp: number;
    unknownKinds: Record<string, number>;
  };
  endpointsFrom: 'EndpointSlice' | 'Endpoints' | 'none';
  podRanges: string[];
  serviceRanges: string[];
  nodeBlocks: { node: string; cidr: string; inferred: boolean }[];
}

export interface CaptureWarning {
  /** Byte offset in the (uncompressed) file. */
  offset: number;
  message: string;
  /** Index of the record concerned, when there is one. */
  record?: number;
  /**
   * The message as data, for wording it in another language: the key under "warning" in the
   * UI's catalogs and its values. Absent for the rare warnings that have only English.
   */
  code?: string;
  params?: TextParams;
}

export interface CaptureSummary {
  file: string;
  format: 'pcap' | 'pcapng' | null;
  /** True when the file was gzip-compressed (read through a decompressor). */
  compressed: boolean;
  linkTypes: string[];
  packets: number;
  /** Size of the file on disk. */
  bytes: number;
  /** Sum of the packets' original (on-the-wire) lengths. */
  wireBytes: number;
  start: string | null;
  end: string | null;
  /** Packets containing each layer (tunnels included), each counted once per packet. */
  layers: Record<string, number>;
  warnings: CaptureWarning[];
  /** Did the whole file read? False when damage stopped reading early. */
  complete: boolean;
  interfaces: InterfaceSummary[];
  /** Packets whose decode stopped on bad bytes (truncated or malformed), and IP fragments after the first. */
  damagedPackets: number;
  fragments: number;
  /** Packets of link types podpath does not decode, by link type name. */
  unknownLinkTypes: Record<string, number>;
  flowCount: number;
  /** Which data path the capture shows (an overlay, direct routing...) and the evidence. */
  datapath?: Datapath;
  /**
   * With `analyze --index`: the packet index built while reading (16 bytes a packet), and
   * whether its packets can be read at random (not for a gzip'd file).
   */
  packetIndex?: { packets: number; bytes: number; randomAccess: boolean };
}

export interface InterfaceSummary {
  index: number;
  linkType: string;
  name: string | null;
  description: string | null;
  snapLength: number;
  /** Timestamp precision: 'µs', 'ns', or the unit as text. */
  precision: string;
}

export interface Endpoint {
  ip?: string;
  port?: number;
  mac?: string;
  /** With a cluster snapshot (--cluster): what the address is. */
  kind?: 'pod' | 'node' | 'service' | 'external' | 'unknown-pod' | 'unknown-service';
  /** "namespace/name" (pods, Services), the node's name, "unknown pod on <node>", or null (external). */
  name?: string | null;
  namespace?: string;
  /** The node a pod runs on. */
  node?: string;
  /** The pod's controller, e.g. "Deployment/web". */
  workload?: string;
  /** For node addresses: 'address', 'tunnel' (VTEP), 'bridge' (cni0 gateway), 'host' (cilium_host). */
  role?: string;
  hostNetworkPods?: string[];
}

export interface Encapsulation {
  type: string;
  /** VNI (VXLAN, Geneve) or GRE key from the initiator's side; null when absent. */
  vni: number | null;
  vniReply: number | null;
  udpPort: number | null;
  /** srcNode and dstNode with a cluster snapshot: the nodes that put the packet in and took it out. */
  outer: { src: string; dst: string; srcNode?: string | null; dstNode?: string | null };
}

export interface FlowSummary {
  capture: string;
  protocol: string;
  src: Endpoint;
  dst: Endpoint;
  packets: number;
  bytes: number;
  packetsToSrc: number;
  bytesToSrc: number;
  start: string | null;
  end: string | null;
  /**
   * Where the flow was seen, when the capture has a choice: the pcapng interface (index, name),
   * or for a single SLL2 interface (`tcpdump -i any`) the Linux ifindex; `ifindex` is added when
   * an SLL2 interface sits among several pcapng ones.
   */
  interface: { index: number; name: string | null; ifindex?: number } | null;
  encapsulation: Encapsulation[];
  icmp?: {
    id?: number;
    type?: number;
    code?: number;
    quotes?: { src: string; dst: string; protocol: string; srcPort?: number; dstPort?: number };
  };
  /** TCP flags seen from each side, e.g. "SA". */
  tcpFlags?: { src: string; dst: string };
  /** A PROXY protocol header at the start of the stream: the real client a load balancer speaks for. */
  proxyProtocol?: { version: number; src?: Endpoint; dst?: Endpoint };
  /** With a cluster snapshot: the Service the destination address and port belong to. */
  service?: {
    name: string;
    port: number;
    targetPort: number | null;
    endpoints: string[];
    /** Set when the flow reached the Service through a node's NodePort. */
    nodePort?: number;
    portName?: string;
  };
  /**
   * With a cluster snapshot, when the destination is a ready endpoint of a Service on its
   * target port: the connection as seen after kube-proxy's DNAT (`podpath trace` matches it
   * to the Service address where the capture also shows that side).
   */
  endpointOf?: { service: string; port: number; targetPort: number; portName?: string }[];
}
