import type { CaptureAnalysis, Datapath, Endpoint, FlowSummary } from '../analysis/index.js';
import { endpointAddress } from '../analysis/index.js';
import type { ClusterIndex } from '../cluster/index.js';
import { formatIp } from '../decode/index.js';
import type { FlowTable } from '../flow/index.js';
import type { FindingCode, TextParams } from '../text/index.js';
import type { ConnectionModel, Correlation } from '../trace/index.js';
import type { FindingsObserver } from './observer.js';
import type { FindingKind, FindingSeverity, PacketRole } from './types.js';

/** One capture as the detectors see it, once it has been read. */
export interface FindingsCapture {
  /** Display name: the file's base name (its path when two captures share one). */
  name: string;
  analysis: CaptureAnalysis;
  observer: FindingsObserver;
  datapath?: Datapath;
  /** The flow as `analyze --json` writes it, named from the snapshot when there is one. */
  flowSummary(flow: number): FlowSummary;
  /** In the app: the session's id of the capture, for flow ids ("c1:5"). */
  captureId?: string;
}

export interface FindingsInput {
  captures: readonly FindingsCapture[];
  cluster?: ClusterIndex;
  /** The captures' packets matched across them (src/core/trace): connections, losses, clocks. */
  correlation?: Correlation;
}

export interface FlowRef {
  capture: number;
  flow: number;
}

export interface PacketRef {
  capture: number;
  record: number;
  role: PacketRole;
}

/** A finding before its evidence is capped and its sentences written. */
export interface Draft {
  kind: FindingKind;
  severity: FindingSeverity;
  code: FindingCode;
  params: TextParams;
  /** Drafts with one key are one finding: a later one adds its evidence to the first. */
  key: string;
  /** How much is affected (packets, connections), to order findings of one severity. */
  weight: number;
  flows: FlowRef[];
  packets: PacketRef[];
  service?: string;
  pods?: string[];
}

/** A flow end as people read it: "default/web-0 10.244.2.2:8080", a node's role, or the address. */
export function endText(e: Endpoint): string {
  const address = endpointAddress(e);
  if (e.name === undefined || e.name === null) return address;
  const role = e.kind === 'node' && e.role !== undefined && e.role !== 'address' ? ` ${e.role}` : '';
  return `${e.name}${role} ${address}`;
}

/** Milliseconds, rounded to what a person reads (0.042, 1.5, 5012). */
export function ms(seconds: number): number {
  const value = seconds * 1000;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

/**
 * What the detectors share: the captures, the snapshot, and the correlation's connections
 * (flows of several captures or interfaces that carried the same packets are one
 * connection, so a problem seen at five points is one finding, not five).
 */
export class FindingsContext {
  readonly captures: readonly FindingsCapture[];
  readonly cluster: ClusterIndex | undefined;
  readonly correlation: Correlation | undefined;
  private readonly hopConnection = new Map<number, number>();
  private readonly summaries = new Map<number, FlowSummary>();
  private quoted: Set<string> | null = null;

  constructor(input: FindingsInput) {
    this.captures = input.captures;
    this.cluster = input.cluster;
    this.correlation = input.correlation;
    input.correlation?.connections.forEach((c, i) => {
      for (const h of c.hops) this.hopConnection.set(hopKey(h.capture, h.flow), i);
    });
  }

  table(capture: number): FlowTable {
    return this.captures[capture].analysis.flows;
  }

  /** The flow's summary (memoised: flows of findings are asked for again and again). */
  summary(capture: number, flow: number): FlowSummary {
    const key = hopKey(capture, flow);
    let s = this.summaries.get(key);
    if (s === undefined) {
      s = this.captures[capture].flowSummary(flow);
      this.summaries.set(key, s);
    }
    return s;
  }

  /** The correlation's connection the flow is a hop of, or null. */
  connection(capture: number, flow: number): ConnectionModel | null {
    const i = this.hopConnection.get(hopKey(capture, flow));
    return i === undefined ? null : this.correlation!.connections[i];
  }

  /** One key for every flow of a connection (the flow alone when it is in none). */
  connectionKey(capture: number, flow: number): string {
    const i = this.hopConnection.get(hopKey(capture, flow));
    return i === undefined ? `f${capture}:${flow}` : `c${i}`;
  }

  /** connectionKey as a number: the connection's index, or -1 less the flow's own key. */
  connectionIndex(capture: number, flow: number): number {
    const key = hopKey(capture, flow);
    return this.hopConnection.get(key) ?? -1 - key;
  }

  /**
   * Whether an ICMP error in any capture quotes this packet header (a tupleKey: the
   * client-to-server header of a connection an error was about).
   */
  isQuoted(tuple: string): boolean {
    return this.anyQuoted() && this.quoted!.has(tuple);
  }

  /** Whether any ICMP error quotes a header with ports (most captures have none). */
  anyQuoted(): boolean {
    if (this.quoted === null) {
      this.quoted = new Set();
      for (const capture of this.captures) {
        for (const d of capture.analysis.flows.icmpErrors.values()) {
          if (!d.hasQuotedPorts) continue;
          const qsrc = formatIp(d.quotedVersion, d.quotedSource);
          const qdst = formatIp(d.quotedVersion, d.quotedDestination);
          this.quoted.add(
            tupleKey(
              d.quotedVersion,
              qsrc,
              d.quotedSourcePort,
              qdst,
              d.quotedDestinationPort,
              d.quotedProtocol,
            ),
          );
        }
      }
    }
    return this.quoted.size > 0;
  }

  /** An address as people read it: "default/web-0 10.244.2.2", "node1 tunnel 10.244.1.0", or the address. */
  nameIp(ip: string): string {
    if (this.cluster === undefined) return ip;
    const id = this.cluster.identifyText(ip);
    if (id.name === null || id.kind === 'external') return ip;
    const role = id.kind === 'node' && id.role !== undefined && id.role !== 'address' ? ` ${id.role}` : '';
    return `${id.name}${role} ${ip}`;
  }

  /** Seconds since the capture's first packet of a flow's first packet. */
  flowStart(capture: number, flow: number): number {
    const table = this.table(capture);
    const base = this.captures[capture].observer.baseSeconds;
    return table.firstSeconds(flow) - base + table.firstNanos(flow) * 1e-9;
  }

  flowEnd(capture: number, flow: number): number {
    const table = this.table(capture);
    const base = this.captures[capture].observer.baseSeconds;
    return table.lastSeconds(flow) - base + table.lastNanos(flow) * 1e-9;
  }

  /** Seconds the capture went on after a moment (since its first packet). */
  after(capture: number, time: number): number {
    return this.captures[capture].observer.lastPacketTime - time;
  }
}

/** A client-to-server header as text: version, addresses, ports and IP protocol. */
export function tupleKey(
  version: number,
  src: string,
  sport: number,
  dst: string,
  dport: number,
  protocol: number,
): string {
  return `${version}|${src}|${sport}|${dst}|${dport}|${protocol}`;
}

function hopKey(capture: number, flow: number): number {
  return flow * 4096 + capture;
}
