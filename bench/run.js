#!/usr/bin/env node
// The benchmark harness (`npm run bench`). Whole-process runs of each contender over the
// generated capture (or, for the trace rows, gen-trace.js's four captures of one run), taken
// in alternating rounds, reported as medians with each run's record count checked against
// the generator's sidecar. See bench/README.md.
//
//   node bench/run.js [--rounds N] [--tshark-rounds N] [--no-tshark] [--only a,b]
//                     [--chunk-kib N] [--json] [--strict] [--keep-env]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkCapturePackets,
  checkTrace as checkTraceOutput,
  checkTsharkConv as checkTsharkConvOutput,
  childEnvironment,
  cpuModel,
  displayPath,
  fail,
  fmtInt,
  fmtPercent,
  hasTime,
  lastLine,
  makeRunner,
  MB,
  median,
  parseJsonLine,
  printTable,
  progress,
  root,
  TIME,
  traceUnavailable,
  tsharkVersion as tsharkVersionOf,
  verifyOnce as verifyOnceIn,
  which,
} from './lib.js';

const HELP = `usage: node bench/run.js [options]
  --rounds N         rounds for every contender but tshark (default 5)
  --tshark-rounds N  rounds for tshark (default 1; each takes ~35 s and ~1.5 GB)
  --no-tshark        skip tshark
  --only LIST        comma-separated contender ids: podpath-framing,podpath-analyze,
                     podpath-analyze-cluster,podpath-analyze-4,podpath-trace,pcap-parser,
                     tshark,read (the last two podpath rows read gen-trace.js's 4 captures)
  --chunk-kib N      read size of frame-podpath.js and read-only.js (default 512, as podpath reads)
  --json             also write the results to <bench dir>/results.json
  --strict           exit 1 when a target is missed (a FAILED count check always exits 1)
  --keep-env         keep NODE_EXTRA_CA_CERTS for the children (see README)`;

const args = parseArgs(process.argv.slice(2));

// ---- the capture -----------------------------------------------------------------------
const { ensureCapture, capturePath, benchDir } = await import('./gen.js');
if (!fs.existsSync(capturePath)) console.log(`bench: generating ${capturePath} (once; ~5 s)`);
const meta = ensureCapture();
// The cluster snapshot for `analyze --cluster`, made (~2 s) only when that row runs.
const { ensureSnapshot, snapshotPath } = await import('./snapshot.js');
const wantsSnapshot = !args.only || args.only.includes('podpath-analyze-cluster');
const snapshot = wantsSnapshot ? ensureSnapshot() : null;
// The four captures of one run for `analyze`/`trace` of all four, made (~5 s) only when one
// of those rows runs.
const TRACE_ROWS = ['podpath-analyze-4', 'podpath-trace'];
const { ensureTraceCaptures, cachedTraceCaptures, tracePaths } = await import('./gen-trace.js');
const wantsTrace = !args.only || args.only.some((id) => TRACE_ROWS.includes(id));
if (wantsTrace && !cachedTraceCaptures())
  console.log(`bench: generating the 4 trace captures in ${benchDir} (once; ~5 s)`);
const trace = wantsTrace ? ensureTraceCaptures() : null;
/** What the trace rows read: all four captures. */
const traceInput = trace
  ? {
      packets: trace.files.reduce((sum, f) => sum + f.packets, 0),
      bytes: trace.files.reduce((sum, f) => sum + f.bytes, 0),
    }
  : null;

// ---- the children's environment --------------------------------------------------------
// NODE_EXTRA_CA_CERTS makes Node 20 parse the CA file at startup: ~70 ms a run here, none of
// which is ours. No contender talks TLS.
const { env: childEnv, removed: removedEnv } = childEnvironment({
  keepEnv: args.keepEnv,
  extra: { PODPATH_BENCH_CHUNK_KIB: String(args.chunkKib) },
});
const run = makeRunner(childEnv);

// ---- contenders ------------------------------------------------------------------------
const node = process.execPath;
const exists = (p) => fs.existsSync(path.join(root, p));
const tsharkPath = which('tshark');
const analyzeCmd = [node, 'bin/podpath.js', 'analyze', capturePath, '--json'];
const distMissing = exists('dist/cli/main.js') ? null : 'dist/cli/main.js not built (npm run build:cli)';

