#!/usr/bin/env node
// Generates the `podpath trace` benchmark's inputs: ONE run of pod traffic on a two-node
// Flannel VXLAN cluster with kube-proxy (iptables), captured at four points along its path:
//
//   1 trace-1-client.pcap       inside the client pods on node1: pod -> Service ClusterIP
//   2 trace-2-node1-eth0.pcap   node1's underlay: after DNAT, in VXLAN (UDP 8472, VNI 1)
//   3 trace-3-node2-eth0.pcap   node2's underlay: the same VXLAN packets 80 µs later, on a
//                               clock 2.5 ms ahead, minus 0.1 % of client packets lost between
//   4 trace-4-server.pcap       inside the endpoint pods on node2: pod -> endpoint pod:8080
//
// Deterministic (mulberry32, fixed seed). Cached beside gen.js's capture with a sidecar
// trace.json; rebuilt only when a file is missing, a size disagrees, or the generator
// version, seed or --mb changed. --mb sets the largest file (capture 2) in MB (10^6 bytes).
//
//   node bench/gen-trace.js [--force] [--mb N]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDir } from './gen.js';
import { fmix32, ip, mulberry32, writePcapHeader } from './random.js';

/** Bump whenever the bytes produced change, so cached captures are rebuilt. */
export const GENERATOR_VERSION = 1;
export const SEED = 0x7472_0001;
export const DEFAULT_MB = 250;

export const TRACE_FILES = [
  'trace-1-client.pcap',
  'trace-2-node1-eth0.pcap',
  'trace-3-node2-eth0.pcap',
  'trace-4-server.pcap',
];
export const tracePaths = TRACE_FILES.map((file) => path.join(benchDir, file));
export const traceSidecarPath = path.join(benchDir, 'trace.json');

// ---- the cluster -------------------------------------------------------------------------
const START_SECONDS = 1_718_000_000; // 2024-06-10T06:13:20Z
const CLIENT_PODS = 200; // 10.244.1.2 to .201 on node1
const SERVICES = 40; // svc-1..svc-40 at 10.96.1.1 to .40, port 80/TCP -> targetPort 8080
const SERVICE_PORT = 80;
const TARGET_PORT = 8080;
const KUBE_DNS = ip(10, 96, 0, 10);
const COREDNS = ip(10, 244, 2, 250);
const FLANNEL_PORT = 8472;
const VNI = 1;
// Flannel gives pods an MTU of 1450 (1500 less VXLAN's 50): MSS 1410, less 12 for timestamps.
const MSS = 1410;
const MAX_PAYLOAD = MSS - 12;

// ---- the path ----------------------------------------------------------------------------
const CLIENT_TO_NODE1_US = 30;
const NODE1_TO_NODE2_US = 80;
const NODE2_TO_SERVER_US = 20;
const ONE_WAY_US = CLIENT_TO_NODE1_US + NODE1_TO_NODE2_US + NODE2_TO_SERVER_US;
/** node2's clock runs ahead of node1's: captures 3 and 4 stamp every packet this much later. */
const NODE2_CLOCK_AHEAD_US = 2500;
/**
 * Where a packet sent at time t (true time, node1's clock) appears in each capture:
 * [client to server, server to client]. Replies leave the server pod and cross the path backwards.
 */
const FILE_DELAY_US = [
  [0, ONE_WAY_US],
  [CLIENT_TO_NODE1_US, NODE2_TO_SERVER_US + NODE1_TO_NODE2_US],
  [CLIENT_TO_NODE1_US + NODE1_TO_NODE2_US + NODE2_CLOCK_AHEAD_US, NODE2_TO_SERVER_US + NODE2_CLOCK_AHEAD_US],
  [ONE_WAY_US + NODE2_CLOCK_AHEAD_US, NODE2_CLOCK_AHEAD_US],
];
/** Inner TTL at each capture, [client to server, server to client]: each node routes once. */
const TTL = [
  [64, 62],
  [63, 63],
  [63, 63],
  [62, 64],
];
/** Seconds to add to each capture's timestamps to put them on capture 1's clock. */
const CLOCK_OFFSET_SECONDS = [0, 0, -NODE2_CLOCK_AHEAD_US / 1e6, -NODE2_CLOCK_AHEAD_US / 1e6];

// ---- the traffic -------------------------------------------------------------------------
const SLOTS = 1000; // connections open at once
const SLOT_IDLE_US = 20_000; // mean pause before a slot opens its next connection
const THINK_US = 800_000; // mean pause between a connection's requests (keep-alive)
const SERVICE_TIME_US = 1000; // mean time a server takes to answer
const SHARE_DNS = 0.25;
const SHARE_ICMP = 0.02;
/** Client-to-server packets lost between node1 and node2 (after capture 2, before capture 3). */
const LOSS_RATE = 0.001;
const RTO_US = 200_000; // Linux TCP_RTO_MIN: a lost request or FIN is sent again this much later
const DNS_RETRY_US = 5_000_000; // glibc's resolver timeout
const PAYLOAD_POOL_BYTES = 1 << 20;

