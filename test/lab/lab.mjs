#!/usr/bin/env node
// The Kubernetes networking lab: builds each scenario's cluster out of network namespaces,
// drives its traffic, captures it with tcpdump at several points, and writes
//   <out>/<scenario>/*.pcap, snapshot.json, truth.json, README.md
// checking every capture's truth against tshark before writing it. Needs root.
//
//   node test/lab/lab.mjs [--out DIR] [--work DIR] [--verbose] [scenario...]
//
// `npm run lab` writes test/fixtures/lab/; `npm run test:lab` writes a temporary folder and
// runs the lab tests on it (see test-lab.mjs).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Lab, LAB } from './kit.mjs';
import { checkFlows, nameEnds, noiseCounts, TRUTH_SCHEMA, tsharkPackets } from './truth.mjs';

const ROOT = resolve(LAB, '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const out = resolve(option('out', join(ROOT, 'test/fixtures/lab')));
const verbose = args.includes('--verbose');
const keepWork = args.includes('--keep-work');
const wanted = args.filter(
  (a, i) => !a.startsWith('--') && !(i > 0 && ['--out', '--work'].includes(args[i - 1])),
);

if (process.getuid?.() !== 0) {
  console.error('lab: needs root (network namespaces, iptables, tcpdump): sudo npm run lab');
  process.exit(1);
}

/** Installs the Debian packages the lab uses when they are missing. */
function ensureTools() {
  const needed = {
    ip: 'iproute2',
    iptables: 'iptables',
    ip6tables: 'iptables',
    tcpdump: 'tcpdump',
    ethtool: 'ethtool',
    tshark: 'tshark',
    ping: 'iputils-ping',
    bridge: 'iproute2',
    conntrack: 'conntrack',
  };
  const missing = [
    ...new Set(
      Object.entries(needed)
        .filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
        .map(([, pkg]) => pkg),
    ),
  ];
  if (missing.length === 0) return;
  console.error(`lab: installing ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync(
    'sh',
    ['-c', 'echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections'],
    { stdio: 'inherit' },
  );
  for (const step of [
    ['apt-get', ['update', '-qq']],
    ['apt-get', ['install', '-y', '-qq', ...missing]],
  ]) {
    const r = spawnSync(step[0], step[1], { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(`lab: ${step[0]} ${step[1].join(' ')} failed`);
      process.exit(1);
    }
  }
}

/** Scenario modules, NN-<name>.mjs; only the wanted ones are loaded (all when none is named). */
async function loadScenarios() {
  const dir = join(LAB, 'scenarios');
  const modules = [];
  const nameOf = (file) => file.replace(/^\d+-/, '').replace(/\.mjs$/, '');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .filter((f) => wanted.length === 0 || wanted.includes(nameOf(f)))
    .sort();
  for (const file of files) {
    const m = await import(pathToFileURL(join(dir, file)).href);
    modules.push(m);
  }
  return modules;
}

/** A capture that lost packets would make a truth that is wrong in ways tshark cannot see. */
function checkNoDrops(lab) {
  for (const log of readdirSync(lab.work).filter((f) => f.startsWith('tcpdump-') && f.endsWith('.log'))) {
    const text = readFileSync(join(lab.work, log), 'utf8');
    const dropped = /(\d+) packets? dropped by kernel/.exec(text);
    if (!dropped) throw new Error(`${log}: tcpdump did not report its statistics (was it stopped cleanly?)`);
    if (Number(dropped[1]) > 0)
      throw new Error(`${log}: tcpdump reports ${dropped[1]} packets dropped by the kernel`);
  }
}

function writeScenario(scenario, lab, result) {
  checkNoDrops(lab);
  const dir = join(out, scenario.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const captures = [];
  for (const capture of result.captures) {
    const source = join(lab.work, capture.file);
    if (!existsSync(source)) throw new Error(`${scenario.name}: capture ${capture.file} was not written`);
    copyFileSync(source, join(dir, capture.file));
    const packets = tsharkPackets(join(dir, capture.file));
    const entry = { ...capture, packets: packets.length, noise: noiseCounts(packets) };
    // The configured flows must be exactly the conversations tshark finds in the file.
    checkFlows(packets, entry);
    captures.push(entry);
  }
  const truth = {
    schema: TRUTH_SCHEMA,
    scenario: scenario.name,
    description: scenario.summary,
    captures,
    translations: result.translations ?? [],
  };
  nameEnds(truth, result.snapshot);
  writeFileSync(join(dir, 'truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
  writeFileSync(join(dir, 'snapshot.json'), `${JSON.stringify(result.snapshot, null, 2)}\n`);
  writeFileSync(join(dir, 'README.md'), `${scenario.readme.trim()}\n`);
  // tshark's per-packet goldens beside the captures, as for every fixture (scripts/golden.js).
  const golden = spawnSync(process.execPath, [join(ROOT, 'scripts/golden.js'), dir], { encoding: 'utf8' });
  if (golden.status !== 0) throw new Error(`golden.js failed: ${golden.stderr}`);
  return truth;
}

async function main() {
  ensureTools();
  const scenarios = (await loadScenarios()).filter((s) => wanted.length === 0 || wanted.includes(s.name));
  if (scenarios.length === 0) throw new Error(`no scenario matches ${wanted.join(' ')}`);
  mkdirSync(out, { recursive: true });
  const workRoot = option('work') ?? mkdtempSync(join(tmpdir(), 'podpath-lab-'));
  let failed = 0;
  for (const scenario of scenarios) {
    const started = Date.now();
    const lab = new Lab({ scenario: scenario.short, work: join(workRoot, scenario.name), verbose });
    try {
      const result = await scenario.run(lab);
      lab.stopCaptures();
      const truth = writeScenario(scenario, lab, result);
      const packets = truth.captures.map((c) => `${c.file} ${c.packets}`).join(', ');
      console.log(`lab: ${scenario.name}: ${packets} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      console.error(`lab: ${scenario.name} FAILED: ${error.stack ?? error}`);
    } finally {
      lab.cleanup();
    }
  }
  if (!keepWork && option('work') === undefined) rmSync(workRoot, { recursive: true, force: true });
  console.log(`lab: wrote ${out}${failed > 0 ? `; ${failed} scenario(s) failed` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

process.on('SIGINT', () => process.exit(130));
await main();