const contenders = [
  {
    id: 'podpath-framing',
    label: 'podpath framing',
    cmd: [node, 'bench/frame-podpath.js', capturePath],
    unavailable: exists('dist/core/capture/index.js')
      ? null
      : 'dist/core/capture/index.js not built (npm run build:cli)',
    check: checkFraming,
  },
  {
    id: 'podpath-analyze',
    label: 'podpath analyze',
    cmd: analyzeCmd,
    unavailable: distMissing,
    // Timed runs write to /dev/null; one untimed run before them writes a file we parse.
    stdout: 'null',
    verify: verifyAnalyze,
  },
  {
    id: 'podpath-analyze-cluster',
    label: 'podpath analyze --cluster',
    // The same run, every address named from the benchmark's cluster snapshot (snapshot.js).
    cmd: [...analyzeCmd, '--cluster', snapshotPath],
    unavailable: distMissing,
    stdout: 'null',
    verify: (c) => verifyAnalyze(c, checkClusterNames),
  },
  {
    id: 'podpath-analyze-4',
    label: 'podpath analyze, 4 trace captures',
    // The baseline for trace: reading and analyzing the same four files, without correlating.
    cmd: [node, 'bin/podpath.js', 'analyze', ...tracePaths, '--json'],
    unavailable: distMissing,
    stdout: 'null',
    input: traceInput,
    verify: verifyAnalyzeTrace,
  },
  {
    id: 'podpath-trace',
    label: 'podpath trace, 4 captures',
    cmd: [node, 'bin/podpath.js', 'trace', ...tracePaths, '--json'],
    unavailable: distMissing,
    stdout: 'null',
    input: traceInput,
    // Until the trace command lands, the CLI refuses it as bad usage.
    unavailableWhen: traceUnavailable,
    verify: (c) =>
      verifyOnce(c, checkTrace, 'connections, clock offsets and packets checked once (untimed run)'),
  },
  {
    id: 'pcap-parser',
    label: 'pcap-parser framing',
    cmd: [node, 'bench/frame-pcap-parser.js', capturePath],
    check: checkFraming,
  },
  {
    id: 'tshark',
    label: 'tshark conv',
    // Flannel's 8472 is not a default VXLAN port in tshark; decoding it gives tshark the
    // inner TCP, the same work podpath does.
    cmd: [
      tsharkPath ?? 'tshark',
      '-n',
      '-q',
      '-r',
      capturePath,
      '-d',
      'udp.port==8472,vxlan',
      '-z',
      'conv,tcp',
    ],
    unavailable: args.noTshark ? 'skipped (--no-tshark)' : tsharkPath ? null : 'tshark not installed',
    rounds: args.tsharkRounds,
    check: checkTsharkConv,
  },
  {
    id: 'read',
    label: 'read only (I/O floor)',
    cmd: [node, 'bench/read-only.js', capturePath],
    check: checkReadOnly,
  },
];
for (const c of contenders) {
  c.rounds ??= args.rounds;
  c.runs = [];
  c.failure = null;
  c.note = null;
  if (args.only && !args.only.includes(c.id)) c.unavailable = 'not selected (--only)';
}
for (const id of args.only ?? [])
  if (!contenders.some((c) => c.id === id)) fail(`--only: no contender ${id}\n${HELP}`);
const active = contenders.filter((c) => !c.unavailable);

// ---- machine ---------------------------------------------------------------------------
const machine = {
  cpu: cpuModel(),
  cores: os.cpus().length,
  memoryGB: Math.round(os.totalmem() / 1e9),
  node: process.version,
  tshark: tsharkPath ? tsharkVersion() : null,
  kernel: os.release(),
  date: new Date().toISOString(),
};

