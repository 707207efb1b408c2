/*
 * The outputs for big captures: `analyze --summary-only`, `analyze --jsonl` and
 * `export --flows`, each held against what `analyze --json` says of the same captures.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisDocument, FlowSummary } from '../src/core/analysis/index.js';
import { pcapLayout } from './support/capture-bytes.js';
import { BIN, runCli, type Run } from './support/cli.js';
import { FIXTURES, readBytes, ROOT } from './support/files.js';

const LAB = join(FIXTURES, 'lab');
const CORPUS = join(FIXTURES, 'corpus');

/** Captures of several kinds: Ethernet and SLL2, pcapng with two interfaces, gzip, ns timestamps, IPv6, VXLAN. */
const MIXED = [
  join(LAB, 'flannel-vxlan/node1-eth0.pcap'),
  join(LAB, 'flannel-vxlan/node1-any.pcap'),
  join(CORPUS, 'pcapng-two-interfaces.pcapng'),
  join(CORPUS, 'eth-tcp-udp-icmp.pcap.gz'),
  join(CORPUS, 'nsec.pcap'),
  join(CORPUS, 'ipv6.pcap'),
  join(CORPUS, 'vxlan-4789.pcap'),
];
/** A lab scenario with its snapshot: names, kinds, Services and tunnel nodes in every flow. */
const NODEPORT = ['outside.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap', 'web.pcap'].map((f) =>
  join(LAB, 'nodeport', f),
);
const NODEPORT_SNAPSHOT = join(LAB, 'nodeport/snapshot.json');
const FLANNEL = ['node1-eth0.pcap', 'client.pcap'].map((f) => join(LAB, 'flannel-vxlan', f));
const FLANNEL_SNAPSHOT = join(LAB, 'flannel-vxlan/snapshot.json');

function podpath(...args: string[]): Run {
  return runCli(args, { timeout: 60_000, maxBuffer: 256 << 20 });
}

function analyzeJson(...args: string[]): AnalysisDocument {
  const run = podpath('analyze', '--json', ...args);
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as AnalysisDocument;
}

let tmp: string;
/** A capture of 70,000 UDP flows (two packets each): more than one Parquet row group and many stdout writes. */
let manyFlows: string;
const MANY = 70_000;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'podpath-scale-'));
  manyFlows = join(tmp, 'many-flows.pcap');
  writeFileSync(manyFlows, manyFlowsCapture(MANY));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * A real UDP packet from the corpus, copied with a new port pair per flow (UDP checksum
 * cleared, as a sender may; the ports clear of tunnel ports): each flow's second packet 1.5 ms after its first.
 */
function manyFlowsCapture(flows: number): Uint8Array {
  const source = readBytes(join(CORPUS, 'eth-tcp-udp-icmp.pcap'));
  const layout = pcapLayout(source);
  const udp = layout.records.find(
    (r) =>
      source[r.dataOffset + 12] === 0x08 &&
      source[r.dataOffset + 13] === 0x00 &&
      source[r.dataOffset + 23] === 17 &&
      r.capturedLength === r.originalLength,
  )!;
  expect(udp).toBeDefined();
  const packet = source.subarray(udp.dataOffset, udp.dataOffset + udp.capturedLength);
  const udpAt = 14 + (packet[14] & 0x0f) * 4;
  const recordLength = 16 + packet.length;
  const out = new Uint8Array(24 + flows * 2 * recordLength);
  out.set(source.subarray(0, 24));
  const view = new DataView(out.buffer);
  const le = layout.littleEndian;
  let at = 24;
  for (let flow = 0; flow < flows; flow++) {
    for (let copy = 0; copy < 2; copy++) {
      const micros = flow * 10 + copy * 1500;
      view.setUint32(at, 1_700_000_000 + Math.floor(micros / 1e6), le);
      view.setUint32(at + 4, micros % 1e6, le);
      view.setUint32(at + 8, packet.length, le);
      view.setUint32(at + 12, packet.length, le);
      out.set(packet, at + 16);
      const p = at + 16 + udpAt;
      // Clear of the tunnel ports (4754, 4789, 6081, 6784, 8472), which would decode as tunnels.
      view.setUint16(p, 10_000 + (flow % 50_000));
      view.setUint16(p + 2, 2000 + Math.floor(flow / 50_000));
      view.setUint16(p + 6, 0);
      at += recordLength;
    }
  }
  return out;
}

