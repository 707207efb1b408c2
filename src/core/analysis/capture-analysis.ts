import {
  CaptureReader,
  type CaptureRecord,
  type ReaderTail,
  formatTimestamp,
  type InterfaceInfo,
  linkTypeName,
} from '../capture/index.js';
import { DecodedPacket, DecodeTables, MASK_BITS, MASK_NAMES, Network } from '../decode/index.js';
import { FlowTable, type FlowTableParts } from '../flow/index.js';
import { type TextFact, warningText } from '../text/index.js';
import type { CaptureSummary, CaptureWarning, InterfaceSummary } from './types.js';

export interface AnalysisOptions {
  /** UDP ports to decode as VXLAN besides 4789, 8472 and 6784. */
  vxlanPorts?: readonly number[];
  /** Sees every packet after the flow table has: its flow id (-1 for none) and direction. */
  observer?: PacketObserver;
}

/** A per-packet hook for analyses built on the flow table (trace, compare). */
export interface PacketObserver {
  packet(p: DecodedPacket, r: CaptureRecord, flow: number, direction: number): void;
}

/** Numbers kept per tunnel type (see noteTunnel). */
const TUNNEL_STATS = 3;

/** Distinct (reason, layer) decode problems reported per file, each with its first example. */
const MAX_DECODE_KINDS = 32;

/** A CaptureAnalysis as plain, transferable data (see CaptureAnalysis.parts and absorb). */
export interface AnalysisParts {
  reader: ReaderTail;
  flows: FlowTableParts;
  maskCounts: Float64Array;
  tunnelStats: Float64Array;
  problems: DecodeProblem[];
  unknownLinkTypes: [number, number][];
  packets: number;
  wireBytes: number;
  first: [number, number];
  last: [number, number];
  damagedPackets: number;
  fragments: number;
}

/**
 * A decode problem of an analysis that numbered records from 0 at `recordBase`, renumbered.
 * The example's record number is the first word after "record" (see describeStop).
 */
function renumberProblem(problem: DecodeProblem, recordBase: number): DecodeProblem {
  const firstRecord = problem.firstRecord + recordBase;
  const fact = problem.exampleFact;
  if (fact !== null) {
    const params = { ...fact.params, record: firstRecord };
    return {
      ...problem,
      firstRecord,
      example: warningText(fact.code, params),
      exampleFact: { ...fact, params },
    };
  }
  const example = problem.example.replace(/^record \d+:/, `record ${firstRecord}:`);
  return { ...problem, firstRecord, example };
}

interface DecodeProblem {
  reason: string;
  layer: string;
  count: number;
  firstRecord: number;
  firstOffset: number;
  example: string;
  /** The example as data, when it has a code (a truncated header). */
  exampleFact: TruncatedFact | null;
}

/**
 * One capture file, end to end: frames the pushed chunks, decodes each packet and adds it
 * to the flow table, allocating nothing per packet. Feed it with `push(chunk)` (any chunk
 * size) and finish with `end()`; `summary()` then describes the file.
 */
export class CaptureAnalysis {
  readonly reader = new CaptureReader();
  readonly packet = new DecodedPacket();
  readonly flows = new FlowTable();
  readonly tables: DecodeTables;
  /** Packets per layer mask; the per-name counts are summed from it at the end. */
  readonly maskCounts = new Float64Array(1 << MASK_BITS);
  packets = 0;
  wireBytes = 0;
  firstSeconds = Infinity;
  firstNanos = 0;
  lastSeconds = -Infinity;
  lastNanos = 0;
  damagedPackets = 0;
  fragments = 0;
  private readonly problems: DecodeProblem[] = [];
  private readonly tunnelStats = new Float64Array(8 * TUNNEL_STATS);
  private readonly unknownLinkTypes = new Map<number, number>();
  private ended = false;
  private readonly observer: PacketObserver | null;
  /** Warnings the file header made when this analysis started mid-file (see startAt). */
  private headerIssues = 0;

  constructor(options: AnalysisOptions = {}) {
    this.observer = options.observer ?? null;
    this.tables = new DecodeTables();
    for (const port of options.vxlanPorts ?? []) this.tables.addVxlanPort(port);
  }

  /** Hands in the next chunk of the file; it is fully consumed before this returns. */
  push(chunk: Uint8Array): void {
    const reader = this.reader;
    reader.push(chunk);
    while (reader.next()) this.add(reader.record);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.reader.end();
  }