const K_TCP = 0,
  K_DNS = 1,
  K_ICMP = 2;
const KIND_NAMES = ['tcp', 'udp', 'icmp'];

// TCP flags
const FIN = 0x01,
  SYN = 0x02,
  PSH = 0x08,
  ACK = 0x10;

// Header sizes
const ETH = 14,
  IP4 = 20,
  UDP = 8,
  ICMP = 8,
  TCP_SYN = 40,
  TCP_TS = 32;
const VXLAN_OVERHEAD = ETH + IP4 + UDP + 8;
const RECORD = 16;
const PCAP_HEADER = 24;

/** udp_flow_src_port: a hash of the inner flow, in the ephemeral range 32768-60999. */
function vxlanSourcePort(src, dst, sport, dport, protocol) {
  return 32768 + (fmix32(src ^ Math.imul(dst, 31) ^ ((sport << 16) | dport) ^ protocol) % (61000 - 32768));
}

function encodeName(name) {
  const b = Buffer.alloc(name.length + 2);
  let p = 0;
  for (const label of name.split('.')) {
    b[p++] = label.length;
    p += b.write(label, p, 'latin1');
  }
  b[p] = 0;
  return b;
}

/** Bytes of the inner IPv4 packet. */
function ipLength(kind, flags, len) {
  if (kind === K_TCP) return IP4 + (flags & SYN ? TCP_SYN : TCP_TS) + len;
  return IP4 + (kind === K_DNS ? UDP : ICMP) + len;
}

// ---- the run: every packet once, in the order their senders sent them ---------------------

/**
 * Plans the run: connections open in SLOTS parallel slots until capture 2 would reach
 * targetBytes, each connection scripted whole (times, seq/ack, losses) when it opens. The
 * packets are then taken in send order, which assigns each sender's IPv4 Identification.
 */
