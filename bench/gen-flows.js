#!/usr/bin/env node
// Generates the UI benchmark's capture (bench/ui.js): many short flows, so the app's Flows table
// has hundreds of thousands of rows. Plain TCP and UDP between 11,000 pod addresses
// (10.244.<node>.2-221 on 50 nodes), as a node's interface shows them with direct routing (no
// overlay). Every flow has its own 5-tuple: each client pod uses its own band of ephemeral
// ports. TCP: handshake, one or two request/response rounds, FIN teardown (2 % refused with a
// RST); UDP: 1 to 4 datagrams. gen.js writes the packets (its writeCapture), so the bytes are
// the same kind as the 1 GB capture's: valid IPv4 checksums, TCP timestamps, TCP/UDP checksum 0.
//
// Deterministic (mulberry32, fixed seed). Cached beside gen.js's capture as ui-flows-<N>.pcap
// with a sidecar ui-flows-<N>.json; rebuilt only when a file is missing, its size disagrees or
// the generator version or seed changed.
//
//   node bench/gen-flows.js [--flows N] [--force]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACK, benchDir, entry, FIN, frameLength, K_TCP, K_UDP, PSH, RST, SYN, writeCapture } from './gen.js';
import { ip, mulberry32 } from './random.js';

/** Bump whenever the bytes produced change, so cached captures are rebuilt. */
export const GENERATOR_VERSION = 1;
export const SEED = 0x7569_0001;
export const DEFAULT_FLOWS = 200_000;

const NODES = 50;
const PODS_PER_NODE = 220;
const PODS = NODES * PODS_PER_NODE;
const TCP_SHARE = 0.7;
const TCP_PORTS = [80, 8080, 443, 5432, 6379, 9090, 3306, 8443, 50051, 9200];
// Not 53 (it would be decoded as DNS) nor a VXLAN or Geneve port.
const UDP_PORTS = [8125, 514, 9995, 6343, 4739, 123];
const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_COUNT = 28232; // 32768-60999, Linux's ip_local_port_range

export const flowCapturePath = (flows) => path.join(benchDir, `ui-flows-${flows}.pcap`);
export const flowSidecarPath = (flows) => path.join(benchDir, `ui-flows-${flows}.json`);

function buildFlows(count) {
  if (!Number.isInteger(count) || count < 1) throw new Error(`--flows needs a positive whole number`);
  const portsPerClient = Math.ceil(count / PODS);
  if (portsPerClient > EPHEMERAL_COUNT) throw new Error(`at most ${PODS * EPHEMERAL_COUNT} flows`);
  const rng = mulberry32(SEED);
  const int = (n) => (rng() * n) | 0;
  const pick = (arr) => arr[int(arr.length)];
  const nodeMacs = [];
  for (let n = 0; n < NODES; n++) nodeMacs.push({ hi: 0x5254, lo: int(0x1000000) >>> 0 });
  // A band of ephemeral ports per (client, round): two flows never share a 5-tuple.
  const band = Math.floor(EPHEMERAL_COUNT / portsPerClient);

  const flows = [];
  const flowsByKind = { tcp: 0, udp: 0 };
  const packetsByKind = { tcp: 0, udp: 0 };
  let totalPackets = 0;
  let totalFrameBytes = 0;
  const script = [];
  for (let i = 0; i < count; i++) {
    const client = i % PODS;
    const cNode = (client / PODS_PER_NODE) | 0;
    let sNode;
    do sNode = int(NODES);
    while (sNode === cNode);
    const kind = rng() < TCP_SHARE ? K_TCP : K_UDP;
    const f = {
      kind,
      script: null,
      i: 0,
      cIp: ip(10, 244, cNode, 2 + (client % PODS_PER_NODE)),
      sIp: ip(10, 244, sNode, 2 + int(PODS_PER_NODE)),
      cPort: EPHEMERAL_FIRST + Math.floor(i / PODS) * band + int(band),
      sPort: pick(kind === K_TCP ? TCP_PORTS : UDP_PORTS),
      cMac: nodeMacs[cNode],
      sMac: nodeMacs[sNode],
      seqC: int(0x100000000) >>> 0,
      seqS: int(0x100000000) >>> 0,
      tsC: int(0x100000000) >>> 0,
      tsS: int(0x100000000) >>> 0,
      winC: 500 + int(1500),
      winS: 500 + int(1500),
      idC: int(65536),
      idS: int(65536),
    };
    script.length = 0;
    if (kind === K_TCP) {
      script.push(entry(0, SYN, 0));
      if (rng() < 0.02) script.push(entry(1, RST | ACK, 0));
      else {
        script.push(entry(1, SYN | ACK, 0), entry(0, ACK, 0));
        const rounds = rng() < 0.7 ? 1 : 2;
        for (let r = 0; r < rounds; r++)
          script.push(entry(0, PSH | ACK, 60 + int(540)), entry(1, PSH | ACK, 100 + int(1284)));
        script.push(entry(0, FIN | ACK, 0), entry(1, FIN | ACK, 0), entry(0, ACK, 0));
      }
    } else {
      const n = 1 + int(4);
      const size = 40 + int(460);
      for (let k = 0; k < n; k++) script.push(entry(k > 0 && rng() < 0.3 ? 1 : 0, 0, size));
    }
    f.script = Int32Array.from(script);
    for (const e of f.script) totalFrameBytes += frameLength(kind, e);
    const name = kind === K_TCP ? 'tcp' : 'udp';
    flowsByKind[name]++;
    packetsByKind[name] += f.script.length;
    totalPackets += f.script.length;
    flows.push(f);
  }
  return { flows, rng, totalPackets, totalFrameBytes, flowsByKind, packetsByKind };
}

