// The one contract between the UI and whatever serves it. The preload exposes it over Electron
// IPC; `podpath serve` carries the same interface over HTTP (requests) and server-sent events
// (session updates), so the renderer never learns which transport it has. Declare every request
// here once, never again on either side: both transports dispatch to one handler table
// (src/node/session.ts) after `validateArguments` has checked what the page sent.
import type { CaptureCharts, CaptureSummary, FlowSummary, PacketLayer } from '../core/analysis/index.js';
import type { FindingsDocument } from '../core/findings/index.js';
import type { CompareDocument, TraceDocument } from '../core/trace/index.js';

export { validateArguments, ApiInputError } from './validate.js';

/** Name of the global the preload installs with `contextBridge.exposeInMainWorld`. */
export const API_GLOBAL = 'podpath';

/** How far a capture's reading has got. */
export interface CaptureProgress {
  bytesRead: number;
  /** The file's size (for gzip'd files, compressed: bytesRead counts what came out). */
  bytesTotal: number;
  packets: number;
  flows: number;
  /** Milliseconds since reading began (rates and time left come from it). */
  elapsedMs?: number;
}

export interface OpenedCapture {
  /** Stable for the session: "c1", "c2"... */
  id: string;
  path: string;
  /** The file's base name (its path where two open captures share one). */
  name: string;
  state: 'reading' | 'done' | 'failed' | 'cancelled';
  progress: CaptureProgress;
  /** Set once reading ended; `warnings` in it say what was damaged, with byte offsets. */
  summary: CaptureSummary | null;
  /** Why the file could not be read at all (state `failed`). */
  error: string | null;
  /** The same as a warning code and its values, when the engine gave one (the UI words it). */
  errorFact?: { code: string; params: Record<string, string | number> };
}

export interface ClusterState {
  source: string;
  nodes: number;
  pods: number;
  services: number;
}

export interface SessionState {
  /**
   * Grows with every change. A reply and an event can arrive in either order (two connections
   * in web mode): keep the state with the highest revision.
   */
  revision: number;
  captures: OpenedCapture[];
  cluster: ClusterState | null;
  /** Problems not tied to one capture: a snapshot that is not one, say. Newest last. */
  errors: string[];
  /**
   * Files opened recently, newest first, where the host keeps them (the desktop app, across
   * runs); absent in web mode, where the page remembers them itself.
   */
  recent?: string[];
}

export type FlowSortKey = 'src' | 'dst' | 'protocol' | 'packets' | 'bytes' | 'start' | 'duration';

export interface FlowQuery {
  /** Capture ids to list; all finished captures when absent. */
  captures?: string[];
  /** The filter box's text (see src/core/analysis/flow-filter.ts). */
  filter?: string;
  sort?: { key: FlowSortKey; descending: boolean };
  offset: number;
  limit: number;
}

export interface FlowRow extends FlowSummary {
  /** "<capture id>:<flow number>", stable while the capture is open. */
  id: string;
}

export interface FlowPage {
  /** Rows matching the filter, in all. */
  total: number;
  offset: number;
  rows: FlowRow[];
  /** What the filter could not use, in words. */
  problems: string[];
}

/** The overview's charts for one capture: time buckets, protocol mix, sizes, top talkers. */
export interface ChartsView extends CaptureCharts {
  /** Bytes by pod (either end), and by the Service reached, biggest first (at most 10 each). */
  topPods: { name: string; bytes: number }[];
  topServices: { name: string; bytes: number }[];
  /** With a tunnel: the bytes its headers add, so the histogram can mark the overlay's limit. */
  tunnelOverhead: number | null;
}

/** One packet of a flow, decoded for the packets view. */
export interface PacketRow {
  /** Its record number in the capture (0 for the first). */
  index: number;
  time: string | null;
  /** Bytes on the wire, and as captured. */
  length: number;
  captured: number;
  /** Which way it went: from the flow's src (its initiator) or back. */
  fromSrc: boolean;
  layers: PacketLayer[];
  /** The captured bytes as hex, two digits a byte (at most the first 4,096 bytes). */
  hex: string;
}