console.log(`podpath bench  ${machine.date}`);
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, Node ${machine.node}` +
    (machine.tshark ? `, tshark ${machine.tshark}` : '') +
    `, Linux ${machine.kernel}`,
);
console.log(
  `capture: ${displayPath(capturePath)}  ${fmtInt(meta.packets)} packets, ` +
    `${(meta.bytes / 1e9).toFixed(3)} GB, ${fmtInt(meta.flows)} flows, ${fmtInt(meta.pods)} pods (generator v${meta.version})`,
);
if (trace)
  console.log(
    `trace captures: ${displayPath(benchDir)}/{${trace.files.map((f) => f.file).join(',')}}  ` +
      `${trace.files.map((f) => (f.bytes / 1e6).toFixed(0)).join('/')} MB, ` +
      `${trace.files.map((f) => fmtInt(f.packets)).join('/')} packets (${trace.lostPackets} lost after node1), ` +
      `${fmtInt(trace.tcpUdpConnections)} TCP+UDP connections (generator v${trace.version})`,
  );
if (snapshot)
  console.log(
    `cluster snapshot: ${displayPath(snapshotPath)}  ${(snapshot.bytes / 1e6).toFixed(1)} MB, ${snapshot.counts.nodes} nodes, ` +
      `${fmtInt(snapshot.counts.pods)} pods (${fmtInt(snapshot.counts.podsInCapture)} seen in the capture), ` +
      `${fmtInt(snapshot.counts.services)} Services, ${fmtInt(snapshot.counts.endpointSlices)} EndpointSlices (v${snapshot.version})`,
  );
console.log(
  `runs: ${args.rounds} rounds (tshark ${contenders.find((c) => c.id === 'tshark').unavailable ? 'skipped' : args.tsharkRounds}), ` +
    `alternating; reads of ${args.chunkKib} KiB` +
    (removedEnv.length ? `; removed from children's env: ${removedEnv.join(', ')}` : ''),
);
if (!hasTime) console.log(`note: ${TIME} missing, so no peak RSS (apt-get install time)`);
for (const c of contenders) if (c.unavailable) console.log(`  ${c.label}: unavailable: ${c.unavailable}`);
console.log('');

// ---- warm-up and verification ------------------------------------------------------------
// One untimed pass puts the file in the page cache, so every contender reads from memory.
run([node, 'bench/read-only.js', capturePath]);
if (trace) for (const p of tracePaths) run([node, 'bench/read-only.js', p]);
for (const c of active) {
  if (!c.verify) continue;
  progress(`verifying ${c.label}`);
  c.verify(c);
  if (c.unavailable) console.log(`  ${c.label}: unavailable: ${c.unavailable}`);
}

// ---- timed rounds, alternating -----------------------------------------------------------
const maxRounds = Math.max(0, ...active.map((c) => c.rounds));
for (let round = 0; round < maxRounds; round++) {
  for (const c of active) {
    if (round >= c.rounds || c.failure || c.unavailable) continue;
    progress(`round ${round + 1}/${maxRounds}: ${c.label}`);
    const r = run(c.cmd, c.stdout);
    if (r.status !== 0) {
      c.failure = `exit ${r.status ?? r.signal}: ${lastLine(r.stderr)}`;
      continue;
    }
    if (c.check) {
      const problem = c.check(c, r.stdout);
      if (problem) {
        c.failure = problem;
        continue;
      }
    }
    c.runs.push({ wallSeconds: r.wallSeconds, peakRssMB: r.peakRssMB });
  }
}
progress('');

// ---- results -----------------------------------------------------------------------------
for (const c of contenders) {
  const walls = c.runs.map((r) => r.wallSeconds);
  const rss = c.runs.map((r) => r.peakRssMB).filter((v) => v !== null);
  c.wallSeconds = walls.length ? median(walls) : null;
  c.wallRange = walls.length ? [Math.min(...walls), Math.max(...walls)] : null;
  c.peakRssMB = rss.length ? median(rss) : null;
  const input = c.input ?? meta;
  c.packetsPerSecond = c.wallSeconds ? input.packets / c.wallSeconds : null;
  c.megabytesPerSecond = c.wallSeconds ? input.bytes / MB / c.wallSeconds : null;
}
const byId = Object.fromEntries(contenders.map((c) => [c.id, c]));
const ok = (c) => !c.unavailable && !c.failure && c.wallSeconds !== null;
const speedup = (base, c) => (ok(base) && ok(c) ? base.wallSeconds / c.wallSeconds : null);
// The trace rows read other files, so they are compared with each other only (targets).
for (const c of contenders) {
  c.vsPcapParser = c.input ? null : speedup(byId['pcap-parser'], c);
  c.vsTshark = c.input ? null : speedup(byId.tshark, c);
}

