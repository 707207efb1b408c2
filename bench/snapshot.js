#!/usr/bin/env node
// The cluster snapshot that goes with the benchmark capture, for `podpath analyze --cluster`:
// what `kubectl get nodes,pods,services,endpointslices -A -o json` would print for the cluster
// gen.js simulates. Deterministic; cached beside the capture as k8s-1g-snapshot.json with a
// sidecar k8s-1g-snapshot.meta.json, rebuilt when either is missing, the file size disagrees,
// or SNAPSHOT_VERSION, the capture's GENERATOR_VERSION or its SEED changed.
//
//   node bench/snapshot.js [--force]
//
// gen.js is not changed or imported for its topology: the node VTEP MACs and which pods serve
// on which port come from the first draws of its random stream, which mirrorCapture() replays.
// checkAgainstCapture() then reads the capture's first 32 MiB and fails loudly if the replay
// no longer matches the packets (gen.js changed its draws without this file following).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATOR_VERSION, SEED, benchDir, cachedCapture, capturePath } from './gen.js';
import { endpointSliceObject, list, nodeObject, podObject, serviceObject, uid } from '../test/lab/k8s.mjs';
import { mulberry32 } from './random.js';

/** Bump whenever the snapshot's content changes, so cached snapshots are rebuilt. */
export const SNAPSHOT_VERSION = 1;
export const snapshotPath = path.join(benchDir, 'k8s-1g-snapshot.json');
export const snapshotMetaPath = path.join(benchDir, 'k8s-1g-snapshot.meta.json');

// ---- what gen.js does (keep in step with it) ---------------------------------------------
const NODES = 50;
const PODS_PER_NODE = 220;
const SERVERS = 2200;
const SERVER_PORTS = [80, 8080, 443, 5432, 6379, 9090, 3306, 8443, 50051, 9200];
const EXTERNAL_PREFIXES = [
  [34, 0],
  [35, 0],
  [52, 0],
  [104, 16],
  [140, 82],
  [151, 101],
  [13, 0],
];
const KUBE_DNS = '10.96.0.10';
const FLANNEL_PORT = 8472;

// ---- the snapshot's own shape ------------------------------------------------------------
const TOTAL_PODS = 5000;
const TOTAL_SERVICES = 1000;
const SERVER_DEPLOYMENTS = 700; // over the 2,200 pods that serve in the capture
const CLIENT_PODS = 1200; // capture pods that only connect out (Deployments without a Service)
const CLIENT_DEPLOYMENTS = 300;
const PENDING_PODS = 10; // no node, no address yet
const NAMESPACES = 40; // ns-0..ns-39, as the capture's DNS names
const SLICE_MAX = 100; // endpoints per EndpointSlice, the controller's default
const CONTROL_PLANE = 3;

const nodeName = (n) => `node-${String(n + 1).padStart(2, '0')}`;
const nodeIp = (n) => `192.168.10.${11 + n}`;
const podIp = (n, host) => `10.244.${n}.${host}`;
/** The capture's pods are 10.244.<n>.2 to .221; .222 to .254 never appear in it. */
const FIRST_IDLE_HOST = 2 + PODS_PER_NODE;

function shuffle(a, int) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

const macText = (hi, lo) =>
  [hi >>> 8, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255]
    .map((x) => x.toString(16).padStart(2, '0'))
    .join(':');

/**
 * Replays gen.js's buildCapture() up to its server list, drawing exactly what it draws:
 * each node's MAC, flannel.1 VTEP MAC and IP id; the 300 external addresses; the pod shuffle;
 * the servers' ports. Returns the VTEP MACs and the serving pods (node, host part, port).
 */
function mirrorCapture() {
  const rng = mulberry32(SEED);
  const int = (n) => (rng() * n) | 0;
  const pick = (arr) => arr[int(arr.length)];
  const nodes = [];
  for (let n = 0; n < NODES; n++) {
    int(0x1000000); // eth0 MAC
    const hi = 0x0200 | int(256);
    const lo = (int(0x10000) * 0x10000 + int(0x10000)) >>> 0;
    int(65536); // first IP id
    nodes.push({ vtepMac: macText(hi, lo) });
  }
  int(0x1000000); // the gateway's MAC
  for (let k = 0; k < 300; k++) {
    const [, b] = pick(EXTERNAL_PREFIXES);
    if (!b) int(250);
    int(256);
    int(254);
  }
  const pods = [];
  for (let n = 0; n < NODES; n++) for (let k = 0; k < PODS_PER_NODE; k++) pods.push({ node: n, host: 2 + k });
  shuffle(pods, int);
  const servers = pods.slice(0, SERVERS).map((p) => ({ ...p, port: pick(SERVER_PORTS) }));
  return { nodes, servers };
}

