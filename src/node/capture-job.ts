// One open capture in the session: reading it (with progress, and cancel keeping what was
// read), its flow rows, its charts, and its packets read again on request. A CaptureJob runs
// on a worker thread of its own (capture-worker.ts), so that several captures are read on
// several cores; capture-client.ts is the session's handle on it, wherever it runs.
import type {
  CaptureProgress,
  ChartsView,
  FlowPage,
  FlowQuery,
  FlowRow,
  PacketPage,
  PacketRow,
} from '../api/index.js';
import {
  type CaptureAnalysis,
  type CaptureSummary,
  ChartAggregator,
  describePacket,
  matchesFlow,
  parseFlowFilter,
} from '../core/analysis/index.js';
import { type CaptureRecord, formatTimestamp, PcapWriter } from '../core/capture/index.js';
import type { ClusterIndex, ClusterSnapshot } from '../core/cluster/index.js';
import { analyzeFile, flowWriter } from './analyze-file.js';
import { CaptureFileError, fileSize } from './capture-file.js';
import { sortFlowIds, sortRows } from './flow-rows.js';
import { analyzeFileIndexed, type IndexedFile, packetPageAt, readPacketsAt } from './packet-index.js';
import { clusterIndexOf } from './snapshot-file.js';

/** The flow number that stands for every packet of the capture (`FlowRow.id` "<capture>:*"). */
export const ALL_PACKETS = -1;

/** Largest pcap an export of one flow's packets makes. */
const MAX_EXPORT_BYTES = 64 << 20;

export interface CaptureJobOptions {
  /** The session's id for the capture ("c1"): flow rows are "<id>:<flow>". */
  id: string;
  path: string;
  /** Display name (the base name, or the path where two open captures share one). */
  name: string;
  /** The snapshot flows are named from. */
  snapshot?: ClusterSnapshot;
  /** Bytes read at a time (tests make it small to watch a file being read). */
  chunkSize?: number;
}

/** What a job tells the session as it goes. */
export type CaptureJobEvent =
  | { type: 'progress'; progress: CaptureProgress }
  | {
      type: 'finished';
      state: 'done' | 'failed' | 'cancelled';
      progress: CaptureProgress;
      summary: CaptureSummary | null;
      error: string | null;
      errorFact?: { code: string; params: Record<string, string | number> };
    };

/**
 * While a file is read, flow rows are made afresh only after twice the time making them took
 * last: making them stops the reading, so asking can cost it at most a third of its time.
 */
const LIVE_ROWS_PAUSE = 2;

/** Bytes by pod (either end) and by the Service reached, the 10 biggest of each. */
function topTalkers(rows: readonly FlowRow[]): Pick<ChartsView, 'topPods' | 'topServices'> {
  const pods = new Map<string, number>();
  const services = new Map<string, number>();
  const add = (map: Map<string, number>, name: string, bytes: number): void =>
    void map.set(name, (map.get(name) ?? 0) + bytes);
  for (const row of rows) {
    for (const end of [row.src, row.dst]) if (end.kind === 'pod' && end.name) add(pods, end.name, row.bytes);
    const service = row.service?.name ?? row.endpointOf?.[0]?.service;
    if (service !== undefined) add(services, service, row.bytes);
  }
  const top = (map: Map<string, number>): { name: string; bytes: number }[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([name, bytes]) => ({ name, bytes }));
  return { topPods: top(pods), topServices: top(services) };
}

export class CaptureJob {
  private readonly controller = new AbortController();
  private readonly charts = new ChartAggregator();
  /** The snapshot's index once built (it is built while reading starts). */
  private cluster: ClusterIndex | undefined;
  private readonly clusterReady: Promise<ClusterIndex> | undefined;
  private live: CaptureAnalysis | null = null;
  private file: IndexedFile | null = null;
  /** The finished capture's rows, made on first ask. */
  private rowsCache: FlowRow[] | null = null;
  /** The last flow order (by packets or bytes) and the last filtered, sorted list asked for. */
  private order: { name: string; ids: Uint32Array } | null = null;
  private view: { key: string; rows: FlowRow[]; problems: string[] } | null = null;
  private liveRows: { at: number; took: number; rows: FlowRow[] } | null = null;
  private tops: Pick<ChartsView, 'topPods' | 'topServices'> | null = null;
  private readonly progress: CaptureProgress = { bytesRead: 0, bytesTotal: 0, packets: 0, flows: 0 };
  /** Resolves when reading ended, however it ended. */
  readonly finished: Promise<void>;

  constructor(
    private readonly options: CaptureJobOptions,
    private readonly emit: (event: CaptureJobEvent) => void,
  ) {
    if (options.snapshot) {
      this.clusterReady = clusterIndexOf(options.snapshot).then((cluster) => (this.cluster = cluster));
      this.clusterReady.catch(() => undefined); // reported by the read, which awaits it
    }
    this.finished = this.read();
  }

  /** Stops reading; what was read stays (the summary warns where it stopped). */
  cancel(): void {
    this.controller.abort();
  }

