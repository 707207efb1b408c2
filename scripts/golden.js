#!/usr/bin/env node
// Writes tshark's per-packet decode of every test capture as a golden JSON file,
// so podpath's decoders can be compared with Wireshark field by field.
//
//   node scripts/golden.js                 all fixtures and the public corpus
//   node scripts/golden.js FILE|DIR ...    only these (directories are walked)
//
// Fixtures under test/fixtures/ get <capture>.golden.json next to them; files of
// ../shared/captures/public/ get test/golden/public/<name>.golden.json.
// Output depends only on the capture bytes and the tshark version.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCHEMA = 'podpath.golden/v1';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES_DIR = join(ROOT, 'test', 'fixtures');
const PUBLIC_DIR = resolve(ROOT, '..', 'shared', 'captures', 'public');
const PUBLIC_GOLDEN_DIR = join(ROOT, 'test', 'golden', 'public');
const GOLDEN_SUFFIX = '.golden.json';
const FIXTURE_EXTENSIONS = ['.pcap', '.pcapng', '.cap', '.gz'];
const TEXT_EXTENSIONS = ['.txt', '.out', '.md'];
const TSHARK_TIMEOUT_MS = 120_000;

// Decode options. No reassembly, so every field belongs to the packet it is
// reported for; Flannel's 8472 and Weave's 6784 decode as VXLAN like 4789 does.
// prettier-ignore
const DECODE_ARGS = [
  '-n',
  '-d', 'udp.port==8472,vxlan',
  '-d', 'udp.port==6784,vxlan',
  '-o', 'tcp.desegment_tcp_streams:FALSE',
  '-o', 'ip.defragment:FALSE',
  '-o', 'ipv6.defragment:FALSE',
  '-o', 'udp.try_heuristic_first:FALSE',
];

// prettier-ignore
const FIELDS = [
  'frame.number', 'frame.len', 'frame.cap_len', 'frame.time_epoch', 'frame.interface_id',
  'ip.src', 'ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
  'vxlan.vni', 'geneve.vni', 'dns.id', 'dns.qry.name', 'icmp.type', 'icmpv6.type',
  'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', '_ws.col.Protocol',
];

// pcap (both byte orders; micro, nano, and Kuznetzov's modified format), pcapng, gzip.
const CAPTURE_MAGICS = ['a1b2c3d4', 'd4c3b2a1', 'a1b23c4d', '4d3cb2a1', 'a1b2cd34', '34cdb2a1', '0a0d0d0a'];
const GZIP_MAGIC = '1f8b';

function fail(message) {
  process.stderr.write(`golden: ${message}\n`);
  process.exit(1);
}

function tsharkVersion() {
  const result = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (result.error) {
    const hint =
      result.error.code === 'ENOENT'
        ? 'tshark not found on PATH (Debian: apt-get install tshark)'
        : result.error.message;
    fail(hint);
  }
  const first = result.stdout.split('\n')[0];
  const match = /\b(\d+\.\d+\.\d+)\b/.exec(first);
  if (!match) fail(`cannot read the version from "${first}"`);
  return `tshark ${match[1]}`;
}

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => compare(a.name, b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isFixtureCapture(path) {
  const name = basename(path);
  return !name.endsWith(GOLDEN_SUFFIX) && FIXTURE_EXTENSIONS.includes(extname(name).toLowerCase());
}

function headHex(bytes, n) {
  return Buffer.from(bytes.subarray(0, n)).toString('hex');
}

// The public directory mixes captures with tcpdump/ptcpdump expected-output text.
// A known magic means capture. With none, binary content still means capture:
// bad-pcapng-block-cut-no-shb.bin is a bare EPB that tshark should reject.
function isPublicCapture(path) {
  const bytes = readFileSync(path);
  if (CAPTURE_MAGICS.includes(headHex(bytes, 4)) || headHex(bytes, 2) === GZIP_MAGIC) return true;
  if (TEXT_EXTENSIONS.includes(extname(path).toLowerCase())) return false;
  return bytes.some((b) => b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f);
}

function goldenPathFor(capture) {
  if (dirname(capture) === PUBLIC_DIR) return join(PUBLIC_GOLDEN_DIR, basename(capture) + GOLDEN_SUFFIX);
  return capture + GOLDEN_SUFFIX;
}

function collectDefault() {
  const captures = walk(FIXTURES_DIR).filter(isFixtureCapture);
  let publicCount = 0;
  try {
    for (const path of walk(PUBLIC_DIR)) {
      if (dirname(path) === PUBLIC_DIR && isPublicCapture(path)) {
        captures.push(path);
        publicCount++;
      }
    }
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    process.stderr.write(`golden: ${relative(ROOT, PUBLIC_DIR)} not found, public corpus skipped\n`);
  }
  return { captures, publicCount };
}

function collectFromArgs(args) {
  const captures = [];
  for (const arg of args) {
    const path = resolve(arg);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      fail(`no such file or directory: ${arg}`);
    }
    if (stat.isDirectory()) {
      const filter = path === PUBLIC_DIR ? isPublicCapture : isFixtureCapture;
      captures.push(
        ...walk(path).filter((p) => (path === PUBLIC_DIR ? dirname(p) === PUBLIC_DIR : true) && filter(p)),
      );
    } else {
      captures.push(path);
    }
  }
  return captures;
}