// ---- building ------------------------------------------------------------------------------

const STARTED = '2026-11-01T09:01:12Z';
const sha = (text) => createHash('sha256').update(text).digest('hex');
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** A controller-style name suffix (pod-template hash, DaemonSet pod suffix) from a seed. */
const suffix = (seed, length) =>
  [...createHash('sha256').update(seed).digest().subarray(0, length)]
    .map((b) => ALPHABET[b % ALPHABET.length])
    .join('');

// What the capture's server ports are, as Services expose them.
const PORT_ROLES = {
  80: { name: 'http', servicePort: 80, image: 'docker.io/library/nginx:1.27.3' },
  8080: { name: 'http', servicePort: 80, image: 'ghcr.io/podpath-bench/api:2.14.1' },
  443: { name: 'https', servicePort: 443, image: 'docker.io/envoyproxy/envoy:v1.32.2' },
  8443: { name: 'https', servicePort: 443, image: 'ghcr.io/podpath-bench/gateway:1.9.0' },
  5432: { name: 'postgres', servicePort: 5432, image: 'docker.io/library/postgres:16.6' },
  6379: { name: 'redis', servicePort: 6379, image: 'docker.io/library/redis:7.4.1' },
  9090: { name: 'metrics', servicePort: 9090, image: 'quay.io/prometheus/prometheus:v2.55.1' },
  3306: { name: 'mysql', servicePort: 3306, image: 'docker.io/library/mysql:8.4.3' },
  50051: { name: 'grpc', servicePort: 50051, image: 'ghcr.io/podpath-bench/grpc-backend:0.31.0' },
  9200: { name: 'http', servicePort: 9200, image: 'docker.elastic.co/elasticsearch/elasticsearch:8.16.1' },
};
const CLIENT_NAMES = [
  'frontend',
  'checkout',
  'cart',
  'catalog',
  'worker',
  'scheduler',
  'ingest',
  'reporter',
  'notifier',
  'billing',
  'search-indexer',
  'auth',
];

/** Cuts `total` items into `parts` runs of random, non-zero length. */
function cutSizes(total, parts, int) {
  if (parts > total) throw new Error(`snapshot: cannot cut ${total} pods into ${parts} Deployments`);
  if (parts <= 1) return [total];
  const cuts = new Set();
  while (cuts.size < parts - 1) cuts.add(1 + int(total - 1));
  const points = [0, ...[...cuts].sort((a, b) => a - b), total];
  return points.slice(1).map((p, i) => p - points[i]);
}

