// What the whole-process benchmarks (run.js, scale.js) share: running a child under GNU time
// for its wall time, peak RSS and CPU time, the checks of tshark's and podpath's outputs, the
// machine, and the table. Not a benchmark itself.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.dirname(here);
export const TIME = '/usr/bin/time';
export const hasTime = fs.existsSync(TIME);
export const MB = 1e6;

/**
 * The children's environment: NODE_EXTRA_CA_CERTS removed unless `keepEnv` (Node 20 parses
 * that file at startup, ~70 ms a run here, for programs that never open a TLS socket).
 */
export function childEnvironment({ keepEnv = false, extra = {} } = {}) {
  const env = { ...process.env, ...extra };
  const removed = [];
  if (!keepEnv && env.NODE_EXTRA_CA_CERTS !== undefined) {
    delete env.NODE_EXTRA_CA_CERTS;
    removed.push('NODE_EXTRA_CA_CERTS');
  }
  return { env, removed };
}

/**
 * A function that runs one child under GNU time (`time -v`) for its peak RSS ("Maximum
 * resident set size", KiB) and user and system CPU seconds. Wall time is taken here around
 * spawnSync, which time's 10 ms resolution would blur. `stdout`: 'pipe' (default), 'null' or
 * an open fd.
 */
export function makeRunner(env) {
  return function run(cmd, stdout = 'pipe') {
    const timeFile = path.join(os.tmpdir(), `podpath-bench-${process.pid}.time`);
    const argv = hasTime ? [TIME, '-v', '-o', timeFile, ...cmd] : cmd;
    let devNull = null;
    if (stdout === 'null') stdout = devNull = fs.openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), {
      cwd: root,
      env,
      stdio: ['ignore', stdout, 'pipe'],
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (devNull !== null) fs.closeSync(devNull);
    if (r.error) fail(`cannot run ${cmd.join(' ')}: ${r.error.message}`);
    let peakRssMB = null;
    let userSeconds = null;
    let systemSeconds = null;
    if (hasTime) {
      const text = fs.readFileSync(timeFile, 'utf8');
      const field = (name) => {
        const m = new RegExp(`^\\s*${name}: ([\\d.]+)$`, 'm').exec(text);
        return m ? Number(m[1]) : null;
      };
      const kib = field('Maximum resident set size \\(kbytes\\)');
      if (kib !== null) peakRssMB = (kib * 1024) / MB;
      userSeconds = field('User time \\(seconds\\)');
      systemSeconds = field('System time \\(seconds\\)');
      fs.rmSync(timeFile, { force: true });
    }
    return {
      status: r.status,
      signal: r.signal,
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      wallSeconds,
      peakRssMB,
      userSeconds,
      systemSeconds,
    };
  };
}

/**
 * One untimed run of c.cmd with stdout to a file in `dir`, parsed as JSON and given to
 * `check`, which returns a problem or null. A run that c.unavailableWhen recognises makes the
 * row unavailable (c.unavailable); a failure sets c.failure, success c.note = note.
 */
export function verifyOnce(c, check, note, { run, dir }) {
  const file = path.join(dir, `${c.id}-verify.json`);
  const fd = fs.openSync(file, 'w');
  let r;
  try {
    r = run(c.cmd, fd);
  } finally {
    fs.closeSync(fd);
  }
  let out;
  try {
    if (r.status !== 0) {
      const reason = c.unavailableWhen?.(r);
      if (reason) c.unavailable = reason;
      else c.failure = `verification run: exit ${r.status ?? r.signal}: ${lastLine(r.stderr)}`;
      return;
    }
    out = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    c.failure = `verification run: output is not JSON (${err.message})`;
    return;
  } finally {
    fs.rmSync(file, { force: true });
  }
  const problem = check(out);
  if (problem) c.failure = `verification run: ${problem}`;
  else c.note = note;
}

/**
 * tshark prints no packet count, but its conversation table does: the Total Frames of every
 * TCP conversation must add up to the capture's TCP segments. `meta`: a generator's sidecar
 * with tcpConversations and tcpPackets. Returns a problem or null.
 */
