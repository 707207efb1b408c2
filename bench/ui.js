#!/usr/bin/env node
// How the app's page behaves with a big capture, in Chromium (`npm run bench:ui`). A benchmark,
// not a test: it prints figures, and checks only that the table ends up showing every flow and
// that the page logs no error.
// Each round starts `podpath serve` on gen-flows.js's capture and opens the URL it prints in a
// fresh browser context, twice: once staying on Overview, once going to Flows (Ctrl+2) at once;
// then it scrolls the Flows table of the finished capture (wheel, scrollTop sweep, far jumps) and
// asks the server for pages itself. Frame times come from requestAnimationFrame timestamps taken
// in the page. With --capture it reads an existing capture instead; the `packets` phase opens the
// Overview card's packets panel (every packet of the capture) and scrolls that. See
// bench/README.md ("The UI benchmark").
//
//   node bench/ui.js [--flows N | --capture FILE] [--phases LIST] [--rounds N] [--steps N]
//                    [--wheel N] [--wheel-px N] [--timeout S] [--chromium PATH] [--app DIR]
//                    [--verbose] [--json] [--json-out FILE]
/* global document, window, requestAnimationFrame */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { benchDir } from './gen.js';
import { DEFAULT_FLOWS, ensureFlowCapture } from './gen-flows.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const PAGE_DIR = path.join(root, 'out/renderer');
const CLI = path.join(root, 'dist/cli/main.js');
const VIEWPORT = { width: 1400, height: 860 };
/** A frame longer than this is a visible stall (RAIL: 50 ms of work and the next input lags). */
const LONG_FRAME_MS = 50;
const SERVER_REPEATS = 5;
const PHASES = ['overview', 'flows', 'scroll', 'server', 'packets'];
const DEFAULT_PHASES = ['overview', 'flows', 'scroll', 'server'];
/** The packets panel's row height (src/renderer/PacketsPanel.tsx). */
const PACKET_ROW_PX = 20;

const HELP = `usage: node bench/ui.js [options]
  --flows N       flows in the generated capture (default ${DEFAULT_FLOWS}; made once, cached)
  --capture FILE  serve this existing capture instead of generating one; the table must end up
                  holding the flows \`podpath analyze\` counts in it
  --phases LIST   what each round does, comma-separated (default ${DEFAULT_PHASES.join(',')}):
                    overview  open the page and stay on Overview while the file is read
                    flows     open it and go to Flows at once; Ctrl+2 on the finished capture
                    scroll    then jumps, wheel and sweep over the Flows table (needs the load)
                    server    then flows pages asked of the server directly
                    packets   a new page: the card's Packets button (every packet of the
                              capture), its height against Chromium's, jumps, wheel and sweep
  --rounds N      rounds; the table shows medians (default 3)
  --steps N       scrollTop steps of the sweep, each way, one a frame (default 150)
  --wheel N       wheel ticks each way (default 150), one every 16 ms
  --wheel-px N    pixels a wheel tick scrolls (default 240)
  --timeout S     longest wait for any one thing to appear, in seconds (default 180)
  --chromium PATH the browser (default $PODPATH_CHROMIUM or /usr/bin/chromium)
  --app DIR       serve from the build in DIR (bin/, dist/, out/renderer/ and node_modules/;
                  default: this checkout's, copied to <bench dir>/ui-build when the run starts)
  --json          also write the results to <bench dir>/ui-<flows>-results.json (with
                  --capture: ui-<capture file name>-results.json)
  --json-out FILE write the results to FILE (implies --json)
  --verbose       say what it is doing on stderr, with times (it does on a terminal anyway)`;

const args = parseArgs(process.argv.slice(2));
const timeoutMs = args.timeout * 1000;

