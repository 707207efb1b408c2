#!/usr/bin/env node
// The scale benchmark (`npm run bench:scale`), for "Scale: gigabyte captures": whole-process
// `podpath analyze` of the 1 GB bench capture with and without the packet index, of a 1 GB
// file of ~10 M small packets (gen-small.js), of two 1 GB files together, and `podpath trace`
// of the four trace captures; the web page in Chromium (bench/ui.js): first flow rows and the
// finished analysis of the 1 GB capture, frame times scrolling 200,000 flows and the packets
// panel of the 10 M-packet file; tshark on the same files once. Every measurement runs once a
// round, the rounds alternating; the table shows medians (min-max) against the issue's targets.
// Not a test: it fails only when a run's output is wrong. See bench/README.md.
//
//   node bench/scale.js [--rounds N] [--only a,b] [--json] [--tshark-rounds N] [--no-tshark]
//                       [--no-ui] [--keep-env] [--verbose]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkCapturePackets,
  checkTrace,
  checkTsharkConv,
  childEnvironment,
  cpuModel,
  displayPath,
  fail,
  fmtInt,
  hasTime,
  lastLine,
  makeRunner,
  median,
  printTable,
  root,
  TIME,
  traceUnavailable,
  tsharkVersion,
  verifyOnce,
  which,
} from './lib.js';
import { benchDir, capturePath, ensureCapture } from './gen.js';
import { DEFAULT_FLOWS, ensureFlowCapture } from './gen-flows.js';
import { ensureSmallCapture } from './gen-small.js';
import { ensureTraceCaptures, tracePaths } from './gen-trace.js';

const CHROMIUM = process.env.PODPATH_CHROMIUM ?? '/usr/bin/chromium';
/** The second 1 GB file: a copy of the bench capture at another path (its own inode and pages). */
const copyPath = path.join(benchDir, 'k8s-1g-copy.pcap');
const buildDir = path.join(benchDir, 'scale-build');

const IDS = {
  '1g-index': 'analyze --index, 1 GB bench capture',
  '1g': 'analyze, 1 GB bench capture (no index)',
  '1g-index-1t': 'analyze --index --threads 1, 1 GB bench capture (one thread)',
  'small-index': 'analyze --index, 10 M small packets',
  small: 'analyze, 10 M small packets (no index)',
  two: 'analyze, two 1 GB files (bench capture + its copy)',
  'two-same': 'analyze, the same 1 GB file twice',
  'two-index': 'analyze --index, two 1 GB files',
  'analyze-4': 'analyze, 4 trace captures (~1 GB)',
  trace: 'trace, 4 trace captures (~1 GB)',
  'tshark-1g': 'tshark conv,tcp, 1 GB bench capture',
  'tshark-small': 'tshark conv,tcp, 10 M small packets',
  'ui-load': 'web: open the 1 GB capture (Overview; Flows at once)',
  'ui-flows': `web: scroll ${fmtInt(DEFAULT_FLOWS)} flows`,
  'ui-packets': 'web: packets panel of the 10 M-packet file',
};

const HELP = `usage: node bench/scale.js [options]   (npm run bench:scale builds first)
  --rounds N         rounds of every measurement but tshark (default 5)
  --tshark-rounds N  rounds of tshark (default 1; it takes ~35 s and ~1.5 GB a GB)
  --no-tshark        skip tshark
  --no-ui            skip the web measurements (Chromium)
  --only LIST        comma-separated ids:
                     ${Object.keys(IDS).join(',')}
  --json             also write the results to <bench dir>/scale-results.json
  --keep-env         keep NODE_EXTRA_CA_CERTS for the children (see README)
  --verbose          print each run as it ends`;

const args = parseArgs(process.argv.slice(2));
const wants = (id) => !args.only || args.only.includes(id);

