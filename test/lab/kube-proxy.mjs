// kube-proxy's iptables mode, programmed into a lab node from the same Service and
// EndpointSlice objects the scenario writes into its snapshot: the chains and rules
// kube-proxy (v1.28 and later) writes with iptables-restore, and Flannel's ip-masq chain.
// Also the helpers the NAT scenarios (clusterip, nodeport, egress-snat, no-endpoints) share:
// a two-node Flannel VXLAN cluster, reading the servers' logs and the node's conntrack table.
//
// The chains, as `iptables-save` shows them on a real node:
//   nat    PREROUTING, OUTPUT -> KUBE-SERVICES            ("kubernetes service portals")
//          KUBE-SERVICES  -d <clusterIP> --dport <port>  -> KUBE-SVC-<hash>
//                         last: --dst-type LOCAL         -> KUBE-NODEPORTS
//          KUBE-NODEPORTS --dport <nodePort>             -> KUBE-EXT-<hash>
//          KUBE-EXT-<hash> Cluster: KUBE-MARK-MASQ, then KUBE-SVC-<hash>
//                          Local:   pod sources -> KUBE-SVC, node-local sources masqueraded
//                                   -> KUBE-SVC, everything else -> KUBE-SVL-<hash>
//          KUBE-SVC-<hash> off-cluster sources -> KUBE-MARK-MASQ; one endpoint chosen with
//                          -m statistic --mode random --probability 1/n, 1/(n-1), ...
//          KUBE-SVL-<hash> the same over this node's endpoints only
//          KUBE-SEP-<hash> hairpin -> KUBE-MARK-MASQ; DNAT --to-destination <ip>:<port>
//          KUBE-MARK-MASQ  MARK --or-mark 0x4000
//          POSTROUTING -> KUBE-POSTROUTING: unmarked RETURN; clear the mark; MASQUERADE
//   filter KUBE-SERVICES   a Service without endpoints: REJECT (icmp-port-unreachable)
//          KUBE-EXTERNAL-SERVICES  NodePorts without (local) endpoints: REJECT / DROP
//          KUBE-NODEPORTS  health check node ports: ACCEPT
//          KUBE-FORWARD    INVALID dropped, marked and established traffic accepted
// Chain names are kube-proxy's: "KUBE-SVC-" + base32(sha256("ns/name:port" + "tcp"))[:16],
// "KUBE-SEP-" the same over "ns/name:port" + "tcp" + "ip:port".
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flannelBridge, mac, node, pod, underlay, vxlanOverlay } from './cluster.mjs';
import { nodeObject, podObject } from './k8s.mjs';

export const SERVICE_CIDR = '10.96.0.0/12';
export const CLUSTER_CIDR = '10.244.0.0/16';
export const MASQ_MARK = '0x4000';

// --- chain names -------------------------------------------------------------------------

