#!/usr/bin/env node
// Generates the benchmark capture: a deterministic, ~1 GB classic pcap of what a Kubernetes
// underlay looks like (Flannel VXLAN pod traffic, plain node/external TCP and UDP, DNS, ARP,
// ICMP). Cached in bench/.cache (or $PODPATH_BENCH_DIR) with a sidecar k8s-1g.json; it is
// rebuilt only when the file is missing, its size disagrees or GENERATOR_VERSION changed.
//
//   node bench/gen.js [--force]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmix32, ip, mulberry32, writePcapHeader } from './random.js';

/** Bump whenever the bytes produced change, so cached captures are rebuilt. */
export const GENERATOR_VERSION = 1;
export const SEED = 0x6b38_0001;

const here = path.dirname(fileURLToPath(import.meta.url));
export const benchDir = process.env.PODPATH_BENCH_DIR
  ? path.resolve(process.env.PODPATH_BENCH_DIR)
  : path.join(here, '.cache');
export const capturePath = path.join(benchDir, 'k8s-1g.pcap');
export const sidecarPath = path.join(benchDir, 'k8s-1g.json');

// Topology: 50 nodes on 192.168.10.0/24, Flannel pod CIDR 10.244.<node>.0/24, 220 pods a node.
const NODES = 50;
const PODS_PER_NODE = 220;
const FLANNEL_PORT = 8472;
const VNI = 1;
const KUBE_DNS = ip(10, 96, 0, 10);
const START_SECONDS = 1_700_000_000; // 2023-11-14T22:13:20Z
const DURATION_US = 600e6;
const MAX_FRAME = 1450;

// Flow mix. Packet counts per flow are drawn around these means, giving ~1.7 M packets,
// ~60 % of them VXLAN-encapsulated pod TCP.
const KINDS = [
  { name: 'vxlan-tcp', flows: 30_000, meanPackets: 34 },
  { name: 'tcp', flows: 8_000, meanPackets: 53 },
  { name: 'udp', flows: 4_000, meanPackets: 34 },
  { name: 'dns', flows: 6_000, meanPackets: 11 },
  { name: 'icmp', flows: 1_500, meanPackets: 22 },
  { name: 'arp', flows: 500, meanPackets: 34 },
];
export const K_VXLAN = 0,
  K_TCP = 1,
  K_UDP = 2,
  K_DNS = 3,
  K_ICMP = 4,
  K_ARP = 5;

const CONCURRENT_FLOWS = 1200;
/** Chance the next packet comes from the same flow: segment trains, DNS answers right after. */
const STICKY = 0.5;

// TCP flags
export const FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10;

// Header sizes
const ETH = 14,
  IP4 = 20,
  UDP = 8,
  VXLAN = 8,
  TCP_SYN = 40,
  TCP_TS = 32;
const VXLAN_OVERHEAD = ETH + IP4 + UDP + VXLAN;
const VXLAN_MSS = MAX_FRAME - VXLAN_OVERHEAD - ETH - IP4 - TCP_TS; // 1334 payload bytes
const PLAIN_MSS = MAX_FRAME - ETH - IP4 - TCP_TS; // 1384