  private add(r: CaptureRecord): void {
    const p = this.packet;
    p.decode(r.bytes, r.start, r.capturedLength, r.originalLength, r.linkType, r.fcsLength, this.tables);
    this.packets++;
    this.wireBytes += r.originalLength;
    this.maskCounts[p.mask]++;
    if (p.stop.reason !== 'end') this.noteStop(r);
    if (p.enclosingTunnels > 0 && p.innerNetwork === Network.IP) this.noteTunnel(p);
    this.flows.add(p, r);
    if (this.observer !== null) this.observer.packet(p, r, this.flows.lastFlow, this.flows.lastDirection);
    if (r.hasTimestamp) {
      const seconds = r.tsSeconds;
      if (seconds < this.firstSeconds || (seconds === this.firstSeconds && r.tsNanos < this.firstNanos)) {
        this.firstSeconds = seconds;
        this.firstNanos = r.tsNanos;
      }
      if (seconds > this.lastSeconds || (seconds === this.lastSeconds && r.tsNanos > this.lastNanos)) {
        this.lastSeconds = seconds;
        this.lastNanos = r.tsNanos;
      }
    }
  }

  /**
   * Per tunnel type: packets, the bytes its headers add in front of the inner IP packet, and
   * the largest inner IP packet seen, for the MTU report.
   */
  private noteTunnel(p: DecodedPacket): void {
    const type = p.tunnelType[0];
    const outer = p.ip[p.tunnelIp[0]];
    const inner = p.ip[p.innerIp];
    const stats = this.tunnelStats;
    stats[type * TUNNEL_STATS] += 1;
    const overhead = inner.start - outer.start;
    if (overhead > stats[type * TUNNEL_STATS + 1]) stats[type * TUNNEL_STATS + 1] = overhead;
    const length =
      inner.version === 4 ? inner.lengthField || inner.payloadEnd - inner.start : 40 + inner.lengthField;
    if (length > stats[type * TUNNEL_STATS + 2]) stats[type * TUNNEL_STATS + 2] = length;
  }

  /** Tunnel statistics by type: packets, largest header overhead, largest inner IP packet. */
  tunnel(type: number): { packets: number; overheadBytes: number; largestInnerPacket: number } {
    const stats = this.tunnelStats;
    return {
      packets: stats[type * TUNNEL_STATS],
      overheadBytes: stats[type * TUNNEL_STATS + 1],
      largestInnerPacket: stats[type * TUNNEL_STATS + 2],
    };
  }

  private noteStop(r: CaptureRecord): void {
    const stop = this.packet.stop;
    switch (stop.reason) {
      case 'fragment':
        this.fragments++;
        return;
      case 'unsupported':
      case 'end':
        return;
      case 'unknown-link-type':
        this.unknownLinkTypes.set(stop.value, (this.unknownLinkTypes.get(stop.value) ?? 0) + 1);
        return;
      default:
        break;
    }
    this.damagedPackets++;
    let problem: DecodeProblem | undefined;
    for (const candidate of this.problems) {
      if (candidate.reason === stop.reason && candidate.layer === stop.layer) {
        problem = candidate;
        break;
      }
    }
    if (problem === undefined) {
      if (this.problems.length >= MAX_DECODE_KINDS) return;
      problem = {
        reason: stop.reason,
        layer: stop.layer,
        count: 0,
        firstRecord: r.index,
        firstOffset: r.dataOffset + (stop.offset - r.start),
        example: describeStop(this.packet, r),
        exampleFact: stopFact(this.packet, r),
      };
      this.problems.push(problem);
    }
    problem.count++;
  }

  /**
   * Reads a file from a record boundary at `offset` on, its header being `header`: see
   * CaptureReader.startAt. False when the header is not one this can start after (only pcap).
   */
  startAt(header: Uint8Array, offset: number): boolean {
    const issues = this.reader.startAt(header, offset);
    if (issues === null) return false;
    this.headerIssues = issues;
    return true;
  }