  /** The flow rows: those found so far while the file is read (see LIVE_ROWS_PAUSE), all of them after. */
  rows(): FlowRow[] {
    if (this.file === null && this.live !== null) {
      const now = performance.now();
      const last = this.liveRows;
      if (last === null || now - last.at > LIVE_ROWS_PAUSE * last.took) {
        const rows = this.makeRows(this.live);
        this.liveRows = { at: performance.now(), took: performance.now() - now, rows };
      }
      return this.liveRows!.rows;
    }
    return this.finishedRows();
  }

  /**
   * One page of the flows table. Unfiltered, in the flows' order or by packets or bytes (the
   * table's default), it orders the flow table's own numbers and makes rows for the page only,
   * so a page costs the same at 200,000 flows as at 200, while the file is read too. Other
   * queries go through every row; a finished capture keeps the last such list for the pages
   * after it.
   */
  page(query: FlowQuery): FlowPage {
    const analysis = this.file?.analysis ?? this.live;
    const empty = { total: 0, offset: query.offset, rows: [], problems: [] };
    if (analysis === null) return empty;
    const key = query.sort?.key;
    if ((query.filter ?? '').trim() === '' && (key === undefined || key === 'packets' || key === 'bytes')) {
      const table = analysis.flows;
      const count = table.count;
      let order: ArrayLike<number> | null = null;
      if (key !== undefined) {
        const name = `${key}:${query.sort!.descending}`;
        if (this.file !== null && this.order?.name === name) order = this.order.ids;
        else {
          const value =
            key === 'packets'
              ? (id: number) => table.packetsFrom(id, 0) + table.packetsFrom(id, 1)
              : (id: number) => table.bytesFrom(id, 0) + table.bytesFrom(id, 1);
          const ids = sortFlowIds(count, value, query.sort!.descending);
          if (this.file !== null) this.order = { name, ids };
          order = ids;
        }
      }
      const end = Math.min(count, query.offset + query.limit);
      const ids: number[] = [];
      for (let i = query.offset; i < end; i++) ids.push(order === null ? i : order[i]);
      return { total: count, offset: query.offset, rows: this.makeRows(analysis, ids), problems: [] };
    }
    const viewKey = JSON.stringify([query.filter ?? '', query.sort ?? null]);
    let view = this.file !== null && this.view?.key === viewKey ? this.view : null;
    if (view === null) {
      const filter = parseFlowFilter(query.filter ?? '');
      let rows = this.rows().filter((row) => matchesFlow(filter, row));
      if (query.sort !== undefined) rows = sortRows(rows, query.sort.key, query.sort.descending);
      view = { key: viewKey, rows, problems: filter.problems };
      if (this.file !== null) this.view = view;
    }
    return {
      total: view.rows.length,
      offset: query.offset,
      rows: view.rows.slice(query.offset, query.offset + query.limit),
      problems: view.problems,
    };
  }

  /** The charts, with the top pods and Services by bytes. */
  chartsView(): ChartsView {
    // Pods and Services are named from a snapshot only: without one there is nothing to rank.
    this.tops ??= this.cluster ? topTalkers(this.finishedRows()) : { topPods: [], topServices: [] };
    return {
      ...this.charts.result(),
      ...this.tops,
      tunnelOverhead: this.file?.summary.datapath?.overheadBytes ?? null,
    };
  }

  private finishedRows(): FlowRow[] {
    if (this.file === null) return [];
    return (this.rowsCache ??= this.makeRows(this.file.analysis));
  }

  /** Rows for the flows `ids` (all of them when absent). */
  private makeRows(analysis: CaptureAnalysis, ids?: readonly number[]): FlowRow[] {
    const writer = flowWriter({
      analysis,
      name: this.options.name,
      ...(this.cluster ? { cluster: this.cluster } : {}),
    });
    const count = ids?.length ?? analysis.flows.count;
    const rows: FlowRow[] = new Array<FlowRow>(count);
    for (let i = 0; i < count; i++) {
      const id = ids?.[i] ?? i;
      const row = JSON.parse(writer.flow(id)) as FlowRow;
      row.id = `${this.options.id}:${id}`;
      rows[i] = row;
    }
    return rows;
  }

  /**
   * A page of a flow's packets (or, for ALL_PACKETS, the capture's): read at random through
   * the packet index, only the rows asked for; a gzip'd capture is read again from its start.
   */
  async packets(flow: number, offset: number, limit: number): Promise<PacketPage> {
    const file = this.finishedFile(flow);
    const table = file.analysis.flows;
    const digits = file.analysis.precisionDigits();
    if (file.randomAccess) {
      const numbers = flow === ALL_PACKETS ? null : this.packetNumbers(file, flow);
      return packetPageAt(this.options.path, file.packetIndex, numbers, offset, limit, {
        precisionDigits: digits,
        flows: table,
      });
    }
    const src = flow === ALL_PACKETS ? -1 : table.initiator(flow);
    const packets: PacketRow[] = [];
    let total = 0;
    // Read the file again and keep the flow's packets on the page asked for (the flow table
    // gives every packet the same flow id on every reading).
    await analyzeFile(this.options.path, {
      observer: {
        packet: (p, r, id, direction) => {
          if (id !== flow && flow !== ALL_PACKETS) return;
          const n = total++;
          if (n < offset || n >= offset + limit) return;
          const bytes = r.bytes.subarray(r.start, r.start + Math.min(r.capturedLength, 4096));
          packets.push({
            index: r.index,
            time: r.hasTimestamp ? formatTimestamp(r.tsSeconds, r.tsNanos, digits) : null,
            length: r.originalLength,
            captured: r.capturedLength,
            fromSrc: flow === ALL_PACKETS ? id < 0 || direction === table.initiator(id) : direction === src,
            layers: describePacket(p, r.bytes),
            hex: Buffer.from(bytes).toString('hex'),
          });
        },
      },
    });
    return { total, offset, packets };
  }

