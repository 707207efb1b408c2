#!/usr/bin/env node
// The packet index's cost and its use (not a test; see bench/README.md): reads the 1 GB bench
// capture with the analysis alone and with the packet index built, as fresh processes in
// alternating rounds, and reports medians of wall time and peak RSS; then, in the indexed runs,
// the time to read and decode 50 rows at random through the index (the packets view opening
// at any row). Needs the built dist/ (npm run build:cli).
//
//   node bench/packet-index.js [--rounds N] [--json]
//   node bench/packet-index.js --child plain|index FILE   (one run; prints JSON)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const MB = 1e6;
const ROWS = 50;
/** Page reads timed per indexed run, each at new random rows. */
const SAMPLES = 20;

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1], argv[2]);
else await parent();

async function parent() {
  const rounds = Number(option('--rounds') ?? 3);
  const json = argv.includes('--json');
  if (!fs.existsSync(path.join(root, 'dist/node/packet-index.js'))) {
    console.error('bench: dist/ is not built (npm run build:cli)');
    process.exit(1);
  }
  const { ensureCapture, capturePath, benchDir } = await import('./gen.js');
  if (!fs.existsSync(capturePath)) console.log(`bench: generating ${capturePath} (once; ~5 s)`);
  const meta = ensureCapture();
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // parsed at startup by Node 20: not ours (see README)
  // One untimed read so every timed run reads from the page cache.
  spawnSync(process.execPath, ['bench/read-only.js', capturePath], { cwd: root, env });
  const runs = { plain: [], index: [], rows: [] };
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always runs on a warmer machine. The rows runs
    // (analysis + index, then the random reads) are timed inside and kept out of the comparison.
    const order = round % 2 === 0 ? ['plain', 'index', 'rows'] : ['index', 'plain', 'rows'];
    for (const mode of order) {
      const t0 = process.hrtime.bigint();
      const result = spawnSync(
        process.execPath,
        [path.join(here, 'packet-index.js'), '--child', mode, capturePath],
        {
          cwd: root,
          env,
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        },
      );
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (result.status !== 0) {
        console.error(result.stderr);
        throw new Error(`${mode} run failed (exit ${result.status})`);
      }
      const out = JSON.parse(result.stdout);
      if (out.packets !== meta.packets)
        throw new Error(`${mode}: ${out.packets} packets, the capture has ${meta.packets}`);
      runs[mode].push({ wallMs, ...out });
      console.log(
        `round ${round + 1} ${mode.padEnd(5)} ${sec(wallMs)} wall, ${sec(out.readCpuMs)} CPU reading, peak RSS ${mb(out.maxRssBytes)}`,
      );
    }
  }
  const rows = (key) => median(runs.rows.map((r) => r[key]));
  const summary = {
    file: capturePath,
    packets: meta.packets,
    fileBytes: meta.bytes,
    rounds,
    plain: aggregate(runs.plain),
    index: aggregate(runs.index),
    indexBytes: runs.index[0].indexBytes,
    indexBytesPerPacket: runs.index[0].indexBytes / meta.packets,
    randomRows: {
      rows: ROWS,
      samplesPerRun: SAMPLES,
      scatteredMs: rows('scatteredMs'),
      consecutiveMs: rows('consecutiveMs'),
      flowPageMs: rows('flowPageMs'),
      packetsOfMs: rows('packetsOfMs'),
      firstPageMs: rows('firstPageMs'),
    },
  };
  const p = summary.plain;
  const x = summary.index;
  const r = summary.randomRows;
  const percent = (a, b) => `${sign(((a - b) / b) * 100)} %`;
  console.log(`
${meta.packets.toLocaleString('en')} packets, ${mb(meta.bytes)}; medians of ${rounds} runs each (wall: min-max)
                      wall                      CPU (reading)   peak RSS
  analysis            ${sec(p.wallMs)} (${sec(p.minWallMs)}-${sec(p.maxWallMs)})   ${sec(p.readCpuMs)}          ${mb(p.maxRssBytes)}
  analysis + index    ${sec(x.wallMs)} (${sec(x.minWallMs)}-${sec(x.maxWallMs)})   ${sec(x.readCpuMs)}          ${mb(x.maxRssBytes)}
  index costs         ${percent(x.wallMs, p.wallMs).padEnd(26)}${percent(x.readCpuMs, p.readCpuMs).padEnd(16)}${sign((x.maxRssBytes - p.maxRssBytes) / MB)} MB
  the index holds ${mb(summary.indexBytes)}: ${summary.indexBytesPerPacket.toFixed(3)} bytes a packet

${ROWS} rows read and decoded through the index (median of ${SAMPLES} samples a run, then of runs):
  scattered at random          ${r.scatteredMs.toFixed(2)} ms
  consecutive from any row     ${r.consecutiveMs.toFixed(2)} ms
  a flow's first ${ROWS} rows       ${r.flowPageMs.toFixed(2)} ms (packetsOf: ${r.packetsOfMs.toFixed(2)} ms)
  the first page of a process  ${r.firstPageMs.toFixed(2)} ms (code not yet optimised)`);
  if (json) {
    const file = path.join(benchDir, 'packet-index.json');
    fs.writeFileSync(file, JSON.stringify({ summary, runs }, null, 2) + '\n');
    console.log(`\nwrote ${file}`);
  }
}

