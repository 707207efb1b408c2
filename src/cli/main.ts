import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ANALYSIS_SCHEMA, type CaptureSummary, type FlowSummary, JsonBytes } from '../core/analysis/index.js';
import type { ClusterIndex } from '../core/cluster/index.js';
import {
  analyzeFile,
  CaptureFileError,
  clusterIndexOf,
  flowWriter,
  loadClusterSnapshotInBackground,
  SnapshotFileError,
  type AnalyzedFile,
} from '../node/index.js';
import { type AnalyzeHead, type AnalyzeItem, analyzeMany } from '../node/analyze-many.js';
import { compareDocument, traceConnections, traceDocument, traceHead } from '../core/trace/index.js';
import type { SessionState } from '../api/index.js';
import { correlateFiles } from '../node/trace-files.js';
import { findingsOfFiles } from '../node/findings-files.js';
import { FlowTableError, FlowTableWriter } from '../node/flow-export.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { renderCompare, renderTrace } from './format-trace.js';
import { renderFindings } from './format-findings.js';
import { formatBytes, formatCount, renderDatapath, renderFlowsTable } from './format.js';

export const EXIT_OK = 0;
export const EXIT_UNREADABLE = 1;
export const EXIT_USAGE = 2;

const HELP = `podpath: see through Kubernetes overlays and Service NAT in packet captures

Usage:
  podpath analyze <capture>... [--json | --jsonl] [--summary-only] [--cluster <snapshot>]
                  [--vxlan-port N] [--top N] [--index] [--threads N]
  podpath export --flows <file>.parquet|<file>.csv <capture>... [--cluster <snapshot>]
                  [--vxlan-port N]
  podpath trace <capture>... [--json] [--cluster <snapshot>] [--vxlan-port N]
  podpath compare <before> <after> [--json] [--cluster <snapshot>] [--vxlan-port N]
  podpath findings <capture>... [--json] [--cluster <snapshot>] [--vxlan-port N]
  podpath serve [<capture>...] [--cluster <snapshot>] [--port N] [--demo]

Commands:
  analyze     Read pcap, pcapng or gzip'd captures; print each one's format, link types,
              packets, time span, layer counts and warnings, then its top flows with their
              tunnels (VXLAN, Geneve, IP-in-IP, GRE). Several captures are read at once, one
              per core; one big pcap capture is read in two parts at once.
  export      Write the flows of all the captures into one table file for DuckDB, Spark or
              a spreadsheet: Parquet or CSV, chosen by the extension of --flows. A row per
              flow: capture, protocol, src_ip, src_port, src_name, src_kind, dst_ip, dst_port,
              dst_name, dst_kind, service, tunnel, vni, outer_src, outer_dst, packets, bytes,
              start, end, duration_ms. Each capture's rows are written as soon as it is read.
  trace       Follow each connection seen in more than one place (several captures of the
              same traffic, or several interfaces of one -i any capture) hop by hop:
              where it was seen, what NAT or tunnel changed it, each hop's latency, and
              where packets vanished. Node clocks are aligned from the matched packets.
  compare     The NAT table between a capture taken before NAT and one taken after: each
              translation, who made it (kube-proxy DNAT for a Service, a node's
              masquerade), and the flows seen on one side only.
  findings    What is wrong, not only what happened: the classic Kubernetes networking
              problems found in the captures, each with its evidence (flows and packet
              numbers), why it happens and what to change. MTU trouble (ICMP fragmentation
              needed, packets too long for the overlay, black holes, fragmented tunnels);
              DNS (the ndots:5 search-list walk, NXDOMAIN, SERVFAIL, timeouts, queries that
              bypass the cluster DNS); Services without endpoints, endpoints that do not
              listen, SYNs nobody answers; client addresses masqueraded by
              externalTrafficPolicy Cluster, PROXY protocol; TCP retransmissions, zero
              windows and resets; and across captures, packets lost between two points,
              asymmetric paths and clocks that disagree. Grouped by severity (error,
              warning, info); most Service, pod and DNS findings need --cluster.
  serve       The app in a browser: serves its page and API on 127.0.0.1 only and prints a
              URL with a token for this run (requests without it are refused). Captures and
              a snapshot named here are open when the page loads; --demo opens the lab's
              ClusterIP scenario. Stop it with Ctrl+C.

Options:
  --json            One JSON document on stdout (schema podpath.analysis/v1,
                    podpath.trace/v1, podpath.compare/v1 or podpath.findings/v1).
  --jsonl           analyze: JSON Lines on stdout, one flow a line (each the object --json
                    lists under "flows", naming its capture), written while the captures are
                    read. Only flows go to stdout; warnings go to stderr, and the capture
                    summaries come from --summary-only --json.
  --summary-only    analyze: each capture's summary without its flows (with --json, the
                    --json document without "flows"). Not with --jsonl.
  --index           analyze: also build the packet index (16 bytes a packet: file offset,
                    time, flow) the app reads packets at random with; each summary gives its
                    size under "packetIndex".
  --threads N       analyze: read on at most N threads (default: one per core); 1 reads
                    everything on one thread, one capture after another.
  --flows FILE      export: the table file to write, FILE.parquet or FILE.csv. It appears
                    complete or not at all (written beside it, then renamed).
  --cluster PATH    Name every address from a cluster snapshot: the output of
                    kubectl get nodes,pods,services,endpointslices -A -o json (or -o yaml,
                    one kind at a time, or a folder of such files).
  --vxlan-port N    Also decode UDP port N as VXLAN (4789, 8472 and 6784 always are).
                    Repeat it or give a comma-separated list.
  --top N           Flows to list per capture in the readable output (default 20; 0 for all).
  --port N          serve: the port (default: any free one).
  -h, --help        This help.
  --version         podpath's version.

Exit status: 0 when every file was read (warnings allowed), 1 when a file could not be
read at all, 2 for bad usage.
`;