// ---- the build: a copy, so a rebuild in this checkout while it runs changes nothing ---------
if (
  !fs.existsSync(path.join(root, 'dist/cli/main.js')) ||
  !fs.existsSync(path.join(root, 'out/renderer/index.html'))
) {
  console.log('bench: dist/ or out/renderer is missing: npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('npm run build failed');
}
const build = freezeBuild();

// ---- the captures ---------------------------------------------------------------------------
const { env: childEnv, removed: removedEnv } = childEnvironment({ keepEnv: args.keepEnv });
const run = makeRunner(childEnv);
const node = process.execPath;
const meta = ensureCapture();
const small =
  wants('small') || wants('small-index') || wants('tshark-small') || wants('ui-packets')
    ? ensureSmallCapture()
    : null;
const needsCopy = wants('two') || wants('two-index');
if (needsCopy) ensureCopy();
const trace = wants('analyze-4') || wants('trace') ? ensureTraceCaptures() : null;
const flowCapture = wants('ui-flows') && !args.noUi ? ensureFlowCapture({ flows: DEFAULT_FLOWS }) : null;

// ---- measurements -----------------------------------------------------------------------------
const tsharkPath = which('tshark');
const cli = (...rest) => [node, 'bin/podpath.js', ...rest];
/** Until the CLI has --index, it refuses it as bad usage (exit 2). */
const indexUnavailable = (r) =>
  r.status === 2 && r.stderr.includes('--index')
    ? `this build's CLI has no --index (${lastLine(r.stderr.split('\n')[0])})`
    : null;
/** With --index each summary says how big its index is ("packetIndex"): it must hold every packet. */
const indexProblem = (c, i) =>
  c.packetIndex?.packets === c.packets
    ? null
    : `captures[${i}].packetIndex is ${JSON.stringify(c.packetIndex)}: no index of its ${c.packets} packets`;
/** The summaries of `files` (sidecars), in order, with an index of each when `indexed`. */
const capturesAre = (files, indexed) => (out) => {
  const c = out?.captures;
  if (!Array.isArray(c) || c.length !== files.length)
    return `captures has ${c?.length ?? 'no'} entries, expected ${files.length}`;
  for (let i = 0; i < files.length; i++) {
    if (c[i].packets !== files[i].packets)
      return `captures[${i}].packets is ${c[i].packets}, the file has ${files[i].packets}`;
    if (indexed && indexProblem(c[i], i)) return indexProblem(c[i], i);
  }
  return null;
};
const bench1g = { packets: meta.packets, bytes: meta.bytes };
const rows = [
  {
    id: '1g-index',
    cmd: cli('analyze', '--index', '--json', capturePath),
    input: bench1g,
    unavailableWhen: indexUnavailable,
    check: capturesAre([meta], true),
  },
  { id: '1g', cmd: cli('analyze', '--json', capturePath), input: bench1g, check: capturesAre([meta], false) },
  {
    // The same on one thread: what the two-part reading of one file gains, and the base the
    // two-files target compares with when one file already keeps both cores busy.
    id: '1g-index-1t',
    cmd: cli('analyze', '--index', '--threads', '1', '--json', capturePath),
    input: bench1g,
    unavailableWhen: (r) =>
      indexUnavailable(r) ??
      (r.status === 2 && r.stderr.includes('--threads') ? "this build's CLI has no --threads" : null),
    check: capturesAre([meta], true),
  },
  {
    id: 'small-index',
    cmd: small && cli('analyze', '--index', '--json', small.path),
    input: small,
    unavailableWhen: indexUnavailable,
    check: small && capturesAre([small], true),
  },
  {
    id: 'small',
    cmd: small && cli('analyze', '--json', small.path),
    input: small,
    check: small && capturesAre([small], false),
  },
  {
    id: 'two',
    cmd: cli('analyze', '--json', capturePath, copyPath),
    input: { packets: 2 * meta.packets, bytes: 2 * meta.bytes },
    check: capturesAre([meta, meta], false),
  },
  {
    id: 'two-same',
    cmd: cli('analyze', '--json', capturePath, capturePath),
    input: { packets: 2 * meta.packets, bytes: 2 * meta.bytes },
    check: capturesAre([meta, meta], false),
  },
  {
    id: 'two-index',
    cmd: cli('analyze', '--index', '--json', capturePath, copyPath),
    input: { packets: 2 * meta.packets, bytes: 2 * meta.bytes },
    unavailableWhen: indexUnavailable,
    check: capturesAre([meta, meta], true),
  },
  {
    id: 'analyze-4',
    cmd: cli('analyze', '--json', ...tracePaths),
    input: trace && traceInput(trace),
    check: (out) => checkCapturePackets(out, 'captures', trace.files),
  },
  {
    id: 'trace',
    cmd: cli('trace', '--json', ...tracePaths),
    input: trace && traceInput(trace),
    unavailableWhen: traceUnavailable,
    check: (out) => checkTrace(out, trace),
  },
  {
    id: 'tshark-1g',
    // Flannel's 8472 is not a default VXLAN port in tshark: decoding it gives tshark the inner
    // TCP, the work podpath does (as bench/run.js runs it).
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
    input: bench1g,
    tshark: meta,
  },
  {
    id: 'tshark-small',
    cmd: small && [tsharkPath ?? 'tshark', '-n', '-q', '-r', small.path, '-z', 'conv,tcp'],
    input: small,
    tshark: small,
  },
  {
    id: 'ui-load',
    ui: ['--capture', capturePath, '--phases', 'overview,flows'],
  },
  { id: 'ui-flows', ui: ['--flows', String(DEFAULT_FLOWS), '--phases', 'flows,scroll'] },
  { id: 'ui-packets', ui: ['--capture', small?.path ?? '', '--phases', 'packets'] },
];
for (const r of rows) {
  r.label = IDS[r.id];
  r.runs = [];
  r.failure = null;
  r.note = null;
  r.unavailable = null;
  r.problems = [];
  r.rounds = r.tshark ? args.tsharkRounds : args.rounds;
  if (!wants(r.id)) r.unavailable = 'not selected (--only)';
  else if (r.tshark && args.noTshark) r.unavailable = 'skipped (--no-tshark)';
  else if (r.tshark && !tsharkPath) r.unavailable = 'tshark not installed';
  else if (r.ui && args.noUi) r.unavailable = 'skipped (--no-ui)';
  else if (r.ui && !fs.existsSync(CHROMIUM)) r.unavailable = `no Chromium at ${CHROMIUM}`;
}
const byId = Object.fromEntries(rows.map((r) => [r.id, r]));

// ---- the machine ------------------------------------------------------------------------------
const machine = {
  cpu: cpuModel(),
  cores: os.cpus().length,
  memoryGB: Math.round(os.totalmem() / 1e9),
  node: process.version,
  chromium: chromiumVersion(),
  tshark: tsharkPath ? tsharkVersion(tsharkPath, childEnv) : null,
  kernel: os.release(),
  date: new Date().toISOString(),
  loadBefore: loadAverage(),
  loadAfter: null,
};
console.log(`podpath scale bench  ${machine.date}`);
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB RAM, Node ${machine.node}, ` +
    `Chromium ${machine.chromium ?? 'not installed'}, tshark ${machine.tshark ?? 'not installed'}, Linux ${machine.kernel}`,
);
console.log(
  `build: commit ${build.commit}${build.dirtySrc ? ' plus uncommitted src/ changes' : ''}, dist/ built ${build.dist} ` +
    `(files hash ${build.hash}), copied to ${displayPath(buildDir)}`,
);
console.log(
  `1 GB bench capture: ${displayPath(capturePath)}  ${fmtInt(meta.packets)} packets, ${(meta.bytes / 1e9).toFixed(3)} GB, ` +
    `${fmtInt(meta.flows)} flows (gen.js v${meta.version})` +
    (needsCopy ? `; its copy ${displayPath(copyPath)}` : ''),
);
if (small)
  console.log(
    `small packets: ${displayPath(small.path)}  ${fmtInt(small.packets)} packets, ${(small.bytes / 1e9).toFixed(3)} GB, ` +
      `${fmtInt(small.flows)} flows, mean frame ${small.frameLength.mean} B, ${fmtInt(small.pureAcks)} pure ACKs, ` +
      `${fmtInt(small.dnsQueries)} DNS queries (gen-small.js v${small.version})`,
  );
if (trace)
  console.log(
    `trace captures: ${trace.files.map((f) => f.file).join(', ')}  ${(traceInput(trace).bytes / 1e9).toFixed(3)} GB, ` +
      `${fmtInt(traceInput(trace).packets)} packets (gen-trace.js v${trace.version})`,
  );
if (flowCapture)
  console.log(
    `flows capture: ${displayPath(flowCapture.path)}  ${fmtInt(flowCapture.flows)} flows, ${fmtInt(flowCapture.packets)} packets ` +
      `(gen-flows.js v${flowCapture.version})`,
  );
console.log(
  `runs: ${args.rounds} rounds, alternating (tshark ${args.noTshark ? 'skipped' : args.tsharkRounds}); load average ` +
    `${machine.loadBefore.join(' ')}` +
    (removedEnv.length ? `; removed from children's env: ${removedEnv.join(', ')}` : ''),
);
if (!hasTime) console.log(`note: ${TIME} missing, so no peak RSS or CPU time (apt-get install time)`);
console.log('note: Wireshark (the GUI) is not measured: this machine has no display to run it on');
for (const r of rows)
  if (r.unavailable && wants(r.id)) console.log(`  ${r.id}: not available: ${r.unavailable}`);