function buildCapture() {
  const rng = mulberry32(SEED);
  const int = (n) => (rng() * n) | 0;
  const pick = (arr) => arr[int(arr.length)];
  /** At least `min`, exponential tail with the given mean. */
  const drawCount = (min, mean) => min + Math.floor(-Math.log(1 - rng()) * Math.max(0, mean - min));
  const mac = () => ({ hi: 0x5254, lo: (int(0x1000000) | 0) >>> 0 });

  const nodes = [];
  for (let n = 0; n < NODES; n++) {
    nodes.push({
      ip: ip(192, 168, 10, 11 + n),
      mac: mac(),
      // flannel.1 device MAC: the inner Ethernet addresses of encapsulated frames
      vtep: { hi: 0x0200 | int(256), lo: (int(0x10000) * 0x10000 + int(0x10000)) >>> 0 },
      ipId: int(65536),
    });
  }
  const gatewayMac = mac();
  const externals = [];
  const externalPrefixes = [
    [34, 0],
    [35, 0],
    [52, 0],
    [104, 16],
    [140, 82],
    [151, 101],
    [13, 0],
  ];
  for (let k = 0; k < 300; k++) {
    const [a, b] = pick(externalPrefixes);
    externals.push(ip(a, b || 1 + int(250), int(256), 1 + int(254)));
  }

  const pods = [];
  for (let n = 0; n < NODES; n++)
    for (let k = 0; k < PODS_PER_NODE; k++) pods.push({ node: n, ip: ip(10, 244, n, 2 + k) });
  shuffle(pods, int);
  const serverPorts = [80, 8080, 443, 5432, 6379, 9090, 3306, 8443, 50051, 9200];
  const servers = pods.slice(0, 2200).map((p) => ({ ...p, port: pick(serverPorts) }));
  const usedKeys = new Set();
  const ephemeral = (key) => {
    for (;;) {
      const port = 32768 + int(28232);
      const k = key + ':' + port;
      if (!usedKeys.has(k)) {
        usedKeys.add(k);
        return port;
      }
    }
  };

  // Flow descriptors, their kinds shuffled so every kind runs through the whole capture.
  const kinds = [];
  KINDS.forEach((k, i) => {
    for (let f = 0; f < k.flows; f++) kinds.push(i);
  });
  shuffle(kinds, int);

  const podIps = new Set();
  const flows = [];
  const scratch = [];
  let vxlanClients = 0;
  const packetsByKind = new Array(KINDS.length).fill(0);
  let totalPackets = 0;
  let totalFrameBytes = 0;
  let minFrame = Infinity;
  let maxFrame = 0;

  for (const kind of kinds) {
    const f = newFlow(kind);
    const n0 = KINDS[kind].meanPackets;
    scratch.length = 0;
    if (kind === K_VXLAN) {
      const client = vxlanClients < pods.length ? pods[vxlanClients] : pick(pods);
      vxlanClients++;
      let server;
      do server = servers[Math.floor(servers.length * rng() * rng())];
      while (server.node === client.node);
      podIps.add(client.ip).add(server.ip);
      f.cIp = client.ip;
      f.sIp = server.ip;
      f.sPort = server.port;
      f.cPort = ephemeral(f.cIp + '>' + f.sIp + ':' + f.sPort);
      f.cNode = nodes[client.node];
      f.sNode = nodes[server.node];
      f.vxPort0 = 32768 + (fmix32(f.cIp ^ Math.imul(f.sIp, 31) ^ ((f.cPort << 16) | f.sPort)) % 28232);
      f.vxPort1 = 32768 + (fmix32(f.sIp ^ Math.imul(f.cIp, 31) ^ ((f.sPort << 16) | f.cPort)) % 28232);
      tcpScript(f, drawCount(10, n0), VXLAN_MSS);
    } else if (kind === K_TCP) {
      const cn = pick(nodes);
      f.cIp = cn.ip;
      f.cMac = cn.mac;
      if (rng() < 0.5) {
        let sn;
        do sn = pick(nodes);
        while (sn === cn);
        f.sIp = sn.ip;
        f.sMac = sn.mac;
        f.sPort = pick([10250, 6443, 2379, 2380, 9100, 10249, 10256]);
      } else {
        f.sIp = pick(externals);
        f.sMac = gatewayMac;
        f.sPort = rng() < 0.85 ? 443 : 80;
      }
      f.cPort = ephemeral(f.cIp + '>' + f.sIp + ':' + f.sPort);
      tcpScript(f, drawCount(10, n0), PLAIN_MSS);
    } else if (kind === K_UDP) {
      plainEndpoints(f);
      f.sPort = f.sMac === gatewayMac ? 123 : pick([8125, 514, 9995, 6343, 4739]);
      f.cPort = ephemeral(f.cIp + '>' + f.sIp + ':' + f.sPort);
      const size = f.sPort === 123 ? 48 : 40 + int(900);
      const n = drawCount(1, n0);
      for (let k = 0; k < n; k++) {
        const len = f.sPort === 123 ? 48 : Math.max(8, size + int(200) - 100);
        scratch.push(entry(f.sPort === 123 ? k & 1 : rng() < 0.8 ? 0 : 1, 0, len));
      }
    } else if (kind === K_DNS) {
      const cn = pick(nodes);
      f.cIp = cn.ip;
      f.cMac = cn.mac;
      f.sIp = KUBE_DNS;
      f.sMac = gatewayMac;
      f.sPort = 53;
      f.cPort = ephemeral(f.cIp + '>' + f.sIp + ':53');
      const svc = int(4000);
      const ns = int(40);
      f.isNxdomain = rng() < 0.2;
      // An NXDOMAIN is the resolver walking the search path: svc.ns.<client ns>.svc.cluster.local
      const name = f.isNxdomain
        ? `svc-${svc}.ns-${ns}.ns-${int(40)}.svc.cluster.local`
        : `svc-${svc}.ns-${ns}.svc.cluster.local`;
      f.qname = encodeName(name);
      f.answer = ip(10, 96, 1 + (svc >> 8), svc & 255);
      const queryLen = 12 + f.qname.length + 4;
      const responseLen = queryLen + (f.isNxdomain ? 0 : 16);
      const pairs = drawCount(1, n0 / 2);
      for (let k = 0; k < pairs; k++) scratch.push(entry(0, 0, queryLen), entry(1, 1, responseLen));
    } else if (kind === K_ICMP) {
      plainEndpoints(f);
      f.icmpId = int(65536);
      const pairs = drawCount(1, n0 / 2);
      for (let k = 0; k < pairs; k++) scratch.push(entry(0, 8, 56), entry(1, 0, 56));
    } else {
      const cn = pick(nodes);
      let sn;
      do sn = pick(nodes);
      while (sn === cn);
      f.cIp = cn.ip;
      f.cMac = cn.mac;
      f.sIp = sn.ip;
      f.sMac = sn.mac;
      const pairs = drawCount(1, n0 / 2);
      for (let k = 0; k < pairs; k++) scratch.push(entry(0, 1, 0), entry(1, 2, 0));
    }
    f.script = Int32Array.from(scratch);
    for (const e of f.script) {
      const len = frameLength(kind, e);
      totalFrameBytes += len;
      if (len < minFrame) minFrame = len;
      if (len > maxFrame) maxFrame = len;
    }
    packetsByKind[kind] += f.script.length;
    totalPackets += f.script.length;
    flows.push(f);
  }

  function newFlow(kind) {
    return {
      kind,
      script: null,
      i: 0,
      cIp: 0,
      sIp: 0,
      cPort: 0,
      sPort: 0,
      cMac: null,
      sMac: null,
      cNode: null,
      sNode: null,
      vxPort0: 0,
      vxPort1: 0,
      seqC: int(0x100000000) >>> 0,
      seqS: int(0x100000000) >>> 0,
      tsC: int(0x100000000) >>> 0,
      tsS: int(0x100000000) >>> 0,
      winC: 500 + int(1500),
      winS: 500 + int(1500),
      idC: int(65536),
      idS: int(65536),
      qname: null,
      answer: 0,
      isNxdomain: false,
      dnsId: 0,
      icmpId: 0,
      icmpSeq: 1,
    };
  }

  function plainEndpoints(f) {
    const cn = pick(nodes);
    f.cIp = cn.ip;
    f.cMac = cn.mac;
    if (rng() < 0.6) {
      let sn;
      do sn = pick(nodes);
      while (sn === cn);
      f.sIp = sn.ip;
      f.sMac = sn.mac;
    } else {
      f.sIp = pick(externals);
      f.sMac = gatewayMac;
    }
  }

  /** Handshake, request/response rounds with delayed ACKs, then FIN (or RST) teardown. */
  function tcpScript(f, target, mss) {
    scratch.push(entry(0, SYN, 0), entry(1, SYN | ACK, 0));
    if (rng() < 0.02) {
      // refused by a NetworkPolicy or a dead backend
      scratch[1] = entry(1, RST | ACK, 0);
      return;
    }
    scratch.push(entry(0, ACK, 0));
    while (scratch.length < target - 3) {
      scratch.push(entry(0, PSH | ACK, 80 + int(720)));
      // Mostly small API answers, sometimes a bulk transfer of several full segments.
      let remaining = rng() < 0.55 ? 100 + int(1200) : mss * (1 + int(6)) + int(mss);
      let segments = 0;
      while (remaining > 0) {
        const len = Math.min(mss, remaining);
        remaining -= len;
        segments++;
        scratch.push(entry(1, remaining === 0 ? PSH | ACK : ACK, len));
        if (remaining === 0 || segments % 2 === 0) scratch.push(entry(0, ACK, 0));
      }
    }
    if (rng() < 0.03) scratch.push(entry(0, RST | ACK, 0));
    else scratch.push(entry(0, FIN | ACK, 0), entry(1, FIN | ACK, 0), entry(0, ACK, 0));
  }

  return { flows, packetsByKind, totalPackets, totalFrameBytes, minFrame, maxFrame, pods: podIps.size, rng };
}