export interface Io {
  /** Resolves once the output may be followed by more (backpressure on pipes). */
  stdout: (text: string) => void | Promise<void>;
  stdoutBytes: (bytes: Uint8Array) => void | Promise<void>;
  stderr: (text: string) => void;
}

function write(chunk: string | Uint8Array): void | Promise<void> {
  if (process.stdout.write(chunk)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}

const defaultIo: Io = {
  stdout: write,
  stdoutBytes: write,
  stderr: (text) => process.stderr.write(text),
};

/** Bytes per write: enough to amortise a write, little enough to keep memory flat. */
const WRITE_BYTES = 1 << 20;

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`podpath: ${error.message}\nRun 'podpath --help' for usage.\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (args.command === 'help') {
    io.stdout(HELP);
    return EXIT_OK;
  }
  if (args.command === 'version') {
    io.stdout(`${version()}\n`);
    return EXIT_OK;
  }
  if (args.command === 'trace' || args.command === 'compare') return correlate(args, io);
  if (args.command === 'findings') return findings(args, io);
  if (args.command === 'serve') return serve(args, io);
  if (args.command === 'export') return exportFlows(args, io);
  return analyze(args, io);
}

/** Where `npm run build` puts the page: out/renderer beside dist/. */
const PAGE_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url));

/** `podpath serve`: web mode until Ctrl+C (or `stop` resolves, for tests). */
async function serve(args: ParsedArgs, io: Io, stop?: Promise<void>): Promise<number> {
  // The session reads captures on its own thread, so requests and progress never wait on it.
  // Loaded here: the other commands do not need the session or the HTTP server.
  const [{ startSession }, { startServer }] = await Promise.all([
    import('../node/session-host.js'),
    import('../server/index.js'),
  ]);
  const session = startSession({ version: version() });
  if (args.demo) await session.call('openDemo', []);
  if (args.cluster !== null) await session.call('openSnapshot', [args.cluster]);
  if (args.files.length > 0) await session.call('openCaptures', [args.files]);
  const state = (await session.call('session', [])) as SessionState;
  for (const error of state.errors) io.stderr(`podpath: ${error}\n`);
  let server;
  try {
    server = await startServer({ session, staticDir: PAGE_DIR, port: args.port });
  } catch (error) {
    io.stderr(
      `podpath: cannot listen on 127.0.0.1:${args.port}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await session.close();
    return EXIT_UNREADABLE;
  }
  await io.stdout(`podpath serving on ${server.url}\n(open it in a browser on this machine; Ctrl+C stops)\n`);
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }));
  await server.close();
  await session.close();
  return EXIT_OK;
}

/** Loads --cluster on a worker while the captures are read; null without one. */
function clusterFor(args: ParsedArgs): Promise<ClusterIndex> | undefined {
  if (args.cluster === null) return undefined;
  const cluster = loadClusterSnapshotInBackground(args.cluster).then(clusterIndexOf);
  cluster.catch(() => undefined); // reported where a capture awaits it
  return cluster;
}

