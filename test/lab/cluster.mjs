// A small Kubernetes-shaped cluster out of namespaces: an underlay switch, nodes, pods, and
// the CNI wiring real plugins set up (Flannel's VXLAN with a cni0 bridge, Calico's VXLAN or
// routed /32 pods with proxy ARP, plain routing). The objects returned describe what was
// built, so scenarios write their snapshot and truth from them.
import { createHash } from 'node:crypto';

export const UNDERLAY = '192.168.10';
export const GATEWAY = `${UNDERLAY}.1`;
/** The "internet" beyond the underlay router, for egress and outside clients. */
export const INTERNET = '203.0.113';

/** A stable MAC from a name, locally administered. */
export function mac(name) {
  const h = createHash('sha256').update(name).digest();
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** Host-side veth name a CNI would give a pod: a prefix and a hash, at most 15 characters. */
export function hostVeth(prefix, pod) {
  return `${prefix}${createHash('sha256')
    .update(pod)
    .digest('hex')
    .slice(0, 15 - prefix.length)}`;
}

/**
 * Builds the underlay: a switch namespace with bridge br0, and optionally a router to the
 * internet (192.168.10.1 on the underlay, 203.0.113.1 outside).
 */
export function underlay(lab, { router = false, ipv6 = false } = {}) {
  const net = lab.ns('net', { ipv6 });
  lab.bridge(net, 'br0');
  const world = { lab, net, nodes: [], pods: [], router: null, outside: [] };
  if (router) {
    const gw = lab.ns('gw', { forwarding: true, ipv6 });
    lab.veth(gw, 'eth0', net, 'gw', { macA: mac('gw-eth0') });
    lab.attach(net, 'gw', 'br0');
    lab.ip(gw, 'addr', 'add', `${GATEWAY}/24`, 'dev', 'eth0');
    lab.bridge(gw, 'inet', { address: `${INTERNET}.1/24`, mac: mac('gw-inet') });
    world.router = gw;
  }
  return world;
}

/** A host on the internet side of the router (an outside client, a public server). */
export function outsideHost(world, name, address) {
  const { lab } = world;
  const ns = lab.ns(name);
  lab.veth(ns, 'eth0', world.router, `o-${name}`.slice(0, 15), { macA: mac(`${name}-eth0`) });
  lab.attach(world.router, `o-${name}`.slice(0, 15), 'inet');
  lab.ip(ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  lab.ip(ns, 'route', 'add', 'default', 'via', `${INTERNET}.1`);
  const host = { name, ns, ip: address };
  world.outside.push(host);
  return host;
}

/** A node: namespace with eth0 on the underlay, forwarding on. */
export function node(world, name, index, { podCIDR, ipv6 } = {}) {
  const { lab } = world;
  const ns = lab.ns(name, { forwarding: true, ipv6: ipv6 !== undefined });
  lab.veth(ns, 'eth0', world.net, name.slice(0, 15), { macA: mac(`${name}-eth0`) });
  lab.attach(world.net, name.slice(0, 15), 'br0');
  const ip = `${UNDERLAY}.${100 + index}`;
  lab.ip(ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
  if (ipv6) lab.ip(ns, 'addr', 'add', `${ipv6.underlay}/64`, 'dev', 'eth0', 'nodad');
  if (world.router) lab.ip(ns, 'route', 'add', 'default', 'via', GATEWAY);
  // Node-local services answer on any address; kube-proxy's MASQUERADE needs conntrack.
  lab.sysctl(ns, { 'net.ipv4.conf.all.route_localnet': 1 });
  const n = { name, ns, ip, index, podCIDR, pods: [], ipv6 };
  world.nodes.push(n);
  return n;
}

/**
 * A pod on a node. Flannel: a veth into the node's cni0 bridge, /24, gateway .1.
 * Calico/routed: a veth with proxy ARP on the host side, /32, gateway 169.254.1.1.
 */
export function pod(
  world,
  n,
  name,
  ip,
  { namespace = 'default', style = 'bridge', mtu = 1500, labels = {}, ipv6 } = {},
) {
  const { lab } = world;
  const ns = lab.ns(`p-${name}`, { ipv6: ipv6 !== undefined });
  const host = hostVeth(style === 'bridge' ? 'veth' : 'cali', `${namespace}/${name}`);
  lab.veth(ns, 'eth0', n.ns, host, {
    mtu,
    macA: mac(`${name}-eth0`),
    macB: style === 'bridge' ? mac(`${name}-host`) : 'ee:ee:ee:ee:ee:ee',
  });
  if (style === 'bridge') {
    lab.attach(n.ns, host, 'cni0');
    lab.ip(ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
    lab.ip(ns, 'route', 'add', 'default', 'via', ip.replace(/\.\d+$/, '.1'));
  } else {
    lab.ip(ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0');
    lab.ip(ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
    lab.ip(ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
    // Calico answers the gateway's ARP by proxy ARP, which needs the node to have a route
    // to 169.254.1.1; a lab node may have none, so pin the gateway's MAC as calico-node's
    // ee:ee:ee:ee:ee:ee (the pod's first packets then need no ARP at all).
    lab.ip(
      ns,
      'neigh',
      'add',
      '169.254.1.1',
      'lladdr',
      'ee:ee:ee:ee:ee:ee',
      'dev',
      'eth0',
      'nud',
      'permanent',
    );
    lab.sysctl(n.ns, { [`net.ipv4.conf.${host}.proxy_arp`]: 1 });
    lab.ip(n.ns, 'route', 'add', `${ip}/32`, 'dev', host);
  }
  if (ipv6) {
    lab.ip(ns, 'addr', 'add', `${ipv6}/128`, 'dev', 'eth0', 'nodad');
    lab.ip(ns, '-6', 'route', 'add', 'fe80::1', 'dev', 'eth0');
    lab.ip(ns, '-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0');
    lab.ip(n.ns, '-6', 'addr', 'add', 'fe80::1/64', 'dev', host, 'nodad');
    lab.ip(n.ns, '-6', 'route', 'add', `${ipv6}/128`, 'dev', host);
  }
  const p = { name, namespace, ns, ip, node: n, hostVeth: host, labels, ipv6 };
  n.pods.push(p);
  world.pods.push(p);
  return p;
}

/** Flannel's per-node wiring: cni0 with the subnet's .1, MTU 1450 for the VXLAN overhead. */
export function flannelBridge(world, n) {
  world.lab.bridge(n.ns, 'cni0', {
    address: `${n.podCIDR.replace(/\.0\/24$/, '.1')}/24`,
    mac: mac(`${n.name}-cni0`),
    mtu: 1450,
  });
}

/**
 * A VXLAN overlay between all nodes, as Flannel (flannel.1, VNI 1, UDP 8472) or Calico
 * (vxlan.calico, VNI 4096, UDP 4789) program it: no learning; for each peer a route to its
 * pod block via its tunnel address, a permanent neighbour entry and an FDB entry naming the
 * peer node's underlay IP.
 */
export function vxlanOverlay(world, { device, vni, port, tunnelAddress, blockOf }) {
  const { lab } = world;
  for (const n of world.nodes) {
    lab.ip(
      n.ns,
      'link',
      'add',
      device,
      'address',
      mac(`${n.name}-${device}`),
      'type',
      'vxlan',
      'id',
      String(vni),
      'dstport',
      String(port),
      'local',
      n.ip,
      'dev',
      'eth0',
      'nolearning',
    );
    lab.ip(n.ns, 'link', 'set', device, 'mtu', '1450');
    lab.ip(n.ns, 'addr', 'add', `${tunnelAddress(n)}/32`, 'dev', device);
    lab.ip(n.ns, 'link', 'set', device, 'up');
    lab.offloadsOff(n.ns, device);
    n.tunnelAddress = tunnelAddress(n);
  }
  for (const n of world.nodes) {
    for (const peer of world.nodes) {
      if (peer === n) continue;
      const peerMac = mac(`${peer.name}-${device}`);
      lab.ip(n.ns, 'route', 'add', blockOf(peer), 'via', tunnelAddress(peer), 'dev', device, 'onlink');
      lab.ip(n.ns, 'neigh', 'add', tunnelAddress(peer), 'lladdr', peerMac, 'dev', device, 'nud', 'permanent');
      run(lab, n.ns, 'bridge', ['fdb', 'append', peerMac, 'dev', device, 'dst', peer.ip]);
    }
  }
}

function run(lab, ns, command, args) {
  lab.exec(ns, command, args);
}

/** Routed pod blocks without a tunnel (Calico BGP, host-gw): peers' blocks via their node IP. */
export function directRoutes(world, { blockOf }) {
  for (const n of world.nodes) {
    for (const peer of world.nodes) {
      if (peer !== n) world.lab.ip(n.ns, 'route', 'add', blockOf(peer), 'via', peer.ip, 'dev', 'eth0');
    }
  }
}

/** Interfaces by ifindex in a namespace: what an SLL2 capture's interface numbers mean. */
export function interfaceNames(world, ns) {
  return world.lab.ifindexes(ns);
}