/** A script entry: direction (0 client to server), a kind-specific code (TCP flags, ICMP type, ARP op), payload length. */
export function entry(dir, code, len) {
  return (len << 9) | (code << 1) | dir;
}

export function frameLength(kind, e) {
  const code = (e >> 1) & 0xff;
  const len = e >>> 9;
  switch (kind) {
    case K_VXLAN:
      return VXLAN_OVERHEAD + ETH + IP4 + (code & SYN ? TCP_SYN : TCP_TS) + len;
    case K_TCP:
      return ETH + IP4 + (code & SYN ? TCP_SYN : TCP_TS) + len;
    case K_UDP:
    case K_DNS:
      return ETH + IP4 + UDP + len;
    case K_ICMP:
      return ETH + IP4 + 8 + len;
    case K_ARP:
      return code === 1 ? 42 : 60; // replies arrive padded to the Ethernet minimum
    default:
      throw new Error(`unknown flow kind ${kind}`);
  }
}

/** A DNS name in wire format (labels, each after its length; a 0 at the end). */
export function encodeName(name) {
  const parts = name.split('.');
  const b = Buffer.alloc(name.length + 2);
  let p = 0;
  for (const label of parts) {
    b[p++] = label.length;
    p += b.write(label, p, 'latin1');
  }
  b[p] = 0;
  return b;
}