/** `podpath trace` and `podpath compare`: one correlation of the captures, two reports. */
async function correlate(args: ParsedArgs, io: Io): Promise<number> {
  const cluster = clusterFor(args);
  const result = await readReported(io, () =>
    correlateFiles(args.files, {
      vxlanPorts: args.vxlanPorts,
      pairs: args.command === 'compare',
      ...(cluster ? { cluster } : {}),
    }),
  );
  if (result === null) return EXIT_UNREADABLE;
  const status = result.failures.length > 0 ? EXIT_UNREADABLE : EXIT_OK;
  if (args.command === 'compare' && result.captures.length !== 2) return EXIT_UNREADABLE;
  if (result.captures.length === 0) return EXIT_UNREADABLE;
  const index = cluster ? await cluster : undefined;
  for (const file of result.files) reportWarnings(file, io);
  if (args.command === 'compare') {
    const doc = compareDocument(result.correlation, [result.captures[0], result.captures[1]], index);
    await io.stdout(args.json ? `${JSON.stringify(doc)}\n` : renderCompare(doc));
    return status;
  }
  const packets = result.files.map((f) => f.summary.packets);
  if (!args.json) {
    await io.stdout(renderTrace(traceDocument(result.correlation, result.captures, packets, index)));
    return status;
  }
  // Streamed: a connection at a time, a megabyte a write, never the whole document in memory.
  const { matchedPackets, warnings, ...head } = traceHead(result.correlation, result.captures, packets);
  let batch = `${JSON.stringify(head).slice(0, -1)},"connections":[`;
  let first = true;
  for (const connection of traceConnections(result.correlation, result.captures, index)) {
    batch += (first ? '' : ',') + JSON.stringify(connection);
    first = false;
    if (batch.length >= WRITE_BYTES) {
      await io.stdout(batch);
      batch = '';
    }
  }
  await io.stdout(`${batch}],"matchedPackets":${matchedPackets},"warnings":${JSON.stringify(warnings)}}\n`);
  return status;
}

/** `podpath findings`: every capture read once (flows, findings, correlation), then the detectors. */
async function findings(args: ParsedArgs, io: Io): Promise<number> {
  const cluster = clusterFor(args);
  const result = await readReported(io, () =>
    findingsOfFiles(args.files, { vxlanPorts: args.vxlanPorts, ...(cluster ? { cluster } : {}) }),
  );
  if (result === null || result.files.length === 0) return EXIT_UNREADABLE;
  for (const file of result.files) reportWarnings(file, io);
  await io.stdout(args.json ? `${JSON.stringify(result.document)}\n` : renderFindings(result.document));
  return result.failures.length > 0 ? EXIT_UNREADABLE : EXIT_OK;
}

/**
 * Runs a reading of several captures together (trace, compare, findings): null, having said
 * why on stderr, when the snapshot could not be read; else its result, having named on stderr
 * each file that could not be read.
 */
async function readReported<T extends { failures: { path: string; message: string }[] }>(
  io: Io,
  read: () => Promise<T>,
): Promise<T | null> {
  let result: T;
  try {
    result = await read();
  } catch (error) {
    if (error instanceof SnapshotFileError) {
      io.stderr(`podpath: ${error.message}\n`);
      return null;
    }
    throw error;
  }
  for (const f of result.failures) io.stderr(`podpath: ${f.path}: ${f.message}\n`);
  return result;
}

/**
 * Analyzes the captures one at a time and hands each to `use` before the next is read, so a
 * capture's flow table lives no longer than its turn unless `use` keeps it. Files that are no
 * capture are handed over too (their summary says so) after stderr has said why. Resolves to
 * the exit status, and `stopped` when a snapshot that cannot be read ended it at the first
 * capture: then there is nothing to print.
 */
async function eachCapture(
  args: ParsedArgs,
  io: Io,
  use: (file: AnalyzedFile) => void | Promise<void>,
): Promise<{ status: number; stopped: boolean }> {
  let status = EXIT_OK;
  // The snapshot loads on a worker thread while the first capture is read.
  const cluster = clusterFor(args);
  for (const path of args.files) {
    let file: AnalyzedFile;
    try {
      file = await analyzeFile(path, { vxlanPorts: args.vxlanPorts, ...(cluster ? { cluster } : {}) });
    } catch (error) {
      if (error instanceof SnapshotFileError) {
        io.stderr(`podpath: ${error.message}\n`);
        return { status: EXIT_UNREADABLE, stopped: true };
      }
      if (!(error instanceof CaptureFileError)) throw error;
      io.stderr(`podpath: ${error.message}\n`);
      status = EXIT_UNREADABLE;
      continue;
    }
    if (file.summary.format === null) {
      // Not a capture at all (or empty): the reader's one fatal issue says why.
      const reason = file.summary.warnings[0]?.message ?? 'not a capture';
      io.stderr(`podpath: ${path}: ${reason}\n`);
      status = EXIT_UNREADABLE;
    }
    await use(file);
  }
  return { status, stopped: false };
}