function buildSnapshot() {
  const capture = mirrorCapture();
  const rng = mulberry32((SEED ^ 0x534e4150) >>> 0); // "SNAP": the snapshot's own choices
  const int = (n) => (rng() * n) | 0;
  let resourceVersion = 41_000;
  const nextVersion = () => String(++resourceVersion);

  const nodes = [];
  const pods = [];
  const services = [];
  const slices = [];
  /** Services' pods, in the order they become endpoints. */
  const backends = new Map();

  // ---- nodes: the capture's 50, their flannel VTEPs as flanneld annotates them
  for (let n = 0; n < NODES; n++) {
    const name = nodeName(n);
    const node = nodeObject({
      name,
      ip: nodeIp(n),
      podCIDR: `10.244.${n}.0/24`,
      labels: n < CONTROL_PLANE ? { 'node-role.kubernetes.io/control-plane': '' } : {},
      annotations: {
        'flannel.alpha.coreos.com/backend-data': JSON.stringify({
          VNI: 1,
          VtepMAC: capture.nodes[n].vtepMac,
        }),
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': nodeIp(n),
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    });
    enrichNode(node, n, nextVersion());
    nodes.push(node);
  }

  // ---- pods
  const addPod = (o) => {
    const pod = podObject({
      namespace: o.namespace,
      name: o.name,
      node: o.node === null ? undefined : nodeName(o.node),
      nodeIP: o.node === null ? undefined : nodeIp(o.node),
      ip: o.ip,
      labels: o.labels,
      hostNetwork: o.hostNetwork ?? false,
      deployment: o.deployment,
      daemonSet: o.daemonSet,
      image: o.image,
    });
    enrichPod(pod, o, nextVersion());
    pods.push(pod);
    return pod;
  };
  const deploymentPod = (namespace, deployment, index, node, ip, { labels, ...extra } = {}) => {
    const hash = suffix(`${deployment}-rs`, 10); // as k8s.mjs names the ReplicaSet
    return addPod({
      namespace,
      name: `${deployment}-${hash}-${suffix(`${namespace}/${deployment}-${index}`, 5)}`,
      node,
      ip,
      deployment,
      labels: { ...(labels ?? { app: deployment }), 'pod-template-hash': hash },
      templateHash: hash,
      container: deployment,
      ...extra,
    });
  };
  const daemonSetPod = (namespace, daemonSet, n, ip, extra) =>
    addPod({
      namespace,
      name: `${daemonSet}-${suffix(`${namespace}/${daemonSet}/${n}`, 5)}`,
      node: n,
      ip,
      daemonSet,
      labels: {
        app: daemonSet,
        'controller-revision-hash': suffix(`${namespace}/${daemonSet}-rev`, 10),
        'pod-template-generation': '1',
      },
      container: daemonSet,
      ...extra,
    });

  // hostNetwork DaemonSets (their pods share the node's address) and the control plane's
  // static pods, owned by their Node.
  const hostNetworkSets = [
    ['kube-system', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.31.4', []],
    ['kube-flannel', 'kube-flannel-ds', 'ghcr.io/flannel-io/flannel:v0.26.1', []],
    [
      'monitoring',
      'node-exporter',
      'quay.io/prometheus/node-exporter:v1.8.2',
      [{ name: 'metrics', port: 9100 }],
    ],
  ];
  for (const [namespace, ds, image, ports] of hostNetworkSets) {
    for (let n = 0; n < NODES; n++) {
      const pod = daemonSetPod(namespace, ds, n, nodeIp(n), {
        hostNetwork: true,
        image,
        ports,
        system: true,
      });
      if (ds === 'node-exporter') pushBackend('monitoring/node-exporter', pod, n);
    }
  }
  const staticPods = [
    [
      'etcd',
      'registry.k8s.io/etcd:3.5.15-0',
      [
        { name: 'client', port: 2379 },
        { name: 'peer', port: 2380 },
      ],
    ],
    ['kube-apiserver', 'registry.k8s.io/kube-apiserver:v1.31.4', [{ name: 'https', port: 6443 }]],
    ['kube-controller-manager', 'registry.k8s.io/kube-controller-manager:v1.31.4', []],
    ['kube-scheduler', 'registry.k8s.io/kube-scheduler:v1.31.4', []],
  ];
  for (let n = 0; n < CONTROL_PLANE; n++) {
    for (const [component, image, ports] of staticPods) {
      addPod({
        namespace: 'kube-system',
        name: `${component}-${nodeName(n)}`,
        node: n,
        ip: nodeIp(n),
        hostNetwork: true,
        staticNode: n,
        labels: { component, tier: 'control-plane' },
        container: component,
        image,
        ports,
        system: true,
      });
    }
  }

  // Addresses the capture never uses (.222-.254 of each node), for pods that sent nothing.
  const idleHosts = [];
  for (let n = 0; n < NODES; n++)
    for (let host = FIRST_IDLE_HOST + 1; host <= 254; host++) idleHosts.push({ node: n, host });
  shuffle(idleHosts, int);

  // DaemonSets with pod addresses: one .222 on every node.
  for (let n = 0; n < NODES; n++) {
    daemonSetPod('logging', 'fluent-bit', n, podIp(n, FIRST_IDLE_HOST), {
      image: 'cr.fluentbit.io/fluent/fluent-bit:3.2.2',
      ports: [{ name: 'http', port: 2020 }],
      system: true,
    });
  }
  // CoreDNS behind kube-dns (10.96.0.10, where every DNS query in the capture goes)
  for (let r = 0; r < 2; r++) {
    const { node, host } = idleHosts.pop();
    const pod = deploymentPod('kube-system', 'coredns', r, node, podIp(node, host), {
      labels: { 'k8s-app': 'kube-dns' },
      container: 'coredns',
      image: 'registry.k8s.io/coredns/coredns:v1.11.3',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53 },
        { name: 'metrics', port: 9153 },
      ],
      system: true,
    });
    pushBackend('kube-system/kube-dns', pod, node);
  }

  // ---- applications. Service svc-N sits at 10.96.(1 + N/256).(N%256): the address the
  // capture's DNS answers give svc-N.
  const numbers = Array.from({ length: 4000 }, (_, i) => i);
  shuffle(numbers, int);
  const appServices = TOTAL_SERVICES - 3; // kubernetes, kube-dns, node-exporter
  const serviceNumbers = numbers.slice(0, appServices);
  const serviceName = (N) => `svc-${N}`;
  const serviceNamespace = (N) => `ns-${N % NAMESPACES}`;
  const appPlans = [];

  // Servers of the capture: grouped by port into Deployments, each with its Service.
  const byPort = new Map(SERVER_PORTS.map((p) => [p, []]));
  for (const s of capture.servers) byPort.get(s.port).push(s);
  // The port-80 group opens with one wide Deployment: its Service needs two EndpointSlices.
  const WIDE = 150;
  const groups = SERVER_PORTS.map((port) => ({ port, servers: byPort.get(port) }));
  // Deployments a group gets, in proportion to its pods (the wide one counting as one pod).
  const weight = (g) => g.servers.length - (g.port === 80 ? WIDE - 1 : 0);
  const totalWeight = groups.reduce((a, g) => a + weight(g), 0);
  const shares = groups.map((g) => Math.max(1, Math.round((SERVER_DEPLOYMENTS * weight(g)) / totalWeight)));
  shares[shares.indexOf(Math.max(...shares))] += SERVER_DEPLOYMENTS - shares.reduce((a, b) => a + b, 0);
  let serviceIndex = 0;
  groups.forEach((g, gi) => {
    const sizes =
      g.port === 80
        ? [WIDE, ...cutSizes(g.servers.length - WIDE, shares[gi] - 1, int)]
        : cutSizes(g.servers.length, shares[gi], int);
    let at = 0;
    for (const size of sizes) {
      appPlans.push({
        N: serviceNumbers[serviceIndex++],
        port: g.port,
        members: g.servers.slice(at, at + size),
      });
      at += size;
    }
  });

  // Idle Deployments: pods at addresses the capture never shows, some not yet scheduled.
  const fixedPods = pods.length;
  const idlePods = TOTAL_PODS - fixedPods - SERVERS - CLIENT_PODS;
  const idleSizes = cutSizes(idlePods, appServices - SERVER_DEPLOYMENTS, int);
  const pendingAt = new Set();
  while (pendingAt.size < PENDING_PODS) pendingAt.add(int(idlePods));
  let idleIndex = 0;
  for (const size of idleSizes) {
    const port = SERVER_PORTS[int(SERVER_PORTS.length)];
    const members = [];
    for (let k = 0; k < size; k++, idleIndex++)
      members.push(pendingAt.has(idleIndex) ? null : idleHosts.pop());
    appPlans.push({ N: serviceNumbers[serviceIndex++], port, members, idle: true });
  }

  for (const plan of appPlans) {
    const role = PORT_ROLES[plan.port];
    const name = serviceName(plan.N);
    const namespace = serviceNamespace(plan.N);
    const key = `${namespace}/${name}`;
    plan.members.forEach((m, index) => {
      const pod = deploymentPod(
        namespace,
        name,
        index,
        m?.node ?? null,
        m ? podIp(m.node, m.host) : undefined,
        {
          image: role.image,
          ports: [{ name: role.name, port: plan.port }],
          // a few idle pods fail their readiness probe
          ready: !plan.idle || int(40) !== 0,
        },
      );
      if (m) pushBackend(key, pod, m.node);
    });
    const nodePort = services.length % 50 === 7 ? 30000 + services.length : null;
    services.push(
      serviceObject({
        name,
        namespace,
        type: nodePort ? 'NodePort' : 'ClusterIP',
        clusterIP: `10.96.${1 + (plan.N >> 8)}.${plan.N & 255}`,
        // half the Services name their targetPort, as charts often do
        ports: [
          {
            name: role.name,
            port: role.servicePort,
            targetPort: plan.N % 2 ? plan.port : role.name,
            ...(nodePort ? { nodePort } : {}),
          },
        ],
        selector: { app: name },
        labels: { app: name, 'app.kubernetes.io/managed-by': 'Helm' },
      }),
    );
    plan.service = services[services.length - 1];
    plan.endpointPort = { name: role.name, port: plan.port };
  }

  // Capture pods that only connect out: Deployments without a Service.
  const serverKeys = new Set(capture.servers.map((s) => `${s.node}/${s.host}`));
  const clientHosts = [];
  for (let n = 0; n < NODES; n++)
    for (let host = 2; host < FIRST_IDLE_HOST; host++)
      if (!serverKeys.has(`${n}/${host}`)) clientHosts.push({ node: n, host });
  shuffle(clientHosts, int);
  let clientAt = 0;
  cutSizes(CLIENT_PODS, CLIENT_DEPLOYMENTS, int).forEach((size, d) => {
    const name = `${CLIENT_NAMES[d % CLIENT_NAMES.length]}-${d}`;
    const namespace = `ns-${int(NAMESPACES)}`;
    for (let index = 0; index < size; index++) {
      const { node, host } = clientHosts[clientAt++];
      deploymentPod(namespace, name, index, node, podIp(node, host), {
        image: `ghcr.io/podpath-bench/${CLIENT_NAMES[d % CLIENT_NAMES.length]}:1.${d % 17}.${d % 5}`,
      });
    }
  });

  // ---- system Services
  services.push(
    serviceObject({
      name: 'kubernetes',
      clusterIP: '10.96.0.1',
      ports: [{ name: 'https', port: 443, targetPort: 6443 }],
      labels: { component: 'apiserver', provider: 'kubernetes' },
    }),
    serviceObject({
      name: 'kube-dns',
      namespace: 'kube-system',
      clusterIP: KUBE_DNS,
      ports: [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 53 },
        { name: 'metrics', port: 9153, targetPort: 9153 },
      ],
      selector: { 'k8s-app': 'kube-dns' },
      labels: {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'kubernetes.io/name': 'CoreDNS',
      },
    }),
    serviceObject({
      name: 'node-exporter',
      namespace: 'monitoring',
      clusterIP: '10.96.0.91',
      ports: [{ name: 'metrics', port: 9100, targetPort: 'metrics' }],
      selector: { app: 'node-exporter' },
      labels: { app: 'node-exporter' },
    }),
  );
  for (const s of services) s.metadata.resourceVersion = nextVersion();

  // ---- EndpointSlices: at most SLICE_MAX endpoints each
  const sliceFor = (service, namespace, endpoints, ports, part) => {
    const slice = endpointSliceObject({ service, namespace, endpoints, ports });
    if (part > 0) {
      const seed = `eps/${namespace}/${service}/IPv4/${part}`;
      slice.metadata.name = `${service}-${suffix(seed, 5)}`;
      slice.metadata.uid = uid(seed);
    }
    slice.metadata.resourceVersion = nextVersion();
    slice.metadata.annotations = { 'endpoints.kubernetes.io/last-change-trigger-time': STARTED };
    for (const [i, e] of endpoints.entries()) {
      if (e.pod === null) delete slice.endpoints[i].targetRef;
    }
    slices.push(slice);
  };
  const slicesOf = (service, namespace, endpoints, ports) => {
    for (let part = 0; part * SLICE_MAX < endpoints.length || part === 0; part++)
      sliceFor(service, namespace, endpoints.slice(part * SLICE_MAX, (part + 1) * SLICE_MAX), ports, part);
  };
  for (const plan of appPlans) {
    const name = plan.service.metadata.name;
    const namespace = plan.service.metadata.namespace;
    slicesOf(name, namespace, backends.get(`${namespace}/${name}`) ?? [], [plan.endpointPort]);
  }
  slicesOf('kube-dns', 'kube-system', backends.get('kube-system/kube-dns'), [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53 },
    { name: 'metrics', port: 9153 },
  ]);
  slicesOf('node-exporter', 'monitoring', backends.get('monitoring/node-exporter'), [
    { name: 'metrics', port: 9100 },
  ]);
  // The apiserver keeps the kubernetes Service's slice itself: node addresses, no pods.
  const apiservers = Array.from({ length: CONTROL_PLANE }, (_, n) => ({
    ip: nodeIp(n),
    node: null,
    pod: null,
  }));
  sliceFor('kubernetes', 'default', apiservers, [{ name: 'https', port: 6443 }], 0);
  const kubernetesSlice = slices[slices.length - 1];
  kubernetesSlice.metadata.name = 'kubernetes';
  delete kubernetesSlice.metadata.generateName;
  delete kubernetesSlice.metadata.ownerReferences;
  kubernetesSlice.metadata.labels['endpointslice.kubernetes.io/managed-by'] =
    'endpointslicemirroring-controller.k8s.io';
  for (const e of kubernetesSlice.endpoints) delete e.nodeName;

  function pushBackend(key, pod, node) {
    const list = backends.get(key) ?? [];
    const ready = pod.status.conditions.find((c) => c.type === 'Ready').status === 'True';
    list.push({ ip: pod.status.podIP, node: nodeName(node), pod: pod.metadata.name, ready });
    backends.set(key, list);
  }

  // kubectl prints each kind sorted by namespace, then name.
  const byName = (a, b) =>
    (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
    a.metadata.name.localeCompare(b.metadata.name);
  pods.sort(byName);
  services.sort(byName);
  slices.sort(byName);

  const names = new Set(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
  if (names.size !== pods.length) throw new Error('snapshot: two pods share a name');
  if (pods.length !== TOTAL_PODS || services.length !== TOTAL_SERVICES)
    throw new Error(`snapshot: built ${pods.length} pods and ${services.length} Services`);

  const inCapture = (ip) => {
    const m = /^10\.244\.(\d+)\.(\d+)$/.exec(ip ?? '');
    return m !== null && Number(m[2]) >= 2 && Number(m[2]) < FIRST_IDLE_HOST;
  };
  const counts = {
    nodes: nodes.length,
    pods: pods.length,
    podsInCapture: pods.filter((p) => !p.spec.hostNetwork && inCapture(p.status.podIP)).length,
    podsNotInCapture: pods.filter((p) => !p.spec.hostNetwork && p.status.podIP && !inCapture(p.status.podIP))
      .length,
    hostNetworkPods: pods.filter((p) => p.spec.hostNetwork).length,
    pendingPods: pods.filter((p) => !p.status.podIP).length,
    servingPodsInCapture: SERVERS,
    services: services.length,
    nodePortServices: services.filter((s) => s.spec.type === 'NodePort').length,
    endpointSlices: slices.length,
    endpoints: slices.reduce((a, s) => a + s.endpoints.length, 0),
  };
  return { document: list([...nodes, ...pods, ...services, ...slices]), counts, capture };
}

// ---- what the API server fills in -----------------------------------------------------------

function enrichNode(node, n, resourceVersion) {
  node.metadata.resourceVersion = resourceVersion;
  node.spec.providerID = `kubeadm://${nodeName(n)}`;
  if (n < CONTROL_PLANE)
    node.spec.taints = [{ key: 'node-role.kubernetes.io/control-plane', effect: 'PreferNoSchedule' }];
  const capacity = { cpu: '16', 'ephemeral-storage': '203056560Ki', memory: '65842132Ki', pods: '250' };
  node.status.capacity = capacity;
  node.status.allocatable = { ...capacity, cpu: '15800m', memory: '64690132Ki' };
  const at = '2026-11-01T08:58:40Z';
  node.status.conditions = [
    ['NetworkUnavailable', 'False', 'FlannelIsUp', 'Flannel is running on this node'],
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ].map(([type, status, reason, message]) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: '2026-11-29T10:00:00Z',
    lastTransitionTime: at,
  }));
  node.status.daemonEndpoints = { kubeletEndpoint: { Port: 10250 } };
  node.status.nodeInfo = {
    architecture: 'amd64',
    bootID: uid(`boot/${n}`),
    containerRuntimeVersion: 'containerd://1.7.24',
    kernelVersion: '6.1.0-28-amd64',
    kubeProxyVersion: 'v1.31.4',
    kubeletVersion: 'v1.31.4',
    machineID: sha(`machine/${n}`).slice(0, 32),
    operatingSystem: 'linux',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    systemUUID: uid(`system/${n}`),
  };
  node.status.images = [
    'registry.k8s.io/kube-proxy:v1.31.4',
    'ghcr.io/flannel-io/flannel:v0.26.1',
    'quay.io/prometheus/node-exporter:v1.8.2',
    'cr.fluentbit.io/fluent/fluent-bit:3.2.2',
    'registry.k8s.io/pause:3.10',
  ].map((image, i) => ({
    names: [`${image.split(':')[0]}@sha256:${sha(image)}`, image],
    sizeBytes: 700_000 + ((n * 7919 + i * 104729) % 90_000_000),
  }));
}