export interface PacketPage {
  total: number;
  offset: number;
  packets: PacketRow[];
}

export interface PodpathApi {
  /** The app's version, e.g. `0.1.0`. */
  version(): Promise<string>;
  session(): Promise<SessionState>;
  /** Starts reading the files; the session (and its updates) show their progress. */
  openCaptures(paths: string[]): Promise<SessionState>;
  /** A kubectl snapshot: names every address of the captures open now and later. */
  openSnapshot(path: string): Promise<SessionState>;
  /** The lab's ClusterIP scenario: Flannel VXLAN and kube-proxy DNAT in five captures. */
  openDemo(): Promise<SessionState>;
  closeCapture(id: string): Promise<SessionState>;
  /** Stops reading a capture; what was read so far stays. */
  cancel(id: string): Promise<SessionState>;
  flows(query: FlowQuery): Promise<FlowPage>;
  /**
   * A flow's packets (`FlowRow.id`), or every packet of a capture ("<capture id>:*"), decoded
   * layer by layer, a page at a time: only the page is read again (through the packet index;
   * a gzip'd capture is read from its start).
   */
  packets(flowId: string, offset: number, limit: number): Promise<PacketPage>;
  /** A flow's packets as a pcap file Wireshark opens (base64; at most 64 MB). */
  exportPackets(flowId: string): Promise<{ name: string; packets: number; base64: string }>;
  /** The overview's charts for a capture, from numbers kept while it was read. */
  charts(id: string): Promise<ChartsView>;
  /** Connections seen in more than one of these captures (or interfaces), hop by hop. */
  trace(ids: string[]): Promise<TraceDocument>;
  /** The NAT table between a capture before NAT and one after. */
  compare(before: string, after: string): Promise<CompareDocument>;
  /**
   * What is wrong in the open captures that have been read (schema podpath.findings/v1, as
   * `podpath findings --json`): each finding's flows carry `id` ("c1:5", for `packets`) and
   * its packets `captureId`. The captures are read again, together.
   */
  findings(): Promise<FindingsDocument>;
}

export type ApiMethod = keyof PodpathApi;

/** What the page hears without asking: the session whenever it changes (at most ~10 a second). */
export interface SessionEvent {
  type: 'session';
  session: SessionState;
}

/**
 * What the desktop app's menu asks of the page: exports need what only the page knows (the
 * filter, the selected flow, the chart or path on screen). Web mode has the same actions as
 * buttons.
 */
export const MENU_COMMANDS = [
  'export-flows-csv',
  'export-flows-json',
  'export-packets',
  'export-image',
] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

export interface CommandEvent {
  type: 'command';
  command: MenuCommand;
}

/** The API plus its event stream, as the preload and the web client install it. */
export interface PodpathBridge extends PodpathApi {
  onEvent(listener: (event: SessionEvent | CommandEvent) => void): () => void;
  /**
   * The desktop app only: where a file dropped on the window lives (Electron's
   * webUtils.getPathForFile; a page cannot see paths). Web mode uploads dropped files instead.
   */
  pathForFile?(file: File): string;
}

/** IPC channel per API method. Main registers exactly these; nothing else is answered. */
export const IPC_CHANNELS = {
  version: 'podpath:version',
  session: 'podpath:session',
  openCaptures: 'podpath:open-captures',
  openSnapshot: 'podpath:open-snapshot',
  openDemo: 'podpath:open-demo',
  closeCapture: 'podpath:close-capture',
  cancel: 'podpath:cancel',
  flows: 'podpath:flows',
  charts: 'podpath:charts',
  packets: 'podpath:packets',
  exportPackets: 'podpath:export-packets',
  trace: 'podpath:trace',
  compare: 'podpath:compare',
  findings: 'podpath:findings',
} as const satisfies Record<ApiMethod, string>;

/** The channel main sends SessionEvents on. */
export const EVENT_CHANNEL = 'podpath:event';

export const API_METHODS = Object.keys(IPC_CHANNELS) as ApiMethod[];