/**
 * The captures read for `analyze` (and --summary-only): on worker threads when there are
 * several, each reported the way eachCapture does. Null when a snapshot stopped it all.
 */
async function readCaptures(args: ParsedArgs, io: Io): Promise<{ status: number; items: ReadItem[] } | null> {
  const started = analyzeMany(
    args.files.map((path) => ({
      path,
      vxlanPorts: args.vxlanPorts,
      clusterPath: args.cluster,
      index: args.index,
      top: args.json || args.summaryOnly ? null : args.top,
    })),
    args.threads ?? undefined,
  );
  let status = EXIT_OK;
  const items: ReadItem[] = [];
  for (const [i, item] of started.entries()) {
    const head = await item.head;
    if (!head.ok) {
      item.drop();
      io.stderr(`podpath: ${head.message}\n`);
      if (head.snapshot) {
        for (const rest of started.slice(i + 1)) rest.drop();
        return null;
      }
      status = EXIT_UNREADABLE;
      continue;
    }
    if (head.summary.format === null) {
      // Not a capture at all (or empty): the reader's one fatal issue says why.
      const reason = head.summary.warnings[0]?.message ?? 'not a capture';
      io.stderr(`podpath: ${args.files[i]}: ${reason}\n`);
      status = EXIT_UNREADABLE;
    }
    items.push({ head, item });
  }
  return { status, items };
}

interface ReadItem {
  head: Extract<AnalyzeHead, { ok: true }>;
  item: AnalyzeItem;
}

async function analyze(args: ParsedArgs, io: Io): Promise<number> {
  if (args.jsonl) return analyzeJsonLines(args, io);
  const read = await readCaptures(args, io);
  if (read === null) return EXIT_UNREADABLE;
  const { status, items } = read;
  if (args.summaryOnly) {
    for (const { item } of items) item.drop();
    if (!args.json) {
      for (const { head } of items)
        if (head.summary.format !== null) await io.stdout(renderCapture(head.summary, null));
      return status;
    }
    // The --json document without "flows": the same fields, in the same order.
    const cluster = items.find((r) => r.head.cluster !== null)?.head.cluster;
    const doc = {
      schema: ANALYSIS_SCHEMA,
      captures: items.map((r) => r.head.summary),
      ...(cluster ? { cluster } : {}),
    };
    await io.stdout(`${JSON.stringify(doc)}\n`);
    return status;
  }
  if (args.json) {
    await writeDocument(items, io);
    return status;
  }
  for (const { head, item } of items) {
    item.drop();
    if (head.summary.format === null) continue;
    await io.stdout(renderCapture(head.summary, head.top));
  }
  return status;
}

/**
 * `analyze --jsonl`: each capture's flows as soon as it is read, one JSON object a line, in
 * the order and text of the --json document's "flows" (every flow names its capture).
 */
async function analyzeJsonLines(args: ParsedArgs, io: Io): Promise<number> {
  const out = new JsonBytes(WRITE_BYTES * 2);
  const { status } = await eachCapture(args, io, async (file) => {
    if (file.summary.format === null) return;
    reportWarnings(file, io);
    const writer = flowWriter(file);
    const count = file.analysis.flows.count;
    for (let id = 0; id < count; id++) {
      writer.write(id, out);
      out.byte(10);
      if (out.length >= WRITE_BYTES) {
        // The sink may keep the bytes (a pipe writes later): hand it a copy, reuse the buffer.
        await io.stdoutBytes(out.view().slice());
        out.clear();
      }
    }
    if (out.length > 0) await io.stdoutBytes(out.view().slice());
    out.clear();
  });
  return status;
}