function enrichPod(pod, o, resourceVersion) {
  const m = pod.metadata;
  m.resourceVersion = resourceVersion;
  if (o.templateHash) m.generateName = `${o.name.slice(0, o.name.length - 5)}`;
  else if (o.daemonSet) m.generateName = `${o.daemonSet}-`;
  if (o.staticNode !== undefined) {
    m.annotations = {
      'kubernetes.io/config.hash': sha(o.name).slice(0, 32),
      'kubernetes.io/config.source': 'file',
    };
    m.ownerReferences = [
      {
        apiVersion: 'v1',
        kind: 'Node',
        name: nodeName(o.staticNode),
        uid: uid(`node/${nodeName(o.staticNode)}`),
        controller: true,
      },
    ];
  }
  const spec = pod.spec;
  const container = spec.containers[0];
  if (o.container) container.name = o.container;
  const tokenVolume = `kube-api-access-${suffix(`token/${m.namespace}/${m.name}`, 5)}`;
  if (o.ports?.length)
    container.ports = o.ports.map((p) => ({
      containerPort: p.port,
      name: p.name,
      protocol: p.protocol ?? 'TCP',
      ...(o.hostNetwork ? { hostPort: p.port } : {}),
    }));
  container.imagePullPolicy = 'IfNotPresent';
  container.resources = o.system
    ? { requests: { cpu: '100m', memory: '70Mi' } }
    : { limits: { memory: '512Mi' }, requests: { cpu: '50m', memory: '128Mi' } };
  container.terminationMessagePath = '/dev/termination-log';
  container.terminationMessagePolicy = 'File';
  if (o.ports?.length)
    container.readinessProbe = {
      failureThreshold: 3,
      periodSeconds: 10,
      successThreshold: 1,
      timeoutSeconds: 1,
      tcpSocket: { port: o.ports[0].port },
    };
  if (o.staticNode === undefined)
    container.volumeMounts = [
      { mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: tokenVolume, readOnly: true },
    ];
  spec.enableServiceLinks = true;
  spec.preemptionPolicy = 'PreemptLowerPriority';
  spec.priority = o.system ? 2000001000 : 0;
  if (o.system) spec.priorityClassName = 'system-node-critical';
  spec.schedulerName = 'default-scheduler';
  spec.securityContext = {};
  spec.serviceAccount = o.system ? (o.daemonSet ?? o.deployment ?? 'default') : 'default';
  spec.serviceAccountName = spec.serviceAccount;
  spec.terminationGracePeriodSeconds = 30;
  spec.tolerations = [
    { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
    {
      effect: 'NoExecute',
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      tolerationSeconds: 300,
    },
  ];
  if (o.daemonSet) spec.tolerations.unshift({ operator: 'Exists' });
  if (o.staticNode === undefined)
    spec.volumes = [
      {
        name: tokenVolume,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
            {
              downwardAPI: {
                items: [
                  { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' },
                ],
              },
            },
          ],
        },
      },
    ];

  const status = pod.status;
  if (o.node === null) {
    // Pending: unschedulable, no node and no address
    delete spec.nodeName;
    pod.status = {
      phase: 'Pending',
      qosClass: 'Burstable',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/50 nodes are available: 50 Insufficient memory.',
          lastProbeTime: null,
          lastTransitionTime: STARTED,
        },
      ],
    };
    return;
  }
  const ready = o.ready ?? true;
  status.conditions = [
    ['PodReadyToStartContainers', 'True'],
    ['Initialized', 'True'],
    ['Ready', ready ? 'True' : 'False'],
    ['ContainersReady', ready ? 'True' : 'False'],
    ['PodScheduled', 'True'],
  ].map(([type, s]) => ({ type, status: s, lastProbeTime: null, lastTransitionTime: STARTED }));
  status.containerStatuses = [
    {
      containerID: `containerd://${sha(`container/${m.uid}`)}`,
      image: container.image,
      imageID: `${container.image.split(':')[0]}@sha256:${sha(container.image)}`,
      lastState: {},
      name: container.name,
      ready,
      restartCount: 0,
      started: true,
      state: { running: { startedAt: STARTED } },
    },
  ];
  status.qosClass = 'Burstable';
}