// ---- what it needs -------------------------------------------------------------------------
if (args.app === null && (!fs.existsSync(path.join(PAGE_DIR, 'index.html')) || !fs.existsSync(CLI))) {
  console.log('bench: out/renderer or dist/ is missing: npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('npm run build failed');
}
// Someone may rebuild while this runs: the servers run from a copy of the build made now.
const app = args.app ?? freezeBuild();
const versionRun = spawnSync(process.execPath, ['bin/podpath.js', '--version'], {
  cwd: app,
  encoding: 'utf8',
});
if (versionRun.status !== 0) fail(`the build in ${app} does not run: ${versionRun.stderr.trim()}`);
if (!fs.existsSync(args.chromium)) fail(`no Chromium at ${args.chromium} (apt-get install -y chromium)`);

// NODE_EXTRA_CA_CERTS costs Node 20 ~70 ms at startup (see README); the server talks no TLS.
const serverEnv = { ...process.env };
delete serverEnv.NODE_EXTRA_CA_CERTS;
const capture = args.capture ? existingCapture(args.capture) : ensureFlowCapture({ flows: args.flows });
const phases = new Set(args.phases);

const browser = await chromium.launch({
  executablePath: args.chromium,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});

const machine = {
  cpu: cpuModel(),
  cores: os.cpus().length,
  memoryGB: Math.round(os.totalmem() / 1e9),
  node: process.version,
  chromium: browser.version(),
  kernel: os.release(),
  date: new Date().toISOString(),
  /** 1, 5 and 15 minute load averages before and after: other work on the machine skews frames. */
  loadBefore: os.loadavg().map((x) => Math.round(x * 100) / 100),
  loadAfter: null,
};
const build = buildInfo();

console.log(`podpath UI bench  ${machine.date}`);
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, Node ${machine.node}, ` +
    `Chromium ${machine.chromium}, Linux ${machine.kernel}`,
);
console.log(
  `build: ${build.app}: commit ${build.commit}${build.dirtySrc ? ' plus uncommitted src/ changes' : ''}, ` +
    `dist/ built ${build.dist}, out/renderer ${build.page} (files hash ${build.buildHash}), ` +
    `session ${build.threadedSession ? 'on a worker thread' : 'on the server thread'}` +
    (build.threadedCaptures ? ', each capture read on a thread of its own' : ''),
);
console.log(
  `capture: ${displayPath(capture.path)}  ${fmtInt(capture.flows)} flows, ${fmtInt(capture.packets)} packets, ` +
    `${(capture.bytes / 1e6).toFixed(0)} MB` +
    (capture.version === null ? ' (counted by podpath analyze)' : ` (generator v${capture.version})`),
);
console.log(
  `load average before: ${machine.loadBefore.join(' ')}; rounds: ${args.rounds}; phases: ${args.phases.join(',')}; ` +
    `sweep ${args.steps} steps each way; wheel ${args.wheel} x ${args.wheel_px} px each way; ` +
    `viewport ${VIEWPORT.width}x${VIEWPORT.height}\n`,
);

// ---- the rounds ----------------------------------------------------------------------------
const rounds = [];
const problems = [];
try {
  for (let r = 0; r < args.rounds; r++) {
    const result = {};
    if (phases.has('overview')) {
      progress(`round ${r + 1}/${args.rounds}: Overview while reading`);
      Object.assign(result, await overviewRound());
    }
    if (phases.has('flows') || phases.has('scroll') || phases.has('server')) {
      progress(`round ${r + 1}/${args.rounds}: Flows while reading, then scrolling`);
      Object.assign(result, await flowsRound());
    }
    if (phases.has('packets')) {
      progress(`round ${r + 1}/${args.rounds}: the packets panel`);
      Object.assign(result, await packetsRound());
    }
    rounds.push(result);
    progress('');
  }
} finally {
  await browser.close();
}
machine.loadAfter = os.loadavg().map((x) => Math.round(x * 100) / 100);

// ---- the report ----------------------------------------------------------------------------
const OVERVIEW_METRICS = [
  ['load', 'Overview tab open: ms from navigation'],
  ['ovNav', '  (navigation started this long after podpath serve was)'],
  ['ovTabs', '  page up (tab bar shown)'],
  ['ovDone', '  analysis done, as the capture card shows'],
  ['ovCharts', '  charts drawn'],
  ['ovFrameP50', '  frames while reading: median ms'],
  ['ovFrameP95', '  frames while reading: p95 ms'],
  ['ovFrameMax', '  frames while reading: longest ms'],
  ['ovLong', `  frames while reading: over ${LONG_FRAME_MS} ms`],
];
const FLOWS_METRICS = [
  ['load', 'Flows tab open (Ctrl+2 at once): ms from navigation'],
  ['flNav', '  (navigation started this long after podpath serve was)'],
  ['flHtml', '  page HTML in'],
  ['flScripts', '  its scripts in'],
  ['flDomReady', '  DOMContentLoaded'],
  ['flTabs', '  page up (tab bar shown)'],
  ['flCtrl2', '  Ctrl+2 in the page (the bench presses it on seeing the tab bar)'],
  ['flFirstFlowsAsked', '  first flows request sent'],
  ['flFirstFlowsAnswered', '  first flows request answered'],
  ['flRows', '  first flow rows shown'],
  ['flRowsAtTabs', '  ... had Ctrl+2 come with the tab bar (tab bar + Ctrl+2 to rows)'],
  ['flRowsEarly', '  ... before the read ended (rounds)'],
  ['flServerDone', '  analysis done (the server says)'],
  ['flDone', '  analysis done, as the card shows (Ctrl+1 then)'],
  ['flFrameP50', '  frames while reading: median ms'],
  ['flFrameP95', '  frames while reading: p95 ms'],
  ['flFrameMax', '  frames while reading: longest ms'],
  ['flLong', `  frames while reading: over ${LONG_FRAME_MS} ms`],
  ['flRequests', '  flows requests while reading'],
  ['flInFlight', '  most flows requests in flight at once'],
  ['flRequestMax', '  slowest flows request while reading, ms'],
  ['after', 'Finished capture'],
  ['tabRows', '  Ctrl+2 to rows shown (the server has made its rows), ms'],
  ['total', '  rows the table says it holds'],
];
const SCROLL = [
  ['wheel', `wheel ${args.wheel} x ${args.wheel_px} px down, then up`],
  ['sweep', `scrollTop sweep top to bottom to top, ${args.steps} steps each way`],
];
const FILLS = [
  ['wheelDownFill', 'after the wheel down'],
  ['wheelUpFill', 'after the wheel up'],
  ['sweepBottomFill', 'at the bottom, after the sweep down'],
  ['sweepTopFill', 'at the top, after the sweep up'],
  ['sweepDrain', 'the sweep over, its requests are still answered for'],
  ['jumpMedian', 'jumps to 20 places never shown before (10 %, 20 % ... 100 %, 95 % ... 5 %): median'],
  ['jumpMax', 'jumps: slowest'],
];
/** In the order asked: each query's first call follows a different query. */
const SERVER = [
  ['apiUnsortedMid', 'page in the middle, unsorted'],
  ['apiSorted0', 'first page, sorted by bytes (the table default)'],
  ['apiSortedMid', 'page in the middle, sorted by bytes (the same list)'],
  ['apiFilter', 'first page, filter port:443, sorted by bytes'],
  ['apiSession', 'session state (for comparison)'],
];
const RESOURCES = [
  ['serverRssMB', 'server peak RSS, MB (Flows round)'],
  ['serverCpuS', 'server CPU seconds (Flows round)'],
  ['pageHeapMB', 'page JS heap at the end, MB'],
];
const PACKETS_METRICS = [
  ['load', "the packets panel (the Overview card's Packets button), a page of its own"],
  ['pkCardDone', '  capture read, as the card shows: ms from navigation'],
  ['pkOpen', '  Packets clicked to real rows shown, ms'],
  ['pkTotal', '  packets the panel says the capture has'],
  ['pkWantPx', `  packets x ${PACKET_ROW_PX} px (the list unscaled), px`],
  ['pkLayoutPx', '  the list as laid out (scrollHeight; Chromium stops at 33,554,432), px'],
  ['pkMaxScrollTop', '  furthest scrollTop, px'],
  ['pkLastShown', '  last packet shown there (#)'],
  ['pkReachablePercent', '  packets reachable by scrolling, %'],
  ['pkBottomOverlap', '  rows drawn there on top of others (positions past the limit)'],
  ['pkArrowVisible', '  ArrowDown x5 from there: selected row on screen (rounds)'],
  [
    'pkJumpMedian',
    '  jumps to 20 places (10 %, 20 % ... 100 %, 95 % ... 5 % of the scroll range): median ms',
  ],
  ['pkJumpMax', '  jumps: slowest, ms'],
  ['pkServerRssMB', '  server peak RSS, MB'],
  ['pkServerCpuS', '  server CPU seconds'],
];
const PACKET_SCROLL = [
  ['pkWheel', `wheel ${args.wheel} x ${args.wheel_px} px down, then up`],
  ['pkSweep', `scrollTop sweep top to bottom to top, ${args.steps} steps each way`],
];
const PACKET_FILLS = [
  ['pkWheelDownFill', 'after the wheel down'],
  ['pkWheelUpFill', 'after the wheel up'],
  ['pkSweepBottomFill', 'at the bottom, after the sweep down'],
  ['pkSweepTopFill', 'at the top, after the sweep up'],
  ['pkSweepDrain', 'the sweep over, its requests are still answered for'],
];

const summary = {};
for (const key of Object.keys(rounds[0] ?? {})) {
  const values = rounds.map((r) => r[key]).filter((v) => typeof v === 'number');
  summary[key] = values.length
    ? { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length }
    : null;
}
/** Waits: null there means the thing never showed within --timeout. */
const TIMED = new Set([
  'ovTabs',
  'ovDone',
  'ovCharts',
  'flRows',
  'flServerDone',
  'flDone',
  'tabRows',
  'pkCardDone',
  'pkOpen',
  ...FILLS.map(([key]) => key),
  ...PACKET_FILLS.map(([key]) => key),
]);
const cell = (key, digits = 0) => {
  const s = summary[key];
  if (!s) return TIMED.has(key) && rounds.some((r) => r[key] === null) ? 'timeout' : '-';
  return s.median.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
};
const range = (key, digits = 0) => {
  const s = summary[key];
  if (!s || s.n < 2) return '';
  const f = (v) => v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${f(s.min)}-${f(s.max)}`;
};