const header = [
  'contender',
  'runs',
  'wall s',
  'min-max s',
  'packets/s',
  'MB/s',
  'peak RSS MB',
  'vs pcap-parser',
  'vs tshark',
  'check',
];
const rows = contenders.map((c) => {
  const status = c.unavailable ? 'unavailable' : c.failure ? `FAILED: ${c.failure}` : (c.note ?? 'ok');
  if (c.unavailable || c.failure || c.wallSeconds === null)
    return [c.label, String(c.runs.length), '-', '-', '-', '-', '-', '-', '-', status];
  return [
    c.label,
    String(c.runs.length),
    c.wallSeconds.toFixed(3),
    `${c.wallRange[0].toFixed(2)}-${c.wallRange[1].toFixed(2)}`,
    `${(c.packetsPerSecond / 1e6).toFixed(2)} M`,
    fmtInt(Math.round(c.megabytesPerSecond)),
    c.peakRssMB === null ? 'n/a' : c.peakRssMB.toFixed(0),
    c.vsPcapParser === null ? '-' : `${c.vsPcapParser.toFixed(2)}x`,
    c.vsTshark === null ? '-' : `${c.vsTshark.toFixed(1)}x`,
    status,
  ];
});
printTable(header, rows);
console.log('medians of whole-process runs; MB = 10^6 bytes; "vs X" = X wall / this wall (higher is faster)');
if (trace) console.log('the 4-capture rows: packets/s and MB/s over all four files');

// ---- targets -----------------------------------------------------------------------------
const analyze = byId['podpath-analyze'];
const analyzeCluster = byId['podpath-analyze-cluster'];
const framing = byId['podpath-framing'];
const analyzeFour = byId['podpath-analyze-4'];
const traceRow = byId['podpath-trace'];
const targets = [
  target(
    'podpath analyze wall <= 0.65 s',
    analyze,
    () => analyze.wallSeconds <= 0.65,
    () => `${analyze.wallSeconds.toFixed(3)} s`,
  ),
  target(
    'podpath analyze >= 2.6 M packets/s',
    analyze,
    () => analyze.packetsPerSecond >= 2.6e6,
    () => `${(analyze.packetsPerSecond / 1e6).toFixed(2)} M/s`,
  ),
  target(
    'podpath analyze >= 2x faster than pcap-parser framing',
    analyze,
    () => analyze.vsPcapParser >= 2,
    () => `${analyze.vsPcapParser.toFixed(2)}x`,
    byId['pcap-parser'],
  ),
  target(
    'podpath analyze >= 30x faster than tshark conv',
    analyze,
    () => analyze.vsTshark >= 30,
    () => `${analyze.vsTshark.toFixed(1)}x`,
    byId.tshark,
  ),
  target(
    'podpath analyze --cluster costs at most 15% more wall time than without',
    analyzeCluster,
    () => analyzeCluster.wallSeconds <= analyze.wallSeconds * 1.15,
    () =>
      `${fmtPercent(analyzeCluster.wallSeconds / analyze.wallSeconds - 1)} ` +
      `(${analyzeCluster.wallSeconds.toFixed(3)} s vs ${analyze.wallSeconds.toFixed(3)} s)`,
    analyze,
  ),
  target(
    'podpath trace costs at most 2x the wall time of podpath analyze of the same 4 captures',
    traceRow,
    () => traceRow.wallSeconds <= analyzeFour.wallSeconds * 2,
    () =>
      `${(traceRow.wallSeconds / analyzeFour.wallSeconds).toFixed(2)}x ` +
      `(${traceRow.wallSeconds.toFixed(3)} s vs ${analyzeFour.wallSeconds.toFixed(3)} s)`,
    analyzeFour,
  ),
  target(
    'podpath framing >= 3 GB/s',
    framing,
    () => framing.megabytesPerSecond >= 3000,
    () => `${(framing.megabytesPerSecond / 1000).toFixed(2)} GB/s`,
  ),
  target(
    'podpath analyze peak RSS < 150 MB',
    analyze,
    () => analyze.peakRssMB !== null && analyze.peakRssMB < 150,
    () => (analyze.peakRssMB === null ? 'no RSS measured' : `${analyze.peakRssMB.toFixed(0)} MB`),
  ),
];
console.log('\ntargets:');
for (const t of targets)
  console.log(`  ${t.result.padEnd(4)}  ${t.name}${t.measured ? `: ${t.measured}` : ''}`);