function base32(bytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** kube-proxy's portProtoHash: base32(sha256(text))[:16]. */
function hash16(text) {
  return base32(createHash('sha256').update(text).digest()).slice(0, 16);
}

/** "ns/name:port" (no ":" when the port has no name), as kube-proxy's ServicePortName prints. */
export function servicePortName(service, port) {
  const base = `${service.metadata.namespace}/${service.metadata.name}`;
  return port.name ? `${base}:${port.name}` : base;
}

/** The per-Service chains of one Service port. KUBE-SVC-NPX46M4PTMTKRN6Y is default/kubernetes:https. */
export function serviceChains(portName, protocol) {
  const h = hash16(portName + protocol.toLowerCase());
  return { svc: `KUBE-SVC-${h}`, ext: `KUBE-EXT-${h}`, svl: `KUBE-SVL-${h}`, fw: `KUBE-FW-${h}` };
}

export function endpointChain(portName, protocol, endpoint) {
  return `KUBE-SEP-${hash16(portName + protocol.toLowerCase() + endpoint)}`;
}

// --- the rules -----------------------------------------------------------------------------

/**
 * The endpoints of each Service port, as kube-proxy reads them from EndpointSlices: ready
 * endpoints only, the port found by the Service port's name.
 */
export function servicePorts(services, endpointSlices) {
  const out = [];
  for (const service of services) {
    if (!service.spec.clusterIP || service.spec.clusterIP === 'None') continue;
    const slices = endpointSlices.filter(
      (s) =>
        s.metadata.namespace === service.metadata.namespace &&
        s.metadata.labels?.['kubernetes.io/service-name'] === service.metadata.name,
    );
    for (const port of service.spec.ports) {
      const protocol = (port.protocol ?? 'TCP').toLowerCase();
      const endpoints = [];
      for (const slice of slices) {
        const slicePort = slice.ports.find(
          (p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP').toLowerCase() === protocol,
        );
        if (!slicePort) continue;
        for (const e of slice.endpoints) {
          if (e.conditions?.ready === false) continue;
          for (const ip of e.addresses) endpoints.push({ ip, port: slicePort.port, node: e.nodeName });
        }
      }
      endpoints.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
      out.push({ service, port, protocol, name: servicePortName(service, port), endpoints });
    }
  }
  return out;
}

const q = (text) => (/[\s"]/.test(text) ? `"${text}"` : text);

/**
 * kube-proxy's iptables-restore input for one node (nat and filter tables). `nodeName`
 * decides which endpoints are local (externalTrafficPolicy: Local).
 */
export function kubeProxyRules({ nodeName, services, endpointSlices, clusterCIDR = CLUSTER_CIDR }) {
  const natChains = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
  const filterChains = [
    'KUBE-SERVICES',
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-NODEPORTS',
    'KUBE-FORWARD',
    'KUBE-PROXY-FIREWALL',
  ];
  // Jumps from the built-in chains (kube-proxy ensures these first, at the top of each chain).
  const natJumps = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  ];
  const filterJumps = [
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  ];
  const nat = [
    `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`,
  ];
  // kube-proxy 1.29+ counts these drops with -m nfacct; the plain form is the older one.
  const filter = [
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ];
  const services_ = [];
  const perService = [];

  for (const sp of servicePorts(services, endpointSlices)) {
    const { service, port, protocol, name, endpoints } = sp;
    const chains = serviceChains(name, protocol);
    const clusterIP = service.spec.clusterIP;
    const nodePort = port.nodePort;
    const local = endpoints.filter((e) => e.node === nodeName);
    const hasEndpoints = endpoints.length > 0;
    const externalLocal = service.spec.externalTrafficPolicy === 'Local';
    const hasExternalEndpoints = externalLocal ? local.length > 0 : hasEndpoints;
    const usesExternalChain = hasEndpoints && nodePort !== undefined;
    const m = `-m ${protocol} -p ${protocol}`;

    if (hasEndpoints) {
      services_.push(
        `-A KUBE-SERVICES -m comment --comment ${q(`${name} cluster IP`)} ${m} -d ${clusterIP}/32 --dport ${port.port} -j ${chains.svc}`,
      );
    } else {
      filter.push(
        `-A KUBE-SERVICES -m comment --comment ${q(`${name} has no endpoints`)} ${m} -d ${clusterIP}/32 --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`,
      );
    }
    if (nodePort !== undefined) {
      if (hasEndpoints)
        perService.push(
          `-A KUBE-NODEPORTS -m comment --comment ${q(name)} ${m} --dport ${nodePort} -j ${chains.ext}`,
        );
      if (!hasExternalEndpoints) {
        const [comment, target] = hasEndpoints
          ? [`${name} has no local endpoints`, 'DROP']
          : [`${name} has no endpoints`, 'REJECT --reject-with icmp-port-unreachable'];
        filter.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${q(comment)} -m addrtype --dst-type LOCAL ${m} --dport ${nodePort} -j ${target}`,
        );
      }
    }
    if (service.spec.healthCheckNodePort) {
      filter.push(
        `-A KUBE-NODEPORTS -m comment --comment ${q(`${name} health check node port`)} -m tcp -p tcp --dport ${service.spec.healthCheckNodePort} -j ACCEPT`,
      );
    }
    if (hasEndpoints) {
      natChains.push(chains.svc);
      // Off-cluster sources reaching the cluster IP are masqueraded (kube-proxy --cluster-cidr).
      perService.push(
        `-A ${chains.svc} -m comment --comment ${q(`${name} cluster IP`)} ${m} -d ${clusterIP}/32 --dport ${port.port} ! -s ${clusterCIDR} -j KUBE-MARK-MASQ`,
      );
      perService.push(...toEndpoints(chains.svc, name, protocol, endpoints));
    }
    if (usesExternalChain) {
      natChains.push(chains.ext);
      if (!externalLocal) {
        perService.push(
          `-A ${chains.ext} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j KUBE-MARK-MASQ`,
        );
      } else {
        perService.push(
          `-A ${chains.ext} -m comment --comment ${q(`pod traffic for ${name} external destinations`)} -s ${clusterCIDR} -j ${chains.svc}`,
          `-A ${chains.ext} -m comment --comment ${q(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
          `-A ${chains.ext} -m comment --comment ${q(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${chains.svc}`,
        );
      }
      if (hasExternalEndpoints)
        perService.push(`-A ${chains.ext} -j ${externalLocal ? chains.svl : chains.svc}`);
    }
    if (externalLocal && local.length > 0 && nodePort !== undefined) {
      natChains.push(chains.svl);
      perService.push(...toEndpoints(chains.svl, name, protocol, local));
    }
    for (const e of endpoints) {
      const ep = `${e.ip}:${e.port}`;
      const sep = endpointChain(name, protocol, ep);
      natChains.push(sep);
      perService.push(
        `-A ${sep} -m comment --comment ${q(name)} -s ${e.ip}/32 -j KUBE-MARK-MASQ`,
        `-A ${sep} -m comment --comment ${q(name)} ${m} -j DNAT --to-destination ${ep}`,
      );
    }
  }
  services_.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  const text = [
    '*filter',
    ...filterChains.map((c) => `:${c} - [0:0]`),
    ...filterJumps,
    ...filter,
    'COMMIT',
    '*nat',
    ...[...new Set(natChains)].map((c) => `:${c} - [0:0]`),
    ...natJumps,
    ...nat,
    ...services_,
    ...perService,
    'COMMIT',
    '',
  ].join('\n');
  return text;
}

/** Endpoint choice: the i-th of n rules matches with probability 1/(n-i); the last always. */
function toEndpoints(chain, name, protocol, endpoints) {
  return endpoints.map((e, i) => {
    const ep = `${e.ip}:${e.port}`;
    const left = endpoints.length - i;
    const statistic = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
    return `-A ${chain} -m comment --comment ${q(`${name} -> ${ep}`)}${statistic} -j ${endpointChain(name, protocol, ep)}`;
  });
}

/** Loads rules with `iptables-restore --noflush` inside the node's namespace. */
export function iptablesRestore(lab, ns, text, label) {
  const file = join(lab.work, `${label}.rules`);
  writeFileSync(file, text);
  lab.exec(ns, 'iptables-restore', ['--noflush', file]);
}

/**
 * Programs kube-proxy's rules into a node, as kube-proxy does on every node: bridged pod
 * traffic through iptables (br_netfilter), route_localnet, and the nat/filter chains.
 * Returns the rules loaded; `iptables-save` of the node is kept in the work folder.
 */
export function programKubeProxy(lab, n, { services, endpointSlices, clusterCIDR = CLUSTER_CIDR }) {
  lab.sysctl(n.ns, {
    'net.bridge.bridge-nf-call-iptables': 1,
    'net.ipv4.conf.all.route_localnet': 1,
  });
  const text = kubeProxyRules({ nodeName: n.name, services, endpointSlices, clusterCIDR });
  iptablesRestore(lab, n.ns, text, `${n.name}-kube-proxy`);
  return text;
}

/**
 * Flannel's ip-masq (flanneld --ip-masq): pod traffic leaving the cluster network is
 * masqueraded to the node's address; traffic between pods, and Service traffic kube-proxy
 * already marked, is left alone.
 */
export function flannelMasquerade(lab, n, { clusterCIDR = CLUSTER_CIDR } = {}) {
  const c = '-m comment --comment "flanneld masq"';
  const text = [
    '*nat',
    ':FLANNEL-POSTRTG - [0:0]',
    `-A POSTROUTING ${c} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark ${MASQ_MARK}/${MASQ_MARK} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${n.podCIDR} -d ${clusterCIDR} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${clusterCIDR} -d ${n.podCIDR} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${clusterCIDR} -d ${n.podCIDR} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${clusterCIDR} ! -d 224.0.0.0/4 ${c} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${clusterCIDR} -d ${clusterCIDR} ${c} -j MASQUERADE --random-fully`,
    'COMMIT',
    '*filter',
    ':FLANNEL-FWD - [0:0]',
    '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
    `-A FLANNEL-FWD -s ${clusterCIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
    `-A FLANNEL-FWD -d ${clusterCIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
  iptablesRestore(lab, n.ns, text, `${n.name}-flannel`);
  return text;
}

/** `iptables-save` of a node, kept in the work folder for reading after a run. */
export function saveRules(lab, n) {
  const text = lab.exec(n.ns, 'iptables-save', []);
  writeFileSync(join(lab.work, `${n.name}-iptables-save.txt`), text);
  return text;
}

// --- what happened ---------------------------------------------------------------------------

/**
 * The peers a traffic server logged (`accepted <ip> <port>`, `from <ip> <port>`): the source
 * each connection had when it reached the server, after any NAT.
 */
export function serverPeers(server) {
  const peers = [];
  for (const line of readFileSync(server.log, 'utf8').split('\n')) {
    const m = /^(accepted|from) (\S+) (\d+)$/.exec(line.trim());
    if (m) peers.push({ ip: m[2], port: Number(m[3]) });
  }
  return peers;
}

/**
 * The node's conntrack table: each entry's original and reply tuples, e.g. a DNAT shows as a
 * reply source that differs from the original destination.
 */
export function conntrack(lab, ns, protocol) {
  const out = lab.exec(ns, 'conntrack', ['-L', '-p', protocol], { allowFailure: true });
  const entries = [];
  for (const line of out.split('\n')) {
    const fields = [...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]);
    const at = (key, which) => fields.filter(([k]) => k === key)[which]?.[1];
    if (at('src', 0) === undefined) continue;
    const tuple = (i) => ({
      src: { ip: at('src', i), port: numberOrUndefined(at('sport', i)) },
      dst: { ip: at('dst', i), port: numberOrUndefined(at('dport', i)) },
    });
    entries.push({ protocol, original: tuple(0), reply: tuple(1) });
  }
  return entries;
}

function numberOrUndefined(text) {
  return text === undefined ? undefined : Number(text);
}

// --- the cluster the NAT scenarios share ---------------------------------------------------------

/**
 * Two Flannel VXLAN nodes as in the flannel-vxlan scenario (10.244.1.0/24 and 10.244.2.0/24,
 * flannel.1 VNI 1 on UDP 8472), with the underlay's router to 203.0.113.0/24 when asked.
 */
export function flannelCluster(lab, { router = true } = {}) {
  const world = underlay(lab, { router });
  node(world, 'node1', 1, { podCIDR: '10.244.1.0/24' });
  node(world, 'node2', 2, { podCIDR: '10.244.2.0/24' });
  for (const n of world.nodes) flannelBridge(world, n);
  vxlanOverlay(world, {
    device: 'flannel.1',
    vni: 1,
    port: 8472,
    tunnelAddress: (n) => n.podCIDR.replace(/\/24$/, ''),
    blockOf: (n) => n.podCIDR,
  });
  return world;
}

/** A Flannel pod (MTU 1450 for the VXLAN overhead). */
export function flannelPod(world, n, name, ip, options = {}) {
  return pod(world, n, name, ip, { mtu: 1450, ...options });
}

export const VXLAN_TUNNEL = (from, to) => [
  { type: 'vxlan', vni: 1, vniReply: 1, udpPort: 8472, outer: { src: from.ip, dst: to.ip } },
];

/** Node objects with Flannel's annotations, and pod objects for every pod of the world. */
export function clusterObjects(world, { containerPorts = {}, podExtras = {} } = {}) {
  const nodes = world.nodes.map((n) =>
    nodeObject({ name: n.name, ip: n.ip, podCIDR: n.podCIDR, annotations: flannelAnnotations(n) }),
  );
  const pods = world.pods.map((p) => {
    const object = podObject({
      name: p.name,
      namespace: p.namespace,
      node: p.node.name,
      nodeIP: p.node.ip,
      ip: p.ip,
      labels: p.labels,
      deployment: p.labels.app,
      containerPort: containerPorts[p.name],
    });
    podExtras[p.name]?.(object);
    return object;
  });
  return [...nodes, ...pods];
}

export function flannelAnnotations(n) {
  return {
    'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: mac(`${n.name}-flannel.1`) }),
    'flannel.alpha.coreos.com/backend-type': 'vxlan',
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': n.ip,
  };
}

/** A truth flow (no port on ICMP ends). */
export function flow(protocol, src, dst, encapsulation = [], extra = {}) {
  const strip = (e) => {
    const out = { ip: e.ip };
    if (e.port !== undefined && protocol !== 'icmp') out.port = e.port;
    if (e.name !== undefined) out.name = e.name;
    return out;
  };
  return { protocol, src: strip(src), dst: strip(dst), encapsulation, ...extra };
}

/** The `nat` field of a truth flow: the first packet's addresses before and after. */
export function natOf(kind, before, after, service) {
  const end = (e) => (e.port === undefined ? { ip: e.ip } : { ip: e.ip, port: e.port });
  const nat = { kind };
  if (service) nat.service = service;
  nat.before = { src: end(before.src), dst: end(before.dst) };
  nat.after = { src: end(after.src), dst: end(after.dst) };
  return nat;
}

export const podName = (p) => `${p.namespace}/${p.name}`;