// ---- checking the replay against the capture ------------------------------------------------

/**
 * Reads the capture's first `limit` bytes and checks what mirrorCapture() replayed: every
 * VXLAN packet travels between the nodes of its inner addresses with their VTEP MACs, every
 * pod SYN goes to a serving pod on the port the replay gave it, every DNS query to kube-dns.
 */
function checkAgainstCapture(capture, limit = 32 << 20) {
  const fd = fs.openSync(capturePath, 'r');
  const b = Buffer.alloc(limit);
  const n = fs.readSync(fd, b, 0, limit, 0);
  fs.closeSync(fd);
  const serverPort = new Map(capture.servers.map((s) => [`10.244.${s.node}.${s.host}`, s.port]));
  const ipText = (at) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const macAt = (at) => [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const nodeOf = (ip) => {
    const m = /^10\.244\.(\d+)\./.exec(ip);
    return m ? Number(m[1]) : -1;
  };
  const problems = [];
  let vxlan = 0;
  let syns = 0;
  let dns = 0;
  for (let off = 24; off + 16 <= n;) {
    const len = b.readUInt32LE(off + 8);
    const f = off + 16;
    off = f + len;
    if (off > n) break;
    if (b.readUInt16BE(f + 12) !== 0x0800 || b[f + 23] !== 17) continue;
    const udp = f + 14 + (b[f + 14] & 15) * 4;
    const dport = b.readUInt16BE(udp + 2);
    if (dport === 53) {
      dns++;
      if (ipText(f + 30) !== KUBE_DNS) problems.push(`DNS query to ${ipText(f + 30)}`);
      continue;
    }
    if (dport !== FLANNEL_PORT) continue;
    vxlan++;
    const inner = udp + 16;
    const ip = inner + 14;
    const src = ipText(ip + 12);
    const dst = ipText(ip + 16);
    const sn = nodeOf(src);
    const dn = nodeOf(dst);
    if (ipText(f + 26) !== nodeIp(sn) || ipText(f + 30) !== nodeIp(dn))
      problems.push(`${src} > ${dst} carried ${ipText(f + 26)} > ${ipText(f + 30)}`);
    else if (macAt(inner + 6) !== capture.nodes[sn].vtepMac || macAt(inner) !== capture.nodes[dn].vtepMac)
      problems.push(`${src} > ${dst}: VTEP MACs ${macAt(inner + 6)} > ${macAt(inner)}`);
    const tcp = ip + (b[ip] & 15) * 4;
    if (b[tcp + 13] === 0x02) {
      syns++;
      const port = b.readUInt16BE(tcp + 2);
      if (serverPort.get(dst) !== port)
        problems.push(`SYN to ${dst}:${port}, replay says ${serverPort.get(dst) ?? 'not a server'}`);
    }
    if (problems.length >= 5) break;
  }
  if (problems.length > 0 || syns < 100 || dns < 100)
    throw new Error(
      `snapshot.js no longer mirrors gen.js (keep mirrorCapture in step with buildCapture): ` +
        (problems.length ? problems.join('; ') : `only ${syns} pod SYNs and ${dns} DNS queries checked`),
    );
  return { vxlanPackets: vxlan, podSyns: syns, dnsQueries: dns };
}

// ---- cache ------------------------------------------------------------------------------------

/** The sidecar if the cached snapshot is current, else null. */
export function cachedSnapshot() {
  try {
    const meta = JSON.parse(fs.readFileSync(snapshotMetaPath, 'utf8'));
    if (meta.version !== SNAPSHOT_VERSION || meta.captureVersion !== GENERATOR_VERSION || meta.seed !== SEED)
      return null;
    if (fs.statSync(snapshotPath).size !== meta.bytes) return null;
    return meta;
  } catch {
    return null;
  }
}

/** Returns the sidecar, writing the snapshot first when it is missing or stale. */
export function ensureSnapshot({ force = false, log = console.log } = {}) {
  const cached = force ? null : cachedSnapshot();
  // Checked against the capture once it exists (the snapshot alone does not need it).
  if (cached && (cached.checked !== null || !cachedCapture())) return cached;
  fs.mkdirSync(benchDir, { recursive: true });
  const t0 = process.hrtime.bigint();
  const { document, counts, capture } = buildSnapshot();
  const checked = cachedCapture() ? checkAgainstCapture(capture) : null;
  const text = JSON.stringify(document, null, 4) + '\n'; // kubectl indents by 4
  fs.rmSync(snapshotMetaPath, { force: true });
  const tmp = snapshotPath + '.tmp';
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, snapshotPath);
  const meta = {
    version: SNAPSHOT_VERSION,
    captureVersion: GENERATOR_VERSION,
    seed: SEED,
    file: path.basename(snapshotPath),
    bytes: Buffer.byteLength(text),
    counts,
    checked,
    generateSeconds: Math.round(Number(process.hrtime.bigint() - t0) / 1e8) / 10,
  };
  fs.writeFileSync(snapshotMetaPath, JSON.stringify(meta, null, 2) + '\n');
  log(
    `bench: wrote ${snapshotPath}: ${counts.nodes} nodes, ${counts.pods.toLocaleString('en')} pods, ` +
      `${counts.services.toLocaleString('en')} Services, ${counts.endpointSlices.toLocaleString('en')} EndpointSlices, ` +
      `${(meta.bytes / 1e6).toFixed(1)} MB, in ${meta.generateSeconds} s` +
      (checked
        ? ` (checked against ${checked.vxlanPackets.toLocaleString('en')} VXLAN packets of the capture)`
        : ''),
  );
  return meta;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  console.log(JSON.stringify(ensureSnapshot({ force }), null, 2));
}