if (args.json) {
  const file = path.join(benchDir, 'results.json');
  const out = {
    machine,
    removedEnv,
    chunkKib: args.chunkKib,
    capture: { path: capturePath, ...meta },
    snapshot: snapshot ? { path: snapshotPath, ...snapshot } : null,
    traceCaptures: trace ? { paths: tracePaths, ...trace } : null,
    contenders: contenders.map((c) => ({
      id: c.id,
      label: c.label,
      command: c.cmd.map((a) => (a === node ? 'node' : a)).join(' '),
      status: c.unavailable ? 'unavailable' : c.failure ? 'failed' : 'ok',
      reason: c.unavailable ?? c.failure ?? null,
      note: c.note,
      input: c.input ?? null,
      runs: c.runs,
      wallSeconds: c.wallSeconds,
      wallRange: c.wallRange,
      packetsPerSecond: c.packetsPerSecond,
      megabytesPerSecond: c.megabytesPerSecond,
      peakRssMB: c.peakRssMB,
      vsPcapParser: c.vsPcapParser,
      vsTshark: c.vsTshark,
    })),
    targets: targets.map(({ name, result, measured }) => ({ name, result, measured })),
  };
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${displayPath(file)}`);
}

const anyFailed = contenders.some((c) => c.failure);
const anyMissed = targets.some((t) => t.result === 'FAIL');
process.exitCode = anyFailed || (args.strict && anyMissed) ? 1 : 0;

// ---- checks ------------------------------------------------------------------------------

/** The framing scripts print {"packets", "capturedBytes"}: both must match the sidecar. */
function checkFraming(c, stdout) {
  const out = parseJsonLine(stdout);
  if (!out) return `no JSON result on stdout (${lastLine(stdout) || 'empty'})`;
  if (out.packets !== meta.packets) return `counted ${out.packets} packets, capture has ${meta.packets}`;
  if (out.capturedBytes !== undefined && out.capturedBytes !== meta.capturedBytes)
    return `captured bytes ${out.capturedBytes}, capture has ${meta.capturedBytes}`;
  if (out.issues) return `${out.issues} reader issues on a clean capture`;
  return null;
}

function checkReadOnly(c, stdout) {
  const out = parseJsonLine(stdout);
  if (!out || out.bytes !== meta.bytes) return `read ${out?.bytes} bytes, file has ${meta.bytes}`;
  c.note = 'bytes read checked';
  return null;
}

/** tshark's conversation table must hold every TCP conversation and segment (lib.js). */
function checkTsharkConv(c, stdout) {
  const problem = checkTsharkConvOutput(stdout, meta);
  if (problem) return problem;
  c.note = 'TCP frames in conv table checked; total packets not';
  return null;
}

/**
 * One untimed run with stdout to a file, parsed for captures[0].packets; `more` checks the
 * parsed output further and returns a problem or null.
 */
function verifyAnalyze(c, more = null) {
  const note = more
    ? 'packets and flow names checked once (untimed run)'
    : 'packets checked once (untimed run)';
  verifyOnce(
    c,
    (out) => {
      const packets = out?.captures?.[0]?.packets;
      if (packets !== meta.packets) return `captures[0].packets is ${packets}, capture has ${meta.packets}`;
      return more?.(out) ?? null;
    },
    note,
  );
}

/** analyze of the four trace captures: each one's packets, in the order given. */
function verifyAnalyzeTrace(c) {
  verifyOnce(
    c,
    (out) => checkCapturePackets(out, 'captures', trace.files),
    'packets of each capture checked once (untimed run)',
  );
}

/** One untimed run of c.cmd, its stdout parsed as JSON and checked (lib.js). */
function verifyOnce(c, check, note) {
  verifyOnceIn(c, check, note, { run, dir: benchDir });
}

/** podpath.trace/v1 of the four trace captures (lib.js). */
function checkTrace(out) {
  return checkTraceOutput(out, trace);
}

/**
 * With --cluster: the snapshot was read whole, and every end of every flow carries `kind` and
 * `name`, the kinds the capture must produce (its pods, nodes, pods the snapshot lacks,
 * internet hosts) all appear, and the DNS flows are matched to kube-dns.
 */
function checkClusterNames(out) {
  const counts = out?.cluster?.counts;
  const want = snapshot.counts;
  if (!counts) return 'no "cluster" section in the output';
  if (counts.nodes !== want.nodes || counts.pods !== want.pods || counts.services !== want.services)
    return `cluster counts ${counts.nodes} nodes / ${counts.pods} pods / ${counts.services} Services, snapshot has ${want.nodes} / ${want.pods} / ${want.services}`;
  const flows = out.flows;
  if (!Array.isArray(flows) || flows.length === 0) return 'no flows in the output';
  const kinds = {};
  let dnsService = 0;
  for (const f of flows) {
    for (const end of [f.src, f.dst]) {
      if (typeof end?.kind !== 'string' || !('name' in end))
        return `a flow end without kind/name: ${JSON.stringify(end).slice(0, 200)}`;
      kinds[end.kind] = (kinds[end.kind] ?? 0) + 1;
    }
    if (f.service?.name === 'kube-system/kube-dns') dnsService++;
  }
  for (const kind of ['pod', 'node', 'unknown-pod', 'external', 'service'])
    if (!kinds[kind]) return `no flow end of kind ${kind} (${JSON.stringify(kinds)})`;
  if (dnsService !== meta.flowsByKind.dns)
    return `${dnsService} flows matched to kube-system/kube-dns, capture has ${meta.flowsByKind.dns} DNS flows`;
  return null;
}

// ---- targets -----------------------------------------------------------------------------

function target(name, c, passes, measured, other) {
  if (c.unavailable) return { name, result: 'n/a', measured: `${c.label} unavailable` };
  if (c.failure) return { name, result: 'FAIL', measured: `${c.label} FAILED its check` };
  if (other && !ok(other))
    return {
      name,
      result: 'n/a',
      measured: `${other.label} ${other.unavailable ? 'unavailable' : 'failed'}`,
    };
  if (c.wallSeconds === null) return { name, result: 'n/a', measured: 'no runs' };
  return { name, result: passes() ? 'PASS' : 'FAIL', measured: measured() };
}

// ---- helpers -----------------------------------------------------------------------------

function parseArgs(argv) {
  const a = {
    rounds: 5,
    tsharkRounds: 1,
    noTshark: false,
    only: null,
    chunkKib: 512,
    json: false,
    strict: false,
    keepEnv: false,
  };
  const int = (i, name) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v < 0) fail(`${name} needs a whole number\n${HELP}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--rounds') a.rounds = int(++i, arg);
    else if (arg === '--tshark-rounds') a.tsharkRounds = int(++i, arg);
    else if (arg === '--no-tshark') a.noTshark = true;
    else if (arg === '--only') a.only = (argv[++i] ?? '').split(',');
    else if (arg === '--chunk-kib') a.chunkKib = Math.max(1, int(++i, arg));
    else if (arg === '--json') a.json = true;
    else if (arg === '--strict') a.strict = true;
    else if (arg === '--keep-env') a.keepEnv = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      process.exit(0);
    } else fail(`unknown option ${arg}\n${HELP}`);
  }
  return a;
}

function tsharkVersion() {
  return tsharkVersionOf(tsharkPath, childEnv);
}
