// The handler table behind src/api: what the app's window and `podpath serve` both answer.
// One Session holds the open captures and the snapshot; Electron IPC (src/main/ipc.ts) and the
// HTTP server (src/server/) validate a request's arguments, then call the method of that name.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ApiMethod,
  CaptureProgress,
  ChartsView,
  PacketPage,
  PacketRow,
  FlowPage,
  FlowQuery,
  FlowRow,
  OpenedCapture,
  PodpathApi,
  SessionEvent,
  SessionState,
} from '../api/index.js';
import { validateArguments } from '../api/index.js';
import {
  ChartAggregator,
  describePacket,
  type FlowSummary,
  matchesFlow,
  parseFlowFilter,
} from '../core/analysis/index.js';
import { formatTimestamp, PcapWriter } from '../core/capture/index.js';
import { ClusterIndex } from '../core/cluster/index.js';
import {
  compareDocument,
  type CompareDocument,
  traceDocument,
  type TraceDocument,
} from '../core/trace/index.js';
import type { CaptureAnalysis } from '../core/analysis/index.js';
import { type AnalyzedFile, analyzeFile, flowWriter } from './analyze-file.js';
import { CaptureFileError, fileSize } from './capture-file.js';
import { loadClusterSnapshot, SnapshotFileError } from './snapshot-file.js';
import { correlateFiles } from './trace-files.js';

/** The lab's ClusterIP scenario, shipped with the project: the demo. */
// A packaged app keeps them beside its archive (electron-builder.yml asarUnpack).
export const DEMO_DIR = fileURLToPath(new URL('../../test/fixtures/lab/clusterip/', import.meta.url)).replace(
  /app\.asar([\\/])/,
  'app.asar.unpacked$1',
);
const DEMO_FILES = ['client.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web-node1.pcap', 'web-node2.pcap'];

/** Largest pcap an export of one flow's packets makes. */
const MAX_EXPORT_BYTES = 64 << 20;

/** Session updates go out at most this often while files are read. */
const EVENT_INTERVAL_MS = 100;

interface Entry {
  info: OpenedCapture;
  controller: AbortController;
  file: AnalyzedFile | null;
  /** Flow rows, made on first ask and dropped when the snapshot changes (names change). */
  rows: FlowRow[] | null;
  charts: ChartAggregator;
  /** While the file is read: its analysis so far, whose flows the table can already show. */
  live: CaptureAnalysis | null;
  done: Promise<void>;
}

export interface SessionOptions {
  version: string;
  demoDir?: string;
  /** Bytes read at a time (tests make it small to watch a file being read). */
  chunkSize?: number;
  /**
   * A JSON file keeping the files opened recently across runs (the desktop app's userData);
   * without it the session keeps no list and SessionState.recent is absent.
   */
  recentFile?: string;
}

/** Files the recent list keeps. */
const MAX_RECENT = 10;

export class Session implements PodpathApi {
  private readonly entries = new Map<string, Entry>();
  private nextId = 1;
  private cluster: ClusterIndex | null = null;
  private clusterSource: string | null = null;
  private readonly errors: string[] = [];
  private eventTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  /** Bumped by every change (see SessionState.revision). */
  private revision = 0;

  /** Newest first; null when the host keeps no list (options.recentFile). */
  private readonly recent: string[] | null;

  constructor(private readonly options: SessionOptions) {
    this.recent = options.recentFile === undefined ? null : readRecent(options.recentFile);
  }

  /** Hears every session change (at most ~10 a second while files are read); returns the unsubscribe. */
  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates a page's arguments against the contract, then runs the method. */
  async call(method: ApiMethod, args: readonly unknown[]): Promise<unknown> {
    const valid = validateArguments(method, args);
    return (this[method] as (...a: unknown[]) => Promise<unknown>).apply(this, valid);
  }

  version(): Promise<string> {
    return Promise.resolve(this.options.version);
  }

  session(): Promise<SessionState> {
    return Promise.resolve(this.state());
  }

  /** Resolves once every capture opened so far has been read (for tests and the CLI). */
  async settled(): Promise<SessionState> {
    await Promise.all([...this.entries.values()].map((e) => e.done));
    return this.state();
  }

  openCaptures(paths: string[]): Promise<SessionState> {
    this.remember(paths);
    return this.openFiles(paths);
  }