  /**
   * What this analysis (started with startAt, then ended) found, as transferable data for
   * `absorb` by the analysis of the file's start; null when it cannot be absorbed exactly
   * (a warning this code cannot renumber, or more kinds of decode problems than are kept).
   */
  parts(): AnalysisParts | null {
    const tail = this.reader.tail(this.headerIssues);
    if (tail.issues.some((issue) => issue.code === undefined)) return null;
    if (this.problems.length >= MAX_DECODE_KINDS) return null;
    return {
      reader: tail,
      flows: this.flows.parts(),
      maskCounts: this.maskCounts.slice(),
      tunnelStats: this.tunnelStats.slice(),
      problems: this.problems,
      unknownLinkTypes: [...this.unknownLinkTypes],
      packets: this.packets,
      wireBytes: this.wireBytes,
      first: [this.firstSeconds, this.firstNanos],
      last: [this.lastSeconds, this.lastNanos],
      damagedPackets: this.damagedPackets,
      fragments: this.fragments,
    };
  }

  /**
   * Whether absorb(parts) gives exactly what reading on would: this analysis must have read
   * whole records up to where `parts` began, and the flow tables must combine (see
   * FlowTable.canAbsorb).
   */
  canAbsorb(parts: AnalysisParts): boolean {
    return !this.ended && this.reader.atRecordBoundary() && this.flows.canAbsorb(parts.flows);
  }

  /**
   * Takes on the rest of the file as another analysis read it (see startAt and parts): as if
   * this one had read on. Returns each of their flows' id here. Check canAbsorb first.
   */
  absorb(parts: AnalysisParts): Int32Array {
    const recordBase = this.reader.recordCount;
    this.reader.absorbTail(parts.reader, recordBase);
    const flowIds = this.flows.absorb(parts.flows, recordBase);
    this.packets += parts.packets;
    this.wireBytes += parts.wireBytes;
    for (let i = 0; i < this.maskCounts.length; i++) this.maskCounts[i] += parts.maskCounts[i];
    const stats = this.tunnelStats;
    for (let t = 0; t < stats.length; t += TUNNEL_STATS) {
      stats[t] += parts.tunnelStats[t];
      stats[t + 1] = Math.max(stats[t + 1], parts.tunnelStats[t + 1]);
      stats[t + 2] = Math.max(stats[t + 2], parts.tunnelStats[t + 2]);
    }
    const [firstSeconds, firstNanos] = parts.first;
    if (
      firstSeconds < this.firstSeconds ||
      (firstSeconds === this.firstSeconds && firstNanos < this.firstNanos)
    ) {
      this.firstSeconds = firstSeconds;
      this.firstNanos = firstNanos;
    }
    const [lastSeconds, lastNanos] = parts.last;
    if (lastSeconds > this.lastSeconds || (lastSeconds === this.lastSeconds && lastNanos > this.lastNanos)) {
      this.lastSeconds = lastSeconds;
      this.lastNanos = lastNanos;
    }
    this.damagedPackets += parts.damagedPackets;
    this.fragments += parts.fragments;
    for (const [linkType, n] of parts.unknownLinkTypes)
      this.unknownLinkTypes.set(linkType, (this.unknownLinkTypes.get(linkType) ?? 0) + n);
    for (const theirs of parts.problems) {
      const ours = this.problems.find((p) => p.reason === theirs.reason && p.layer === theirs.layer);
      if (ours !== undefined) ours.count += theirs.count;
      else if (this.problems.length < MAX_DECODE_KINDS)
        this.problems.push(renumberProblem(theirs, recordBase));
    }
    return flowIds;
  }

  /** Timestamp precision of the capture: the finest of its interfaces (6 or 9 digits). */
  precisionDigits(): number {
    let digits = 6;
    for (const iface of this.reader.interfaces) digits = Math.max(digits, iface.precisionDigits);
    return digits;
  }