console.log('');

// ---- warm-up and verification -----------------------------------------------------------------
// One untimed read of every file, so every run reads from the page cache.
const files = new Set();
for (const r of rows.filter((x) => !x.unavailable)) {
  if (r.id.startsWith('two')) files.add(capturePath).add(copyPath);
  if (['1g', '1g-index', '1g-index-1t', 'tshark-1g', 'ui-load'].includes(r.id)) files.add(capturePath);
  if (['small', 'small-index', 'tshark-small', 'ui-packets'].includes(r.id)) files.add(small.path);
  if (r.id === 'analyze-4' || r.id === 'trace') for (const p of tracePaths) files.add(p);
  if (r.id === 'ui-flows') files.add(flowCapture.path);
}
for (const f of files) run([node, 'bench/read-only.js', f], 'null');
for (const r of rows) {
  if (r.unavailable || !r.check) continue;
  say(`verifying ${r.id}`);
  verifyOnce(r, r.check, 'output checked once (untimed run)', { run: inBuild, dir: benchDir });
  if (r.unavailable) console.log(`  ${r.id}: unavailable: ${r.unavailable}`);
  if (r.failure) console.log(`  ${r.id}: FAILED: ${r.failure}`);
}

// ---- timed rounds, alternating ------------------------------------------------------------------
const active = rows.filter((r) => !r.unavailable && !r.failure);
const maxRounds = Math.max(0, ...active.map((r) => r.rounds));
/** The 1-minute load average at the start of each round. */
const loads = [];
for (let round = 0; round < maxRounds; round++) {
  const load = loadAverage();
  loads.push(load[0]);
  console.log(`round ${round + 1}/${maxRounds}, load average ${load.join(' ')}`);
  for (const r of active) {
    if (round >= r.rounds || r.failure || r.unavailable) continue;
    say(`round ${round + 1}/${maxRounds}: ${r.id}`);
    if (r.ui) uiRun(r, round);
    else cliRun(r);
  }
}
machine.loadAfter = loadAverage();

