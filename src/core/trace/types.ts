import type { Encapsulation, Endpoint, FlowSummary } from '../analysis/types.js';

/** Who rewrote a tuple, as data (`rewrittenBy` words it in English). */
export interface Rewrite {
  dnat?: {
    /** "namespace/name" when the address was a Service's (with a snapshot). */
    service: string | null;
    via: 'ClusterIP' | 'NodePort' | 'externalIP' | 'LoadBalancer' | null;
    from: string;
    to: string;
    /** The endpoint's name (a pod), with a snapshot. */
    toName: string | null;
    /** For a NodePort: the node whose port it was. */
    node: string | null;
  };
  snat?: {
    from: string;
    to: string;
    /** The node whose address the source became (masquerade), with a snapshot. */
    node: string | null;
    /** Which of the node's addresses: 'tunnel', 'bridge', 'host' (null: its own). */
    role: string | null;
  };
}

/** What differs from the previous sighting of a connection. */
export type HopChange = 'none' | 'dnat' | 'snat' | 'dnat+snat' | 'encap' | 'decap' | 'routed';

/** One place (capture, interface, tuple) where a connection was seen. */
export interface TraceHop {
  capture: string;
  /**
   * The interface, where the capture has a choice (pcapng interfaces, or the ifindex of a
   * `tcpdump -i any` capture), with its role when podpath could tell it (veth, bridge, tunnel,
   * underlay) and, for a veth, the pod behind it.
   */
  interface: { index: number; name: string | null; ifindex?: number; role?: string; pod?: string } | null;
  /** The first client-to-server packet seen here, on the first capture's clock. */
  time: string;
  /** `time` less the first hop's, in milliseconds (to the nanosecond). */
  sinceFirstMs: number;
  /** The client-to-server tuple as seen here. */
  src: Endpoint;
  dst: Endpoint;
  encapsulation: Encapsulation[];
  change: HopChange;
  /** Every difference from the previous hop, most telling first ("dnat", "encap", "routed"...). */
  changes: string[];
  /** Who made the change, in words: "kube-proxy DNAT for default/web", "masquerade on node1". */
  note: string | null;
  /** The NAT part of the note alone: who rewrote the tuple (null when nothing did). */
  rewrittenBy: string | null;
  rewrite: Rewrite | null;
  /** The inner IP TTL (hop limit) of the first client-to-server packet seen here. */
  ttl: number | null;
  /** Packets of the connection seen here, client to server and back. */
  packets: { toServer: number; toClient: number };
  /** Median time from the previous hop to this one over the packets both saw (ms). */
  fromPreviousMs: number | null;
}

export interface TraceConnection {
  protocol: string;
  /** "namespace/name" of the Service the connection went to, with a snapshot. */
  service: string | null;
  /** How the Service was found: its address ("address"), a NodePort, or its endpoint ("endpoint"). */
  serviceVia?: 'address' | 'nodePort' | 'endpoint';
  hops: TraceHop[];
  latency: { firstToLastMs: number | null };
  /** The last point a packet was seen before it vanished on the way to a later point. */
  lostAfter: string | null;
  /** The packets that vanished, by where they were last seen and which way they went. */
  lost: {
    after: string;
    /** The interface of that last sighting, for captures with several (`-i any`). */
    interface: TraceHop['interface'];
    direction: 'toServer' | 'toClient';
    packets: number;
  }[];
  /** Whether any server-to-client packet was seen anywhere. */
  answered: boolean;
  /** Packets matched in more than one place. */
  matchedPackets: number;
}

export interface ClockEstimate {
  capture: string;
  offsetSeconds: number;
  /** The capture it was measured against, and how. */
  relativeTo: string | null;
  basis: 'reference' | 'two-way' | 'one-way' | 'unmatched';
  /** Packets the offset was estimated from (up to 32 of each connection the two captures share). */
  matchedPackets: number;
}

export interface TraceDocument {
  schema: 'podpath.trace/v1';
  clockOffsets: Record<string, number>;
  clocks: ClockEstimate[];
  captures: { file: string; packets: number; fingerprinted: number }[];
  connections: TraceConnection[];
  /** Packets seen in more than one place, in all. */
  matchedPackets: number;
  warnings: string[];
}

export interface CompareSide {
  protocol: string;
  src: Endpoint;
  dst: Endpoint;
  encapsulation: Encapsulation[];
}

export interface CompareTranslation {
  before: CompareSide;
  after: CompareSide;
  kind: 'dnat' | 'snat' | 'dnat+snat' | 'none';
  service: string | null;
  /** Who rewrote it, in words. */
  rewrittenBy: string | null;
  rewrite: Rewrite | null;
  packets: number;
  latencyMs: { median: number | null };
}

export interface CompareDocument {
  schema: 'podpath.compare/v1';
  before: string;
  after: string;
  /** Seconds added to the after capture's timestamps to put them on the before capture's clock. */
  clockOffset: number;
  matchedPackets: number;
  translations: CompareTranslation[];
  onlyBefore: FlowSummary[];
  onlyAfter: FlowSummary[];
  warnings: string[];
}