  summary(file: string, fileSize: number, compressed: boolean): CaptureSummary {
    const reader = this.reader;
    const layers: Record<string, number> = {};
    for (let b = 0; b < MASK_BITS; b++) layers[MASK_NAMES[b]] = 0;
    const counts = this.maskCounts;
    for (let mask = 1; mask < counts.length; mask++) {
      const n = counts[mask];
      if (n === 0) continue;
      for (let b = 0; b < MASK_BITS; b++) if ((mask & (1 << b)) !== 0) layers[MASK_NAMES[b]] += n;
    }
    // 'loopback' is ours, beyond the names the schema promises: listed only when present.
    if (layers.loopback === 0) delete layers.loopback;
    const warnings: CaptureWarning[] = reader.issues.map((issue) => {
      const warning: CaptureWarning = {
        offset: issue.offset,
        message: issue.message,
        record: issue.recordIndex,
      };
      if (issue.code !== undefined) {
        warning.code = issue.code;
        warning.params = issue.params ?? {};
      }
      return warning;
    });
    if (reader.issuesDropped > 0) {
      const params = { dropped: reader.issuesDropped };
      warnings.push({
        offset: 0,
        message: warningText('moreWarnings', params),
        code: 'moreWarnings',
        params,
      });
    }
    for (const problem of this.problems) {
      const warning: CaptureWarning = {
        offset: problem.firstOffset,
        record: problem.firstRecord,
        message:
          problem.count === 1
            ? problem.example
            : `${problem.count} packets ${problem.reason} at ${problem.layer}; the first: ${problem.example}`,
      };
      const first = problem.exampleFact;
      if (first !== null) {
        const many = first.code === 'packetTruncated' ? 'packetsTruncated' : 'packetsTruncatedSnaplen';
        warning.code = problem.count === 1 ? first.code : many;
        warning.params = problem.count === 1 ? first.params : { packets: problem.count, ...first.params };
      }
      warnings.push(warning);
    }
    const unknownLinkTypes: Record<string, number> = {};
    for (const [linkType, n] of this.unknownLinkTypes) {
      const name = linkTypeName(linkType);
      unknownLinkTypes[name] = n;
      const params = { packets: n, name, linkType };
      warnings.push({
        offset: 0,
        message: warningText('unknownLinkType', params),
        code: 'unknownLinkType',
        params,
      });
    }
    const digits = this.precisionDigits();
    const linkTypes = [...new Set(reader.interfaces.map((i) => linkTypeName(i.linkType)))];
    return {
      file,
      format: reader.format,
      compressed,
      linkTypes,
      packets: this.packets,
      bytes: fileSize,
      wireBytes: this.wireBytes,
      start:
        this.packets > 0 && Number.isFinite(this.firstSeconds)
          ? formatTimestamp(this.firstSeconds, this.firstNanos, digits)
          : null,
      end:
        this.packets > 0 && Number.isFinite(this.lastSeconds)
          ? formatTimestamp(this.lastSeconds, this.lastNanos, digits)
          : null,
      layers,
      warnings,
      complete: reader.fatal === null,
      interfaces: reader.interfaces.map(interfaceSummary),
      damagedPackets: this.damagedPackets,
      fragments: this.fragments,
      unknownLinkTypes,
      flowCount: this.flows.count,
    };
  }
}

function interfaceSummary(i: InterfaceInfo): InterfaceSummary {
  return {
    index: i.index,
    linkType: linkTypeName(i.linkType),
    name: i.name,
    description: i.description,
    snapLength: i.snapLength,
    precision: i.unitsPerSecond === 1e6 ? 'µs' : i.unitsPerSecond === 1e9 ? 'ns' : `1/${i.unitsPerSecond} s`,
  };
}

interface TruncatedFact extends TextFact {
  code: 'packetTruncated' | 'packetTruncatedSnaplen';
}

/**
 * A truncated header as data (the code under "warning" and its values), or null for stops
 * worded only in English (malformed and too-deep stops carry the decoder's own phrase).
 */
function stopFact(p: DecodedPacket, r: CaptureRecord): TruncatedFact | null {
  const s = p.stop;
  if (s.reason !== 'truncated') return null;
  const params = { record: r.index, layer: s.layer, at: s.offset - r.start, need: s.need, have: s.have };
  return s.lengthFrom === 'captured'
    ? { code: 'packetTruncatedSnaplen', params }
    : { code: 'packetTruncated', params: { ...params, lengthFrom: s.lengthFrom } };
}

/** One sentence about where a packet's decode stopped, with packet-relative offsets. */
export function describeStop(p: DecodedPacket, r: CaptureRecord): string {
  const truncated = stopFact(p, r);
  if (truncated !== null) return warningText(truncated.code, truncated.params);
  const s = p.stop;
  const at = s.offset - r.start;
  switch (s.reason) {
    case 'malformed':
      return `record ${r.index}: malformed ${s.layer} at packet byte ${at}: ${s.detail} (${s.value})`;
    case 'too-deep':
      return `record ${r.index}: ${s.detail} at packet byte ${at}`;
    case 'unsupported':
      return `record ${r.index}: ${s.layer} payload not decoded: ${s.detail} 0x${s.value.toString(16)}`;
    case 'unknown-link-type':
      return `record ${r.index}: link type ${linkTypeName(s.value)} is not decoded`;
    case 'fragment':
      return `record ${r.index}: a later IP fragment`;
    default:
      return `record ${r.index}: decoded`;
  }
}