/** `podpath export --flows FILE`: every capture's flows into one Parquet or CSV table. */
async function exportFlows(args: ParsedArgs, io: Io): Promise<number> {
  const path = args.flowsFile!;
  let table: FlowTableWriter;
  try {
    table = await FlowTableWriter.create(path, args.flowsFormat!);
  } catch (error) {
    if (!(error instanceof FlowTableError)) throw error;
    io.stderr(`podpath: ${error.message}\n`);
    return EXIT_UNREADABLE;
  }
  let captures = 0;
  let status: number;
  try {
    ({ status } = await eachCapture(args, io, async (file) => {
      if (file.summary.format === null) return;
      reportWarnings(file, io);
      await table.add(file);
      captures++;
    }));
    // Nothing could be read: no table rather than an empty one that looks like an answer.
    if (captures === 0) {
      await table.abort();
      return status;
    }
    await table.finish();
  } catch (error) {
    await table.abort();
    if (!(error instanceof FlowTableError)) throw error;
    io.stderr(`podpath: ${error.message}\n`);
    return EXIT_UNREADABLE;
  }
  await io.stdout(
    `${path}: ${formatCount(table.rows)} flows from ${captures} capture${captures === 1 ? '' : 's'}\n`,
  );
  return status;
}

/** A capture's warnings on stderr, for outputs that carry no summary (--jsonl, export, trace, findings). */
function reportWarnings(file: AnalyzedFile, io: Io): void {
  for (const w of file.summary.warnings)
    io.stderr(`podpath: ${file.name}: at byte ${w.offset}: ${w.message}\n`);
}

/**
 * The podpath.analysis/v1 document, streamed: the same text JSON.stringify would give for
 * { schema, captures, flows }, written a batch of flows at a time (each capture's in turn, from
 * the thread that read it) so a million flows never sit in memory as one string.
 */
async function writeDocument(items: readonly ReadItem[], io: Io): Promise<void> {
  const out = new JsonBytes(WRITE_BYTES * 2);
  out.ascii(`{"schema":"${ANALYSIS_SCHEMA}","captures":`);
  out.utf8(JSON.stringify(items.map((r) => r.head.summary)));
  const cluster = items.find((r) => r.head.cluster !== null)?.head.cluster;
  if (cluster) {
    out.ascii(',"cluster":');
    out.utf8(JSON.stringify(cluster));
  }
  out.ascii(',"flows":[');
  await io.stdoutBytes(out.view().slice());
  let first = true;
  for (const { head, item } of items) {
    if (head.flowCount === 0) {
      item.drop();
      continue;
    }
    if (!first) await io.stdoutBytes(COMMA);
    first = false;
    for await (const batch of item.flows()) await io.stdoutBytes(batch);
  }
  await io.stdoutBytes(END_DOCUMENT);
}

const COMMA = new Uint8Array([44]);
const END_DOCUMENT = new TextEncoder().encode(']}\n');

/** A capture's readable summary, with its top flows (`shown`) or, for --summary-only (null), their count alone. */
function renderCapture(c: CaptureSummary, shown: FlowSummary[] | null): string {
  const lines: string[] = [];
  const precision = c.interfaces.map((i) => i.precision);
  lines.push(
    `${c.file}: ${c.format}${c.compressed ? ' (gzip)' : ''}, ${c.linkTypes.join(', ') || 'no interfaces'}, ${[...new Set(precision)].join('/')} timestamps`,
  );
  const span = c.start && c.end ? `${c.start} to ${c.end}` : 'no timestamps';
  lines.push(
    `  ${formatCount(c.packets)} packets, ${formatBytes(c.wireBytes)} on the wire, file ${formatBytes(c.bytes)}; ${span}`,
  );
  const layers = Object.entries(c.layers)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${formatCount(n)}`);
  lines.push(`  layers: ${layers.length > 0 ? layers.join(', ') : 'none'}`);
  if (c.fragments > 0) lines.push(`  IP fragments after the first: ${formatCount(c.fragments)}`);
  if (c.warnings.length === 0) lines.push('  warnings: none');
  else {
    lines.push(`  warnings (${c.warnings.length}):`);
    for (const w of c.warnings) lines.push(`    at byte ${w.offset}: ${w.message}`);
  }
  if (!c.complete) lines.push(`  reading stopped early: the packets before the damage are counted above`);
  if (c.datapath !== undefined && c.packets > 0) lines.push(...renderDatapath(c.datapath, '  '));
  if (shown === null) lines.push(`  flows: ${formatCount(c.flowCount)}`);
  else {
    lines.push(
      `  flows: ${formatCount(c.flowCount)}${shown.length < c.flowCount ? ` (top ${shown.length} by bytes)` : ''}`,
    );
    if (shown.length > 0) lines.push(renderFlowsTable(shown, '    '));
  }
  return `${lines.join('\n')}\n\n`;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}
