// The handler table behind src/api: what the app's window and `podpath serve` both answer.
// One Session holds the open captures and the snapshot; Electron IPC (src/main/ipc.ts) and the
// HTTP server (src/server/) validate a request's arguments, then call the method of that name.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ApiMethod,
  ChartsView,
  PacketPage,
  FlowPage,
  FlowQuery,
  FlowRow,
  OpenedCapture,
  PodpathApi,
  SessionEvent,
  SessionState,
} from '../api/index.js';
import { validateArguments } from '../api/index.js';
import { matchesFlow, parseFlowFilter } from '../core/analysis/index.js';
import type { ClusterIndex } from '../core/cluster/index.js';
import type { FindingsDocument } from '../core/findings/index.js';
import {
  compareDocument,
  type CompareDocument,
  traceDocument,
  type TraceDocument,
} from '../core/trace/index.js';
import { type CaptureClient, openCapture } from './capture-client.js';
import { ALL_PACKETS, type CaptureJobEvent } from './capture-job.js';
import { clusterIndexOf, loadClusterSnapshot, SnapshotFileError } from './snapshot-file.js';
import { sortRows } from './flow-rows.js';
import { correlateFiles } from './trace-files.js';
import { findingsOfFiles } from './findings-files.js';

/** The lab's ClusterIP scenario, shipped with the project: the demo. */
// A packaged app keeps them beside its archive (electron-builder.yml asarUnpack).
export const DEMO_DIR = fileURLToPath(new URL('../../test/fixtures/lab/clusterip/', import.meta.url)).replace(
  /app\.asar([\\/])/,
  'app.asar.unpacked$1',
);
const DEMO_FILES = ['client.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web-node1.pcap', 'web-node2.pcap'];

/** Session updates go out at most this often while files are read. */
const EVENT_INTERVAL_MS = 100;

interface Entry {
  info: OpenedCapture;
  /** The capture's reading and its data, on a thread of its own (capture-client.ts). */
  client: CaptureClient;
  /** Flow rows once the file is read, fetched on first ask. */
  rows: Promise<FlowRow[]> | null;
  /** Resolves when reading ended. */
  done: Promise<void>;
}