  private openFiles(paths: string[]): Promise<SessionState> {
    for (const path of paths) this.open(path);
    this.renameDuplicates();
    this.emitSoon(0);
    return this.session();
  }

  openSnapshot(path: string): Promise<SessionState> {
    this.remember([path]);
    return this.loadSnapshot(path);
  }

  private async loadSnapshot(path: string): Promise<SessionState> {
    try {
      const snapshot = await loadClusterSnapshot(path);
      this.cluster = new ClusterIndex(snapshot);
      this.clusterSource = path;
      // Names come from the snapshot: re-read what is open so every flow carries them.
      for (const entry of [...this.entries.values()]) {
        if (entry.info.state === 'done') this.reopen(entry);
      }
    } catch (error) {
      if (!(error instanceof SnapshotFileError)) throw error;
      this.errors.push(error.message);
    }
    this.emitSoon(0);
    return this.state();
  }

  async openDemo(): Promise<SessionState> {
    const dir = this.options.demoDir ?? DEMO_DIR;
    // Not remembered as recent: the demo has its own button and menu item.
    await this.loadSnapshot(join(dir, 'snapshot.json'));
    return this.openFiles(DEMO_FILES.map((f) => join(dir, f)));
  }

  async closeCapture(id: string): Promise<SessionState> {
    const entry = this.entry(id);
    entry.controller.abort();
    this.entries.delete(id);
    this.emitSoon(0);
    return this.session();
  }

  async cancel(id: string): Promise<SessionState> {
    this.entry(id).controller.abort();
    return this.session();
  }

  async flows(query: FlowQuery): Promise<FlowPage> {
    const ids = query.captures ?? [...this.entries.keys()];
    const filter = parseFlowFilter(query.filter ?? '');
    let rows: FlowRow[] = [];
    for (const id of ids) {
      const entry = this.entry(id);
      for (const row of this.rowsOf(entry)) if (matchesFlow(filter, row)) rows.push(row);
    }
    if (query.sort !== undefined) rows = sortRows(rows, query.sort.key, query.sort.descending);
    return {
      total: rows.length,
      offset: query.offset,
      rows: rows.slice(query.offset, query.offset + query.limit),
      problems: filter.problems,
    };
  }