  /** The packet numbers of one flow, from the index. */
  private packetNumbers(file: IndexedFile, flow: number): Uint32Array {
    const table = file.analysis.flows;
    return file.packetIndex.packetsOf(flow, table.packetsFrom(flow, 0) + table.packetsFrom(flow, 1));
  }

  async exportPackets(flow: number): Promise<{ name: string; packets: number; base64: string }> {
    const file = this.finishedFile(flow);
    const nanoseconds = file.analysis.precisionDigits() > 6;
    let writer: PcapWriter | null = null;
    const parts: Uint8Array[] = [];
    let size = 0;
    let packets = 0;
    const add = (r: CaptureRecord): void => {
      if (writer === null) {
        writer = new PcapWriter({ linkType: r.linkType, nanoseconds });
        parts.push(writer.header());
      } else if (r.linkType !== writer.linkType) return; // a pcap holds one link type
      const record = writer.record(
        r.tsSeconds,
        r.tsNanos,
        r.bytes.subarray(r.start, r.start + r.capturedLength),
        r.originalLength,
      );
      size += record.length;
      if (size > MAX_EXPORT_BYTES) throw new Error(`the flow's packets exceed ${MAX_EXPORT_BYTES} bytes`);
      parts.push(record);
      packets++;
    };
    if (file.randomAccess && flow !== ALL_PACKETS) {
      for (const r of await readPacketsAt(
        this.options.path,
        file.packetIndex,
        this.packetNumbers(file, flow),
      ))
        add(r);
    } else {
      await analyzeFile(this.options.path, {
        observer: { packet: (_p, r, id) => (id === flow || flow === ALL_PACKETS) && add(r) },
      });
    }
    const stem = this.options.name.replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
    const what = flow === ALL_PACKETS ? 'all' : `flow-${flow}`;
    return { name: `${stem}-${what}.pcap`, packets, base64: Buffer.concat(parts).toString('base64') };
  }

  private finishedFile(flow: number): IndexedFile {
    const file = this.file;
    if (file === null) throw new Error(`capture '${this.options.name}' is still being read`);
    if (flow === ALL_PACKETS) return file;
    if (!Number.isInteger(flow) || flow < 0 || flow >= file.analysis.flows.count)
      throw new Error(`no flow '${this.options.id}:${flow}'`);
    return file;
  }

  private async read(): Promise<void> {
    const { path, name } = this.options;
    const progress = this.progress;
    try {
      // A file that is not there is reported by analyzeFile, in its words.
      progress.bytesTotal = await fileSize(path).catch(() => 0);
      const began = performance.now();
      const file = await analyzeFileIndexed(path, {
        name,
        signal: this.controller.signal,
        keepPartial: true,
        observer: this.charts,
        onStart: (analysis) => (this.live = analysis),
        ...(this.options.chunkSize !== undefined ? { chunkSize: this.options.chunkSize } : {}),
        ...(this.clusterReady ? { cluster: this.clusterReady } : {}),
        onProgress: (bytes, analysis) => {
          progress.bytesRead = bytes;
          progress.packets = analysis.packets;
          progress.flows = analysis.flows.count;
          progress.elapsedMs = Math.round(performance.now() - began);
          this.emit({ type: 'progress', progress: { ...progress } });
        },
      });
      this.live = null;
      this.file = file;
      progress.packets = file.summary.packets;
      progress.flows = file.analysis.flows.count;
      if (file.summary.format === null) {
        const first = file.summary.warnings[0];
        this.emit({
          type: 'finished',
          state: 'failed',
          progress: { ...progress },
          summary: file.summary,
          error: first?.message ?? 'not a capture',
          ...(first?.code !== undefined
            ? { errorFact: { code: first.code, params: first.params ?? {} } }
            : {}),
        });
      } else
        this.emit({
          type: 'finished',
          state: this.controller.signal.aborted ? 'cancelled' : 'done',
          progress: { ...progress },
          summary: file.summary,
          error: null,
        });
    } catch (error) {
      this.live = null;
      this.emit({
        type: 'finished',
        state: 'failed',
        progress: { ...progress },
        summary: null,
        error: error instanceof CaptureFileError ? error.message : `${path}: ${String(error)}`,
      });
    }
  }
}
