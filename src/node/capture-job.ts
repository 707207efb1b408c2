// One open capture in the session: reading it (with progress, and cancel keeping what was
// read), its flow rows, its charts, and its packets read again on request. A CaptureJob runs
// on a worker thread of its own (capture-worker.ts), so that several captures are read on
// several cores; capture-client.ts is the session's handle on it, wherever it runs.
import type { CaptureProgress, ChartsView, FlowRow, PacketPage, PacketRow } from '../api/index.js';
import {
  type CaptureAnalysis,
  type CaptureCharts,
  type CaptureSummary,
  ChartAggregator,
  describePacket,
} from '../core/analysis/index.js';
import { formatTimestamp, PcapWriter } from '../core/capture/index.js';
import { ClusterIndex, type ClusterSnapshot } from '../core/cluster/index.js';
import { type AnalyzedFile, analyzeFile, flowWriter } from './analyze-file.js';
import { CaptureFileError, fileSize } from './capture-file.js';

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

/** Charts without the session's parts (top pods and Services come from the rows). */
export type JobCharts = CaptureCharts & Pick<ChartsView, 'tunnelOverhead'>;

export class CaptureJob {
  private readonly controller = new AbortController();
  private readonly charts = new ChartAggregator();
  private readonly cluster: ClusterIndex | undefined;
  private live: CaptureAnalysis | null = null;
  private file: AnalyzedFile | null = null;
  private rowsCache: FlowRow[] | null = null;
  private readonly progress: CaptureProgress = { bytesRead: 0, bytesTotal: 0, packets: 0, flows: 0 };
  /** Resolves when reading ended, however it ended. */
  readonly finished: Promise<void>;

  constructor(
    private readonly options: CaptureJobOptions,
    private readonly emit: (event: CaptureJobEvent) => void,
  ) {
    this.cluster = options.snapshot ? new ClusterIndex(options.snapshot) : undefined;
    this.finished = this.read();
  }

  /** Stops reading; what was read stays (the summary warns where it stopped). */
  cancel(): void {
    this.controller.abort();
  }

  /** The flow rows: those found so far while the file is read, all of them after. */
  rows(): FlowRow[] {
    const analysis = this.file?.analysis ?? this.live;
    if (analysis === null) return [];
    if (this.rowsCache !== null) return this.rowsCache;
    const writer = flowWriter({
      analysis,
      name: this.options.name,
      ...(this.cluster ? { cluster: this.cluster } : {}),
    });
    const count = analysis.flows.count;
    const rows: FlowRow[] = new Array<FlowRow>(count);
    for (let id = 0; id < count; id++) {
      const row = JSON.parse(writer.flow(id)) as FlowRow;
      row.id = `${this.options.id}:${id}`;
      rows[id] = row;
    }
    // Still being read: fresh each time (they grow between calls).
    if (this.file !== null) this.rowsCache = rows;
    return rows;
  }

  chartsView(): JobCharts {
    return {
      ...this.charts.result(),
      tunnelOverhead: this.file?.summary.datapath?.overheadBytes ?? null,
    };
  }

  async packets(flow: number, offset: number, limit: number): Promise<PacketPage> {
    const file = this.finishedFile(flow);
    const src = file.analysis.flows.initiator(flow);
    const digits = file.analysis.precisionDigits();
    const packets: PacketRow[] = [];
    let total = 0;
    // Read the file again and keep the flow's packets on the page asked for (the flow table
    // gives every packet the same flow id on every reading).
    await analyzeFile(this.options.path, {
      observer: {
        packet: (p, r, id, direction) => {
          if (id !== flow) return;
          const n = total++;
          if (n < offset || n >= offset + limit) return;
          const bytes = r.bytes.subarray(r.start, r.start + Math.min(r.capturedLength, 4096));
          packets.push({
            index: r.index,
            time: r.hasTimestamp ? formatTimestamp(r.tsSeconds, r.tsNanos, digits) : null,
            length: r.originalLength,
            captured: r.capturedLength,
            fromSrc: direction === src,
            layers: describePacket(p, r.bytes),
            hex: Buffer.from(bytes).toString('hex'),
          });
        },
      },
    });
    return { total, offset, packets };
  }

  async exportPackets(flow: number): Promise<{ name: string; packets: number; base64: string }> {
    const file = this.finishedFile(flow);
    const nanoseconds = file.analysis.precisionDigits() > 6;
    let writer: PcapWriter | null = null;
    const parts: Uint8Array[] = [];
    let size = 0;
    let packets = 0;
    await analyzeFile(this.options.path, {
      observer: {
        packet: (_p, r, id) => {
          if (id !== flow) return;
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
        },
      },
    });
    const stem = this.options.name.replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
    return { name: `${stem}-flow-${flow}.pcap`, packets, base64: Buffer.concat(parts).toString('base64') };
  }

  private finishedFile(flow: number): AnalyzedFile {
    const file = this.file;
    if (file === null) throw new Error(`capture '${this.options.name}' is still being read`);
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
      const file = await analyzeFile(path, {
        name,
        signal: this.controller.signal,
        keepPartial: true,
        observer: this.charts,
        onStart: (analysis) => (this.live = analysis),
        ...(this.options.chunkSize !== undefined ? { chunkSize: this.options.chunkSize } : {}),
        ...(this.cluster ? { cluster: this.cluster } : {}),
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
