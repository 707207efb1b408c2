// Dual-stack pods (IPv4 and IPv6, ULA ranges) routed directly between two nodes, and an
// IPv6 ClusterIP Service that kube-proxy's ip6tables rules DNAT to a pod on the other node.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { node, pod, underlay } from '../cluster.mjs';
import {
  deploymentPodName,
  endpointSliceObject,
  list,
  nodeObject,
  podObject,
  serviceObject,
} from '../k8s.mjs';

export const name = 'dual-stack';
export const short = 'ds';
export const summary =
  'Dual-stack pods (IPv4 + IPv6 ULA) routed directly between two nodes; an IPv6 ClusterIP Service DNATed by ip6tables (kube-proxy chains)';
export const readme = `
# dual-stack

**Models:** a dual-stack cluster without an overlay. Two nodes share an underlay with both
families (192.168.10.101-102 and fd00:192:168:10::101-102, added \`nodad\`); each has a pod
range per family (10.244.1.0/24 + fd00:10:244:1::/64, 10.244.2.0/24 + fd00:10:244:2::/64,
both in \`spec.podCIDRs\`) and a route to the peer's ranges via the peer's address of the same
family. Pods are wired as Calico does in dual-stack mode: \`eth0\` holds a /32 and a /128, with
default routes via 169.254.1.1 (proxy ARP on the host-side \`cali...\` veth) and fe80::1 (an
address of that veth); \`status.podIPs\` lists both addresses. One Service, \`default/web\`, is
IPv6 single-stack: ClusterIP fd00:10:96::1234 port 80, one endpoint, the web pod's
[fd00:10:244:2::2]:8080. node1 (the client's node) carries kube-proxy's ip6tables \`nat\`
rules for it, with the chain names kube-proxy derives from the service port and endpoint:
PREROUTING and OUTPUT jump to KUBE-SERVICES, which sends the ClusterIP's TCP port 80 to
KUBE-SVC-…, which sends it to the endpoint's KUBE-SEP-…, which DNATs it (and the
KUBE-MARK-MASQ / KUBE-POSTROUTING masquerade chains, which a pod inside the cluster range
does not trigger).

**Shows:** IPv6 pod networking next to IPv4 on the same pods and wires, and what a ClusterIP
is on the wire: the client pod connects to fd00:10:96::1234 port 80, a destination that exists
only in node1's ip6tables rules; from node1's \`eth0\` onwards the same connection is addressed
to the pod, [fd00:10:244:2::2]:8080, and conntrack reverses the translation on the replies so
the client never sees the pod's address. IPv6 neighbour discovery and MLD take the place of
ARP as background chatter.

**Captures:** \`client.pcap\` (inside the client pod on node1: the ClusterIP connection as
the client made it, plus direct IPv6 TCP, UDP and ping and IPv4 TCP and ping to the web pod),
\`node1-any.pcap\` (\`tcpdump -i any\` on node1, LINUX_SLL2: every flow on the client's
\`cali\` veth and on \`eth0\`; the Service connection is to the ClusterIP on the veth and to the
pod on \`eth0\`; truth.json maps ifindexes to names), \`node2-eth0.pcap\` (node2's underlay)
and \`web.pcap\` (inside the web pod on node2): both see the Service connection only after
DNAT, client to pod port 8080.

**What to look for in podpath:** IPv6 flows with IPv6 endpoints (TCP, UDP, and an ICMPv6 echo
flow), beside the IPv4 flows of the same two pods, none with encapsulation. The Service
connection is client [fd00:10:244:1::2]:40010 -> [fd00:10:96::1234]:80 in \`client.pcap\` and
on the veth in \`node1-any.pcap\`, and client -> [fd00:10:244:2::2]:8080 on node1's and node2's
\`eth0\` and in \`web.pcap\`; truth.json marks the translated flow with \`nat\` (kind dnat,
service default/web, before and after) and lists the translation under \`translations\`.
The snapshot's Service has \`ipFamilies: ["IPv6"]\` and an IPv6 EndpointSlice, so the
ClusterIP resolves to default/web and the pod address to the web pod. Neighbour
solicitations and advertisements, and MLD reports if any, are background, not traffic.
`;

const NODES = [
  { name: 'node1', podCIDR: '10.244.1.0/24', pod6: 'fd00:10:244:1::/64', underlay6: 'fd00:192:168:10::101' },
  { name: 'node2', podCIDR: '10.244.2.0/24', pod6: 'fd00:10:244:2::/64', underlay6: 'fd00:192:168:10::102' },
];
const CLUSTER_CIDR6 = 'fd00:10:244::/56';
const SERVICE = {
  namespace: 'default',
  name: 'web',
  port: 80,
  portName: 'http',
  clusterIP: 'fd00:10:96::1234',
};
const TARGET_PORT = 8080;