// ---- results ----------------------------------------------------------------------------------
for (const r of rows) {
  if (r.ui) continue;
  const pick = (key) => r.runs.map((x) => x[key]).filter((v) => v !== null && v !== undefined);
  const walls = pick('wallSeconds');
  r.wallSeconds = walls.length ? median(walls) : null;
  r.wallRange = walls.length ? [Math.min(...walls), Math.max(...walls)] : null;
  r.peakRssMB = pick('peakRssMB').length ? median(pick('peakRssMB')) : null;
  r.cpuSeconds = pick('cpuSeconds').length ? median(pick('cpuSeconds')) : null;
  r.packetsPerSecond = r.wallSeconds && r.input ? r.input.packets / r.wallSeconds : null;
}
const ok = (r) => r && !r.unavailable && !r.failure && r.wallSeconds !== null && r.wallSeconds !== undefined;
for (const [id, tshark] of [
  ['1g', 'tshark-1g'],
  ['1g-index', 'tshark-1g'],
  ['small', 'tshark-small'],
  ['small-index', 'tshark-small'],
])
  byId[id].vsTshark =
    ok(byId[id]) && ok(byId[tshark]) ? byId[tshark].wallSeconds / byId[id].wallSeconds : null;

console.log(`medians of ${args.rounds} rounds (tshark: ${args.tsharkRounds}); min-max of the wall times\n`);
printTable(
  [
    'command line (whole process)',
    'runs',
    'wall s',
    'min-max s',
    'packets/s',
    'peak RSS MB',
    'CPU s',
    'vs tshark',
    'check',
  ],
  rows
    .filter((r) => !r.ui && wants(r.id))
    .map((r) => {
      const status = r.unavailable
        ? `not available: ${r.unavailable}`
        : r.failure
          ? `FAILED: ${r.failure}`
          : (r.note ?? 'ok');
      if (!ok(r)) return [r.label, String(r.runs.length), '-', '-', '-', '-', '-', '-', status];
      return [
        r.label,
        String(r.runs.length),
        r.wallSeconds.toFixed(3),
        `${r.wallRange[0].toFixed(2)}-${r.wallRange[1].toFixed(2)}`,
        r.packetsPerSecond ? `${(r.packetsPerSecond / 1e6).toFixed(2)} M` : '-',
        r.peakRssMB === null ? 'n/a' : r.peakRssMB.toFixed(0),
        r.cpuSeconds === null ? 'n/a' : r.cpuSeconds.toFixed(2),
        r.vsTshark ? `${r.vsTshark.toFixed(1)}x` : '-',
        status,
      ];
    }),
);
console.log(
  'CPU s: user + system of the child; "vs tshark" = tshark wall / this wall. tshark reads one file a run: ' +
    'two files take two runs. Wireshark (GUI): not measured here (no display).',
);