async function child(mode, file) {
  const { analyzeFile } = await import('../dist/node/analyze-file.js');
  const { analyzeFileIndexed, packetRowsAt } = await import('../dist/node/packet-index.js');
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const cpuMs = () => {
    const used = process.cpuUsage(cpu0);
    return (used.user + used.system) / 1000;
  };
  const out = {};
  if (mode === 'plain') {
    const analyzed = await analyzeFile(file);
    out.packets = analyzed.summary.packets;
    out.readMs = ms(t0);
    out.readCpuMs = cpuMs();
    out.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  } else {
    const indexed = await analyzeFileIndexed(file);
    out.packets = indexed.summary.packets;
    out.readMs = ms(t0);
    out.readCpuMs = cpuMs();
    out.maxRssBytes = process.resourceUsage().maxRSS * 1024;
    out.indexBytes = indexed.packetIndex.bytes();
    if (mode === 'rows') Object.assign(out, await randomRows(file, indexed, packetRowsAt));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** Times reading and decoding ROWS rows through the index: scattered, consecutive, a flow's first. */
async function randomRows(file, indexed, packetRowsAt) {
  const index = indexed.packetIndex;
  const flows = indexed.analysis.flows;
  const options = { precisionDigits: indexed.analysis.precisionDigits(), flows };
  let seed = 0x5eed;
  const next = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = () => Math.floor(next() * index.count);
  const timed = async (numbers) => {
    const t = process.hrtime.bigint();
    const rows = await packetRowsAt(file, index, numbers, options);
    const elapsed = ms(t);
    if (
      rows.length !== numbers.length ||
      rows.some((r, i) => r.index !== numbers[i] || r.layers.length === 0)
    )
      throw new Error('the rows read are not the rows asked for');
    return elapsed;
  };
  const out = { firstPageMs: await timed(Array.from({ length: ROWS }, pick)) };
  const scattered = [];
  const consecutive = [];
  const flowPage = [];
  const packetsOf = [];
  for (let s = 0; s < SAMPLES; s++) {
    scattered.push(await timed(Array.from({ length: ROWS }, pick)));
    const from = Math.min(pick(), index.count - ROWS);
    consecutive.push(await timed(Array.from({ length: ROWS }, (_, i) => from + i)));
    // A flow of at least ROWS packets, found from a random packet.
    let flow = -1;
    while (flow < 0) {
      const f = index.flow(pick());
      if (f >= 0 && flows.packetsFrom(f, 0) + flows.packetsFrom(f, 1) >= ROWS) flow = f;
    }
    const t = process.hrtime.bigint();
    const numbers = index.packetsOf(flow, flows.packetsFrom(flow, 0) + flows.packetsFrom(flow, 1));
    packetsOf.push(ms(t));
    flowPage.push(await timed(Array.from(numbers.subarray(0, ROWS))));
  }
  out.scatteredMs = median(scattered);
  out.consecutiveMs = median(consecutive);
  out.flowPageMs = median(flowPage);
  out.packetsOfMs = median(packetsOf);
  return out;
}

function aggregate(runs) {
  const walls = runs.map((r) => r.wallMs);
  return {
    wallMs: median(walls),
    minWallMs: Math.min(...walls),
    maxWallMs: Math.max(...walls),
    readMs: median(runs.map((r) => r.readMs)),
    readCpuMs: median(runs.map((r) => r.readCpuMs)),
    maxRssBytes: median(runs.map((r) => r.maxRssBytes)),
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function sec(milliseconds) {
  return `${(milliseconds / 1000).toFixed(2)} s`;
}

function mb(bytes) {
  return `${(bytes / MB).toFixed(1)} MB`;
}

function sign(value) {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

function option(name) {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}