export function checkTsharkConv(stdout, meta) {
  let conversations = 0;
  let frames = 0;
  const row = /<->\s+\S+\s+(\d+)\s+[\d,.]+\s+\S+\s+(\d+)\s+[\d,.]+\s+\S+\s+(\d+)\s/;
  for (const line of stdout.split('\n')) {
    const m = row.exec(line);
    if (!m) continue;
    conversations++;
    frames += Number(m[3]);
  }
  if (conversations !== meta.tcpConversations || frames !== meta.tcpPackets)
    return `conv table has ${conversations} conversations / ${frames} frames, capture has ${meta.tcpConversations} / ${meta.tcpPackets}`;
  return null;
}

/** out[key][i].packets must be files[i].packets (gen-trace.js's sidecar `files`). */
export function checkCapturePackets(out, key, files) {
  const captures = out?.[key];
  if (!Array.isArray(captures) || captures.length !== files.length)
    return `${key} has ${Array.isArray(captures) ? captures.length : 'no'} entries, expected ${files.length}`;
  for (let i = 0; i < files.length; i++)
    if (captures[i]?.packets !== files[i].packets)
      return `${key}[${i}].packets is ${captures[i]?.packets}, ${files[i].file} has ${files[i].packets}`;
  return null;
}

/**
 * podpath.trace/v1 of gen-trace.js's four captures (`trace`: its sidecar): about every TCP
 * connection and DNS lookup paired up across the captures (ICMP sessions may count too), each
 * capture read whole, and node2's 2.5 ms clock lead found.
 */
export function checkTrace(out, trace) {
  if (out?.schema !== 'podpath.trace/v1')
    return `schema is ${JSON.stringify(out?.schema)}, not podpath.trace/v1`;
  if (!Array.isArray(out.connections)) return 'no connections array';
  const want = trace.tcpUdpConnections;
  const tolerance = Math.max(10, Math.ceil(want * 0.005));
  if (out.connections.length < want - tolerance)
    return `${out.connections.length} connections, the captures hold ${want} TCP and UDP ones (tolerance ${tolerance})`;
  const offsets = out.clockOffsets ?? {};
  for (const f of trace.files) {
    if (f.clockOffsetSeconds === 0) continue; // the reference and its node's own underlay
    // keyed by capture name; accept the path as given too
    const key = Object.keys(offsets).find((k) => k === f.file || path.basename(k) === f.file);
    const got = key === undefined ? undefined : offsets[key];
    if (typeof got !== 'number' || Math.abs(got - f.clockOffsetSeconds) > 0.0005)
      return `clockOffsets of ${f.file} is ${got}, expected ${f.clockOffsetSeconds} s within 0.5 ms`;
  }
  return Array.isArray(out.captures) ? checkCapturePackets(out, 'captures', trace.files) : null;
}

/** The trace rows' unavailability: until the trace command lands, the CLI refuses it. */
export function traceUnavailable(r) {
  return r.status === 2 && r.stderr.includes("unknown command 'trace'")
    ? "podpath has no trace command yet (podpath: unknown command 'trace')"
    : null;
}

// ---- the machine ---------------------------------------------------------------------------

export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here, or not executable: try the next directory
    }
  }
  return null;
}

export function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // no /proc (not Linux): fall back to what os reports
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

export function tsharkVersion(tsharkPath, env) {
  const r = spawnSync(tsharkPath, ['-v'], { encoding: 'utf8', env });
  return /TShark \(Wireshark\) (\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

// ---- formatting ----------------------------------------------------------------------------

export function parseJsonLine(text) {
  const line = lastLine(text);
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

export function lastLine(text) {
  const lines = (text ?? '').trim().split('\n');
  return lines[lines.length - 1].slice(0, 300);
}

export function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function displayPath(p) {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

export function fmtInt(n) {
  return n.toLocaleString('en');
}

export function fmtPercent(x) {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
}

/** Columns padded to their widest cell; the first left-aligned, the last left as it is. */
export function printTable(head, body) {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((r) => (i === r.length - 1 ? 0 : r[i].length))),
  );
  const line = (cells) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
      )
      .join('  ');
  console.log(line(head));
  console.log(line(head.map((_, i) => (i === head.length - 1 ? '-----' : '-'.repeat(widths[i])))));
  for (const r of body) console.log(line(r));
}

export function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}

export function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}