// The web rows: each figure's median over the rounds and its range.
const UI_FIGURES = [
  ['ui-load', 'flRows', 'first flow rows on screen, ms from navigation (Flows at once)'],
  ['ui-load', 'flRowsAtTabs', 'first flow rows had Ctrl+2 come with the tab bar (the bench delay out), ms'],
  ['ui-load', 'flRowsFromServe', 'first flow rows, ms from `podpath serve` starting to read'],
  ['ui-load', 'flNav', '  of which before navigation (server start, browser context), ms'],
  ['ui-load', 'flScripts', '  page HTML and scripts in, ms from navigation'],
  ['ui-load', 'flDomReady', '  DOMContentLoaded, ms'],
  ['ui-load', 'flTabs', '  tab bar shown, ms'],
  ['ui-load', 'flCtrl2', '  Ctrl+2 in the page (pressed by the bench on seeing the tab bar), ms'],
  ['ui-load', 'flFirstFlowsAsked', '  first flows request sent, ms'],
  ['ui-load', 'flFirstFlowsAnswered', '  first flows request answered, ms'],
  ['ui-load', 'flServerDone', 'analysis finished (the server says), ms from navigation'],
  ['ui-load', 'flDone', 'analysis finished, as the card shows (Ctrl+1 then), ms'],
  ['ui-load', 'ovTabs', 'Overview: page up (tab bar), ms from navigation'],
  ['ui-load', 'ovDone', 'Overview: analysis finished, as the card shows, ms'],
  ['ui-load', 'ovFrameMax', 'Overview: longest frame while reading, ms'],
  ['ui-load', 'flFrameMax', 'Flows: longest frame while reading, ms'],
  ['ui-load', 'serverRssMB', 'server peak RSS, MB'],
  ['ui-flows', 'flRows', 'first flow rows, ms from navigation'],
  ['ui-flows', 'wheelMax', 'wheel (150 x 240 px down, up): longest frame, ms'],
  ['ui-flows', 'wheelP95', 'wheel: p95 frame, ms'],
  ['ui-flows', 'wheelLong', 'wheel: frames over 50 ms'],
  ['ui-flows', 'wheelTaskMax', 'wheel: longest main-thread task (0: none over 50 ms), ms'],
  ['ui-flows', 'sweepMax', 'scrollTop sweep (150 steps down, up): longest frame, ms'],
  ['ui-flows', 'sweepP95', 'sweep: p95 frame, ms'],
  ['ui-flows', 'sweepLong', 'sweep: frames over 50 ms'],
  ['ui-flows', 'sweepTaskMax', 'sweep: longest main-thread task, ms'],
  ['ui-flows', 'jumpMedian', 'jumps to 20 new places: real rows after, median ms'],
  ['ui-flows', 'sweepBottomFill', 'real rows at the bottom after the sweep, ms'],
  ['ui-packets', 'pkCardDone', 'capture read (card done), ms from navigation'],
  ['ui-packets', 'pkOpen', 'Packets clicked to real rows, ms'],
  ['ui-packets', 'pkWheelMax', 'wheel: longest frame, ms'],
  ['ui-packets', 'pkWheelLong', 'wheel: frames over 50 ms'],
  ['ui-packets', 'pkWheelTaskMax', 'wheel: longest main-thread task (0: none over 50 ms), ms'],
  ['ui-packets', 'pkSweepMax', 'sweep: longest frame, ms'],
  ['ui-packets', 'pkSweepLong', 'sweep: frames over 50 ms'],
  ['ui-packets', 'pkSweepTaskMax', 'sweep: longest main-thread task, ms'],
  ['ui-packets', 'pkJumpMedian', 'jumps to 20 far places: real rows after, median ms'],
  ['ui-packets', 'pkJumpMax', 'jumps: slowest, ms'],
  ['ui-packets', 'pkSweepBottomFill', 'real rows at the bottom after the sweep, ms'],
  ['ui-packets', 'pkLayoutPx', 'list height as laid out (scrollHeight), px'],
  ['ui-packets', 'pkWantPx', 'packets x 20 px (the list unscaled), px'],
  ['ui-packets', 'pkLastShown', 'last packet reachable by scrolling (#)'],
  ['ui-packets', 'pkReachablePercent', 'packets reachable by scrolling, %'],
  ['ui-packets', 'pkServerRssMB', 'server peak RSS, MB'],
];
const uiValues = (id, key) =>
  byId[id].runs.map((x) => x[key]).filter((v) => typeof v === 'number' && Number.isFinite(v));
const uiMedian = (id, key) => (uiValues(id, key).length ? median(uiValues(id, key)) : null);
const uiMax = (id, key) => (uiValues(id, key).length ? Math.max(...uiValues(id, key)) : null);
const uiRows = rows.filter((r) => r.ui);
if (uiRows.some((r) => !r.unavailable)) {
  console.log('');
  const body = [];
  for (const r of uiRows.filter((x) => wants(x.id))) {
    const status = r.unavailable
      ? `not available: ${r.unavailable}`
      : r.failure
        ? `FAILED: ${r.failure}`
        : r.problems.length
          ? `${r.problems.length} problems (below)`
          : 'ok';
    body.push([r.label, '', '', '', status]);
    if (r.unavailable) continue;
    for (const [id, key, label] of UI_FIGURES) {
      if (id !== r.id) continue;
      const values = uiValues(id, key);
      const digits = key === 'pkReachablePercent' ? 1 : 0;
      const f = (v) =>
        v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
      body.push([
        `  ${label}`,
        String(values.length),
        values.length ? f(median(values)) : '-',
        values.length > 1 ? `${f(Math.min(...values))}-${f(Math.max(...values))}` : '',
        '',
      ]);
    }
  }
  printTable(
    ['web mode (podpath serve + Chromium, bench/ui.js)', 'runs', 'median', 'min-max', 'check'],
    body,
  );
  console.log(
    "ms from navigation: from the page's performance.timeOrigin; `podpath serve` started reading the file " +
      'before that (the "from `podpath serve`" row adds it). Frames: requestAnimationFrame intervals ' +
      '(16.7 ms at 60 Hz). Each round is a fresh `node bench/ui.js --rounds 1`; its log is in the bench dir.',
  );
}

