/**
 * The `podpath findings --json` document, schema "podpath.findings/v1": what is wrong in a
 * set of captures, each finding with its evidence (flows and packets one can open), the
 * mechanism behind it and what to change. Fields may be added, never renamed or removed.
 */
import type { FlowSummary } from '../analysis/types.js';
import type { TextParams } from '../text/index.js';

export const FINDINGS_SCHEMA = 'podpath.findings/v1';

export type FindingKind =
  | 'mtu'
  | 'fragmented-tunnel'
  | 'dns-search-expansion'
  | 'dns-nxdomain'
  | 'dns-servfail'
  | 'dns-timeout'
  | 'dns-wrong-server'
  | 'service-no-endpoints'
  | 'endpoint-not-listening'
  | 'connection-refused'
  | 'syn-unanswered'
  | 'tcp-handshake-incomplete'
  | 'client-ip-masqueraded'
  | 'proxy-protocol'
  | 'proxy-protocol-missing'
  | 'tcp-retransmissions'
  | 'tcp-zero-window'
  | 'tcp-reset'
  | 'packet-lost-between'
  | 'asymmetric-path'
  | 'clock-offset';

export type FindingSeverity = 'error' | 'warning' | 'info';

/** What an evidence packet is to its finding. */
export type PacketRole =
  | 'icmp-error'
  | 'too-big'
  | 'fragment'
  | 'retransmission'
  | 'syn'
  | 'syn-ack'
  | 'rst'
  | 'zero-window'
  | 'query'
  | 'answer'
  | 'request'
  | 'lost'
  | 'proxy-header';

/** A packet to open: its capture (base name, as `analyze --json` names it) and record number. */
export interface FindingPacket {
  capture: string;
  /** The record's number in its capture, from 0 (the packets view and the readable output show it plus 1). */
  index: number;
  role: PacketRole;
  /** In the app: the session's id of the capture ("c1"). */
  captureId?: string;
  /** The packet's flow in its capture (as the flow's `flow`), when it belongs to one. */
  flow?: number;
  /** Its place among its flow's packets, from 0 (the flow's packets view opens there). */
  flowIndex?: number;
  /** In the app: the flow's id ("c1:5"), for `packets`. */
  flowId?: string;
}

/** TCP health of one flow, as this capture point saw it. */
export interface FlowTcpHealth {
  /** Data segments (or FINs) sent again, from the initiator and from the responder. */
  retransmissions: { src: number; dst: number };
  /** Segments that carried data, each way. */
  segments: { src: number; dst: number };
  /** Packets advertising a zero receive window, by the side that advertised it. */
  zeroWindows: { src: number; dst: number };
  resets: { src: number; dst: number };
  /** SYNs the initiator sent (more than one: retransmitted). */
  syns: number;
}

/** A flow the finding is about: the flow object as `analyze --json` writes it, and its number. */
export interface FindingFlow extends FlowSummary {
  /** The flow's number in its capture (the packet index's flow column, the app's `cN:<flow>`). */
  flow: number;
  /** In the app: "<capture id>:<flow>", the id the flows and packets views take. */
  id?: string;
  tcp?: FlowTcpHealth;
}

export interface Finding {
  kind: FindingKind;
  severity: FindingSeverity;
  /**
   * The finding's sentences as data: the key under "finding" in the UI's catalogs (with
   * `.summary`, `.explanation`, `.suggestion`) and its values. The three texts below are the
   * English of these.
   */
  code: string;
  params: TextParams;
  /** What happened, with the numbers and names. */
  summary: string;
  /** Why it happens: the mechanism. */
  explanation: string;
  /** What to change. */
  suggestion: string;
  /** The Service concerned ("namespace/name"), when there is one. */
  service?: string;
  /** Pods concerned ("namespace/name"), with a snapshot. */
  pods?: string[];
  /** Captures that show it. */
  captures: string[];
  flows: FindingFlow[];
  packets: FindingPacket[];
  /** Evidence beyond the lists (each list keeps at most 20). */
  moreFlows: number;
  morePackets: number;
}

export interface FindingsDocument {
  schema: typeof FINDINGS_SCHEMA;
  captures: { file: string; packets: number; flows: number }[];
  /** Whether a cluster snapshot named addresses (many findings need one). */
  cluster: boolean;
  counts: { error: number; warning: number; info: number };
  findings: Finding[];
  /** Findings left out per kind, past the 50 of each kind kept (most affected first). */
  omitted: Partial<Record<FindingKind, number>>;
}