/** The sidecar if the cached capture of `flows` flows is current, else null. */
export function cachedFlowCapture(flows = DEFAULT_FLOWS) {
  try {
    const meta = JSON.parse(fs.readFileSync(flowSidecarPath(flows), 'utf8'));
    if (meta.version !== GENERATOR_VERSION || meta.seed !== SEED || meta.flows !== flows) return null;
    if (fs.statSync(flowCapturePath(flows)).size !== meta.bytes) return null;
    return meta;
  } catch {
    return null;
  }
}

/** Returns the sidecar (with `path`), generating the capture first when it is missing or stale. */
export function ensureFlowCapture({ flows = DEFAULT_FLOWS, force = false, log = console.log } = {}) {
  const file = flowCapturePath(flows);
  const cached = force ? null : cachedFlowCapture(flows);
  if (cached) return { path: file, ...cached };
  fs.mkdirSync(benchDir, { recursive: true });
  const t0 = process.hrtime.bigint();
  const plan = buildFlows(flows);
  const expectedBytes = 24 + 16 * plan.totalPackets + plan.totalFrameBytes;
  const free = fs.statfsSync(benchDir);
  if (free.bavail * free.bsize < expectedBytes + 256e6)
    throw new Error(`not enough disk in ${benchDir} for ${(expectedBytes / 1e9).toFixed(2)} GB`);
  fs.rmSync(flowSidecarPath(flows), { force: true });
  const tmp = file + '.tmp';
  const written = writeCapture(tmp, plan);
  if (written.fileBytes !== expectedBytes || written.packets !== plan.totalPackets)
    throw new Error(
      `wrote ${written.packets} packets / ${written.fileBytes} B, planned ${plan.totalPackets} / ${expectedBytes}`,
    );
  fs.renameSync(tmp, file);
  const meta = {
    version: GENERATOR_VERSION,
    seed: SEED,
    file: path.basename(file),
    flows,
    packets: plan.totalPackets,
    bytes: written.fileBytes,
    flowsByKind: plan.flowsByKind,
    packetsByKind: plan.packetsByKind,
    pods: Math.min(flows, PODS),
    durationSeconds: Math.round(written.lastTsUs / 1e3) / 1e3,
    generateSeconds: Math.round((Number(process.hrtime.bigint() - t0) / 1e9) * 10) / 10,
  };
  fs.writeFileSync(flowSidecarPath(flows), JSON.stringify(meta, null, 2) + '\n');
  log(
    `bench: generated ${file}: ${meta.flows.toLocaleString('en')} flows, ` +
      `${meta.packets.toLocaleString('en')} packets, ${(meta.bytes / 1e6).toFixed(0)} MB, in ${meta.generateSeconds} s`,
  );
  return { path: file, ...meta };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--flows');
  const flows = at >= 0 ? Number(argv[at + 1]) : DEFAULT_FLOWS;
  console.log(JSON.stringify(ensureFlowCapture({ flows, force: argv.includes('--force') }), null, 2));
}