export interface SessionOptions {
  version: string;
  demoDir?: string;
  /** Bytes read at a time (tests make it small to watch a file being read). */
  chunkSize?: number;
  /** false: read captures on the session's thread, not one thread each (tests). */
  threaded?: boolean;
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
  /** The last flows list asked for, with the captures' row lists it came from (see flows()). */
  private view: {
    key: string;
    entries: (Promise<FlowRow[]> | null)[];
    rows: FlowRow[];
    problems: string[];
  } | null = null;

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
      this.cluster = await clusterIndexOf(snapshot);
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
    entry.client.close();
    this.entries.delete(id);
    this.emitSoon(0);
    return this.session();
  }

  async cancel(id: string): Promise<SessionState> {
    this.entry(id).client.cancel();
    return this.session();
  }

  async flows(query: FlowQuery): Promise<FlowPage> {
    const ids = query.captures ?? [...this.entries.keys()];
    const entries = ids.map((id) => this.entry(id));
    // One capture: its own thread filters, sorts and makes the rows of the page only.
    if (entries.length === 1) {
      const page = await entries[0].client.page(query);
      for (const row of page.rows) row.capture = entries[0].info.name;
      return page;
    }
    // Scrolling asks for page after page of one filtered, sorted list: keep the last one while
    // its captures are read and unchanged (a 200,000-flow sort is not redone per page).
    const key = JSON.stringify([ids, query.filter ?? '', query.sort ?? null]);
    const stable = entries.every((e) => e.info.state !== 'reading');
    let view =
      stable && this.view?.key === key && this.view.entries.every((e, i) => e === entries[i]?.rows)
        ? this.view
        : null;
    if (view === null) {
      const filter = parseFlowFilter(query.filter ?? '');
      let rows: FlowRow[] = [];
      const all = await Promise.all(entries.map((entry) => this.rowsOf(entry)));
      for (const list of all) for (const row of list) if (matchesFlow(filter, row)) rows.push(row);
      if (query.sort !== undefined) rows = sortRows(rows, query.sort.key, query.sort.descending);
      view = { key, entries: entries.map((e) => e.rows), rows, problems: filter.problems };
      this.view = stable ? view : null;
    }
    return {
      total: view.rows.length,
      offset: query.offset,
      rows: view.rows.slice(query.offset, query.offset + query.limit),
      problems: view.problems,
    };
  }

  async packets(flowId: string, offset: number, limit: number): Promise<PacketPage> {
    const { entry, flow } = this.flowOf(flowId);
    return entry.client.packets(flow, offset, limit);
  }

  async exportPackets(flowId: string): Promise<{ name: string; packets: number; base64: string }> {
    const { entry, flow } = this.flowOf(flowId);
    return entry.client.exportPackets(flow);
  }

  private flowOf(flowId: string): { entry: Entry; flow: number } {
    const [id, number] = flowId.split(':');
    const entry = this.finished(id);
    if (number === '*') return { entry, flow: ALL_PACKETS };
    const flow = Number(number);
    if (!Number.isInteger(flow) || flow < 0 || flow >= entry.info.progress.flows)
      throw new Error(`no flow '${flowId}'`);
    return { entry, flow };
  }

  async charts(id: string): Promise<ChartsView> {
    return this.finished(id).client.charts();
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

  async findings(): Promise<FindingsDocument> {
    const entries = [...this.entries.values()].filter(
      (e) => e.info.state === 'done' || e.info.state === 'cancelled',
    );
    const result = await findingsOfFiles(
      entries.map((e) => e.info.path),
      {
        captureIds: entries.map((e) => e.info.id),
        names: entries.map((e) => e.info.name),
        ...(this.cluster ? { cluster: this.cluster } : {}),
      },
    );
    return result.document;
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
    const entry = { info } as Entry;
    this.entries.set(id, entry);
    this.start(entry);
  }

  /** Reads a snapshot's names into a capture already read: read it again. */
  private reopen(entry: Entry): void {
    entry.client.close();
    entry.info.state = 'reading';
    entry.info.summary = null;
    this.start(entry);
  }

  private start(entry: Entry): void {
    let finished!: () => void;
    entry.done = new Promise((resolve) => (finished = resolve));
    entry.rows = null;
    const client: CaptureClient = openCapture(
      {
        id: entry.info.id,
        path: entry.info.path,
        name: entry.info.name,
        ...(this.cluster ? { snapshot: this.cluster.snapshot } : {}),
        ...(this.options.chunkSize !== undefined ? { chunkSize: this.options.chunkSize } : {}),
        ...(this.options.threaded !== undefined ? { threaded: this.options.threaded } : {}),
      },
      (event) => {
        // A capture closed, or read again, since: its reading no longer counts.
        if (this.entries.get(entry.info.id) !== entry || entry.client !== client) return;
        this.update(entry, event);
        if (event.type === 'finished') finished();
      },
    );
    entry.client = client;
  }

  private update(entry: Entry, event: CaptureJobEvent): void {
    const info = entry.info;
    info.progress = { ...event.progress, bytesTotal: event.progress.bytesTotal || info.progress.bytesTotal };
    if (event.type === 'progress') {
      this.emitSoon(EVENT_INTERVAL_MS);
      return;
    }
    info.state = event.state;
    info.summary = event.summary;
    info.error = event.error;
    if (event.errorFact !== undefined) info.errorFact = event.errorFact;
    this.emitSoon(0);
  }

  /** The capture's flow rows: those so far while it is read, fetched once after. */
  private async rowsOf(entry: Entry): Promise<FlowRow[]> {
    const reading = entry.info.state === 'reading';
    let rows: FlowRow[];
    if (reading) rows = await entry.client.rows();
    else {
      entry.rows ??= entry.client.rows();
      rows = await entry.rows;
    }
    // Names given since the capture was opened (two open files with one base name).
    const name = entry.info.name;
    if (rows.length > 0 && rows[0].capture !== name) for (const row of rows) row.capture = name;
    return rows;
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