// Fixed client ports.
const V6_TCP = 40001;
const V6_UDP = 40002;
const V4_TCP = 40003;
const SERVICE_TCP = 40010;

/** Go's base32.StdEncoding, which kube-proxy's chain names use. */
function base32(bytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let value = 0;
  let bits = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

const hash16 = (text) => base32(createHash('sha256').update(text).digest()).slice(0, 16);

/** kube-proxy (iptables mode): KUBE-SVC-<hash of "ns/name:port" + protocol>. */
const serviceChain = (servicePortName, protocol) => `KUBE-SVC-${hash16(servicePortName + protocol)}`;
/** kube-proxy: KUBE-SEP-<hash of "ns/name:port" + protocol + "[ip]:port">. */
const endpointChain = (servicePortName, protocol, endpoint) =>
  `KUBE-SEP-${hash16(servicePortName + protocol + endpoint)}`;

/** The ip6tables nat rules kube-proxy writes for one TCP ClusterIP with one endpoint. */
function kubeProxyRules(lab, ns, { servicePortName, clusterIP, port, endpointIP, endpointPort }) {
  const svc = serviceChain(servicePortName, 'tcp');
  const endpoint = `[${endpointIP}]:${endpointPort}`;
  const sep = endpointChain(servicePortName, 'tcp', endpoint);
  const rule = (...args) => lab.exec(ns, 'ip6tables', ['-w', '-t', 'nat', ...args]);
  for (const chain of ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', svc, sep]) rule('-N', chain);
  const comment = (text) => ['-m', 'comment', '--comment', text];
  rule('-A', 'PREROUTING', ...comment('kubernetes service portals'), '-j', 'KUBE-SERVICES');
  rule('-A', 'OUTPUT', ...comment('kubernetes service portals'), '-j', 'KUBE-SERVICES');
  rule('-A', 'POSTROUTING', ...comment('kubernetes postrouting rules'), '-j', 'KUBE-POSTROUTING');
  rule('-A', 'KUBE-MARK-MASQ', '-j', 'MARK', '--set-xmark', '0x4000/0x4000');
  rule('-A', 'KUBE-POSTROUTING', '-m', 'mark', '!', '--mark', '0x4000/0x4000', '-j', 'RETURN');
  rule('-A', 'KUBE-POSTROUTING', '-j', 'MARK', '--set-xmark', '0x4000/0x0');
  rule(
    '-A',
    'KUBE-POSTROUTING',
    ...comment('kubernetes service traffic requiring SNAT'),
    '-j',
    'MASQUERADE',
    '--random-fully',
  );
  const toService = ['-d', `${clusterIP}/128`, '-p', 'tcp', ...comment(`${servicePortName} cluster IP`)];
  rule('-A', 'KUBE-SERVICES', ...toService, '-m', 'tcp', '--dport', String(port), '-j', svc);
  rule(
    '-A',
    svc,
    '!',
    '-s',
    CLUSTER_CIDR6,
    ...toService,
    '-m',
    'tcp',
    '--dport',
    String(port),
    '-j',
    'KUBE-MARK-MASQ',
  );
  rule('-A', svc, ...comment(`${servicePortName} -> ${endpoint}`), '-j', sep);
  rule('-A', sep, '-s', `${endpointIP}/128`, ...comment(servicePortName), '-j', 'KUBE-MARK-MASQ');
  rule(
    '-A',
    sep,
    '-p',
    'tcp',
    ...comment(servicePortName),
    '-m',
    'tcp',
    '-j',
    'DNAT',
    '--to-destination',
    endpoint,
  );
  return { svc, sep };
}

export function run(lab) {
  // The router gives nodes an IPv4 default route, which proxy ARP for 169.254.1.1 needs.
  const world = underlay(lab, { router: true });
  const [n1, n2] = NODES.map((spec, i) => {
    const n = node(world, spec.name, i + 1, { podCIDR: spec.podCIDR, ipv6: { underlay: spec.underlay6 } });
    n.pod6 = spec.pod6;
    return n;
  });
  // Direct routes for both families: the peer's ranges via the peer's address.
  for (const n of world.nodes) {
    for (const peer of world.nodes) {
      if (peer === n) continue;
      lab.ip(n.ns, 'route', 'add', peer.podCIDR, 'via', peer.ip, 'dev', 'eth0');
      lab.ip(n.ns, '-6', 'route', 'add', peer.pod6, 'via', peer.ipv6.underlay, 'dev', 'eth0');
    }
  }
  const dualPod = (n, podName, host, options = {}) => {
    const ip = n.podCIDR.replace(/0\/24$/, String(host));
    const ipv6 = n.pod6.replace(/\/64$/, String(host));
    const p = pod(world, n, podName, ip, { style: 'calico', ipv6, ...options });
    lab.sysctl(n.ns, { [`net.ipv4.neigh.${p.hostVeth}.proxy_delay`]: 0 });
    return p;
  };
  const client = dualPod(n1, deploymentPodName('client', 0), 2, { labels: { app: 'client' } });
  const web = dualPod(n2, deploymentPodName('web', 0), 2, { labels: { app: 'web' } });
  // A pod that carries no traffic, as real clusters have.
  dualPod(n2, deploymentPodName('coredns', 0), 3, {
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
  });

  const servicePortName = `${SERVICE.namespace}/${SERVICE.name}:${SERVICE.portName}`;
  const chains = kubeProxyRules(lab, n1.ns, {
    servicePortName,
    clusterIP: SERVICE.clusterIP,
    port: SERVICE.port,
    endpointIP: web.ipv6,
    endpointPort: TARGET_PORT,
  });

  const web6 = lab.server(web.ns, 'web6-tcp', 'tcp-server', web.ipv6, String(TARGET_PORT));
  lab.server(web.ns, 'web6-udp', 'udp-server', web.ipv6, '9000');
  lab.server(web.ns, 'web4-tcp', 'tcp-server', web.ip, String(TARGET_PORT));

  lab.capture(client.ns, 'eth0', 'client.pcap');
  lab.capture(n1.ns, 'any', 'node1-any.pcap');
  lab.capture(n2.ns, 'eth0', 'node2-eth0.pcap');
  lab.capture(web.ns, 'eth0', 'web.pcap');

  const ping = (args, to) =>
    lab.exec(client.ns, 'ping', [...args, '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', to]);
  ping(['-6'], web.ipv6);
  lab.client(client.ns, 'tcp-client', web.ipv6, String(TARGET_PORT), '--port', String(V6_TCP));
  lab.client(client.ns, 'udp-client', web.ipv6, '9000', '--port', String(V6_UDP));
  ping(['-4'], web.ip);
  lab.client(client.ns, 'tcp-client', web.ip, String(TARGET_PORT), '--port', String(V4_TCP));
  lab.client(client.ns, 'tcp-client', SERVICE.clusterIP, String(SERVICE.port), '--port', String(SERVICE_TCP));
  const interfaces = lab.ifindexes(n1.ns);

  // The rules really translated: the server saw the client's own address and port, and
  // node1's conntrack holds the DNAT.
  const accepted = readFileSync(web6.log, 'utf8');
  if (!accepted.includes(`accepted ${client.ipv6} ${SERVICE_TCP}`))
    throw new Error(`the web pod did not see the Service connection from the client:\n${accepted}`);
  const conntrack = lab.exec(n1.ns, 'conntrack', ['-L', '-f', 'ipv6', '-p', 'tcp'], { allowFailure: true });
  const entry = `src=${client.ipv6} dst=${SERVICE.clusterIP} sport=${SERVICE_TCP} dport=${SERVICE.port} src=${web.ipv6} dst=${client.ipv6} sport=${TARGET_PORT} dport=${SERVICE_TCP}`;
  if (!conntrack.split('\n').some((l) => l.replace(/\s+/g, ' ').includes(entry)))
    throw new Error(`node1 conntrack lacks the Service's DNAT:\n${conntrack}`);
  lab.log('kube-proxy chains', chains.svc, chains.sep);

  const podName = (p) => `${p.namespace}/${p.name}`;
  const end = (ip, port, endName) =>
    port === undefined ? { ip, name: endName } : { ip, port, name: endName };
  const clientEnd = (family, port) => end(family === 6 ? client.ipv6 : client.ip, port, podName(client));
  const webEnd = (family, port) => end(family === 6 ? web.ipv6 : web.ip, port, podName(web));
  const direct = (extra = {}) => [
    { protocol: 'tcp', src: clientEnd(6, V6_TCP), dst: webEnd(6, TARGET_PORT), encapsulation: [], ...extra },
    { protocol: 'udp', src: clientEnd(6, V6_UDP), dst: webEnd(6, 9000), encapsulation: [], ...extra },
    { protocol: 'icmpv6', src: clientEnd(6), dst: webEnd(6), encapsulation: [], ...extra },
    { protocol: 'tcp', src: clientEnd(4, V4_TCP), dst: webEnd(4, TARGET_PORT), encapsulation: [], ...extra },
    { protocol: 'icmp', src: clientEnd(4), dst: webEnd(4), encapsulation: [], ...extra },
  ];
  const serviceName = `${SERVICE.namespace}/${SERVICE.name}`;
  const nat = {
    kind: 'dnat',
    service: serviceName,
    before: {
      src: { ip: client.ipv6, port: SERVICE_TCP },
      dst: { ip: SERVICE.clusterIP, port: SERVICE.port },
    },
    after: { src: { ip: client.ipv6, port: SERVICE_TCP }, dst: { ip: web.ipv6, port: TARGET_PORT } },
  };
  const beforeDnat = (extra = {}) => ({
    protocol: 'tcp',
    src: clientEnd(6, SERVICE_TCP),
    dst: end(SERVICE.clusterIP, SERVICE.port, serviceName),
    encapsulation: [],
    ...extra,
  });
  const afterDnat = (extra = {}) => ({
    protocol: 'tcp',
    src: clientEnd(6, SERVICE_TCP),
    dst: webEnd(6, TARGET_PORT),
    encapsulation: [],
    nat,
    ...extra,
  });
  const on = (iface) => ({ interface: iface });

  const snapshot = list([
    ...world.nodes.map((n) =>
      nodeObject({
        name: n.name,
        ip: n.ip,
        ipv6: n.ipv6.underlay,
        podCIDR: n.podCIDR,
        podCIDRs: [n.podCIDR, n.pod6],
      }),
    ),
    ...world.pods.map((p) => {
      const object = podObject({
        name: p.name,
        namespace: p.namespace,
        node: p.node.name,
        nodeIP: p.node.ip,
        ips: [p.ip, p.ipv6],
        labels: p.labels,
        deployment: p.labels.app ?? (p.namespace === 'kube-system' ? 'coredns' : undefined),
        containerPort: p.labels.app === 'web' ? TARGET_PORT : undefined,
      });
      object.status.hostIPs = [{ ip: p.node.ip }, { ip: p.node.ipv6.underlay }];
      return object;
    }),
    serviceObject({
      name: SERVICE.name,
      namespace: SERVICE.namespace,
      clusterIP: SERVICE.clusterIP,
      clusterIPs: [SERVICE.clusterIP],
      ipFamilies: ['IPv6'],
      ports: [{ name: SERVICE.portName, port: SERVICE.port, targetPort: TARGET_PORT }],
      selector: { app: 'web' },
    }),
    endpointSliceObject({
      service: SERVICE.name,
      namespace: SERVICE.namespace,
      addressType: 'IPv6',
      endpoints: [{ ip: web.ipv6, node: n2.name, pod: web.name }],
      ports: [{ name: SERVICE.portName, port: TARGET_PORT }],
    }),
  ]);

  const files = ['client.pcap', 'node1-any.pcap', 'node2-eth0.pcap', 'web.pcap'];
  return {
    snapshot,
    captures: [
      {
        file: files[0],
        point: `pod ${podName(client)} eth0`,
        linkType: 'ETHERNET',
        flows: [...direct(), beforeDnat()],
      },
      {
        file: files[1],
        point: 'node1, tcpdump -i any',
        linkType: 'LINUX_SLL2',
        interfaces,
        flows: [
          ...direct(on(client.hostVeth)),
          beforeDnat(on(client.hostVeth)),
          ...direct(on('eth0')),
          afterDnat(on('eth0')),
        ],
      },
      {
        file: files[2],
        point: 'node2 eth0 (underlay)',
        linkType: 'ETHERNET',
        flows: [...direct(), afterDnat()],
      },
      {
        file: files[3],
        point: `pod ${podName(web)} eth0`,
        linkType: 'ETHERNET',
        flows: [...direct(), afterDnat()],
      },
    ],
    translations: [
      {
        service: serviceName,
        kind: 'dnat',
        protocol: 'tcp',
        where: `node1 ip6tables nat PREROUTING -> KUBE-SERVICES -> ${chains.svc} -> ${chains.sep}`,
        before: nat.before,
        after: nat.after,
        captures: {
          before: [files[0], `${files[1]} (${client.hostVeth})`],
          after: [`${files[1]} (eth0)`, ...files.slice(2)],
        },
      },
    ],
  };
}
