#!/usr/bin/env node
// Generates the scale benchmark's small-packet capture (bench/scale.js): about 10 million
// packets in about 1 GB, what a busy cluster's pod network carries when it is not moving bulk
// data: TCP pure ACKs and small requests and answers on long-lived connections, and DNS.
// Pod addresses 10.244.<node>.2-111 on 30 nodes, routed directly (no overlay), as a mirror port
// of the cluster's switch shows them, plus the lookups pods send to kube-dns (10.96.0.10) before
// kube-proxy's DNAT (seen on the client's node) and the CoreDNS pods' own traffic.
//
// - 6,000 long-lived TCP connections, open before the capture starts and still open at its
//   end (no handshake, no FIN): keep-alive ACK pairs, window updates, RPCs (a request, the
//   answer, sometimes a delayed ACK first, the client's ACK) and streams of small messages
//   acknowledged every second segment. Their 8.9 M packets are 69 % pure ACKs.
// - 3,000 short TCP connections (handshake, 1-5 RPCs, FIN; 3 % refused), half of them the
//   kubelet's health probes from the node's address.
// - about 70,000 DNS lookups, each a flow of its own (glibc opens a socket per query): a query
//   for an A record and its answer, with realistic names: `<svc>.<ns>.svc.cluster.local`, and
//   the search-list expansions ndots:5 makes of short and external names (NXDOMAIN answers);
//   to 10.96.0.10 or, after DNAT, to one of the two CoreDNS pods, which answer.
// - 120 long-lived DNS sockets asking many names in turn: the CoreDNS pods' forwarding pool
//   to the node's upstream resolver (external names), and c-ares/Envoy resolvers re-resolving
//   their clusters' Service names through kube-dns.
//
// gen.js writes the packets (its writeCapture), so the bytes are the same kind as the 1 GB
// capture's: valid IPv4 checksums, TCP timestamps, TCP/UDP checksums 0. Deterministic
// (mulberry32, fixed seed); cached beside gen.js's capture as small-10m.pcap with a sidecar
// small-10m.json, rebuilt only when a file is missing, its size disagrees or the generator
// version or seed changed. About 30 s to write.
//
//   node bench/gen-small.js [--force] [--plan]     (--plan: the counts only, nothing written)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ACK,
  benchDir,
  encodeName,
  entry,
  FIN,
  frameLength,
  K_DNS,
  K_TCP,
  PSH,
  RST,
  SYN,
  writePlannedCapture,
} from './gen.js';
import { ip, mulberry32 } from './random.js';

/** Bump whenever the bytes produced change, so cached captures are rebuilt. */
export const GENERATOR_VERSION = 1;
export const SEED = 0x736d_0001;

export const smallCapturePath = path.join(benchDir, 'small-10m.pcap');
export const smallSidecarPath = path.join(benchDir, 'small-10m.json');

const NODES = 30;
const PODS_PER_NODE = 110; // 10.244.<node>.2-111
const DURATION_US = 600e6;
const KUBE_DNS = ip(10, 96, 0, 10);
const COREDNS = [ip(10, 244, 0, 250), ip(10, 244, 7, 250)];
const UPSTREAM_DNS = ip(192, 168, 10, 2);

const LONG_TCP = 6_000;
/** Packets of a long-lived connection: all about the same, so they all last the whole capture. */
const LONG_TCP_PACKETS = 1_480;
const SHORT_TCP = 3_000;
const LOOKUP_FLOWS = 70_000;
const FORWARD_SOCKETS = 32; // 16 per CoreDNS pod
const RESOLVER_SOCKETS = 88;
/** Packets of a long-lived DNS socket: answers follow their query (sticky), so more packets. */
const DNS_SOCKET_PACKETS = 7_400;
const STICKY_TCP = 0.5;
const STICKY_DNS = 0.9;