// ---- targets ------------------------------------------------------------------------------------
const targets = [];
const target = (name, result, measured) => {
  if (!measured.includes('not selected (--only)')) targets.push({ name, result, measured });
};
const secs = (r) => `${r.wallSeconds.toFixed(3)} s`;
{
  const r = byId['1g-index'];
  if (ok(r))
    target('1 GB bench capture with its index: wall < 1.0 s', r.wallSeconds < 1 ? 'met' : 'missed', secs(r));
  else
    target(
      '1 GB bench capture with its index: wall < 1.0 s',
      'n/a',
      `${unavailableText(r)}${ok(byId['1g']) ? `; without --index: ${secs(byId['1g'])}` : ''}`,
    );
}
{
  const r = byId['small-index'];
  const plain = byId.small;
  for (const [name, passes, measured] of [
    ['10 M small packets with the index: wall < 2.5 s', (x) => x.wallSeconds < 2.5, secs],
    [
      '10 M small packets with the index: peak RSS < 400 MB',
      (x) => x.peakRssMB !== null && x.peakRssMB < 400,
      (x) => (x.peakRssMB === null ? 'no RSS' : `${x.peakRssMB.toFixed(0)} MB`),
    ],
  ]) {
    if (ok(r)) target(name, passes(r) ? 'met' : 'missed', measured(r));
    else
      target(
        name,
        'n/a',
        `${unavailableText(r)}${ok(plain) ? `; without --index: ${measured(plain)} (${passes(plain) ? 'would be met' : 'missed even so'})` : ''}`,
      );
  }
}
for (const [two, one] of [
  ['two', '1g'],
  ['two-index', '1g-index'],
  ['two-index', '1g-index-1t'],
]) {
  const against = one === '1g-index-1t' ? 'one read on one thread' : 'one';
  const name = `two 1 GB files together (${two === 'two' ? 'no index' : '--index'}): < 1.4x the wall of ${against}`;
  if (ok(byId[two]) && ok(byId[one])) {
    const ratio = byId[two].wallSeconds / byId[one].wallSeconds;
    target(
      name,
      ratio < 1.4 ? 'met' : 'missed',
      `${ratio.toFixed(2)}x (${secs(byId[two])} vs ${secs(byId[one])})`,
    );
  } else target(name, 'n/a', ok(byId[two]) ? unavailableText(byId[one]) : unavailableText(byId[two]));
}
if (ok(byId['two-same']) && ok(byId['1g']))
  target(
    'the same file twice (for comparison): < 1.4x the wall of one',
    byId['two-same'].wallSeconds / byId['1g'].wallSeconds < 1.4 ? 'met' : 'missed',
    `${(byId['two-same'].wallSeconds / byId['1g'].wallSeconds).toFixed(2)}x`,
  );
if (ok(byId.trace) && ok(byId['analyze-4']))
  target(
    'trace of 4 captures <= 2x analyze of them (bench/run.js target)',
    byId.trace.wallSeconds <= 2 * byId['analyze-4'].wallSeconds ? 'met' : 'missed',
    `${(byId.trace.wallSeconds / byId['analyze-4'].wallSeconds).toFixed(2)}x (${secs(byId.trace)} vs ${secs(byId['analyze-4'])})`,
  );
else
  target(
    'trace of 4 captures <= 2x analyze of them (bench/run.js target)',
    'n/a',
    unavailableText(byId.trace),
  );
{
  const r = byId['ui-load'];
  const rowsAt = uiMedian('ui-load', 'flRows');
  if (!r.unavailable && rowsAt !== null)
    target(
      'web, 1 GB capture: first flow rows on screen within 1 s of opening (navigation)',
      rowsAt <= 1000 ? 'met' : 'missed',
      `${fmtInt(Math.round(rowsAt))} ms median; ${fmtInt(Math.round(uiMedian('ui-load', 'flRowsAtTabs') ?? NaN))} ms had ` +
        `Ctrl+2 come with the tab bar; ${fmtInt(Math.round(uiMedian('ui-load', 'flRowsFromServe') ?? NaN))} ms from \`podpath serve\` starting`,
    );
  else target('web, 1 GB capture: first flow rows within 1 s of opening', 'n/a', unavailableText(r));
}
for (const [id, keys, what] of [
  ['ui-flows', ['wheelMax', 'sweepMax'], `scrolling ${fmtInt(DEFAULT_FLOWS)} flows`],
  ['ui-packets', ['pkWheelMax', 'pkSweepMax'], 'scrolling the 10 M-packet list'],
]) {
  const r = byId[id];
  const name = `web, ${what}: no frame over 50 ms (wheel and sweep, every round)`;
  const worst = keys.map((k) => uiMax(id, k));
  if (r.unavailable || worst.some((v) => v === null)) target(name, 'n/a', unavailableText(r));
  else
    target(
      name,
      Math.max(...worst) <= 50 ? 'met' : 'missed',
      `longest frame: wheel ${fmtInt(Math.round(worst[0]))} ms, sweep ${fmtInt(Math.round(worst[1]))} ms ` +
        `(medians ${fmtInt(Math.round(uiMedian(id, keys[0])))} / ${fmtInt(Math.round(uiMedian(id, keys[1])))} ms)`,
    );
}
{
  const r = byId['ui-packets'];
  const last = uiMedian('ui-packets', 'pkLastShown');
  if (!r.unavailable && last !== null)
    target(
      'web, 10 M packets: every packet reachable by scrolling (no target in the issue)',
      last >= small.packets ? 'met' : 'missed',
      `the furthest scroll shows #${fmtInt(last)} of ${fmtInt(small.packets)} ` +
        `(${uiMedian('ui-packets', 'pkReachablePercent').toFixed(1)} %), in a list laid out ` +
        `${fmtInt(uiMedian('ui-packets', 'pkLayoutPx'))} px tall (${fmtInt(uiMedian('ui-packets', 'pkWantPx'))} px unscaled; ` +
        `Chromium lays out at most 33,554,432)`,
    );
}
console.log('\ntargets (issue "Scale: gigabyte captures"; 2-core machine):');
for (const t of targets) console.log(`  ${t.result.padEnd(6)}  ${t.name}: ${t.measured}`);
console.log(`\nload average before: ${machine.loadBefore.join(' ')}; after: ${machine.loadAfter.join(' ')}`);
if (Math.max(machine.loadBefore[0], machine.loadAfter[0], ...loads) > machine.cores)
  console.log(
    `note: the 1-minute load average went over the ${machine.cores} cores (highest ${Math.max(machine.loadBefore[0], machine.loadAfter[0], ...loads)}): ` +
      'other work shared the machine, so walls and frames include waiting for a core; compare CPU s and the ranges',
  );