console.log(`medians of ${rounds.length} rounds (min-max)\n`);
const loaded = phases.has('flows') || phases.has('scroll') || phases.has('server');
const loadRows = [...(phases.has('overview') ? OVERVIEW_METRICS : []), ...(loaded ? FLOWS_METRICS : [])];
if (loadRows.length > 0) {
  printTable(
    ['load', 'median', 'range'],
    loadRows.map(([key, label]) =>
      key === 'load' || key === 'after'
        ? [label, '', '']
        : key === 'flRowsEarly'
          ? [label, `${rounds.filter((r) => r[key] === 1).length} of ${rounds.length}`, '']
          : [label, cell(key, /P50|P95/.test(key) ? 1 : 0), range(key, /P50|P95/.test(key) ? 1 : 0)],
    ),
  );
  console.log('');
}
const scrollHead = (what) => [
  what,
  'frames',
  'p50 ms',
  'p95 ms',
  'max ms',
  `>${LONG_FRAME_MS} ms`,
  'long tasks',
  'longest task ms',
  'requests',
  'dup',
  'in flight',
  'slowest req ms',
];
const scrollRow = ([key, label]) => [
  label,
  cell(`${key}Frames`),
  cell(`${key}P50`, 1),
  cell(`${key}P95`, 1),
  cell(`${key}Max`),
  cell(`${key}Long`),
  cell(`${key}Tasks`),
  cell(`${key}TaskMax`),
  cell(`${key}Requests`),
  cell(`${key}Duplicates`),
  cell(`${key}InFlight`),
  cell(`${key}RequestMax`),
];
if (phases.has('scroll')) {
  printTable(scrollHead('scrolling, finished capture'), SCROLL.map(scrollRow));
  console.log('');
  printTable(
    ['rows at a new position: ms until real rows replace the placeholders', 'median', 'range'],
    FILLS.map(([key, label]) => [label, cell(key), range(key)]),
  );
  console.log('');
}
if (phases.has('server')) {
  printTable(
    ['server, asked directly by the bench, page idle (ms)', 'first call', `next ${SERVER_REPEATS}`, 'range'],
    SERVER.map(([key, label]) => [label, cell(`${key}First`), cell(key), range(key)]),
  );
  console.log('');
}
if (loaded) {
  printTable(
    ['resources', 'median', 'range'],
    RESOURCES.map(([key, label]) => [
      label,
      cell(key, key === 'serverCpuS' ? 1 : 0),
      range(key, key === 'serverCpuS' ? 1 : 0),
    ]),
  );
  console.log('');
}
if (phases.has('packets')) {
  printTable(
    ['packets', 'median', 'range'],
    PACKETS_METRICS.map(([key, label]) =>
      key === 'load'
        ? [label, '', '']
        : key === 'pkArrowVisible'
          ? [label, `${rounds.filter((r) => r[key] === 1).length} of ${rounds.length}`, '']
          : [label, cell(key, key === 'pkReachablePercent' || key === 'pkServerCpuS' ? 1 : 0), range(key)],
    ),
  );
  console.log('');
  printTable(scrollHead('scrolling the packets panel'), PACKET_SCROLL.map(scrollRow));
  console.log('');
  printTable(
    ['packet rows at a new position: ms until real rows replace the "…" placeholders', 'median', 'range'],
    PACKET_FILLS.map(([key, label]) => [label, cell(key), range(key)]),
  );
}
console.log(`\nload average after: ${machine.loadAfter.join(' ')}`);
for (const p of problems) console.log(`\nPROBLEM: ${p}`);