function shuffle(a, int) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/**
 * Writes `plan.flows` to `file` as one capture, CONCURRENT_FLOWS at a time with their packets
 * interleaved over DURATION_US, and returns { packets, fileBytes, lastTsUs }. Each flow is what
 * buildCapture's newFlow makes (gen-flows.js makes its own): a kind, a script of entry()s, its
 * addresses, ports and MACs (VXLAN flows: nodes and outer ports) and its sequence, timestamp,
 * window and IP ID counters. `plan.rng` draws the timing and payloads. Optional, for other
 * generators (gen-small.js): `plan.concurrent` (flows open at once, default CONCURRENT_FLOWS),
 * `plan.durationUs` (default DURATION_US), a flow's `sticky` (the chance its next packet
 * follows at once, default STICKY) and a DNS flow's `queries` (a list of { qname, answer,
 * isNxdomain } it asks in turn, from `queryIndex`, instead of its one qname); without them the
 * bytes are what they always were.
 */
export function writeCapture(file, plan) {
  const { flows, rng } = plan;
  const OUT_SIZE = 16 << 20;
  const out = Buffer.allocUnsafe(OUT_SIZE);
  const payload = Buffer.allocUnsafe(1 << 16);
  for (let k = 0; k < payload.length; k++) payload[k] = (rng() * 256) | 0;
  const fd = fs.openSync(file, 'w');
  let pos = 0;
  let fileBytes = 0;
  const flush = () => {
    fs.writeSync(fd, out, 0, pos);
    fileBytes += pos;
    pos = 0;
  };

  pos = writePcapHeader(out);

  const meanGapUs = (plan.durationUs ?? DURATION_US) / plan.totalPackets;
  const concurrent = plan.concurrent ?? CONCURRENT_FLOWS;
  let tsUs = 0;
  const active = [];
  let queued = 0;
  while (active.length < concurrent && queued < flows.length) active.push(flows[queued++]);
  let last = -1;
  let packets = 0;

  while (active.length > 0) {
    const j = last >= 0 && rng() < (active[last].sticky ?? STICKY) ? last : (rng() * active.length) | 0;
    const f = active[j];
    const e = f.script[f.i++];
    tsUs += 1 + Math.floor(-Math.log(1 - rng()) * (meanGapUs - 1));
    if (pos + 2048 > OUT_SIZE) flush();
    pos = writePacket(f, e, tsUs);
    packets++;
    if (f.i === f.script.length) {
      f.script = null;
      if (queued < flows.length) active[j] = flows[queued++];
      else {
        active[j] = active[active.length - 1];
        active.pop();
      }
      last = -1;
    } else last = j;
  }
  flush();
  fs.closeSync(fd);
  return { packets, fileBytes, lastTsUs: tsUs };

  function writePacket(f, e, tsUs) {
    const dir = e & 1;
    const code = (e >> 1) & 0xff;
    const len = e >>> 9;
    const frame = frameLength(f.kind, e);
    const sec = START_SECONDS + Math.floor(tsUs / 1e6);
    out.writeUInt32LE(sec, pos);
    out.writeUInt32LE(tsUs % 1e6, pos + 4);
    out.writeUInt32LE(frame, pos + 8);
    out.writeUInt32LE(frame, pos + 12);
    let p = pos + 16;
    const src = dir ? f.sIp : f.cIp;
    const dst = dir ? f.cIp : f.sIp;
    const tsMs = Math.floor(tsUs / 1000);
    switch (f.kind) {
      case K_VXLAN: {
        const from = dir ? f.sNode : f.cNode;
        const to = dir ? f.cNode : f.sNode;
        const tcpLen = (code & SYN ? TCP_SYN : TCP_TS) + len;
        p = writeEthernet(p, to.mac, from.mac, 0x0800);
        p = writeIpv4(p, IP4 + UDP + VXLAN + ETH + IP4 + tcpLen, from.ipId, 17, 64, from.ip, to.ip);
        from.ipId = (from.ipId + 1) & 0xffff;
        out.writeUInt16BE(dir ? f.vxPort1 : f.vxPort0, p);
        out.writeUInt16BE(FLANNEL_PORT, p + 2);
        out.writeUInt16BE(UDP + VXLAN + ETH + IP4 + tcpLen, p + 4);
        out.writeUInt16BE(0, p + 6); // zero UDP checksum, as the kernel sends VXLAN over IPv4
        p += UDP;
        out.writeUInt32BE(0x08000000, p); // flags: I (VNI valid)
        out.writeUInt32BE(VNI << 8, p + 4);
        p += VXLAN;
        p = writeEthernet(p, to.vtep, from.vtep, 0x0800);
        p = writeTcp(p, f, dir, code, len, src, dst, 63, tsMs);
        break;
      }
      case K_TCP:
        p = writeEthernet(p, dir ? f.cMac : f.sMac, dir ? f.sMac : f.cMac, 0x0800);
        p = writeTcp(p, f, dir, code, len, src, dst, 64, tsMs);
        break;
      case K_UDP:
        p = writeEthernet(p, dir ? f.cMac : f.sMac, dir ? f.sMac : f.cMac, 0x0800);
        p = writeIpv4(p, IP4 + UDP + len, nextId(f, dir), 17, 64, src, dst);
        p = writeUdp(p, dir ? f.sPort : f.cPort, dir ? f.cPort : f.sPort, len);
        p = writePayload(p, len);
        break;
      case K_DNS: {
        p = writeEthernet(p, dir ? f.cMac : f.sMac, dir ? f.sMac : f.cMac, 0x0800);
        p = writeIpv4(p, IP4 + UDP + len, nextId(f, dir), 17, 64, src, dst);
        p = writeUdp(p, dir ? f.sPort : f.cPort, dir ? f.cPort : f.sPort, len);
        if (dir === 0) f.dnsId = (rng() * 65536) | 0;
        if (dir === 0 && f.queries !== undefined) {
          // A socket that asks several names in turn (gen-small.js): each query is the next one.
          const q = f.queries[f.queryIndex++ % f.queries.length];
          f.qname = q.qname;
          f.answer = q.answer;
          f.isNxdomain = q.isNxdomain;
        }
        const hasAnswer = dir === 1 && !f.isNxdomain;
        out.writeUInt16BE(f.dnsId, p);
        out.writeUInt16BE(dir === 0 ? 0x0100 : f.isNxdomain ? 0x8183 : 0x8180, p + 2); // RD; QR RD RA, rcode
        out.writeUInt16BE(1, p + 4); // QDCOUNT
        out.writeUInt16BE(hasAnswer ? 1 : 0, p + 6);
        out.writeUInt32BE(0, p + 8); // NSCOUNT, ARCOUNT
        p += 12;
        p += f.qname.copy(out, p);
        out.writeUInt32BE(0x00010001, p); // QTYPE A, QCLASS IN
        p += 4;
        if (hasAnswer) {
          out.writeUInt16BE(0xc00c, p); // name: pointer to the question
          out.writeUInt32BE(0x00010001, p + 2);
          out.writeUInt32BE(30, p + 6); // TTL, CoreDNS's default
          out.writeUInt16BE(4, p + 10);
          out.writeUInt32BE(f.answer, p + 12);
          p += 16;
        }
        break;
      }
      case K_ICMP: {
        p = writeEthernet(p, dir ? f.cMac : f.sMac, dir ? f.sMac : f.cMac, 0x0800);
        p = writeIpv4(p, IP4 + 8 + len, nextId(f, dir), 1, 64, src, dst);
        const at = p;
        out[p] = code; // 8 echo request, 0 echo reply
        out[p + 1] = 0;
        out.writeUInt16BE(0, p + 2);
        out.writeUInt16BE(f.icmpId, p + 4);
        out.writeUInt16BE(f.icmpSeq, p + 6);
        if (dir === 1) f.icmpSeq = (f.icmpSeq + 1) & 0xffff;
        p += 8;
        // Linux ping data: a struct timeval, then bytes counting up from 0x10
        out.writeUInt32LE(sec, p);
        out.writeUInt32LE(0, p + 4);
        out.writeUInt32LE(tsUs % 1e6, p + 8);
        out.writeUInt32LE(0, p + 12);
        for (let k = 16; k < len; k++) out[p + k] = k;
        p += len;
        out.writeUInt16BE(checksum(at, p), at + 2);
        break;
      }
      case K_ARP: {
        const isRequest = code === 1;
        const senderMac = dir ? f.sMac : f.cMac;
        const targetMac = dir ? f.cMac : f.sMac;
        p = writeEthernet(p, isRequest ? BROADCAST : targetMac, senderMac, 0x0806);
        out.writeUInt32BE(0x00010800, p); // HTYPE Ethernet, PTYPE IPv4
        out.writeUInt16BE(0x0604, p + 4); // HLEN, PLEN
        out.writeUInt16BE(code, p + 6);
        writeMac(p + 8, senderMac);
        out.writeUInt32BE(src, p + 14);
        writeMac(p + 18, isRequest ? ZERO_MAC : targetMac);
        out.writeUInt32BE(dst, p + 24);
        p += 28;
        if (!isRequest) {
          out.fill(0, p, p + 18);
          p += 18;
        }
      }
    }
    if (p - pos - 16 !== frame)
      throw new Error(`frame length mismatch: kind ${f.kind} wrote ${p - pos - 16}, planned ${frame}`);
    return p;
  }

  function nextId(f, dir) {
    if (dir) return (f.idS = (f.idS + 1) & 0xffff);
    return (f.idC = (f.idC + 1) & 0xffff);
  }

  function writeMac(p, m) {
    out.writeUInt16BE(m.hi, p);
    out.writeUInt32BE(m.lo, p + 2);
  }

  function writeEthernet(p, dst, src, ethertype) {
    writeMac(p, dst);
    writeMac(p + 6, src);
    out.writeUInt16BE(ethertype, p + 12);
    return p + ETH;
  }

  function writeIpv4(p, totalLength, id, protocol, ttl, src, dst) {
    out.writeUInt32BE(0x45000000 | totalLength, p);
    out.writeUInt32BE(((id << 16) | 0x4000) >>> 0, p + 4); // DF
    out[p + 8] = ttl;
    out[p + 9] = protocol;
    out.writeUInt16BE(0, p + 10);
    out.writeUInt32BE(src, p + 12);
    out.writeUInt32BE(dst, p + 16);
    out.writeUInt16BE(checksum(p, p + IP4), p + 10);
    return p + IP4;
  }

  function writeUdp(p, sport, dport, len) {
    out.writeUInt16BE(sport, p);
    out.writeUInt16BE(dport, p + 2);
    out.writeUInt16BE(UDP + len, p + 4);
    out.writeUInt16BE(0, p + 6);
    return p + UDP;
  }

  function writeTcp(p, f, dir, flags, len, src, dst, ttl, tsMs) {
    const isSyn = (flags & SYN) !== 0;
    const hdr = isSyn ? TCP_SYN : TCP_TS;
    p = writeIpv4(p, IP4 + hdr + len, nextId(f, dir), 6, ttl, src, dst);
    out.writeUInt16BE(dir ? f.sPort : f.cPort, p);
    out.writeUInt16BE(dir ? f.cPort : f.sPort, p + 2);
    out.writeUInt32BE(dir ? f.seqS : f.seqC, p + 4);
    out.writeUInt32BE(flags & ACK ? (dir ? f.seqC : f.seqS) : 0, p + 8);
    out[p + 12] = (hdr / 4) << 4;
    out[p + 13] = flags;
    out.writeUInt16BE(isSyn ? 64240 : dir ? f.winS : f.winC, p + 14);
    out.writeUInt32BE(0, p + 16); // checksum (left 0, as with offload), urgent pointer
    const tsval = ((dir ? f.tsS : f.tsC) + tsMs) >>> 0;
    const tsecr = flags & ACK ? ((dir ? f.tsC : f.tsS) + tsMs - 1) >>> 0 : 0;
    let o = p + 20;
    if (isSyn) {
      const mss = f.kind === K_VXLAN ? VXLAN_MSS + 12 : PLAIN_MSS + 12;
      out.writeUInt32BE(0x02040000 | mss, o); // MSS
      out.writeUInt16BE(0x0402, o + 4); // SACK permitted
      out.writeUInt16BE(0x080a, o + 6); // timestamps
      out.writeUInt32BE(tsval, o + 8);
      out.writeUInt32BE(tsecr, o + 12);
      out.writeUInt32BE(0x01030307, o + 16); // NOP, window scale 7
    } else {
      out.writeUInt32BE(0x0101080a, o); // NOP, NOP, timestamps
      out.writeUInt32BE(tsval, o + 4);
      out.writeUInt32BE(tsecr, o + 8);
    }
    p += hdr;
    const consumed = len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    if (dir) f.seqS = (f.seqS + consumed) >>> 0;
    else f.seqC = (f.seqC + consumed) >>> 0;
    return writePayload(p, len);
  }

  function writePayload(p, len) {
    if (len === 0) return p;
    const from = (rng() * (payload.length - len)) | 0;
    payload.copy(out, p, from, from + len);
    return p + len;
  }

  function checksum(from, to) {
    let s = 0;
    for (let k = from; k + 1 < to; k += 2) s += (out[k] << 8) | out[k + 1];
    if ((to - from) & 1) s += out[to - 1] << 8;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return ~s & 0xffff;
  }
}