// tshark reads personal preferences (decode-as entries, disabled protocols)
// from its config directory; an empty one keeps the goldens machine-independent.
const CONFIG_DIR = mkdtempSync(join(tmpdir(), 'podpath-golden-'));
process.on('exit', () => rmSync(CONFIG_DIR, { recursive: true, force: true }));

function runTshark(capture) {
  // Run in the capture's directory with its base name, so error messages
  // name the file, not this machine's path to it.
  const args = ['-r', basename(capture), ...DECODE_ARGS, '-T', 'json', ...FIELDS.flatMap((f) => ['-e', f])];
  return new Promise((resolvePromise) => {
    const child = spawn('tshark', args, {
      cwd: dirname(capture),
      env: { ...process.env, WIRESHARK_CONFIG_DIR: CONFIG_DIR, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TSHARK_TIMEOUT_MS,
    });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', (error) =>
      resolvePromise({ stdout: '', stderr: error.message, code: -1, signal: null }),
    );
    child.on('close', (code, signal) =>
      resolvePromise({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        code,
        signal,
      }),
    );
  });
}

// "Running as user root" is advice, not an error about the file.
function cleanStderr(text) {
  return text
    .split('\n')
    .filter((line) => !/^Running as user ".*" and group ".*"\. This could be dangerous\.$/.test(line.trim()))
    .join('\n')
    .trim();
}

// Complete packet objects from tshark's JSON array; tolerates output cut
// anywhere (tshark stops mid-array when it meets a damaged record).
function parsePackets(text) {
  if (text.trim() === '') return { packets: [], isCut: false };
  try {
    const value = JSON.parse(text);
    if (Array.isArray(value)) return { packets: value, isCut: false };
  } catch {
    // fall through to the scanner
  }
  const packets = [];
  let depth = 0;
  let isInString = false;
  let isEscaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (isInString) {
      if (isEscaped) isEscaped = false;
      else if (c === '\\') isEscaped = true;
      else if (c === '"') isInString = false;
      continue;
    }
    if (c === '"') isInString = true;
    else if (c === '{' || c === '[') {
      if (c === '{' && depth === 1) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (c === '}' && depth === 1 && start >= 0) {
        try {
          packets.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          // an object that does not parse is dropped like a cut one
        }
        start = -1;
      }
    }
  }
  return { packets, isCut: true };
}

// tshark prints integers in their display base: "17", "0x1234" (dns.id),
// "0x00000a" (geneve.vni).
function toNumber(text, field, notes) {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  notes.push(`${field} "${text}" is not a number`);
  return text;
}

function numbers(layers, field, notes) {
  return (layers[field] ?? []).map((v) => toNumber(v, field, notes));
}

// [src, dst] per occurrence; a side tshark did not report is null.
function pairs(layers, srcField, dstField, notes, toValue = (v) => v) {
  const src = layers[srcField] ?? [];
  const dst = layers[dstField] ?? [];
  if (src.length !== dst.length) notes.push(`${srcField} x${src.length}, ${dstField} x${dst.length}`);
  const out = [];
  for (let i = 0; i < Math.max(src.length, dst.length); i++) {
    out.push([i < src.length ? toValue(src[i]) : null, i < dst.length ? toValue(dst[i]) : null]);
  }
  return out;
}

function single(layers, field, notes, convert) {
  const values = layers[field] ?? [];
  if (values.length > 1) notes.push(`${field} x${values.length}`);
  return values.length === 0 ? null : convert(values[0]);
}