if (args.json) {
  const file =
    args.jsonOut ??
    path.join(
      benchDir,
      `ui-${args.capture ? path.basename(capture.path).replace(/\.[^.]*$/, '') : args.flows}-results.json`,
    );
  const out = {
    machine,
    build,
    capture,
    options: {
      phases: args.phases,
      rounds: args.rounds,
      steps: args.steps,
      wheel: args.wheel,
      wheelPx: args.wheel_px,
      viewport: VIEWPORT,
    },
    summary,
    rounds,
    problems,
  };
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${displayPath(file)}`);
}
process.exitCode = problems.length > 0 ? 1 : 0;

// ---- one round -----------------------------------------------------------------------------

/** Opens the page and stays on Overview until the card says the capture is read. */
async function overviewRound() {
  const server = await startServe();
  const { context, page } = await openPage(server);
  try {
    progress('  Overview: waiting for the card to say done');
    const done = await waitMark(page, 'cardDone');
    progress('  Overview: waiting for the charts');
    const charts = await waitMark(page, 'charts');
    const marks = await page.evaluate(() => window.__uiBench.marks);
    const origin = await page.evaluate(() => performance.timeOrigin);
    const frames = await frameStats(page, 0, done ?? (await pageNow(page)));
    return {
      ovNav: origin - server.spawnedAt,
      ovTabs: marks.tabs ?? null,
      ovDone: done,
      ovCharts: charts,
      ovFrameP50: frames.p50,
      ovFrameP95: frames.p95,
      ovFrameMax: frames.max,
      ovLong: frames.long,
    };
  } finally {
    await context.close();
    await server.stop();
  }
}

/**
 * Opens the page, goes to Flows as soon as the tab bar is there, stays while the file is read,
 * then scrolls the finished table and asks the server for pages directly.
 */
async function flowsRound() {
  const server = await startServe();
  const { context, page, requests } = await openPage(server);
  const out = {};
  try {
    await page.waitForSelector('[role=tab]', { timeout: timeoutMs });
    await page.keyboard.press('Control+2');
    progress('  Flows: waiting for the first rows');
    out.flRows = await waitMark(page, 'firstRows');
    progress('  Flows: waiting for the server to finish reading');
    // The card is not on screen now: the server says when the capture is read.
    const serverDoneWall = await server.waitDone();
    const origin = await page.evaluate(() => performance.timeOrigin);
    out.flNav = origin - server.spawnedAt;
    Object.assign(out, await loadTimeline(page));
    // The first rows had Ctrl+2 come the frame the tab bar showed: the bench's own delay out.
    out.flRowsAtTabs =
      out.flRows !== null && out.flTabs !== null && out.flCtrl2 !== null
        ? out.flTabs + (out.flRows - out.flCtrl2)
        : null;
    out.flServerDone = serverDoneWall === null ? null : serverDoneWall - origin;
    out.flRowsEarly =
      out.flRows !== null && out.flServerDone !== null && out.flRows < out.flServerDone ? 1 : 0;
    const readEnd = await pageNow(page);
    const reading = await frameStats(page, 0, readEnd);
    Object.assign(out, {
      flFrameP50: reading.p50,
      flFrameP95: reading.p95,
      flFrameMax: reading.max,
      flLong: reading.long,
    });
    Object.assign(out, prefixed('fl', requestStats(requests, 0, serverDoneWall ?? Date.now())));
    progress('  Flows: Ctrl+1, waiting for the card');
    // The card may have been on screen, done, before Ctrl+2 (a small capture): count from now.
    await page.evaluate(() => {
      delete window.__uiBench.marks.cardDone;
      delete window.__uiBench.marks.charts;
    });
    await page.keyboard.press('Control+1');
    out.flDone = await waitMark(page, 'cardDone');
    // The charts need every row (the server makes them once): wait, so Ctrl+2 finds them made.
    await waitMark(page, 'charts');

    // The finished capture's table.
    progress('  Ctrl+2 on the finished capture');
    const pressed = await pageNow(page);
    await page.keyboard.press('Control+2');
    const shown = await page.evaluate((ms) => window.__uiBench.untilRows(ms), timeoutMs);
    out.tabRows = shown === null ? null : shown - pressed;
    await settle(page, requests);
    out.total = await page.evaluate(() =>
      Number(document.querySelector('.count')?.getAttribute('data-shown')),
    );
    const rowCount = await page.evaluate(() =>
      Number(document.querySelector('[role=grid]')?.getAttribute('aria-rowcount')),
    );
    if (out.total !== capture.flows || rowCount !== capture.flows)
      problems.push(
        `the table shows ${out.total} flows (aria-rowcount ${rowCount}), the capture has ${capture.flows}`,
      );

    if (phases.has('scroll')) {
      progress('  jumps');
      Object.assign(out, await jumps(page));
      await settle(page, requests);
      // Each scroll starts from a fresh page (no rows cached in it; the server keeps its own).
      await freshTable(page, requests);
      progress('  wheel');
      Object.assign(out, await wheel(page, requests));
      await freshTable(page, requests);
      progress('  sweep');
      Object.assign(out, await sweep(page, requests));
    }
    out.pageHeapMB = await page.evaluate(() =>
      'memory' in performance ? performance.memory.usedJSHeapSize / 1e6 : null,
    );
    if (phases.has('server')) {
      progress('  asking the server');
      Object.assign(out, await askServer(server));
    }
    return out;
  } finally {
    await context.close();
    const usage = await server.stop();
    out.serverRssMB = usage.rssMB;
    out.serverCpuS = usage.cpuSeconds;
  }
}

/**
 * Where the time to the first rows goes, in ms from navigation: the page's HTML and scripts
 * (resource timing), DOMContentLoaded, the tab bar, the first flows request sent and answered.
 */
function loadTimeline(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    const scripts = resources.filter((r) => /\.js(\?|$)/.test(r.name));
    const flows = resources
      .filter((r) => r.name.endsWith('/api/flows'))
      .sort((a, b) => a.startTime - b.startTime)[0];
    return {
      flHtml: nav ? nav.responseEnd : null,
      flScripts: scripts.length ? Math.max(...scripts.map((r) => r.responseEnd)) : null,
      flDomReady: nav ? nav.domContentLoadedEventEnd : null,
      flTabs: window.__uiBench.marks.tabs ?? null,
      flCtrl2: window.__uiBench.marks.ctrl2 ?? null,
      flFirstFlowsAsked: flows ? flows.startTime : null,
      flFirstFlowsAnswered: flows ? flows.responseEnd : null,
    };
  });
}

/** Reloads the page, goes to Flows and waits until its first rows are in and nothing is asked. */
async function freshTable(page, requests) {
  await page.reload({ waitUntil: 'commit', timeout: timeoutMs });
  await page.waitForSelector('[role=tab]', { timeout: timeoutMs });
  await page.keyboard.press('Control+2');
  await page.evaluate((ms) => window.__uiBench.untilRows(ms), timeoutMs);
  await settle(page, requests);
}

/** Wheel ticks over the table, down then up, a tick every 16 ms; then waits for real rows. */
async function wheel(page, requests) {
  const box = await page.locator('.tbody').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const start = await pageNow(page);
  const wallStart = Date.now();
  const fills = {};
  for (const [name, sign] of [
    ['wheelDownFill', 1],
    ['wheelUpFill', -1],
  ]) {
    for (let k = 0; k < args.wheel; k++) {
      await page.mouse.wheel(0, sign * args.wheel_px);
      await sleep(16);
    }
    const t0 = await pageNow(page);
    const t = await page.evaluate((ms) => window.__uiBench.untilRows(ms), timeoutMs);
    fills[name] = t === null ? null : Math.max(0, t - t0);
  }
  const end = await pageNow(page);
  return {
    ...prefixed('wheel', await frameStats(page, start, end)),
    ...prefixed('wheel', await taskStats(page, [[start, end]])),
    ...prefixed('wheel', requestStats(requests, wallStart, Date.now())),
    ...fills,
  };
}

/**
 * scrollTop from top to bottom in even steps, one a frame (a fast drag of the scrollbar), wait
 * for real rows there, then back up. Frame stats cover the moving frames.
 */
async function sweep(page, requests) {
  const wallStart = Date.now();
  const r = await page.evaluate(
    async ({ steps, ms }) => {
      const b = window.__uiBench;
      const el = document.querySelector('.tbody');
      const max = el.scrollHeight - el.clientHeight;
      const out = {};
      const move = async (from, to) => {
        const start = await b.frame();
        for (let i = 1; i <= steps; i++) {
          el.scrollTop = from + ((to - from) * i) / steps;
          await b.frame();
        }
        const end = await b.frame();
        const fill = await b.untilRows(ms);
        return { start, end, fill: fill === null ? null : fill - end };
      };
      out.down = await move(0, max);
      out.up = await move(max, 0);
      return out;
    },
    { steps: args.steps, ms: timeoutMs },
  );
  const wallEnd = Date.now();
  await settle(page, requests);
  const lastAnswer = Math.max(...requests.filter((q) => q.start >= wallStart).map((q) => q.end ?? wallEnd));
  const intervals = [
    ...(await frameIntervals(page, r.down.start, r.down.end)),
    ...(await frameIntervals(page, r.up.start, r.up.end)),
  ];
  return {
    ...prefixed('sweep', summarize(intervals)),
    ...prefixed(
      'sweep',
      await taskStats(page, [
        [r.down.start, r.down.end],
        [r.up.start, r.up.end],
      ]),
    ),
    ...prefixed('sweep', requestStats(requests, wallStart, Date.now())),
    sweepBottomFill: r.down.fill,
    sweepTopFill: r.up.fill,
    sweepDrain: Math.max(0, lastAnswer - wallEnd),
  };
}

/**
 * Jumps to 10 %, 20 % ... 100 % of the table, then 95 %, 85 % ... 5 %, each time waiting for
 * real rows: runs first on the finished table, so every jump needs a page not fetched yet.
 */
async function jumps(page) {
  const times = await page.evaluate(async (ms) => {
    const b = window.__uiBench;
    const el = document.querySelector('.tbody');
    const max = el.scrollHeight - el.clientHeight;
    const out = [];
    // 20 places, each at least 5 % of the table from any other: no page is fetched twice.
    for (const percent of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 95, 85, 75, 65, 55, 45, 35, 25, 15, 5]) {
      const t0 = await b.frame();
      el.scrollTop = (max * percent) / 100;
      const t = await b.untilRows(ms);
      out.push(t === null ? null : t - t0);
    }
    return out;
  }, timeoutMs);
  const done = times.filter((t) => t !== null);
  return {
    jumpMedian: done.length === times.length ? median(done) : null,
    jumpMax: done.length === times.length ? Math.max(...done) : null,
    jumpTimes: times,
  };
}

/**
 * flows() and session() timed from here, with the page idle: each query's first call, then
 * SERVER_REPEATS more (the server may keep a result between calls).
 */
async function askServer(server) {
  const mid = Math.floor(capture.flows / 2);
  const sort = { key: 'bytes', descending: true };
  const cases = {
    apiUnsortedMid: ['flows', [{ offset: mid, limit: 200 }]],
    apiSorted0: ['flows', [{ offset: 0, limit: 200, sort }]],
    apiSortedMid: ['flows', [{ offset: mid, limit: 200, sort }]],
    apiFilter: ['flows', [{ offset: 0, limit: 200, filter: 'port:443', sort }]],
    apiSession: ['session', []],
  };
  const out = {};
  for (const [key, [method, body]] of Object.entries(cases)) {
    const times = [];
    for (let k = 0; k <= SERVER_REPEATS; k++) {
      const t0 = performance.now();
      await server.call(method, body);
      times.push(performance.now() - t0);
    }
    out[`${key}First`] = times[0];
    out[key] = median(times.slice(1));
  }
  return out;
}

// ---- the packets panel ---------------------------------------------------------------------

/**
 * A page of its own on Overview until the capture is read, then the card's Packets button: the
 * panel lists every packet of the capture (rows of PACKET_ROW_PX, pages of 200 read through the
 * packet index). Times real rows at 20 far places, measures how far the list scrolls (Chromium
 * lays out at most ~33.5 M px), then wheels and sweeps it, each on a freshly opened panel.
 */
async function packetsRound() {
  const server = await startServe();
  const { context, page, packetRequests } = await openPage(server);
  const out = {};
  try {
    progress('  Packets: waiting for the card to say done');
    out.pkCardDone = await waitMark(page, 'cardDone');
    if (out.pkCardDone === null) {
      problems.push(`packets: the card did not say done within ${args.timeout} s`);
      return out;
    }
    progress('  Packets: opening the panel');
    out.pkOpen = await openPackets(page);
    if (out.pkOpen === null) {
      problems.push(`packets: no real rows within ${args.timeout} s of opening the panel`);
      return out;
    }
    progress('  Packets: jumps');
    Object.assign(out, await packetJumps(page));
    await settle(page, packetRequests);
    progress('  Packets: how far it scrolls');
    Object.assign(out, await packetGeometry(page));
    await reopenPackets(page, packetRequests);
    progress('  Packets: wheel');
    Object.assign(out, await packetWheel(page, packetRequests));
    await reopenPackets(page, packetRequests);
    progress('  Packets: sweep');
    Object.assign(out, await packetSweep(page, packetRequests));
    return out;
  } finally {
    await context.close();
    const usage = await server.stop();
    out.pkServerRssMB = usage.rssMB;
    out.pkServerCpuS = usage.cpuSeconds;
  }
}

/** Clicks the card's Packets button; ms until real rows show, or null. */
async function openPackets(page) {
  const button = page.locator('button[aria-label^="Packets "]').first();
  await button.waitFor({ timeout: timeoutMs });
  const t0 = await pageNow(page);
  await button.click();
  await page.waitForSelector('.packet-list', { timeout: timeoutMs });
  const t = await page.evaluate((ms) => window.__uiBench.untilPackets(ms), timeoutMs);
  return t === null ? null : Math.max(0, t - t0);
}

/** Reloads the page and opens the panel again, waiting until its rows are in and it is idle. */
async function reopenPackets(page, requests) {
  await page.reload({ waitUntil: 'commit', timeout: timeoutMs });
  await waitMark(page, 'cardDone');
  await openPackets(page);
  await settle(page, requests);
}

/** 20 places of the scroll range, each until real rows: the first visit of each page there. */
async function packetJumps(page) {
  const times = await page.evaluate(async (ms) => {
    const b = window.__uiBench;
    const el = document.querySelector('.packet-list');
    const max = el.scrollHeight - el.clientHeight;
    const out = [];
    for (const percent of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 95, 85, 75, 65, 55, 45, 35, 25, 15, 5]) {
      const t0 = await b.frame();
      el.scrollTop = (max * percent) / 100;
      const t = await b.untilPackets(ms);
      out.push(t === null ? null : t - t0);
    }
    return out;
  }, timeoutMs);
  const done = times.filter((t) => t !== null);
  return {
    pkJumpMedian: done.length === times.length ? median(done) : null,
    pkJumpMax: done.length === times.length ? Math.max(...done) : null,
    pkJumpTimes: times,
  };
}

/**
 * How far the list scrolls: the height it asks for, the height Chromium lays out, the furthest
 * scrollTop and the last packet shown there; whether ArrowDown from there shows its selection.
 */
async function packetGeometry(page) {
  const g = await page.evaluate(
    async ({ ms, rowPx }) => {
      const b = window.__uiBench;
      const el = document.querySelector('.packet-list');
      const count = /([\d,]+)\s*packets?/.exec(document.querySelector('.packets header')?.textContent ?? '');
      const total = count ? Number(count[1].replace(/,/g, '')) : null;
      el.scrollTop = Number.MAX_SAFE_INTEGER;
      const maxScrollTop = el.scrollTop;
      await b.frame();
      await b.untilPackets(ms);
      const box = el.getBoundingClientRect();
      let lastShown = 0;
      let overlap = 0;
      let previousTop = -Infinity;
      for (const li of el.querySelectorAll('li')) {
        const r = li.getBoundingClientRect();
        // every row drawn, on screen or not: those past the limit are pushed back onto others
        if (r.top < previousTop + rowPx - 0.5) overlap++;
        previousTop = r.top;
        if (r.bottom <= box.top || r.top >= box.bottom) continue;
        const n = Number(/#(\d+)/.exec(li.textContent ?? '')?.[1] ?? 0);
        if (n > lastShown && r.bottom <= box.bottom + 0.5) lastShown = n;
      }
      return {
        total,
        wantPx: total === null ? null : total * rowPx,
        layoutPx: el.scrollHeight,
        maxScrollTop,
        lastShown,
        overlap,
      };
    },
    { ms: timeoutMs, rowPx: PACKET_ROW_PX },
  );
  // ArrowDown five times from the last row on screen: does the list follow the selection?
  let arrowVisible = null;
  const rows = page.locator('.packet-list li');
  const count = await rows.count();
  if (count > 0) {
    await rows.nth(count - 2 >= 0 ? count - 2 : 0).click();
    for (let k = 0; k < 5; k++) await page.keyboard.press('ArrowDown');
    arrowVisible = await page.evaluate(async () => {
      await window.__uiBench.frame();
      await window.__uiBench.frame();
      const el = document.querySelector('.packet-list');
      const li = el.querySelector('li.selected');
      if (!li) return 0;
      const box = el.getBoundingClientRect();
      const r = li.getBoundingClientRect();
      return r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 ? 1 : 0;
    });
  }
  if (g.total !== null && g.total !== capture.packets)
    problems.push(`packets: the panel says ${g.total} packets, the capture has ${capture.packets}`);
  return {
    pkTotal: g.total,
    pkWantPx: g.wantPx,
    pkLayoutPx: g.layoutPx,
    pkMaxScrollTop: g.maxScrollTop,
    pkLastShown: g.lastShown,
    pkReachablePercent: g.total ? (100 * g.lastShown) / g.total : null,
    pkBottomOverlap: g.overlap,
    pkArrowVisible: arrowVisible,
  };
}

/** Wheel ticks over the packet list, down then up, a tick every 16 ms; then real rows. */
async function packetWheel(page, requests) {
  const box = await page.locator('.packet-list').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const start = await pageNow(page);
  const wallStart = Date.now();
  const fills = {};
  for (const [name, sign] of [
    ['pkWheelDownFill', 1],
    ['pkWheelUpFill', -1],
  ]) {
    for (let k = 0; k < args.wheel; k++) {
      await page.mouse.wheel(0, sign * args.wheel_px);
      await sleep(16);
    }
    const t0 = await pageNow(page);
    const t = await page.evaluate((ms) => window.__uiBench.untilPackets(ms), timeoutMs);
    fills[name] = t === null ? null : Math.max(0, t - t0);
  }
  const end = await pageNow(page);
  return {
    ...prefixed('pkWheel', await frameStats(page, start, end)),
    ...prefixed('pkWheel', await taskStats(page, [[start, end]])),
    ...prefixed('pkWheel', requestStats(requests, wallStart, Date.now())),
    ...fills,
  };
}

/** scrollTop from top to bottom of the packet list in even steps, one a frame, and back up. */
async function packetSweep(page, requests) {
  const wallStart = Date.now();
  const r = await page.evaluate(
    async ({ steps, ms }) => {
      const b = window.__uiBench;
      const el = document.querySelector('.packet-list');
      const max = el.scrollHeight - el.clientHeight;
      const move = async (from, to) => {
        const start = await b.frame();
        for (let i = 1; i <= steps; i++) {
          el.scrollTop = from + ((to - from) * i) / steps;
          await b.frame();
        }
        const end = await b.frame();
        const fill = await b.untilPackets(ms);
        return { start, end, fill: fill === null ? null : fill - end };
      };
      const down = await move(0, max);
      const up = await move(max, 0);
      return { down, up };
    },
    { steps: args.steps, ms: timeoutMs },
  );
  const wallEnd = Date.now();
  await settle(page, requests);
  const lastAnswer = Math.max(
    wallEnd,
    ...requests.filter((q) => q.start >= wallStart).map((q) => q.end ?? wallEnd),
  );
  const intervals = [
    ...(await frameIntervals(page, r.down.start, r.down.end)),
    ...(await frameIntervals(page, r.up.start, r.up.end)),
  ];
  return {
    ...prefixed('pkSweep', summarize(intervals)),
    ...prefixed(
      'pkSweep',
      await taskStats(page, [
        [r.down.start, r.down.end],
        [r.up.start, r.up.end],
      ]),
    ),
    ...prefixed('pkSweep', requestStats(requests, wallStart, Date.now())),
    pkSweepBottomFill: r.down.fill,
    pkSweepTopFill: r.up.fill,
    pkSweepDrain: lastAnswer - wallEnd,
  };
}

// ---- the page ------------------------------------------------------------------------------

async function openPage(server) {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  await context.addInitScript(pageProbe);
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The server has no favicon; the browser asks anyway.
    if (message.type() === 'error' && !message.location().url?.endsWith('/favicon.ico'))
      problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  /** Every flows (and packets) request: when it left, when its answer was in, its offset. */
  const requests = [];
  const packetRequests = [];
  const pending = new Map();
  page.on('request', (request) => {
    const isFlows = request.url().endsWith('/api/flows');
    if (!isFlows && !request.url().endsWith('/api/packets')) return;
    const entry = { start: Date.now(), end: null, offset: null };
    try {
      const body = JSON.parse(request.postData() ?? '[]');
      // flows({ offset, ... }); packets(flowId, offset, limit)
      entry.offset = (isFlows ? body[0]?.offset : body[1]) ?? null;
    } catch {
      // not ours to judge: the server answers it
    }
    pending.set(request, entry);
    (isFlows ? requests : packetRequests).push(entry);
  });
  const finish = (request) => {
    const entry = pending.get(request);
    if (entry) entry.end = Date.now();
    pending.delete(request);
  };
  page.on('requestfinished', finish);
  page.on('requestfailed', finish);
  await page.goto(server.url, { waitUntil: 'commit', timeout: timeoutMs });
  return { context, page, requests, packetRequests };
}

/**
 * Runs in the page before its own scripts: a requestAnimationFrame loop that keeps every
 * frame's timestamp (ms since navigation start) and the first frame each milestone is on
 * screen, and long tasks. Milestones: the tab bar, a flow row with content, a capture card
 * in state done, a chart.
 */
function pageProbe() {
  const b = { frames: [], marks: {}, longTasks: [] };
  window.__uiBench = b;
  b.frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  /** Whether rows with content cover the table's visible area at its scroll position. */
  b.realRows = () => {
    const body = document.querySelector('.tbody');
    const rows = body?.querySelectorAll('[role=row]');
    if (!rows || rows.length === 0) return false;
    const first = rows[0];
    const last = rows[rows.length - 1];
    const bottom = Math.min(body.scrollTop + body.clientHeight, first.offsetParent.offsetHeight);
    if (first.offsetTop > body.scrollTop + 1 || last.offsetTop + last.offsetHeight < bottom - 1) return false;
    return body.querySelector('[role=row] > .loading') === null;
  };
  /** The frame time `ready()` first holds at the current position, or null after `ms`. */
  const until = (ready, ms) =>
    new Promise((resolve) => {
      const start = performance.now();
      const check = (t) => {
        if (ready()) resolve(t);
        else if (t - start > ms) resolve(null);
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
  b.untilRows = (ms) => until(b.realRows, ms);
  /**
   * Whether the packet list shows packets (no `…` placeholder) in every row on screen, and the
   * rows reach the list's bottom (or the last row is there).
   */
  b.realPackets = () => {
    const el = document.querySelector('.packet-list');
    if (!el) return false;
    const box = el.getBoundingClientRect();
    let seen = 0;
    let bottom = -Infinity;
    for (const li of el.querySelectorAll('li')) {
      const r = li.getBoundingClientRect();
      if (r.bottom <= box.top || r.top >= box.bottom) continue;
      if (li.querySelector('.num') === null) return false;
      seen++;
      bottom = Math.max(bottom, r.bottom);
    }
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
    return seen > 0 && (atEnd || bottom >= box.top + el.clientHeight - 1);
  };
  b.untilPackets = (ms) => until(b.realPackets, ms);
  const watch = {
    tabs: () => document.querySelector('[role=tab]') !== null,
    firstRows: () => document.querySelector('.tbody [role=row] > :not(.loading)') !== null,
    cardDone: () => document.querySelector('.card.state-done') !== null,
    charts: () => document.querySelector('figure.chart') !== null,
  };
  // When the bench's Ctrl+2 reaches the page (it presses it once it sees the tab bar).
  window.addEventListener(
    'keydown',
    (e) => {
      if (e.ctrlKey && e.key === '2' && b.marks.ctrl2 === undefined) b.marks.ctrl2 = performance.now();
    },
    true,
  );
  const tick = (t) => {
    b.frames.push(t);
    for (const name in watch) if (b.marks[name] === undefined && watch[name]()) b.marks[name] = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no long task timing in this browser: frames still tell
  }
}

/** Waits for a milestone; its frame time in ms since navigation start, or null on timeout. */
async function waitMark(page, name) {
  try {
    await page.waitForFunction((n) => window.__uiBench.marks[n] !== undefined, name, {
      timeout: timeoutMs,
      polling: 50,
    });
  } catch {
    return null;
  }
  return page.evaluate((n) => window.__uiBench.marks[n], name);
}

function pageNow(page) {
  return page.evaluate(() => performance.now());
}

/** Frame intervals (ms) of frames between two page times. */
function frameIntervals(page, from, to) {
  return page.evaluate(
    ([a, z]) => {
      const f = window.__uiBench.frames;
      const out = [];
      for (let i = 1; i < f.length; i++) if (f[i] > a && f[i] <= z) out.push(f[i] - f[i - 1]);
      return out;
    },
    [from, to],
  );
}

async function frameStats(page, from, to) {
  return summarize(await frameIntervals(page, from, to));
}

/**
 * The page's long tasks (main-thread work over 50 ms, the Long Tasks API) that started in the
 * given page-time windows: how many and the longest. A long frame with no long task was not the
 * page's JavaScript (rendering, or the machine busy elsewhere).
 */
async function taskStats(page, windows) {
  const tasks = await page.evaluate(
    (w) => window.__uiBench.longTasks.filter(([start]) => w.some(([a, z]) => start >= a && start <= z)),
    windows,
  );
  return { tasks: tasks.length, taskMax: tasks.length ? Math.max(...tasks.map(([, d]) => d)) : 0 };
}

function summarize(intervals) {
  if (intervals.length === 0) return { frames: 0, p50: null, p95: null, max: null, long: null };
  const s = [...intervals].sort((x, y) => x - y);
  return {
    frames: s.length,
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    max: s[s.length - 1],
    long: s.filter((v) => v > LONG_FRAME_MS).length,
  };
}

/** flows requests that left between two wall times: count, repeats, most at once, slowest. */
function requestStats(requests, from, to) {
  const mine = requests.filter((r) => r.start >= from && r.start <= to);
  const offsets = new Map();
  for (const r of mine) offsets.set(r.offset, (offsets.get(r.offset) ?? 0) + 1);
  let inFlight = 0;
  const edges = mine.flatMap((r) => [
    [r.start, 1],
    [r.end ?? to, -1],
  ]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  for (const [, d] of edges) inFlight = Math.max(inFlight, (now += d));
  return {
    requests: mine.length,
    duplicates: mine.length - offsets.size,
    inFlight,
    requestMax: mine.length ? Math.max(...mine.map((r) => (r.end ?? to) - r.start)) : null,
  };
}

/** Waits until no flows request is in flight and none started for 300 ms. */
async function settle(page, requests) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = Math.max(0, ...requests.map((r) => r.end ?? Infinity));
    if (last !== Infinity && Date.now() - last > 300 && requests.every((r) => r.end !== null)) return;
    if (Date.now() > deadline) return;
    await sleep(50);
  }
}

// ---- the server ----------------------------------------------------------------------------

/** `podpath serve <capture> --port <free>`; resolves with the URL it prints. */
async function startServe() {
  const port = await freePort();
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, ['bin/podpath.js', 'serve', capture.path, '--port', String(port)], {
    cwd: app,
    env: serverEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`podpath serve printed no URL in ${args.timeout} s`)),
      timeoutMs,
    );
    child.stdout.on('data', (d) => {
      text += d;
      const m = /podpath serving on (http:\/\/\S+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then((code) => reject(new Error(`podpath serve exited (${code}): ${stderr.trim()}`)));
  });
  const token = new URL(url).searchParams.get('token');
  const base = new URL(url).origin;
  const call = async (method, body) => {
    const response = await fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const reply = await response.json();
    if (!reply.ok) throw new Error(`${method}: ${reply.error}`);
    return reply.value;
  };
  return {
    url,
    call,
    spawnedAt,
    /** The wall time (ms) the server first said every capture is read, or null on timeout. */
    async waitDone() {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const state = await call('session', []);
        if (state.captures.length > 0 && state.captures.every((c) => c.state !== 'reading')) {
          for (const c of state.captures)
            if (c.state !== 'done') problems.push(`the server says ${c.name} is ${c.state}: ${c.error}`);
          return Date.now();
        }
        await sleep(50);
      }
      return null;
    },
    /** Stops it (SIGINT, as Ctrl+C does); its peak RSS and CPU time, read just before. */
    async stop() {
      const usage = processUsage(child.pid);
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
      return usage;
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Peak RSS (VmHWM) and user+system CPU seconds of a live process, from /proc. */
function processUsage(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    // stat: the fields after the command's closing parenthesis; utime and stime are 14 and 15.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMB: hwm ? (Number(hwm[1]) * 1024) / 1e6 : null, cpuSeconds: ticks / 100 };
  } catch {
    return { rssMB: null, cpuSeconds: null };
  }
}

// ---- helpers -------------------------------------------------------------------------------

/**
 * An existing capture (--capture): its packets and flows as `podpath analyze` of the build
 * being served counts them (--summary-only when that build has it, else the whole --json).
 */
function existingCapture(file) {
  if (!fs.existsSync(file)) fail(`--capture: no file ${file}`);
  const analyze = (extra, stdout) =>
    spawnSync(process.execPath, ['bin/podpath.js', 'analyze', ...extra, '--json', file], {
      cwd: app,
      env: serverEnv,
      encoding: 'utf8',
      stdio: ['ignore', stdout, 'pipe'],
      maxBuffer: 1 << 26,
    });
  let summary;
  const short = analyze(['--summary-only'], 'pipe');
  if (short.status === 0) summary = JSON.parse(short.stdout).captures[0];
  else {
    const tmp = path.join(benchDir, `ui-capture-${process.pid}.json`);
    const fd = fs.openSync(tmp, 'w');
    const whole = analyze([], fd);
    fs.closeSync(fd);
    try {
      if (whole.status !== 0) fail(`podpath analyze ${file}: ${whole.stderr.trim()}`);
      summary = JSON.parse(fs.readFileSync(tmp, 'utf8')).captures[0];
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  return {
    path: file,
    flows: summary.flowCount,
    packets: summary.packets,
    bytes: fs.statSync(file).size,
    version: null,
  };
}

/** Copies the build (bin, dist, out/renderer, package.json) to <bench dir>/ui-build. */
function freezeBuild() {
  const dir = path.join(benchDir, 'ui-build');
  fs.rmSync(dir, { recursive: true, force: true });
  for (const p of ['bin', 'dist', 'out/renderer', 'package.json'])
    fs.cpSync(path.join(root, p), path.join(dir, p), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function buildInfo() {
  const git = (...a) => spawnSync('git', a, { cwd: args.app ?? root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const mtime = (p) => {
    try {
      return fs.statSync(path.join(app, p)).mtime.toISOString();
    } catch {
      return null;
    }
  };
  // Which build ran, when commits and builds come and go while it runs: a hash of its files.
  const hash = createHash('sha256');
  for (const dir of ['dist', 'out/renderer'])
    for (const f of fs.readdirSync(path.join(app, dir), { recursive: true }).sort()) {
      const file = path.join(app, dir, f);
      if (fs.statSync(file).isFile()) hash.update(f).update(fs.readFileSync(file));
    }
  // Another build (--app) has a commit only when it is a checkout of its own.
  const isCheckout =
    path.resolve(git('rev-parse', '--show-toplevel') || '/nonexistent') === (args.app ?? root);
  return {
    commit: (isCheckout && git('rev-parse', '--short', 'HEAD')) || 'unknown',
    buildHash: hash.digest('hex').slice(0, 12),
    dirtySrc: git('status', '--porcelain', '--', 'src') !== '',
    app: args.app ?? 'this checkout (copied to ' + displayPath(app) + ')',
    dist: mtime('dist/cli/main.js'),
    page: mtime('out/renderer/index.html'),
    threadedSession: fs.existsSync(path.join(app, 'dist/node/session-worker.js')),
    threadedCaptures: fs.existsSync(path.join(app, 'dist/node/capture-worker.js')),
  };
}

function prefixed(prefix, stats) {
  const out = {};
  for (const [k, v] of Object.entries(stats)) out[prefix + k[0].toUpperCase() + k.slice(1)] = v;
  return out;
}

function parseArgs(argv) {
  const a = {
    flows: DEFAULT_FLOWS,
    rounds: 3,
    steps: 150,
    wheel: 150,
    wheel_px: 240,
    timeout: 180,
    chromium: process.env.PODPATH_CHROMIUM ?? '/usr/bin/chromium',
    json: false,
    jsonOut: null,
    app: null,
    capture: null,
    phases: DEFAULT_PHASES,
    verbose: false,
  };
  const int = (i, name) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v < 1) fail(`${name} needs a positive whole number\n${HELP}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--flows') a.flows = int(++i, arg);
    else if (arg === '--rounds') a.rounds = int(++i, arg);
    else if (arg === '--steps') a.steps = int(++i, arg);
    else if (arg === '--wheel') a.wheel = int(++i, arg);
    else if (arg === '--wheel-px') a.wheel_px = int(++i, arg);
    else if (arg === '--timeout') a.timeout = int(++i, arg);
    else if (arg === '--chromium') a.chromium = argv[++i] ?? fail(`--chromium needs a path\n${HELP}`);
    else if (arg === '--json') a.json = true;
    else if (arg === '--json-out') {
      a.jsonOut = path.resolve(argv[++i] ?? fail(`--json-out needs a file\n${HELP}`));
      a.json = true;
    } else if (arg === '--capture')
      a.capture = path.resolve(argv[++i] ?? fail(`--capture needs a capture file\n${HELP}`));
    else if (arg === '--phases') {
      a.phases = (argv[++i] ?? '').split(',').filter((x) => x !== '');
      for (const phase of a.phases)
        if (!PHASES.includes(phase)) fail(`--phases: no phase ${phase} (${PHASES.join(', ')})\n${HELP}`);
      if (a.phases.length === 0) fail(`--phases needs at least one phase\n${HELP}`);
    } else if (arg === '--verbose') a.verbose = true;
    else if (arg === '--app') a.app = path.resolve(argv[++i] ?? fail(`--app needs a folder\n${HELP}`));
    else if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      process.exit(0);
    } else fail(`unknown option ${arg}\n${HELP}`);
  }
  return a;
}

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // no /proc (not Linux): fall back to what os reports
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function displayPath(p) {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

function fmtInt(n) {
  return n.toLocaleString('en');
}

function printTable(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(line(head.map((_, i) => '-'.repeat(widths[i]))));
  for (const r of body) console.log(line(r));
}

function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else if (args.verbose && text) process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${text}\n`);
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}