for (const r of rows) for (const p of r.problems) console.log(`PROBLEM (${r.id}): ${p}`);

if (args.json) {
  const file = path.join(benchDir, 'scale-results.json');
  const out = {
    machine,
    build,
    removedEnv,
    captures: {
      bench1g: { path: capturePath, copy: needsCopy ? copyPath : null, ...meta },
      small,
      trace: trace ? { paths: tracePaths, ...trace } : null,
      flows: flowCapture,
    },
    rows: rows.map((r) => ({
      id: r.id,
      label: r.label,
      command: r.ui
        ? ['node', 'bench/ui.js', '--app', buildDir, '--rounds', '1', ...r.ui].join(' ')
        : r.cmd?.map((a) => (a === node ? 'node' : a)).join(' '),
      status: r.unavailable ? 'unavailable' : r.failure ? 'failed' : 'ok',
      reason: r.unavailable ?? r.failure ?? null,
      input: r.input ?? null,
      runs: r.runs,
      wallSeconds: r.wallSeconds ?? null,
      wallRange: r.wallRange ?? null,
      peakRssMB: r.peakRssMB ?? null,
      cpuSeconds: r.cpuSeconds ?? null,
      packetsPerSecond: r.packetsPerSecond ?? null,
      vsTshark: r.vsTshark ?? null,
      problems: r.problems,
    })),
    targets,
  };
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${displayPath(file)}`);
}
process.exitCode = rows.some((r) => r.failure) ? 1 : 0;

// ---- running ----------------------------------------------------------------------------------

/** Runs a command line in the frozen build (podpath's `bin/podpath.js` is relative to it). */
function inBuild(cmd, stdout) {
  return run(
    cmd.map((a) => (a === 'bin/podpath.js' ? path.join(buildDir, 'bin/podpath.js') : a)),
    stdout,
  );
}

function cliRun(r) {
  const x = inBuild(r.cmd, r.tshark ? 'pipe' : 'null');
  if (x.status !== 0) {
    r.failure = `exit ${x.status ?? x.signal}: ${lastLine(x.stderr)}`;
    return;
  }
  if (r.tshark) {
    const problem = checkTsharkConv(x.stdout, r.tshark);
    if (problem) {
      r.failure = problem;
      return;
    }
    r.note = 'TCP conversations and frames checked';
  }
  const cpuSeconds = x.userSeconds === null ? null : x.userSeconds + x.systemSeconds;
  r.runs.push({ wallSeconds: x.wallSeconds, peakRssMB: x.peakRssMB, cpuSeconds });
  say(
    `  ${r.id}: ${x.wallSeconds.toFixed(3)} s wall, ${x.peakRssMB?.toFixed(0) ?? '?'} MB peak RSS, ` +
      `${cpuSeconds?.toFixed(2) ?? '?'} s CPU`,
    true,
  );
}

/** One round of bench/ui.js (`--rounds 1`) on the frozen build; its figures from its JSON. */
function uiRun(r, round) {
  const jsonOut = path.join(benchDir, `scale-${r.id}-${process.pid}.json`);
  const log = path.join(benchDir, `scale-${r.id}-round${round + 1}.log`);
  const argv = [
    'bench/ui.js',
    '--app',
    buildDir,
    '--rounds',
    '1',
    '--json-out',
    jsonOut,
    '--chromium',
    CHROMIUM,
    ...r.ui,
  ];
  const x = spawnSync(node, argv, { cwd: root, env: childEnv, encoding: 'utf8', maxBuffer: 1 << 26 });
  fs.writeFileSync(log, `$ node ${argv.join(' ')}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
  let out;
  try {
    out = JSON.parse(fs.readFileSync(jsonOut, 'utf8'));
  } catch {
    r.failure = `bench/ui.js exit ${x.status ?? x.signal}, no results: ${lastLine(x.stderr || x.stdout)} (log: ${displayPath(log)})`;
    return;
  } finally {
    fs.rmSync(jsonOut, { force: true });
  }
  const figures = { ...out.rounds[0] };
  if (typeof figures.flRows === 'number' && typeof figures.flNav === 'number')
    figures.flRowsFromServe = figures.flRows + figures.flNav;
  r.runs.push(figures);
  r.machine ??= out.machine;
  for (const p of out.problems) r.problems.push(`round ${round + 1}: ${p}`);
  say(
    `  ${r.id}: ` +
      Object.entries(figures)
        .filter(
          ([k, v]) =>
            typeof v === 'number' &&
            /^(flRows|flServerDone|ovDone|wheelMax|sweepMax|pkOpen|pkWheelMax|pkSweepMax|pkLastShown)$/.test(
              k,
            ),
        )
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(', '),
    true,
  );
}