function toPacket(object) {
  const layers = object?._source?.layers ?? {};
  const notes = [];
  const num = (v, field) => toNumber(v, field, notes);
  const packet = {
    n: single(layers, 'frame.number', notes, (v) => num(v, 'frame.number')),
    len: single(layers, 'frame.len', notes, (v) => num(v, 'frame.len')),
    caplen: single(layers, 'frame.cap_len', notes, (v) => num(v, 'frame.cap_len')),
    time: single(layers, 'frame.time_epoch', notes, (v) => v),
    // pcap files have no interface id field in tshark 4.0; pcapng ones do
    interface: single(layers, 'frame.interface_id', notes, (v) => num(v, 'frame.interface_id')),
    ip: pairs(layers, 'ip.src', 'ip.dst', notes),
    ipProto: numbers(layers, 'ip.proto', notes),
    ipv6: pairs(layers, 'ipv6.src', 'ipv6.dst', notes),
    tcp: pairs(layers, 'tcp.srcport', 'tcp.dstport', notes, (v) => num(v, 'tcp port')),
    udp: pairs(layers, 'udp.srcport', 'udp.dstport', notes, (v) => num(v, 'udp port')),
    vxlanVni: numbers(layers, 'vxlan.vni', notes),
    geneveVni: numbers(layers, 'geneve.vni', notes),
    dnsId: numbers(layers, 'dns.id', notes),
    dnsQueryName: layers['dns.qry.name'] ?? [],
    icmpType: numbers(layers, 'icmp.type', notes),
    icmpv6Type: numbers(layers, 'icmpv6.type', notes),
    arp: pairs(layers, 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', notes),
    protocolColumn: single(layers, '_ws.col.Protocol', notes, (v) => v),
  };
  if (notes.length > 0) packet.note = notes.join('; ');
  return packet;
}

// Pretty at the top, one packet per line, so a diff shows which packets changed.
function formatGolden(golden) {
  const { packets, ...head } = golden;
  const headLines = Object.entries(head).map(
    ([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},`,
  );
  const body =
    packets.length === 0 ? '[]' : `[\n${packets.map((p) => `    ${JSON.stringify(p)}`).join(',\n')}\n  ]`;
  return `{\n${headLines.join('\n')}\n  "packets": ${body}\n}\n`;
}

async function makeGolden(capture, generator) {
  const bytes = readFileSync(capture);
  const run = await runTshark(capture);
  const { packets, isCut } = parsePackets(run.stdout);
  const errors = [];
  const stderr = cleanStderr(run.stderr);
  if (stderr) errors.push(stderr);
  if (run.signal) errors.push(`tshark killed by ${run.signal}`);
  else if (run.code !== 0 && !stderr) errors.push(`tshark exited with code ${run.code}`);
  if (isCut) errors.push(`(stdout JSON was cut; kept ${packets.length} complete packets)`);
  const golden = {
    schema: SCHEMA,
    generator,
    args: DECODE_ARGS,
    file: basename(capture),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    tsharkError: errors.length > 0 ? errors.join('\n') : null,
    packets: packets.map(toPacket),
  };
  const out = goldenPathFor(capture);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, formatGolden(golden));
  return { out, golden };
}

function displayPath(path) {
  const fromRoot = relative(ROOT, path);
  return fromRoot.startsWith('..' + sep) && path.startsWith(PUBLIC_DIR)
    ? `public/${basename(path)}`
    : fromRoot;
}

async function main() {
  const generator = tsharkVersion();
  const args = process.argv.slice(2);
  const captures = args.length > 0 ? collectFromArgs(args) : collectDefault().captures;
  if (captures.length === 0) fail('no capture files found');

  // A small pool: tshark start-up dominates on these tiny files.
  const results = new Array(captures.length);
  let next = 0;
  const worker = async () => {
    while (next < captures.length) {
      const i = next++;
      results[i] = await makeGolden(captures[i], generator);
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), 8) }, worker));

  let errorCount = 0;
  let totalBytes = 0;
  for (let i = 0; i < captures.length; i++) {
    const { out, golden } = results[i];
    totalBytes += statSync(out).size;
    const count = `${golden.packets.length} packet${golden.packets.length === 1 ? '' : 's'}`;
    const notes = golden.packets.filter((p) => p.note).length;
    let line = `${displayPath(captures[i])}: ${count}`;
    if (notes > 0) line += `, ${notes} with notes`;
    if (golden.tsharkError) {
      errorCount++;
      line += `, tshark error: ${golden.tsharkError.replace(/\s*\n\s*/g, ' ')}`;
    }
    process.stdout.write(line + '\n');
  }
  process.stdout.write(
    `${captures.length} goldens written (${totalBytes} bytes), ${errorCount} with tshark errors, ${generator}\n`,
  );
}

await main();