const BROADCAST = { hi: 0xffff, lo: 0xffffffff };
const ZERO_MAC = { hi: 0, lo: 0 };

/** The sidecar if the cached capture is current, else null. */
export function cachedCapture() {
  try {
    const meta = JSON.parse(fs.readFileSync(sidecarPath, 'utf8'));
    if (meta.version !== GENERATOR_VERSION || meta.seed !== SEED) return null;
    if (fs.statSync(capturePath).size !== meta.bytes) return null;
    return meta;
  } catch {
    return null;
  }
}

/**
 * Writes a planned capture to `file` whole or not at all: checks the disk has room, drops the
 * stale sidecar first (it must not vouch for a half-written capture), writes beside the file,
 * checks packets and bytes against the plan, then renames. Returns writeCapture's result.
 */
export function writePlannedCapture(plan, file, sidecar) {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const expectedBytes = 24 + 16 * plan.totalPackets + plan.totalFrameBytes;
  const free = fs.statfsSync(dir);
  if (free.bavail * free.bsize < expectedBytes + 256e6)
    throw new Error(`not enough disk in ${dir} for ${(expectedBytes / 1e9).toFixed(2)} GB`);
  fs.rmSync(sidecar, { force: true });
  const tmp = file + '.tmp';
  const written = writeCapture(tmp, plan);
  if (written.fileBytes !== expectedBytes || written.packets !== plan.totalPackets)
    throw new Error(
      `wrote ${written.packets} packets / ${written.fileBytes} B, planned ${plan.totalPackets} / ${expectedBytes}`,
    );
  fs.renameSync(tmp, file);
  return written;
}