/** The flows array of a --json output as its text, to compare byte for byte. */
function flowsText(json: string): string {
  const from = json.lastIndexOf(',"flows":[') + ',"flows":['.length;
  return json.slice(from, json.lastIndexOf(']}'));
}

describe('analyze --summary-only', () => {
  it.each([
    ['mixed captures', MIXED],
    ['a lab scenario with its snapshot', [...NODEPORT, '--cluster', NODEPORT_SNAPSHOT]],
  ])('with --json is the --json document without flows: %s', (_, args) => {
    const full = podpath('analyze', '--json', ...args);
    const summary = podpath('analyze', '--summary-only', '--json', ...args);
    expect(summary.status).toBe(0);
    expect(full.status).toBe(0);
    const { flows, ...rest } = JSON.parse(full.stdout) as AnalysisDocument;
    expect(flows.length).toBeGreaterThan(0);
    const doc = JSON.parse(summary.stdout) as Record<string, unknown>;
    expect(doc).not.toHaveProperty('flows');
    expect(doc).toEqual(rest);
    expect(Object.keys(doc)).toEqual(Object.keys(rest));
    // The same text too: the document minus its flows, not a lookalike.
    expect(summary.stdout).toBe(`${JSON.stringify(rest)}\n`);
    expect(summary.stderr).toBe('');
  });

  it('keeps files that are no capture in "captures" and exits 1, as --json does', () => {
    const notCapture = join(CORPUS, 'README.md');
    const args = [MIXED[0], notCapture, MIXED[4]];
    const full = podpath('analyze', '--json', ...args);
    const summary = podpath('analyze', '--json', '--summary-only', ...args);
    expect(full.status).toBe(1);
    expect(summary.status).toBe(1);
    expect(summary.stderr).toBe(full.stderr);
    const { flows: _, ...rest } = JSON.parse(full.stdout) as AnalysisDocument;
    expect(JSON.parse(summary.stdout)).toEqual(rest);
    expect((JSON.parse(summary.stdout) as AnalysisDocument).captures.map((c) => c.format)).toEqual([
      'pcap',
      null,
      'pcap',
    ]);
  });

  it('without --json is the readable output without the flows tables', () => {
    const args = [...NODEPORT, '--cluster', NODEPORT_SNAPSHOT];
    const full = podpath('analyze', '--top', '0', ...args);
    const summary = podpath('analyze', '--summary-only', ...args);
    expect(summary.status).toBe(0);
    // Each capture's block up to and including its "flows: N" line.
    const cut = (text: string): string =>
      text
        .split('\n\n')
        .map((block) => {
          const lines = block.split('\n');
          const at = lines.findIndex((l) => l.startsWith('  flows: '));
          return at < 0 ? block : lines.slice(0, at + 1).join('\n');
        })
        .join('\n\n');
    expect(summary.stdout).toBe(cut(full.stdout));
    expect(summary.stdout).toMatch(/^ {2}flows: \d+$/m);
    expect(summary.stdout).not.toContain('PROTOCOL');
    expect(full.stdout).toContain('PROTOCOL');
  });
});