function buildRun(targetBytes) {
  const rng = mulberry32(SEED);
  const int = (n) => (rng() * n) | 0;
  const expo = (mean) => Math.floor(-Math.log(1 - rng()) * mean);

  // Random payload bytes, with running sums of their 16-bit words so a payload's share of the
  // TCP checksum costs two lookups, not a pass over its bytes.
  const pool = Buffer.allocUnsafe(PAYLOAD_POOL_BYTES);
  for (let k = 0; k < PAYLOAD_POOL_BYTES; k += 4) pool.writeUInt32BE((rng() * 4294967296) >>> 0, k);
  const poolWordSums = new Float64Array(PAYLOAD_POOL_BYTES / 2 + 1);
  for (let k = 0; k < PAYLOAD_POOL_BYTES / 2; k++)
    poolWordSums[k + 1] = poolWordSums[k] + ((pool[2 * k] << 8) | pool[2 * k + 1]);
  /** An even offset, so the payload's words line up with the checksum's. */
  const payloadOffset = (len) => 2 * int(((PAYLOAD_POOL_BYTES - len) >> 1) + 1);

  const locallyAdministered = () => ({
    hi: 0x0200 | int(256),
    lo: (int(0x10000) * 0x10000 + int(0x10000)) >>> 0,
  });
  // The bridge CNI plugin derives a pod's MAC from its address: 0a:58:<IPv4>.
  const pod = (address) => ({ ip: address, mac: { hi: 0x0a58, lo: address }, ipId: int(65536) });
  const node = (address) => ({
    ip: address,
    mac: { hi: 0x5254, lo: int(0x1000000) >>> 0 }, // 52:54:00, a KVM guest
    vtep: locallyAdministered(), // flannel.1: the inner Ethernet addresses in VXLAN
    bridge: locallyAdministered(), // cni0: the pods' gateway
    ipId: int(65536),
  });
  const node1 = node(ip(192, 168, 10, 101));
  const node2 = node(ip(192, 168, 10, 102));

  const clients = [];
  for (let k = 0; k < CLIENT_PODS; k++) clients.push(pod(ip(10, 244, 1, 2 + k)));
  const services = [];
  const endpointPods = [];
  for (let n = 1; n <= SERVICES; n++) {
    const endpoints = [];
    for (let k = 1 + int(4); k > 0; k--) {
      const p = pod(ip(10, 244, 2, 2 + endpointPods.length));
      endpoints.push(p);
      endpointPods.push(p);
    }
    services.push({
      ip: ip(10, 96, 1, n),
      endpoints,
      // the first name on a pod's search path, as its resolver asks for `svc-N`
      qname: encodeName(`svc-${n}.default.svc.cluster.local`),
    });
  }
  const coredns = pod(COREDNS);

  const usedPorts = new Set();
  const ephemeralPort = (client) => {
    for (;;) {
      const port = 32768 + int(28232);
      const key = client.ip * 65536 + port;
      if (!usedPorts.has(key)) {
        usedPorts.add(key);
        return port;
      }
    }
  };

  const flows = [];
  const connections = [0, 0, 0];
  const retransmissions = { tcp: 0, dns: 0 };
  let plannedBytes = PCAP_HEADER; // capture 2's size: every packet, with VXLAN
  let scratch = [];

  function openFlow(t0) {
    const r = rng();
    const kind = r < SHARE_DNS ? K_DNS : r < SHARE_DNS + SHARE_ICMP ? K_ICMP : K_TCP;
    const client = clients[int(CLIENT_PODS)];
    const f = {
      id: flows.length,
      kind,
      client,
      server: null,
      serviceIp: 0,
      servicePort: 0,
      endpointPort: 0,
      clientPort: 0,
      vxlanPortToServer: 0,
      vxlanPortToClient: 0,
      windowClient: 400 + int(200),
      windowServer: 400 + int(200),
      qname: null,
      answer: 0,
      icmpId: 0,
      packets: null,
      next: 0,
      key: 0,
    };
    scratch = [];
    let protocol;
    if (kind === K_TCP) {
      // Some Services are busier than others; iptables picks the endpoint at random per connection.
      const service = services[Math.floor(SERVICES * rng() * rng())];
      f.server = service.endpoints[int(service.endpoints.length)];
      f.serviceIp = service.ip;
      f.servicePort = SERVICE_PORT;
      f.endpointPort = TARGET_PORT;
      f.clientPort = ephemeralPort(client);
      protocol = 6;
      tcpScript(f, t0);
    } else if (kind === K_DNS) {
      const service = services[int(SERVICES)];
      f.server = coredns;
      f.serviceIp = KUBE_DNS;
      f.servicePort = 53;
      f.endpointPort = 53;
      f.clientPort = ephemeralPort(client);
      f.qname = service.qname;
      f.answer = service.ip;
      protocol = 17;
      dnsScript(f, t0);
    } else {
      f.server = endpointPods[int(endpointPods.length)];
      f.serviceIp = f.server.ip; // pod to pod: no Service, no NAT
      f.icmpId = int(65536);
      protocol = 1;
      icmpScript(f, t0);
    }
    f.vxlanPortToServer = vxlanSourcePort(client.ip, f.server.ip, f.clientPort, f.endpointPort, protocol);
    f.vxlanPortToClient = vxlanSourcePort(f.server.ip, client.ip, f.endpointPort, f.clientPort, protocol);
    f.packets = scratch;
    for (const q of scratch) plannedBytes += RECORD + VXLAN_OVERHEAD + ETH + ipLength(kind, q.flags, q.len);
    connections[kind]++;
    flows.push(f);
    return f;
  }

  /** A packet of the script; `lost` ones reach capture 2 and vanish before capture 3. */
  function packet(t, dir, flags, seq, len) {
    const q = { t, dir, flags, seq, ack: 0, len, offset: 0, tsval: 0, tsecr: 0, lost: 0 };
    scratch.push(q);
    return q;
  }

  /** Whether this client-to-server packet is lost on the way; never a SYN. */
  const drawLoss = () => rng() < LOSS_RATE;

  /** Handshake, request/response rounds with ACKs, client FIN; times in µs, true time. */
  function tcpScript(f, t0) {
    let seqClient = int(0x100000000) >>> 0;
    let seqServer = int(0x100000000) >>> 0;
    // Linux adds a random per-connection offset to the millisecond clock it sends as TSval.
    const tsOffsetClient = int(0x100000000) >>> 0;
    const tsOffsetServer = int(0x100000000) >>> 0;

    /** Client sends; returns when the server has it (later if lost and sent again). */
    const fromClient = (t, flags, len, isLossAllowed = true) => {
      const q = packet(t, 0, flags, seqClient, len);
      if (len) q.offset = payloadOffset(len);
      seqClient = (seqClient + len + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
      if (!isLossAllowed || !drawLoss()) return t + ONE_WAY_US;
      q.lost = 1;
      // A lost pure ACK is covered by the next one; data and FIN are sent again.
      if (len === 0 && !(flags & FIN)) return t + ONE_WAY_US;
      retransmissions.tcp++;
      const again = packet(t + RTO_US, 0, flags, q.seq, len);
      again.offset = q.offset;
      return again.t + ONE_WAY_US;
    };
    const fromServer = (t, flags, len) => {
      const q = packet(t, 1, flags, seqServer, len);
      if (len) q.offset = payloadOffset(len);
      seqServer = (seqServer + len + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    };

    let t = fromClient(t0, SYN, 0, false) + 10 + int(30);
    fromServer(t, SYN | ACK, 0);
    t += ONE_WAY_US + 5 + int(20);
    fromClient(t, ACK, 0);
    // about 5 requests a connection; capped, so the run does not end in a long trickle
    const rounds = Math.min(12, 1 + Math.floor(-Math.log(1 - rng()) * 4));
    for (let round = 0; round < rounds; round++) {
      t += round === 0 ? 2 + int(30) : 100 + expo(THINK_US);
      t = fromClient(t, PSH | ACK, 1 + int(MAX_PAYLOAD)) + 20 + expo(SERVICE_TIME_US);
      // Mostly one-segment answers, sometimes a few full segments back to back.
      const segments = rng() < 0.7 ? 1 : 2 + int(7);
      let remaining = (segments - 1) * MAX_PAYLOAD + 1 + int(MAX_PAYLOAD);
      let lastAck = t;
      for (let s = 1; s <= segments; s++) {
        const len = Math.min(MAX_PAYLOAD, remaining);
        remaining -= len;
        fromServer(t, s === segments ? PSH | ACK : ACK, len);
        // An ACK for every second segment and the last, as each reaches the client: sooner
        // than the next segment does, so each ACK covers exactly the segments before it.
        if (s % 2 === 0 || s === segments) {
          lastAck = Math.max(lastAck, t + ONE_WAY_US + 2 + int(3));
          fromClient(lastAck, ACK, 0);
        }
        t += 5 + int(11);
      }
      t = lastAck;
    }
    t = fromClient(t + 100 + expo(THINK_US / 4), FIN | ACK, 0) + 10 + int(40);
    fromServer(t, FIN | ACK, 0);
    // Not lossable: its loss would make the server send its FIN again, which is not modelled.
    fromClient(t + ONE_WAY_US + 5 + int(20), ACK, 0, false);

    scratch.sort((a, b) => a.t - b.t);
    // ACK numbers and TSecr from what each end has received by the time it sends: a packet
    // reaches the other end ONE_WAY_US after it left, unless lost; no SACK, so only in-order
    // data moves the ACK.
    let nextForServer = 0;
    let nextForClient = 0;
    let tsRecentServer = 0;
    let tsRecentClient = 0;
    let arrived = 0;
    for (const q of scratch) {
      q.tsval = q.dir
        ? (tsOffsetServer + Math.floor((q.t + NODE2_CLOCK_AHEAD_US) / 1000)) >>> 0
        : (tsOffsetClient + Math.floor(q.t / 1000)) >>> 0;
      while (scratch[arrived].t + ONE_WAY_US <= q.t) {
        const a = scratch[arrived++];
        if (a.lost) continue;
        const consumed = a.len + (a.flags & (SYN | FIN) ? 1 : 0);
        if (a.dir === 0) {
          if (a.flags & SYN) nextForServer = (a.seq + 1) >>> 0;
          else if (a.seq === nextForServer) nextForServer = (nextForServer + consumed) >>> 0;
          tsRecentServer = a.tsval;
        } else {
          if (a.flags & SYN) nextForClient = (a.seq + 1) >>> 0;
          else if (a.seq === nextForClient) nextForClient = (nextForClient + consumed) >>> 0;
          tsRecentClient = a.tsval;
        }
      }
      if (q.flags & ACK) {
        q.ack = q.dir ? nextForServer : nextForClient;
        q.tsecr = q.dir ? tsRecentServer : tsRecentClient;
      }
    }
  }

  /** One A query to kube-dns and CoreDNS's answer; a lost query is asked again after 5 s. */
  function dnsScript(f, t0) {
    const id = int(65536);
    const queryLength = 12 + f.qname.length + 4;
    const query = packet(t0, 0, 0, id, queryLength);
    let arrives = t0 + ONE_WAY_US;
    if (drawLoss()) {
      query.lost = 1;
      retransmissions.dns++;
      arrives = packet(t0 + DNS_RETRY_US, 0, 0, id, queryLength).t + ONE_WAY_US;
    }
    packet(arrives + 40 + expo(300), 1, 1, id, queryLength + 16);
  }

  /** ping: a few echo requests a second apart; a lost request gets no reply. */
  function icmpScript(f, t0) {
    const count = 2 + int(5);
    let t = t0;
    for (let seq = 1; seq <= count; seq++) {
      const request = packet(t, 0, 8, seq, 56);
      request.tsval = t; // the struct timeval ping puts in its data, echoed in the reply
      if (drawLoss()) request.lost = 1;
      else packet(t + ONE_WAY_US + 10 + int(20), 1, 0, seq, 56).tsval = t;
      t += 1_000_000 + int(200);
    }
  }

  // Records in send order, column by column.
  let capacity = Math.max(1024, Math.ceil(targetBytes / 500));
  let n = 0;
  const columns = {
    time: Float64Array,
    flow: Int32Array,
    dir: Uint8Array,
    flags: Uint8Array,
    len: Uint16Array,
    offset: Int32Array,
    seq: Uint32Array,
    ack: Uint32Array,
    tsval: Uint32Array,
    tsecr: Uint32Array,
    ipId: Uint16Array,
    outerIpId: Uint16Array,
    lost: Uint8Array,
  };
  const rec = {};
  for (const [name, Type] of Object.entries(columns)) rec[name] = new Type(capacity);
  const grow = () => {
    capacity *= 2;
    for (const [name, Type] of Object.entries(columns)) {
      const bigger = new Type(capacity);
      bigger.set(rec[name]);
      rec[name] = bigger;
    }
  };

  // A min-heap of open connections by the time of their next packet.
  const heap = [];
  const less = (a, b) => a.key < b.key || (a.key === b.key && a.id < b.id);
  const push = (f) => {
    f.key = f.packets[f.next].t;
    let i = heap.push(f) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };

  // The capture starts as the slots open over the first second.
  for (let s = 0; s < SLOTS && plannedBytes < targetBytes; s++) push(openFlow(int(1_000_000)));
  let open = 0;
  let peakOpen = 0;
  const packetsAtOpen = new Float64Array(SLOTS + 1); // how many connections were open as each packet went
  let openMicros = 0;
  let lost = 0;
  while (heap.length > 0) {
    const f = pop();
    const q = f.packets[f.next++];
    if (n === capacity) grow();
    rec.time[n] = q.t;
    rec.flow[n] = f.id;
    rec.dir[n] = q.dir;
    rec.flags[n] = q.flags;
    rec.len[n] = q.len;
    rec.offset[n] = q.offset;
    rec.seq[n] = q.seq;
    rec.ack[n] = q.ack;
    rec.tsval[n] = q.tsval;
    rec.tsecr[n] = q.tsecr;
    rec.lost[n] = q.lost;
    lost += q.lost;
    // Each pod counts its own IPv4 Identification; each node its own for the VXLAN headers.
    const sender = q.dir ? f.server : f.client;
    rec.ipId[n] = sender.ipId;
    sender.ipId = (sender.ipId + 1) & 0xffff;
    const vtep = q.dir ? node2 : node1;
    rec.outerIpId[n] = vtep.ipId;
    vtep.ipId = (vtep.ipId + 1) & 0xffff;
    n++;
    if (f.next === 1) {
      open++;
      if (open > peakOpen) peakOpen = open;
    }
    packetsAtOpen[open]++;
    if (f.next < f.packets.length) {
      push(f);
      continue;
    }
    open--;
    openMicros += q.t - f.packets[0].t;
    f.packets = null;
    if (plannedBytes < targetBytes) push(openFlow(q.t + expo(SLOT_IDLE_US)));
  }

  // The two directions, each in send order, for the per-capture merge.
  let toServer = 0;
  for (let r = 0; r < n; r++) toServer += rec.dir[r] === 0 ? 1 : 0;
  const c2s = new Int32Array(toServer);
  const s2c = new Int32Array(n - toServer);
  for (let r = 0, a = 0, b = 0; r < n; r++) {
    if (rec.dir[r] === 0) c2s[a++] = r;
    else s2c[b++] = r;
  }
  const durationUs = rec.time[n - 1] - rec.time[0];
  let medianOpen = 0;
  for (let seen = 0; seen < n / 2; medianOpen++) seen += packetsAtOpen[medianOpen];

  return {
    n,
    rec,
    c2s,
    s2c,
    flows,
    pool,
    poolWordSums,
    node1,
    node2,
    connections,
    retransmissions,
    lost,
    endpointPods: endpointPods.length,
    durationUs,
    meanOpen: openMicros / durationUs,
    medianOpen: medianOpen - 1,
    peakOpen,
  };
}

// ---- writing one capture --------------------------------------------------------------------

const OUT_BYTES = 16 << 20;
const MAX_RECORD = 2048;

/** Writes capture v (0-3) of the run; returns its packets, bytes and captured bytes. */
function writeCapture(run, v, file) {
  const { rec, flows, pool, poolWordSums, node1, node2 } = run;
  const isUnderlay = v === 1 || v === 2;
  const isNatted = v !== 0;
  const skipsLost = v >= 2;
  const [delayToServer, delayToClient] = FILE_DELAY_US[v];
  const [ttlToServer, ttlToClient] = TTL[v];

  const out = Buffer.allocUnsafe(OUT_BYTES);
  const fd = fs.openSync(file, 'w');
  let pos = 0;
  let fileBytes = 0;
  const flush = () => {
    fs.writeSync(fd, out, 0, pos);
    fileBytes += pos;
    pos = 0;
  };

  pos = writePcapHeader(out);

  // Each direction is in send order, and every packet of a direction is delayed alike here,
  // so merging the two gives this capture's order.
  const { c2s, s2c } = run;
  let a = 0;
  let b = 0;
  let lastUs = -1;
  let packets = 0;
  let capturedBytes = 0;
  while (a < c2s.length || b < s2c.length) {
    let r;
    let us;
    // On a tie, the packet sent first (lower record) goes first: an ACK never precedes the
    // segment it acknowledges.
    const atServer = a < c2s.length ? rec.time[c2s[a]] + delayToServer : Infinity;
    const atClient = b < s2c.length ? rec.time[s2c[b]] + delayToClient : Infinity;
    if (atServer < atClient || (atServer === atClient && c2s[a] < s2c[b])) {
      r = c2s[a++];
      us = rec.time[r] + delayToServer;
    } else {
      r = s2c[b++];
      us = rec.time[r] + delayToClient;
    }
    if (skipsLost && rec.lost[r]) continue;
    if (us < lastUs) throw new Error(`capture ${v + 1}: time goes back at record ${r}`);
    lastUs = us;
    if (pos + MAX_RECORD > OUT_BYTES) flush();
    const start = pos;
    pos = writePacket(r, us);
    capturedBytes += pos - start - RECORD;
    packets++;
  }
  flush();
  fs.closeSync(fd);
  return { packets, fileBytes, capturedBytes };

  function writePacket(r, us) {
    const f = flows[rec.flow[r]];
    const dir = rec.dir[r];
    const flags = rec.flags[r];
    const len = rec.len[r];
    const inner = ipLength(f.kind, flags, len);
    const frame = (isUnderlay ? VXLAN_OVERHEAD : 0) + ETH + inner;
    const seconds = Math.floor(us / 1e6);
    out.writeUInt32LE(START_SECONDS + seconds, pos);
    out.writeUInt32LE(us - seconds * 1e6, pos + 4);
    out.writeUInt32LE(frame, pos + 8);
    out.writeUInt32LE(frame, pos + 12);
    let p = pos + RECORD;

    const from = dir ? node2 : node1;
    const to = dir ? node1 : node2;
    if (isUnderlay) {
      p = writeEthernet(p, to.mac, from.mac);
      // Linux VXLAN over IPv4: no DF, TTL 64, zero UDP checksum.
      p = writeIpv4(p, IP4 + UDP + 8 + ETH + inner, rec.outerIpId[r], 0, 64, 17, from.ip, to.ip);
      u16(p, dir ? f.vxlanPortToClient : f.vxlanPortToServer);
      u16(p + 2, FLANNEL_PORT);
      u16(p + 4, UDP + 8 + ETH + inner);
      u16(p + 6, 0);
      u32(p + 8, 0x08000000); // flags: I (VNI valid)
      u32(p + 12, VNI << 8);
      p = writeEthernet(p + 16, to.vtep, from.vtep);
    } else if (v === 0) {
      p = dir ? writeEthernet(p, f.client.mac, node1.bridge) : writeEthernet(p, node1.bridge, f.client.mac);
    } else {
      p = dir ? writeEthernet(p, node2.bridge, f.server.mac) : writeEthernet(p, f.server.mac, node2.bridge);
    }

    // kube-proxy's DNAT on node1 turns Service ip:port into the endpoint's; the reply is
    // turned back on node1 too, so only the client pod sees the Service.
    const serverIp = isNatted ? f.server.ip : f.serviceIp;
    const serverPort = isNatted ? f.endpointPort : f.servicePort;
    const src = dir ? serverIp : f.client.ip;
    const dst = dir ? f.client.ip : serverIp;
    const srcPort = dir ? serverPort : f.clientPort;
    const dstPort = dir ? f.clientPort : serverPort;
    const protocol = f.kind === K_TCP ? 6 : f.kind === K_DNS ? 17 : 1;
    p = writeIpv4(p, inner, rec.ipId[r], 0x4000, dir ? ttlToClient : ttlToServer, protocol, src, dst);
    const at = p;
    const l4 = inner - IP4;
    const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + l4;

    if (f.kind === K_TCP) {
      const isSyn = (flags & SYN) !== 0;
      const header = isSyn ? TCP_SYN : TCP_TS;
      u16(p, srcPort);
      u16(p + 2, dstPort);
      u32(p + 4, rec.seq[r]);
      u32(p + 8, rec.ack[r]);
      out[p + 12] = (header / 4) << 4;
      out[p + 13] = flags;
      u16(p + 14, isSyn ? (dir ? 65160 : 64240) : dir ? f.windowServer : f.windowClient);
      u32(p + 16, 0); // checksum, filled below; urgent pointer
      if (isSyn) {
        u32(p + 20, 0x02040000 | MSS);
        u16(p + 24, 0x0402); // SACK permitted
        u16(p + 26, 0x080a); // timestamps
        u32(p + 28, rec.tsval[r]);
        u32(p + 32, rec.tsecr[r]);
        u32(p + 36, 0x01030307); // NOP, window scale 7
      } else {
        u32(p + 20, 0x0101080a); // NOP, NOP, timestamps
        u32(p + 24, rec.tsval[r]);
        u32(p + 28, rec.tsecr[r]);
      }
      p += header;
      let sum = pseudo + sum16(at, p);
      if (len) {
        const offset = rec.offset[r];
        sum += poolWordSums[(offset + len) >> 1] - poolWordSums[offset >> 1];
        if (len & 1) sum += pool[offset + len - 1] << 8;
        pool.copy(out, p, offset, offset + len);
        p += len;
      }
      u16(at + 16, ~fold(sum) & 0xffff);
    } else if (f.kind === K_DNS) {
      const isResponse = flags === 1;
      u16(p, srcPort);
      u16(p + 2, dstPort);
      u16(p + 4, l4);
      u16(p + 6, 0);
      p += UDP;
      u16(p, rec.seq[r]); // DNS ID
      // query: RD; CoreDNS's answer for its own zone: QR AA RD RA
      u16(p + 2, isResponse ? 0x8580 : 0x0100);
      u16(p + 4, 1); // QDCOUNT
      u16(p + 6, isResponse ? 1 : 0);
      u32(p + 8, 0); // NSCOUNT, ARCOUNT
      p += 12;
      p += f.qname.copy(out, p);
      u32(p, 0x00010001); // QTYPE A, QCLASS IN
      p += 4;
      if (isResponse) {
        u16(p, 0xc00c); // name: pointer to the question
        u32(p + 2, 0x00010001);
        u32(p + 6, 5); // TTL: the kubernetes plugin's default
        u16(p + 10, 4);
        u32(p + 12, f.answer);
        p += 16;
      }
      const checksum = ~fold(pseudo + sum16(at, p)) & 0xffff;
      u16(at + 6, checksum === 0 ? 0xffff : checksum);
    } else {
      out[p] = flags; // 8 echo request, 0 echo reply
      out[p + 1] = 0;
      u16(p + 2, 0);
      u16(p + 4, f.icmpId);
      u16(p + 6, rec.seq[r]);
      p += ICMP;
      // Linux ping's data: the request's struct timeval, then bytes counting up from 0x10
      const sentUs = rec.tsval[r];
      const sentSeconds = Math.floor(sentUs / 1e6);
      out.writeUInt32LE(START_SECONDS + sentSeconds, p);
      out.writeUInt32LE(0, p + 4);
      out.writeUInt32LE(sentUs - sentSeconds * 1e6, p + 8);
      out.writeUInt32LE(0, p + 12);
      for (let k = 16; k < len; k++) out[p + k] = k;
      p += len;
      u16(at + 2, ~fold(sum16(at, p)) & 0xffff);
    }
    if (p - pos - RECORD !== frame)
      throw new Error(`capture ${v + 1}: record ${r} is ${p - pos - RECORD} bytes, planned ${frame}`);
    return p;
  }

  function u16(p, x) {
    out[p] = x >>> 8;
    out[p + 1] = x;
  }

  function u32(p, x) {
    out[p] = x >>> 24;
    out[p + 1] = x >>> 16;
    out[p + 2] = x >>> 8;
    out[p + 3] = x;
  }

  function writeEthernet(p, dst, src) {
    u16(p, dst.hi);
    u32(p + 2, dst.lo);
    u16(p + 6, src.hi);
    u32(p + 8, src.lo);
    u16(p + 12, 0x0800);
    return p + ETH;
  }

  function writeIpv4(p, totalLength, id, fragment, ttl, protocol, src, dst) {
    u32(p, 0x45000000 | totalLength);
    u16(p + 4, id);
    u16(p + 6, fragment);
    out[p + 8] = ttl;
    out[p + 9] = protocol;
    u16(p + 10, 0);
    u32(p + 12, src);
    u32(p + 16, dst);
    u16(p + 10, ~fold(sum16(p, p + IP4)) & 0xffff);
    return p + IP4;
  }

  function sum16(from, to) {
    let s = 0;
    for (let k = from; k + 1 < to; k += 2) s += (out[k] << 8) | out[k + 1];
    if ((to - from) & 1) s += out[to - 1] << 8;
    return s;
  }
}

/** Capture v's packets and file size, from the records alone. */
function plannedCapture(run, v) {
  const { n, rec, flows } = run;
  let packets = 0;
  let bytes = PCAP_HEADER;
  for (let r = 0; r < n; r++) {
    if (v >= 2 && rec.lost[r]) continue;
    packets++;
    bytes += RECORD + (v === 1 || v === 2 ? VXLAN_OVERHEAD : 0) + ETH;
    bytes += ipLength(flows[rec.flow[r]].kind, rec.flags[r], rec.len[r]);
  }
  return { packets, bytes };
}

function fold(s) {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

// ---- cache ----------------------------------------------------------------------------------

/** The sidecar if the cached captures are current for `mb`, else null. */
export function cachedTraceCaptures({ mb = DEFAULT_MB } = {}) {
  try {
    const meta = JSON.parse(fs.readFileSync(traceSidecarPath, 'utf8'));
    if (meta.version !== GENERATOR_VERSION || meta.seed !== SEED || meta.mb !== mb) return null;
    for (const f of meta.files) if (fs.statSync(path.join(benchDir, f.file)).size !== f.bytes) return null;
    return meta;
  } catch {
    return null;
  }
}

/** Returns the sidecar, generating the four captures first when any is missing or stale. */
export function ensureTraceCaptures({ mb = DEFAULT_MB, force = false, log = console.log } = {}) {
  if (!(mb > 0)) throw new Error(`--mb must be a positive number of MB, not ${mb}`);
  const cached = force ? null : cachedTraceCaptures({ mb });
  if (cached) return cached;
  fs.mkdirSync(benchDir, { recursive: true });
  const free = fs.statfsSync(benchDir);
  if (free.bavail * free.bsize < 4.2 * mb * 1e6 + 256e6)
    throw new Error(`not enough disk in ${benchDir} for 4 captures of ${mb} MB`);
  const t0 = process.hrtime.bigint();
  const run = buildRun(mb * 1e6);
  const planSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // a stale sidecar must not vouch for half-written captures
  fs.rmSync(traceSidecarPath, { force: true });
  const files = [];
  for (let v = 0; v < 4; v++) {
    const tmp = tracePaths[v] + '.tmp';
    const written = writeCapture(run, v, tmp);
    const planned = plannedCapture(run, v);
    if (written.packets !== planned.packets || written.fileBytes !== planned.bytes)
      throw new Error(
        `${TRACE_FILES[v]}: wrote ${written.packets} packets / ${written.fileBytes} B, planned ${planned.packets} / ${planned.bytes}`,
      );
    fs.renameSync(tmp, tracePaths[v]);
    files.push({
      file: TRACE_FILES[v],
      packets: written.packets,
      bytes: written.fileBytes,
      capturedBytes: written.capturedBytes,
      clockOffsetSeconds: CLOCK_OFFSET_SECONDS[v],
    });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const meta = {
    version: GENERATOR_VERSION,
    seed: SEED,
    mb,
    files,
    // each connection's packets, counted once (captures 1 and 2 hold all of them)
    packets: run.n,
    connections: Object.fromEntries(KIND_NAMES.map((name, k) => [name, run.connections[k]])),
    // TCP connections and DNS lookups (one UDP flow each): what trace must pair up
    tcpUdpConnections: run.connections[K_TCP] + run.connections[K_DNS],
    // client-to-server packets in captures 1 and 2 but not 3 and 4 (none is a SYN)
    lostPackets: run.lost,
    retransmissions: run.retransmissions,
    // seconds to add to each file's timestamps to put it on trace-1-client.pcap's clock
    clockOffsetSeconds: Object.fromEntries(files.map((f) => [f.file, f.clockOffsetSeconds])),
    delaysMicroseconds: {
      clientPodToNode1: CLIENT_TO_NODE1_US,
      node1ToNode2: NODE1_TO_NODE2_US,
      node2ToServerPod: NODE2_TO_SERVER_US,
    },
    cluster: {
      node1: '192.168.10.101',
      node2: '192.168.10.102',
      clientPods: CLIENT_PODS,
      services: SERVICES,
      endpointPods: run.endpointPods,
      kubeDns: '10.96.0.10:53 -> 10.244.2.250:53',
      vxlan: `udp/${FLANNEL_PORT} vni ${VNI}`,
    },
    // connections open at once: over the run's time, as the median packet saw it, at most
    concurrentConnections: {
      mean: Math.round(run.meanOpen),
      medianPerPacket: run.medianOpen,
      peak: run.peakOpen,
    },
    firstTimestamp: START_SECONDS,
    durationSeconds: Math.round(run.durationUs / 1e3) / 1e3,
    generateSeconds: Math.round(seconds * 10) / 10,
    planSeconds: Math.round(planSeconds * 10) / 10,
  };
  fs.writeFileSync(traceSidecarPath, JSON.stringify(meta, null, 2) + '\n');
  const sizes = files.map((f) => `${(f.bytes / 1e6).toFixed(0)}`).join('/');
  log(
    `bench: generated ${files.length} trace captures in ${benchDir}: ${sizes} MB, ` +
      `${meta.packets.toLocaleString('en')} packets, ${meta.tcpUdpConnections.toLocaleString('en')} TCP+UDP connections, ` +
      `${meta.lostPackets} lost, in ${meta.generateSeconds} s`,
  );
  return meta;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  let mb = DEFAULT_MB;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') force = true;
    else if (argv[i] === '--mb') mb = Number(argv[++i]);
    else {
      console.error(`usage: node bench/gen-trace.js [--force] [--mb N]   (unknown argument ${argv[i]})`);
      process.exit(2);
    }
  }
  if (!(mb > 0)) {
    console.error('gen-trace: --mb needs a positive number');
    process.exit(2);
  }
  console.log(JSON.stringify(ensureTraceCaptures({ mb, force }), null, 2));
}