  async packets(flowId: string, offset: number, limit: number): Promise<PacketPage> {
    const { entry, flow } = this.flowOf(flowId);
    const src = entry.file!.analysis.flows.initiator(flow);
    const digits = entry.file?.analysis.precisionDigits() ?? 6;
    const packets: PacketRow[] = [];
    let total = 0;
    // Read the file again and keep the flow's packets on the page asked for (the flow table
    // gives every packet the same flow id on every reading).
    await analyzeFile(entry.info.path, {
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

  async exportPackets(flowId: string): Promise<{ name: string; packets: number; base64: string }> {
    const { entry, flow } = this.flowOf(flowId);
    const nanoseconds = (entry.file?.analysis.precisionDigits() ?? 6) > 6;
    let writer: PcapWriter | null = null;
    const parts: Uint8Array[] = [];
    let size = 0;
    let packets = 0;
    await analyzeFile(entry.info.path, {
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
    const stem = entry.info.name.replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
    return { name: `${stem}-flow-${flow}.pcap`, packets, base64: Buffer.concat(parts).toString('base64') };
  }

  private flowOf(flowId: string): { entry: Entry; flow: number } {
    const [id, number] = flowId.split(':');
    const entry = this.finished(id);
    const flow = Number(number);
    const table = entry.file?.analysis.flows;
    if (table === undefined || !Number.isInteger(flow) || flow < 0 || flow >= table.count)
      throw new Error(`no flow '${flowId}'`);
    return { entry, flow };
  }

  async charts(id: string): Promise<ChartsView> {
    const entry = this.finished(id);
    const pods = new Map<string, number>();
    const services = new Map<string, number>();
    const add = (map: Map<string, number>, name: string, bytes: number): void =>
      void map.set(name, (map.get(name) ?? 0) + bytes);
    for (const row of this.rowsOf(entry)) {
      for (const end of [row.src, row.dst])
        if (end.kind === 'pod' && end.name) add(pods, end.name, row.bytes);
      const service = row.service?.name ?? row.endpointOf?.[0]?.service;
      if (service !== undefined) add(services, service, row.bytes);
    }
    const top = (map: Map<string, number>): { name: string; bytes: number }[] =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([name, bytes]) => ({ name, bytes }));
    return {
      ...entry.charts.result(),
      topPods: top(pods),
      topServices: top(services),
      tunnelOverhead: entry.info.summary?.datapath?.overheadBytes ?? null,
    };
  }

  async trace(ids: string[]): Promise<TraceDocument> {
    const paths = ids.map((id) => this.finished(id).info.path);
    const result = await correlateFiles(paths, this.cluster ? { cluster: this.cluster } : {});
    return traceDocument(
      result.correlation,
      result.captures,
      result.files.map((f) => f.summary.packets),
      this.cluster ?? undefined,
    );
  }

  async compare(before: string, after: string): Promise<CompareDocument> {
    const paths = [this.finished(before).info.path, this.finished(after).info.path];
    const result = await correlateFiles(paths, {
      pairs: true,
      ...(this.cluster ? { cluster: this.cluster } : {}),
    });
    if (result.captures.length !== 2) throw new Error('compare: one of the captures could not be read again');
    return compareDocument(
      result.correlation,
      [result.captures[0], result.captures[1]],
      this.cluster ?? undefined,
    );
  }

  // ---- internals -------------------------------------------------------------------------

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new Error(`no open capture '${id}'`);
    return entry;
  }

  private finished(id: string): Entry {
    const entry = this.entry(id);
    if (entry.info.state !== 'done' && entry.info.state !== 'cancelled')
      throw new Error(
        `capture '${entry.info.name}' is ${entry.info.state === 'reading' ? 'still being read' : 'unreadable'}`,
      );
    return entry;
  }

  private open(path: string): void {
    const id = `c${this.nextId++}`;
    const info: OpenedCapture = {
      id,
      path,
      name: basename(path),
      state: 'reading',
      progress: { bytesRead: 0, bytesTotal: 0, packets: 0, flows: 0 },
      summary: null,
      error: null,
    };
    const entry: Entry = {
      info,
      controller: new AbortController(),
      file: null,
      rows: null,
      charts: new ChartAggregator(),
      live: null,
      done: Promise.resolve(),
    };
    this.entries.set(id, entry);
    entry.done = this.read(entry);
  }

  private reopen(entry: Entry): void {
    entry.controller = new AbortController();
    entry.info.state = 'reading';
    entry.info.summary = null;
    entry.file = null;
    entry.rows = null;
    entry.charts = new ChartAggregator();
    entry.done = this.read(entry);
  }

  private async read(entry: Entry): Promise<void> {
    const info = entry.info;
    const progress: CaptureProgress = info.progress;
    try {
      // A file that is not there is reported by analyzeFile, in its words.
      progress.bytesTotal = await fileSize(info.path).catch(() => 0);
      const file = await analyzeFile(info.path, {
        name: info.name,
        signal: entry.controller.signal,
        keepPartial: true,
        observer: entry.charts,
        onStart: (analysis) => (entry.live = analysis),
        ...(this.options.chunkSize !== undefined ? { chunkSize: this.options.chunkSize } : {}),
        ...(this.cluster ? { cluster: this.cluster } : {}),
        onProgress: (bytes, analysis) => {
          progress.bytesRead = bytes;
          progress.packets = analysis.packets;
          progress.flows = analysis.flows.count;
          this.emitSoon(EVENT_INTERVAL_MS);
        },
      });
      entry.live = null;
      if (!this.entries.has(info.id)) return; // closed while it was read
      entry.file = file;
      info.summary = file.summary;
      progress.packets = file.summary.packets;
      progress.flows = file.analysis.flows.count;
      if (file.summary.format === null) {
        info.state = 'failed';
        const first = file.summary.warnings[0];
        info.error = first?.message ?? 'not a capture';
        if (first?.code !== undefined) info.errorFact = { code: first.code, params: first.params ?? {} };
      } else info.state = entry.controller.signal.aborted ? 'cancelled' : 'done';
    } catch (error) {
      entry.live = null;
      info.state = 'failed';
      info.error = error instanceof CaptureFileError ? error.message : `${info.path}: ${String(error)}`;
    }
    this.emitSoon(0);
  }

  private rowsOf(entry: Entry): FlowRow[] {
    if (entry.live !== null) {
      // Still being read: the flows so far, fresh each time (they grow between calls).
      const writer = flowWriter({
        analysis: entry.live,
        name: entry.info.name,
        ...(this.cluster ? { cluster: this.cluster } : {}),
      });
      const count = entry.live.flows.count;
      const rows: FlowRow[] = new Array<FlowRow>(count);
      for (let id = 0; id < count; id++) {
        const row = JSON.parse(writer.flow(id)) as FlowRow;
        row.id = `${entry.info.id}:${id}`;
        rows[id] = row;
      }
      return rows;
    }
    if (entry.rows === null && entry.file !== null) {
      const writer = flowWriter(entry.file);
      const count = entry.file.analysis.flows.count;
      const rows: FlowRow[] = new Array<FlowRow>(count);
      for (let id = 0; id < count; id++) {
        const row = JSON.parse(writer.flow(id)) as FlowRow;
        row.id = `${entry.info.id}:${id}`;
        rows[id] = row;
      }
      entry.rows = rows;
    }
    return entry.rows ?? [];
  }

  /** Puts paths first in the recent list, and keeps the list for the next run. */
  private remember(paths: readonly string[]): void {
    const file = this.options.recentFile;
    if (this.recent === null || file === undefined) return;
    const list = [...paths, ...this.recent.filter((p) => !paths.includes(p))].slice(0, MAX_RECENT);
    this.recent.splice(0, this.recent.length, ...list);
    // Best effort: a read-only profile folder loses the list, not the files being opened.
    void mkdir(dirname(file), { recursive: true })
      .then(() => writeFile(file, JSON.stringify(list)))
      .catch(() => undefined);
  }

  /** Captures with one base name are told apart by their paths. */
  private renameDuplicates(): void {
    const all = [...this.entries.values()].map((e) => e.info);
    for (const info of all) {
      const same = all.filter((o) => basename(o.path) === basename(info.path));
      info.name = same.length > 1 ? info.path : basename(info.path);
    }
  }

  private state(): SessionState {
    const s = this.cluster?.snapshot;
    return {
      revision: this.revision,
      captures: [...this.entries.values()].map((e) => structuredClone(e.info)),
      cluster:
        s && this.clusterSource
          ? {
              source: this.clusterSource,
              nodes: s.nodes.length,
              pods: s.pods.length,
              services: s.services.length,
            }
          : null,
      errors: [...this.errors],
      ...(this.recent !== null ? { recent: [...this.recent] } : {}),
    };
  }

  private emitSoon(delay: number): void {
    this.revision++;
    if (this.listeners.size === 0) return;
    if (this.eventTimer !== null) {
      if (delay > 0) return;
      clearTimeout(this.eventTimer);
    }
    this.eventTimer = setTimeout(() => {
      this.eventTimer = null;
      const event: SessionEvent = { type: 'session', session: this.state() };
      for (const listener of this.listeners) listener(event);
    }, delay);
  }
}

/** The recent list kept in `file`; empty when it is missing or not a list of paths. */
function readRecent(file: string): string[] {
  try {
    const list: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(list)) return [];
    return list.filter((p): p is string => typeof p === 'string' && p.length > 0).slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

const endText = (e: FlowSummary['src']): string => `${e.name ?? ''} ${e.ip ?? e.mac ?? ''}`;

function sortRows(
  rows: FlowRow[],
  key: NonNullable<FlowQuery['sort']>['key'],
  descending: boolean,
): FlowRow[] {
  const value = (r: FlowRow): number | string => {
    switch (key) {
      case 'src':
        return endText(r.src);
      case 'dst':
        return endText(r.dst);
      case 'protocol':
        return r.protocol;
      case 'packets':
        return r.packets;
      case 'bytes':
        return r.bytes;
      case 'start':
        return r.start ?? '';
      case 'duration':
        return r.start && r.end ? Date.parse(r.end) - Date.parse(r.start) : 0;
    }
  };
  const sign = descending ? -1 : 1;
  return rows
    .map((r) => ({ r, v: value(r) }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : 0))
    .map((x) => x.r);
}