describe('analyze --jsonl', () => {
  it.each([
    ['mixed captures', MIXED],
    ['a lab scenario with its snapshot', [...NODEPORT, '--cluster', NODEPORT_SNAPSHOT]],
    ['70,000 flows', [join(CORPUS, 'vxlan-8472.pcap'), 'MANY']],
  ])('a line per flow, each the --json flow: %s', (_, given) => {
    const args = given.map((a) => (a === 'MANY' ? manyFlows : a));
    const full = podpath('analyze', '--json', ...args);
    const lines = podpath('analyze', '--jsonl', ...args);
    expect(lines.status).toBe(0);
    expect(lines.stderr).toBe('');
    const doc = JSON.parse(full.stdout) as AnalysisDocument;
    expect(lines.stdout.endsWith('\n')).toBe(true);
    const text = lines.stdout.slice(0, -1).split('\n');
    expect(text).toHaveLength(doc.flows.length);
    const parsed = text.map((line) => JSON.parse(line) as FlowSummary);
    expect(parsed).toEqual(doc.flows);
    // Byte for byte the --json flows, so the one writer made both.
    expect(text.join(',')).toBe(flowsText(full.stdout));
    for (const flow of parsed) expect(typeof flow.capture).toBe('string');
    expect(new Set(parsed.map((f) => f.capture))).toEqual(new Set(doc.captures.map((c) => c.file)));
  });

  it("writes a capture's flows before it opens the next capture", async () => {
    // The second capture is a named pipe nobody writes to: podpath blocks opening it, so
    // lines can only arrive if the first capture's flows were written before that.
    const fifo = join(tmp, 'blocked.pcap');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) throw new Error(`mkfifo: ${made.stderr.toString()}`);
    const first = join(LAB, 'nodeport/outside.pcap');
    const expected = podpath('analyze', '--jsonl', first).stdout;
    expect(expected.split('\n').length).toBeGreaterThan(2);
    const child = spawn(process.execPath, [BIN, 'analyze', '--jsonl', first, fifo], { cwd: ROOT });
    let stdout = '';
    let exited = false;
    child.on('exit', () => (exited = true));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no lines while blocked; got ${stdout}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout === expected) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(exited).toBe(false);
    } finally {
      child.kill();
    }
  });

  it("puts a capture's warnings on stderr, not among the flows", () => {
    const source = readBytes(join(CORPUS, 'eth-tcp-udp-icmp.pcap'));
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, source.subarray(0, source.length - 10));
    const lines = podpath('analyze', '--jsonl', cut);
    expect(lines.status).toBe(0);
    expect(lines.stderr).toMatch(/^podpath: cut\.pcap: at byte \d+: /);
    for (const line of lines.stdout.trimEnd().split('\n'))
      expect(JSON.parse(line)).toHaveProperty('protocol');
  });
});

interface Row {
  capture: string;
  protocol: string;
  src_ip: string | null;
  src_port: number | null;
  src_name: string | null;
  src_kind: string | null;
  dst_ip: string | null;
  dst_port: number | null;
  dst_name: string | null;
  dst_kind: string | null;
  service: string | null;
  tunnel: string | null;
  vni: number | null;
  outer_src: string | null;
  outer_dst: string | null;
  packets: number;
  bytes: number;
  start: string | null;
  end: string | null;
}

const COLUMNS = [
  'capture',
  'protocol',
  'src_ip',
  'src_port',
  'src_name',
  'src_kind',
  'dst_ip',
  'dst_port',
  'dst_name',
  'dst_kind',
  'service',
  'tunnel',
  'vni',
  'outer_src',
  'outer_dst',
  'packets',
  'bytes',
  'start',
  'end',
  'duration_ms',
];

/** What the table should say of a flow of `analyze --json`, as the README describes the columns. */
function expectedRow(f: FlowSummary): Row {
  const tunnel = f.encapsulation[0];
  return {
    capture: f.capture,
    protocol: f.protocol,
    src_ip: f.src.ip ?? f.src.mac ?? null,
    src_port: f.src.port ?? null,
    src_name: f.src.name ?? null,
    src_kind: f.src.kind ?? null,
    dst_ip: f.dst.ip ?? f.dst.mac ?? null,
    dst_port: f.dst.port ?? null,
    dst_name: f.dst.name ?? null,
    dst_kind: f.dst.kind ?? null,
    service: f.service?.name ?? f.endpointOf?.[0]?.service ?? null,
    tunnel: tunnel?.type ?? null,
    vni: tunnel?.vni ?? null,
    outer_src: tunnel?.outer.src ?? null,
    outer_dst: tunnel?.outer.dst ?? null,
    packets: f.packets,
    bytes: f.bytes,
    start: f.start,
    end: f.end,
  };
}

/** "2026-11-29T16:06:35.381095Z" (or with 9 digits) as nanoseconds since 1970. */
function nanos(iso: string): bigint {
  const [whole, fraction = ''] = iso.slice(0, -1).split('.');
  return BigInt(new Date(`${whole}Z`).getTime()) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}

function durationMs(f: FlowSummary): number {
  return Number(nanos(f.end!) - nanos(f.start!)) / 1e6;
}