const SERVER_PORTS = [6379, 5432, 9092, 50051, 8080, 4222, 11211, 27017, 9042, 8443, 3306, 9200];
const NAMESPACES = [
  'default',
  'shop',
  'payments',
  'identity',
  'data',
  'messaging',
  'monitoring',
  'logging',
  'tracing',
  'search',
  'ml',
  'platform',
  'backoffice',
  'marketing',
  'media',
  'ingress-nginx',
  'cert-manager',
  'argocd',
  'vault',
  'kube-system',
];
const SERVICE_NAMES = [
  'redis-master',
  'redis-replicas',
  'postgres',
  'postgres-ro',
  'kafka-bootstrap',
  'orders-api',
  'payments',
  'user-service',
  'catalog',
  'cart',
  'checkout',
  'search-api',
  'recommendations',
  'notifications',
  'auth',
  'session-store',
  'memcached',
  'elasticsearch-http',
  'prometheus-k8s',
  'alertmanager-main',
  'grafana',
  'loki-gateway',
  'jaeger-collector',
  'otel-collector',
  'vault',
  'consul-server',
  'rabbitmq',
  'nats',
  'minio',
  'clickhouse',
  'mongodb',
  'cassandra',
  'zookeeper',
  'keycloak',
  'api-gateway',
  'frontend',
  'graphql',
  'inventory',
  'shipping',
  'pricing',
  'reviews',
  'ads',
  'email',
  'currency',
  'image-resizer',
  'feature-flags',
  'config-server',
  'billing',
  'ledger',
  'fraud-check',
  'ml-inference',
  'feature-store',
  'webhooks',
];
const EXTERNAL_NAMES = [
  'api.github.com',
  'registry-1.docker.io',
  's3.amazonaws.com',
  'sts.amazonaws.com',
  'api.stripe.com',
  'hooks.slack.com',
  'oauth2.googleapis.com',
  'www.googleapis.com',
  'api.sendgrid.com',
  'o450.ingest.sentry.io',
  'api.segment.io',
  'pypi.org',
  'quay.io',
  'ghcr.io',
  'login.microsoftonline.com',
  'api.twilio.com',
  'storage.googleapis.com',
  'dynamodb.eu-west-1.amazonaws.com',
  'sqs.eu-west-1.amazonaws.com',
  'api.datadoghq.eu',
];