// ---- helpers ----------------------------------------------------------------------------------

function traceInput(t) {
  return {
    packets: t.files.reduce((sum, f) => sum + f.packets, 0),
    bytes: t.files.reduce((sum, f) => sum + f.bytes, 0),
  };
}

function unavailableText(r) {
  if (!r) return 'not measured';
  if (r.unavailable) return r.unavailable;
  if (r.failure) return `FAILED: ${r.failure}`;
  return 'no runs';
}

/** A real copy of the bench capture (not a link): another file, as two captures would be. */
function ensureCopy() {
  try {
    if (
      fs.statSync(copyPath).size === meta.bytes &&
      fs.statSync(copyPath).mtimeMs >= fs.statSync(capturePath).mtimeMs
    )
      return;
  } catch {
    // missing: copy it
  }
  console.log(`bench: copying ${displayPath(capturePath)} to ${displayPath(copyPath)} (once)`);
  fs.copyFileSync(capturePath, copyPath + '.tmp');
  fs.renameSync(copyPath + '.tmp', copyPath);
}

/**
 * Copies bin/, dist/, out/renderer and package.json to <bench dir>/scale-build, once no file
 * there has changed for 5 s (someone may be building this checkout right now).
 */
function freezeBuild() {
  const newest = () => {
    let t = 0;
    for (const dir of ['dist', 'out/renderer'])
      for (const f of fs.readdirSync(path.join(root, dir), { recursive: true }))
        t = Math.max(t, fs.statSync(path.join(root, dir, f)).mtimeMs);
    return t;
  };
  for (let waited = 0; Date.now() - newest() < 5000 && waited < 120; waited++) {
    if (waited === 0) console.log('bench: the build is being written; waiting until it is still');
    spawnSync('sleep', ['1']);
  }
  fs.rmSync(buildDir, { recursive: true, force: true });
  for (const p of ['bin', 'dist', 'out/renderer', 'package.json'])
    fs.cpSync(path.join(root, p), path.join(buildDir, p), { recursive: true, preserveTimestamps: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(buildDir, 'node_modules'));
  const version = spawnSync(process.execPath, ['bin/podpath.js', '--version'], {
    cwd: buildDir,
    encoding: 'utf8',
  });
  if (version.status !== 0) fail(`the build copied to ${buildDir} does not run: ${version.stderr.trim()}`);
  const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const hash = createHash('sha256');
  for (const dir of ['dist', 'out/renderer'])
    for (const f of fs.readdirSync(path.join(buildDir, dir), { recursive: true }).sort()) {
      const file = path.join(buildDir, dir, f);
      if (fs.statSync(file).isFile()) hash.update(f).update(fs.readFileSync(file));
    }
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    dirtySrc: git('status', '--porcelain', '--', 'src') !== '',
    dist: fs.statSync(path.join(buildDir, 'dist/cli/main.js')).mtime.toISOString(),
    hash: hash.digest('hex').slice(0, 12),
  };
}

function chromiumVersion() {
  if (!fs.existsSync(CHROMIUM)) return null;
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  return /(\d+\.\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

function loadAverage() {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

function say(text, always = false) {
  if (args.verbose || always) console.log(text);
  else if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}

function parseArgs(argv) {
  const a = {
    rounds: 5,
    tsharkRounds: 1,
    noTshark: false,
    noUi: false,
    only: null,
    json: false,
    keepEnv: false,
    verbose: false,
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
    else if (arg === '--no-ui') a.noUi = true;
    else if (arg === '--only') {
      a.only = (argv[++i] ?? '').split(',').filter((x) => x !== '');
      for (const id of a.only) if (!(id in IDS)) fail(`--only: no measurement ${id}\n${HELP}`);
    } else if (arg === '--json') a.json = true;
    else if (arg === '--keep-env') a.keepEnv = true;
    else if (arg === '--verbose') a.verbose = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      process.exit(0);
    } else fail(`unknown option ${arg}\n${HELP}`);
  }
  return a;
}