/** A plain RFC 4180 reader: quoted fields, doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  expect(field).toBe('');
  return rows;
}

async function readParquet(path: string): Promise<{
  rows: Record<string, unknown>[];
  metadata: ReturnType<typeof parquetMetadata>;
}> {
  const bytes = readFileSync(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const metadata = parquetMetadata(file);
  // Timestamps as the stored microseconds, not Dates rounded to milliseconds.
  const rows = await parquetReadObjects({ file, parsers: { timestampFromMicroseconds: (v: bigint) => v } });
  return { rows, metadata };
}

describe('export --flows', () => {
  const cases: [string, string[]][] = [
    ['two lab captures with their snapshot', [...FLANNEL, '--cluster', FLANNEL_SNAPSHOT]],
    ['a lab scenario with its snapshot', [...NODEPORT, '--cluster', NODEPORT_SNAPSHOT]],
    ['mixed captures, ns timestamps among them', MIXED],
  ];

  it.each(cases)('.parquet holds every flow of --json, column by column: %s', async (name, args) => {
    const out = join(tmp, `${name.replace(/\W+/g, '-')}.parquet`);
    const doc = analyzeJson(...args);
    const run = podpath('export', '--flows', out, ...args);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    const captures = doc.captures.length;
    expect(run.stdout).toBe(`${out}: ${doc.flows.length} flows from ${captures} captures\n`);
    const { rows, metadata } = await readParquet(out);
    expect(rows).toHaveLength(doc.flows.length);
    expect(metadata.schema.slice(1).map((s) => s.name)).toEqual(COLUMNS);
    doc.flows.forEach((flow, i) => {
      const want = expectedRow(flow);
      const row = rows[i];
      for (const column of COLUMNS) {
        const value = row[column];
        if (column === 'start' || column === 'end') {
          const iso = want[column as 'start' | 'end'];
          expect(value, `${column} of flow ${i}`).toBe(iso === null ? null : nanos(iso) / 1000n);
        } else if (column === 'duration_ms') expect(value).toBe(durationMs(flow));
        else if (column === 'packets' || column === 'bytes' || column === 'vni') {
          const n = want[column];
          expect(value, `${column} of flow ${i}`).toBe(n === null ? null : BigInt(n));
        } else expect(value, `${column} of flow ${i}`).toBe(want[column as keyof Row]);
      }
    });
    // What the data says: some flows name their ends, some have tunnels and ports.
    expect(rows.some((r) => r.src_port !== null)).toBe(true);
    expect(rows.some((r) => r.tunnel !== null && r.vni !== null)).toBe(true);
    if (args.includes('--cluster'))
      expect(rows.some((r) => r.src_kind === 'pod' || r.dst_kind === 'pod')).toBe(true);
  });

  it('.parquet columns have the types a query wants', async () => {
    const out = join(tmp, 'types.parquet');
    expect(podpath('export', '--flows', out, ...FLANNEL, '--cluster', FLANNEL_SNAPSHOT).status).toBe(0);
    const { metadata } = await readParquet(out);
    const types = Object.fromEntries(metadata.schema.slice(1).map((s) => [s.name, s]));
    for (const name of ['src_port', 'dst_port']) expect(types[name].type).toBe('INT32');
    for (const name of ['packets', 'bytes', 'vni']) expect(types[name].type).toBe('INT64');
    for (const name of ['start', 'end']) {
      expect(types[name].type).toBe('INT64');
      expect(types[name].logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    }
    expect(types.duration_ms.type).toBe('DOUBLE');
    for (const name of ['capture', 'protocol', 'src_ip', 'src_name', 'service', 'tunnel', 'outer_src']) {
      expect(types[name].type).toBe('BYTE_ARRAY');
      expect(types[name].converted_type).toBe('UTF8');
    }
    for (const name of ['capture', 'protocol', 'packets', 'bytes'])
      expect(types[name].repetition_type).toBe('REQUIRED');
    expect(types.service.repetition_type).toBe('OPTIONAL');
  });

  it.each(cases)('.csv holds every flow of --json, column by column: %s', (name, args) => {
    const out = join(tmp, `${name.replace(/\W+/g, '-')}.csv`);
    const doc = analyzeJson(...args);
    const run = podpath('export', '--flows', out, ...args);
    expect(run.status).toBe(0);
    const [header, ...rows] = parseCsv(readFileSync(out, 'utf8'));
    expect(header).toEqual(COLUMNS);
    expect(rows).toHaveLength(doc.flows.length);
    doc.flows.forEach((flow, i) => {
      const want = expectedRow(flow) as unknown as Record<string, string | number | null>;
      const text = (v: string | number | null): string => (v === null ? '' : String(v));
      const expected = COLUMNS.map((c) => (c === 'duration_ms' ? String(durationMs(flow)) : text(want[c])));
      expect(rows[i]).toEqual(expected);
      // Counts and ports are plain integers, times ISO-8601 as in the JSON.
      expect(rows[i][COLUMNS.indexOf('packets')]).toMatch(/^\d+$/);
      expect(rows[i][COLUMNS.indexOf('start')]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6,9}Z$/);
    });
  });

  it('70,000 flows: several row groups, read back whole, the same as the CSV', async () => {
    const parquet = join(tmp, 'many.parquet');
    const csv = join(tmp, 'many.csv');
    const args = [manyFlows, join(CORPUS, 'vxlan-8472.pcap')];
    const doc = analyzeJson(...args);
    expect(doc.flows.length).toBe(MANY + doc.captures[1].flowCount);
    expect(podpath('export', '--flows', parquet, ...args).status).toBe(0);
    expect(podpath('export', '--flows', csv, ...args).status).toBe(0);
    const { rows, metadata } = await readParquet(parquet);
    expect(metadata.row_groups.length).toBe(2);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([65_536, doc.flows.length - 65_536]);
    expect(rows).toHaveLength(doc.flows.length);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(doc.flows.length + 1);
    for (const i of [0, 1, 65_535, 65_536, MANY - 1, MANY, doc.flows.length - 1]) {
      const flow = doc.flows[i];
      expect(rows[i].src_port).toBe(flow.src.port ?? null);
      expect(rows[i].dst_port).toBe(flow.dst.port ?? null);
      expect(rows[i].capture).toBe(flow.capture);
      expect(rows[i].packets).toBe(BigInt(flow.packets));
      expect(rows[i].start).toBe(nanos(flow.start!) / 1000n);
      expect(lines[i + 1].split(',')[COLUMNS.indexOf('src_port')]).toBe(String(flow.src.port ?? ''));
    }
    expect(rows[0].duration_ms).toBe(1.5);
  });

  it('a capture that cannot be read: exit 1, the others exported', async () => {
    const out = join(tmp, 'partly.parquet');
    const missing = join(tmp, 'missing.pcap');
    const run = podpath('export', '--flows', out, FLANNEL[0], missing);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(missing);
    const doc = analyzeJson(FLANNEL[0]);
    expect((await readParquet(out)).rows).toHaveLength(doc.flows.length);
  });

  it('nothing readable: exit 1 and no file, not even a partial one', () => {
    const dir = join(tmp, 'none');
    mkdirSync(dir);
    const out = join(dir, 'flows.parquet');
    const run = podpath('export', '--flows', out, join(CORPUS, 'README.md'), join(dir, 'missing.pcap'));
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a snapshot that is no snapshot: exit 1, no file and no output', () => {
    const dir = join(tmp, 'bad-snapshot');
    mkdirSync(dir);
    const bad = join(dir, 'cluster.json');
    writeFileSync(bad, '{"not": "kubernetes"}');
    const out = join(dir, 'flows.csv');
    const run = podpath('export', '--flows', out, FLANNEL[0], '--cluster', bad);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(bad);
    expect(readdirSync(dir)).toEqual(['cluster.json']);
    for (const output of [['--summary-only', '--json'], ['--summary-only'], ['--jsonl']]) {
      const analyzed = podpath('analyze', ...output, FLANNEL[0], '--cluster', bad);
      expect(analyzed.status).toBe(1);
      expect(analyzed.stdout).toBe('');
      expect(analyzed.stderr).toContain(bad);
    }
  });

  it('a folder that does not exist: exit 1 naming the file', () => {
    const out = join(tmp, 'no/such/folder/flows.parquet');
    const run = podpath('export', '--flows', out, FLANNEL[0]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(`podpath: cannot write ${out}: no such folder`);
    expect(existsSync(out)).toBe(false);
  });

  it('the extension chooses the format, in any case', async () => {
    const out = join(tmp, 'upper.PARQUET');
    expect(podpath('export', `--flows=${out}`, FLANNEL[0]).status).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
    expect((await readParquet(out)).rows.length).toBeGreaterThan(0);
  });
});

describe('usage', () => {
  it.each([
    [['analyze', '--jsonl', '--summary-only', 'x.pcap'], /--jsonl .*--summary-only/],
    [['analyze', '--jsonl', '--json', 'x.pcap'], /--json .*--jsonl/],
    [['trace', '--jsonl', 'a.pcap', 'b.pcap'], /--jsonl is an option of analyze/],
    [['compare', '--summary-only', 'a.pcap', 'b.pcap'], /--summary-only is an option of analyze/],
    [['analyze', '--flows', 'f.parquet', 'x.pcap'], /--flows is an option of export/],
    [['export', 'x.pcap'], /export needs --flows/],
    [['export', '--flows', 'f.json', 'x.pcap'], /'f\.json' ends neither in \.parquet nor in \.csv/],
    [['export', '--flows', 'flows', 'x.pcap'], /ends neither in \.parquet nor in \.csv/],
    [['export', '--flows'], /--flows needs a file name/],
    [['export', '--flows', '--cluster', 'c.json', 'x.pcap'], /--flows needs a file name/],
    [['export', '--flows', 'f.csv'], /export needs at least one capture file/],
    [['export', '--flows', 'f.csv', '--json', 'x.pcap'], /export writes a table file/],
  ])('exits 2 for %j with a one-line message', (args, message) => {
    const run = podpath(...(args as string[]));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const [first, ...rest] = run.stderr.trimEnd().split('\n');
    expect(first).toMatch(/^podpath: /);
    expect(first).toMatch(message);
    expect(rest.every((line) => /--help/.test(line))).toBe(true);
  });

  it('--help describes the new outputs', () => {
    const help = podpath('--help').stdout;
    expect(help).toContain('podpath export --flows <file>.parquet|<file>.csv <capture>...');
    for (const option of ['--jsonl', '--summary-only', '--flows FILE']) expect(help).toContain(option);
    for (const column of COLUMNS) expect(help).toContain(column);
  });
});

describe('analyze reads several captures at once', () => {
  it('on threads of their own, printing byte for byte what reading them one by one prints', () => {
    // One at a time (a single capture is read on the main thread), then all together.
    const alone = MIXED.map(
      (path) => JSON.parse(podpath('analyze', '--json', path).stdout) as AnalysisDocument,
    );
    const together = podpath('analyze', '--json', ...MIXED);
    expect(together.status).toBe(0);
    const expected = {
      schema: alone[0].schema,
      captures: alone.flatMap((d) => d.captures),
      flows: alone.flatMap((d) => d.flows),
    };
    expect(together.stdout).toBe(`${JSON.stringify(expected)}\n`);
    // The 70,000 flows come over in many batches, between two small captures.
    const big = podpath('analyze', '--json', MIXED[0], manyFlows, MIXED[1]);
    const doc = JSON.parse(big.stdout) as AnalysisDocument;
    expect(doc.flows.filter((f) => f.capture === manyFlows.split('/').at(-1))).toHaveLength(MANY);
    expect(doc.flows[0].capture).toBe('node1-eth0.pcap');
    expect(doc.flows.at(-1)!.capture).toBe('node1-any.pcap');
    // Readable output, with the snapshot loaded by every thread.
    const text = podpath('analyze', '--cluster', NODEPORT_SNAPSHOT, ...NODEPORT);
    const oneByOne = NODEPORT.map((p) => podpath('analyze', '--cluster', NODEPORT_SNAPSHOT, p).stdout).join(
      '',
    );
    expect(text.stdout).toBe(oneByOne);
    // --threads 1: all on one thread, one after another; the same bytes.
    expect(podpath('analyze', '--json', '--threads', '1', ...MIXED).stdout).toBe(together.stdout);
    expect(podpath('analyze', '--threads', '0', MIXED[0]).stderr).toContain('--threads needs a number');
  });

  it('builds the packet index when asked, and says its size: 16 bytes a packet', () => {
    const doc = analyzeJson('--index', ...MIXED);
    for (const capture of doc.captures) {
      expect(capture.packetIndex?.packets).toBe(capture.packets);
      expect(capture.packetIndex!.bytes).toBeLessThanOrEqual(16 * capture.packets + 4096);
      expect(capture.packetIndex!.randomAccess).toBe(!capture.compressed);
    }
    // The rest of the document is what it is without --index.
    const plain = analyzeJson(...MIXED);
    expect(doc.flows).toEqual(plain.flows);
    expect(doc.captures.map(({ packetIndex: _, ...rest }) => rest)).toEqual(plain.captures);
  });
});