function buildPlan() {
  const rng = mulberry32(SEED);
  const int = (n) => (rng() * n) | 0;
  const pick = (arr) => arr[int(arr.length)];
  const nodeMac = [];
  for (let n = 0; n < NODES; n++) nodeMac.push({ hi: 0x5254, lo: int(0x1000000) >>> 0 });
  const gatewayMac = { hi: 0x5254, lo: int(0x1000000) >>> 0 };
  const nodeIp = (n) => ip(192, 168, 10, 11 + n);
  const nodeOf = (addr) => (addr >>> 8) & 0xff; // 10.244.<node>.x
  const macOf = (addr) => (addr >>> 16 === 0x0af4 ? nodeMac[nodeOf(addr) % NODES] : gatewayMac);

  // Pods, each in a namespace; Services in namespaces, each with a ClusterIP and a port.
  const pods = [];
  for (let n = 0; n < NODES; n++)
    for (let k = 0; k < PODS_PER_NODE; k++)
      pods.push({ ip: ip(10, 244, n, 2 + k), ns: int(NAMESPACES.length) });
  const services = [];
  for (let ns = 0; ns < NAMESPACES.length; ns++)
    for (let s = 0; s < SERVICE_NAMES.length; s++)
      if (rng() < 0.35) {
        const k = services.length;
        services.push({
          name: SERVICE_NAMES[s],
          ns,
          clusterIp: ip(10, 96, 1 + (k >> 8), k & 255),
          port: pick(SERVER_PORTS),
          endpoint: pods[int(pods.length)].ip,
        });
      }
  const externalIp = EXTERNAL_NAMES.map(() =>
    ip(pick([13, 34, 35, 52, 104, 140, 151]), int(256), int(256), 1 + int(254)),
  );

  const used = new Set();
  const ephemeral = (src, dst, dport) => {
    for (;;) {
      const port = 32768 + int(28232);
      const key = `${src}>${dst}:${dport}:${port}`;
      if (!used.has(key)) {
        used.add(key);
        return port;
      }
    }
  };
  const newFlow = (kind, cIp, sIp, sPort, sticky) => ({
    kind,
    sticky,
    script: null,
    i: 0,
    cIp,
    sIp,
    cPort: ephemeral(cIp, sIp, sPort),
    sPort,
    cMac: macOf(cIp),
    sMac: macOf(sIp),
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
  });

  const stats = {
    flowsByKind: { longTcp: 0, shortTcp: 0, dnsLookups: 0, dnsSockets: 0 },
    packetsByKind: { longTcp: 0, shortTcp: 0, dnsLookups: 0, dnsSockets: 0 },
    pureAcks: 0,
    dnsQueries: 0,
    nxdomain: 0,
  };
  let totalPackets = 0;
  let totalFrameBytes = 0;
  let minFrame = Infinity;
  let maxFrame = 0;
  const script = [];
  const finish = (f, kind) => {
    f.script = Int32Array.from(script);
    for (const e of f.script) {
      const len = frameLength(f.kind, e);
      totalFrameBytes += len;
      if (len < minFrame) minFrame = len;
      if (len > maxFrame) maxFrame = len;
      if (f.kind === K_TCP && e >>> 9 === 0 && ((e >> 1) & 0xff) === ACK) stats.pureAcks++;
      if (f.kind === K_DNS && (e & 1) === 0) stats.dnsQueries++;
    }
    stats.flowsByKind[kind]++;
    stats.packetsByKind[kind] += f.script.length;
    totalPackets += f.script.length;
    return f;
  };
  const rpc = () => {
    script.push(entry(0, PSH | ACK, 20 + int(80)));
    if (rng() < 0.3) script.push(entry(1, ACK, 0)); // a slow answer: the delayed ACK comes first
    script.push(entry(1, PSH | ACK, 10 + int(110)), entry(0, ACK, 0));
  };

  // ---- long-lived TCP: established before the capture, still open after it ----------------
  const longFlows = [];
  for (let c = 0; c < LONG_TCP; c++) {
    const svc = pick(services);
    let client;
    do client = pick(pods).ip;
    while (client === svc.endpoint);
    const f = newFlow(K_TCP, client, svc.endpoint, svc.port, STICKY_TCP);
    const target = LONG_TCP_PACKETS - 60 + int(121);
    script.length = 0;
    while (script.length < target) {
      const r = rng();
      if (r < 0.25) rpc();
      else if (r < 0.84) {
        // TCP keep-alive probe and its ACK, or a window update and the peer's ACK
        const first = int(2);
        script.push(entry(first, ACK, 0), entry(1 - first, ACK, 0));
      } else if (r < 0.93)
        script.push(entry(int(2), ACK, 0)); // a lone window update
      else {
        // a stream of small messages (pub/sub, metrics, log lines), ACKed every second one
        const n = 2 + int(5);
        for (let k = 1; k <= n; k++) {
          script.push(entry(1, PSH | ACK, 30 + int(100)));
          if (k % 2 === 0 || k === n) script.push(entry(0, ACK, 0));
        }
      }
    }
    longFlows.push(finish(f, 'longTcp'));
  }

  // ---- long-lived DNS sockets: many names each ----------------------------------------------
  const dnsQuery = (name, answer, isNxdomain) => ({ qname: encodeName(name), answer, isNxdomain });
  const fqdn = (svc) => `${svc.name}.${NAMESPACES[svc.ns]}.svc.cluster.local`;
  const socketFlows = [];
  const dnsSocket = (cIp, sIp, queries) => {
    const f = newFlow(K_DNS, cIp, sIp, 53, STICKY_DNS);
    f.queries = queries;
    f.queryIndex = 0;
    script.length = 0;
    for (let k = 0; script.length < DNS_SOCKET_PACKETS - 60 + int(121); k++) {
      const q = queries[k % queries.length];
      const queryLen = 12 + q.qname.length + 4;
      script.push(entry(0, 0, queryLen), entry(1, 1, queryLen + (q.isNxdomain ? 0 : 16)));
      if (q.isNxdomain) stats.nxdomain++;
    }
    socketFlows.push(finish(f, 'dnsSockets'));
  };
  for (let s = 0; s < FORWARD_SOCKETS; s++) {
    // CoreDNS's forward plugin keeps a pool of sockets to the upstream resolver
    const queries = [];
    for (let k = 0; k < 48; k++) {
      const e = int(EXTERNAL_NAMES.length);
      queries.push(dnsQuery(EXTERNAL_NAMES[e], externalIp[e], false));
    }
    dnsSocket(COREDNS[s % COREDNS.length], UPSTREAM_DNS, queries);
  }
  for (let s = 0; s < RESOLVER_SOCKETS; s++) {
    // an Envoy or c-ares resolver re-resolving its clusters' Services every few seconds
    const pod = pick(pods);
    const queries = [];
    for (let k = 1 + int(6); k > 0; k--) {
      const svc = pick(services);
      if (rng() < 0.3)
        queries.push(dnsQuery(`${fqdn(svc)}.${NAMESPACES[pod.ns]}.svc.cluster.local`, 0, true));
      queries.push(dnsQuery(fqdn(svc), svc.clusterIp, false));
    }
    dnsSocket(pod.ip, KUBE_DNS, queries);
  }

  // ---- the churn: short connections and lookups, in one shuffled queue ------------------------
  const churn = [];
  for (let c = 0; c < SHORT_TCP; c++) {
    const svc = pick(services);
    const probe = rng() < 0.5; // the kubelet's liveness or readiness probe, from the node
    const endpointNode = nodeOf(svc.endpoint);
    const client = probe ? nodeIp(endpointNode) : pick(pods).ip;
    const f = newFlow(K_TCP, client, svc.endpoint, probe ? 8080 : svc.port, STICKY_TCP);
    if (probe) f.cMac = nodeMac[endpointNode];
    script.length = 0;
    script.push(entry(0, SYN, 0));
    if (rng() < 0.03) script.push(entry(1, RST | ACK, 0));
    else {
      script.push(entry(1, SYN | ACK, 0), entry(0, ACK, 0));
      for (let k = probe ? 1 : 1 + int(5); k > 0; k--) rpc();
      script.push(entry(0, FIN | ACK, 0), entry(1, FIN | ACK, 0), entry(0, ACK, 0));
    }
    churn.push(finish(f, 'shortTcp'));
  }
  const lookup = (pod, name, answer, isNxdomain, server) => {
    const f = newFlow(K_DNS, pod.ip, server, 53, STICKY_DNS);
    f.qname = encodeName(name);
    f.answer = answer;
    f.isNxdomain = isNxdomain;
    const queryLen = 12 + f.qname.length + 4;
    script.length = 0;
    script.push(entry(0, 0, queryLen), entry(1, 1, queryLen + (isNxdomain ? 0 : 16)));
    if (isNxdomain) stats.nxdomain++;
    churn.push(finish(f, 'dnsLookups'));
  };
  while (stats.flowsByKind.dnsLookups < LOOKUP_FLOWS) {
    const pod = pick(pods);
    const home = NAMESPACES[pod.ns];
    // Before DNAT (on the client's node) to the ClusterIP, or after it to a CoreDNS pod.
    const server = rng() < 0.6 ? KUBE_DNS : pick(COREDNS);
    const r = rng();
    if (r < 0.55) {
      // a Service of the pod's own namespace by its short name: the first search domain answers
      const mine = services.filter((s) => s.ns === pod.ns);
      const svc = mine.length > 0 ? pick(mine) : pick(services);
      lookup(pod, fqdn(svc), svc.clusterIp, false, server);
    } else if (r < 0.8) {
      // <svc>.<ns>: <svc>.<ns>.<home>.svc.cluster.local fails first
      const svc = pick(services);
      const short = `${svc.name}.${NAMESPACES[svc.ns]}`;
      lookup(pod, `${short}.${home}.svc.cluster.local`, 0, true, server);
      lookup(pod, fqdn(svc), svc.clusterIp, false, server);
    } else {
      // a name with fewer than 5 dots, walked through the whole search list before itself:
      // a full Service name without its final dot, or an external name
      const svc = pick(services);
      const external = r >= 0.88;
      const e = int(EXTERNAL_NAMES.length);
      const name = external ? EXTERNAL_NAMES[e] : fqdn(svc);
      for (const suffix of [`${home}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'])
        lookup(pod, `${name}.${suffix}`, 0, true, server);
      lookup(pod, name, external ? externalIp[e] : svc.clusterIp, false, server);
    }
  }
  shuffle(churn, int);

  // Every long-lived flow is open from the start; the churn gets the slots its share of the
  // packet draws needs to last the whole capture too. A flow takes one draw, then each of its
  // packets after the first needs a draw of its own unless it sticks to the one before.
  const draws = (list) => list.reduce((sum, f) => sum + 1 + (f.script.length - 1) * (1 - f.sticky), 0);
  const longLived = [...longFlows, ...socketFlows];
  const churnSlots = Math.max(1, Math.round((longLived.length * draws(churn)) / draws(longLived)));
  return {
    flows: [...longLived, ...churn],
    rng,
    concurrent: longLived.length + churnSlots,
    durationUs: DURATION_US,
    totalPackets,
    totalFrameBytes,
    minFrame,
    maxFrame,
    stats,
    pods: pods.length,
    services: services.length,
  };
}

function shuffle(a, int) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** The sidecar if the cached capture is current, else null. */
export function cachedSmallCapture() {
  try {
    const meta = JSON.parse(fs.readFileSync(smallSidecarPath, 'utf8'));
    if (meta.version !== GENERATOR_VERSION || meta.seed !== SEED) return null;
    if (fs.statSync(smallCapturePath).size !== meta.bytes) return null;
    return meta;
  } catch {
    return null;
  }
}

function describe(plan, bytes) {
  const s = plan.stats;
  return {
    version: GENERATOR_VERSION,
    seed: SEED,
    file: path.basename(smallCapturePath),
    packets: plan.totalPackets,
    bytes,
    capturedBytes: plan.totalFrameBytes,
    flows: plan.flows.length,
    flowsByKind: s.flowsByKind,
    packetsByKind: s.packetsByKind,
    // TCP segments and conversations, for tshark's conv,tcp table
    tcpPackets: s.packetsByKind.longTcp + s.packetsByKind.shortTcp,
    tcpConversations: s.flowsByKind.longTcp + s.flowsByKind.shortTcp,
    pureAcks: s.pureAcks,
    dnsQueries: s.dnsQueries,
    nxdomainAnswers: s.nxdomain,
    pods: plan.pods,
    services: plan.services,
    concurrentFlows: plan.concurrent,
    frameLength: {
      min: plan.minFrame,
      max: plan.maxFrame,
      mean: Math.round((plan.totalFrameBytes / plan.totalPackets) * 10) / 10,
    },
  };
}

/** Returns the sidecar, generating the capture first when it is missing or stale. */
export function ensureSmallCapture({ force = false, log = console.log } = {}) {
  const cached = force ? null : cachedSmallCapture();
  if (cached) return { path: smallCapturePath, ...cached };
  const t0 = process.hrtime.bigint();
  const plan = buildPlan();
  const written = writePlannedCapture(plan, smallCapturePath, smallSidecarPath);
  const meta = {
    ...describe(plan, written.fileBytes),
    durationSeconds: Math.round(written.lastTsUs / 1e3) / 1e3,
    generateSeconds: Math.round((Number(process.hrtime.bigint() - t0) / 1e9) * 10) / 10,
  };
  fs.writeFileSync(smallSidecarPath, JSON.stringify(meta, null, 2) + '\n');
  log(
    `bench: generated ${smallCapturePath}: ${meta.packets.toLocaleString('en')} packets, ` +
      `${(meta.bytes / 1e9).toFixed(3)} GB, ${meta.flows.toLocaleString('en')} flows, ` +
      `mean frame ${meta.frameLength.mean} B, in ${meta.generateSeconds} s`,
  );
  return { path: smallCapturePath, ...meta };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--plan')) {
    const plan = buildPlan();
    console.log(JSON.stringify(describe(plan, 24 + 16 * plan.totalPackets + plan.totalFrameBytes), null, 2));
  } else
    console.log(JSON.stringify(ensureSmallCapture({ force: process.argv.includes('--force') }), null, 2));
}