/** Returns the sidecar, generating the capture first when it is missing or stale. */
export function ensureCapture({ force = false, log = console.log } = {}) {
  const cached = force ? null : cachedCapture();
  if (cached) return cached;
  const t0 = process.hrtime.bigint();
  const plan = buildCapture();
  const written = writePlannedCapture(plan, capturePath, sidecarPath);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const meta = {
    version: GENERATOR_VERSION,
    seed: SEED,
    file: path.basename(capturePath),
    packets: plan.totalPackets,
    bytes: written.fileBytes,
    // sum of captured lengths: file bytes minus the 24-byte header and 16 bytes a record
    capturedBytes: plan.totalFrameBytes,
    flows: plan.flows.length,
    pods: plan.pods,
    nodes: NODES,
    packetsByKind: Object.fromEntries(KINDS.map((k, i) => [k.name, plan.packetsByKind[i]])),
    flowsByKind: Object.fromEntries(KINDS.map((k) => [k.name, k.flows])),
    // TCP segments tshark sees with udp.port 8472 decoded as VXLAN (inner plus plain TCP)
    tcpPackets: plan.packetsByKind[K_VXLAN] + plan.packetsByKind[K_TCP],
    tcpConversations: KINDS[K_VXLAN].flows + KINDS[K_TCP].flows,
    frameLength: {
      min: plan.minFrame,
      max: plan.maxFrame,
      mean: Math.round((plan.totalFrameBytes / plan.totalPackets) * 10) / 10,
    },
    firstTimestamp: START_SECONDS,
    durationSeconds: Math.round(written.lastTsUs / 1e3) / 1e3,
    generateSeconds: Math.round(seconds * 10) / 10,
  };
  fs.writeFileSync(sidecarPath, JSON.stringify(meta, null, 2) + '\n');
  log(
    `bench: generated ${capturePath}: ${meta.packets.toLocaleString('en')} packets, ` +
      `${(meta.bytes / 1e9).toFixed(3)} GB, ${meta.flows.toLocaleString('en')} flows, ` +
      `${meta.pods.toLocaleString('en')} pods, mean frame ${meta.frameLength.mean} B, in ${meta.generateSeconds} s`,
  );
  return meta;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  console.log(JSON.stringify(ensureCapture({ force }), null, 2));
}
