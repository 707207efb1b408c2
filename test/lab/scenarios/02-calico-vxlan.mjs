// Calico's VXLAN mode: vxlan.calico (VNI 4096, UDP 4789, MTU 1450) between three nodes, /26
// IPAM blocks that have nothing to do with the nodes' spec.podCIDR, and routed /32 pods behind
// proxy-ARP `cali...` veths with the 169.254.1.1 gateway.
import { node, pod, underlay, vxlanOverlay } from '../cluster.mjs';
import {
  deploymentPodName,
  endpointSliceObject,
  list,
  nodeObject,
  podObject,
  serviceObject,
} from '../k8s.mjs';

export const name = 'calico-vxlan';
export const short = 'cv';
export const summary =
  'Calico VXLAN (vxlan.calico, VNI 4096, UDP 4789) between three nodes with /26 IPAM blocks unrelated to spec.podCIDR; routed /32 pods';
export const readme = `
# calico-vxlan

**Models:** Calico in VXLAN mode on three nodes of one underlay subnet (192.168.10.101-103).
Calico's IPAM hands each node a /26 block of its own choosing (node1 10.244.120.64/26, node2
10.244.33.128/26, node3 10.244.7.0/26) while the Node objects still carry the /24s the
controller manager gave them in \`spec.podCIDR\` (10.244.0.0/24, 10.244.1.0/24,
10.244.2.0/24): calico-ipam ignores them. Each node has a \`vxlan.calico\` device (VNI 4096,
UDP 4789, MTU 1450) whose address is one taken from its own block (the block's first address,
published in the \`projectcalico.org/IPv4VXLANTunnelAddr\` annotation), a route per peer block
via the peer's tunnel address, a permanent neighbour and an FDB entry naming the peer's
underlay IP, and a blackhole route for its own block, as Felix programs them. Pods are routed
/32s: \`eth0\` with a /32 and a default route via 169.254.1.1, answered by proxy ARP on the
host-side \`cali...\` veth (MAC ee:ee:ee:ee:ee:ee); the host routes each pod's /32 to its veth.
A calico-node DaemonSet pod per node uses the host network (its pod IP is the node's) and
carries no traffic; so does an idle CoreDNS pod.

**Shows:** the overlay, and that a pod's node cannot be read from \`spec.podCIDR\` under
Calico: the pod addresses fall in the IPAM blocks, which only the tunnel-address annotation,
the routes and the pods' own records tie to nodes. Pod to pod across nodes goes through the
tunnel in both directions across the cluster (node1 to node2, node3 to node1); between two
pods of node1 it is routed between two \`cali\` veths without ever touching \`vxlan.calico\`.

**Captures:** \`node1-eth0.pcap\` (node1's underlay: the tunnel to node2, opened by node1's
client, and the tunnel from node3, opened by node3's client), \`node3-eth0.pcap\` (node3's
underlay: its client's tunnel to node1), \`node2-any.pcap\` (\`tcpdump -i any\` on node2,
LINUX_SLL2: node1's client reaching node2's web pod, seen encapsulated on \`eth0\`, plain on
\`vxlan.calico\` and on the pod's \`cali\` veth; truth.json maps ifindexes to names),
\`web-0.pcap\` (inside the web pod on node1: node3's client across the tunnel, and node1's
client on the same node).

**What to look for in podpath:** the TCP, UDP and ping flows on the underlay captures carry
\`encapsulation: [{ type: "vxlan", vni: 4096, udpPort: 4789 }]\` with the outer pair taken
from the initiator's side: 192.168.10.101 -> 192.168.10.102 for node1's client, and
192.168.10.103 -> 192.168.10.101 for node3's client, even on node1 where that tunnel arrives
rather than leaves. In \`node2-any.pcap\` one connection is three flows, one per interface;
the pod capture's flows have no encapsulation. The snapshot tests attribution: a pod's node
must come from the pods' own records (\`status.podIP\`, \`spec.nodeName\`) or the Calico
annotations, not from \`spec.podCIDR\`, which no pod address lies in; and the host-network
calico-node pods share the node IPs (the tunnel endpoints) but none of the pod traffic is
theirs.
`;

const VNI = 4096;
const VXLAN_PORT = 4789;
const NODES = [
  { name: 'node1', podCIDR: '10.244.0.0/24', block: '10.244.120.64/26' },
  { name: 'node2', podCIDR: '10.244.1.0/24', block: '10.244.33.128/26' },
  { name: 'node3', podCIDR: '10.244.2.0/24', block: '10.244.7.0/26' },
];
const CALICO_NODE_PODS = ['calico-node-4x7kq', 'calico-node-9zvbd', 'calico-node-m2p8s'];

// Fixed client ports: node1's client to node2's web pod, node3's client to node1's web pod,
// and node1's client to the web pod beside it.
const N1_TCP = 40001;
const N1_UDP = 40002;
const N3_TCP = 40011;
const N3_UDP = 40012;
const LOCAL_TCP = 40003;

/** The nth address of a block ("10.244.120.64/26", 1 -> "10.244.120.65"). */
function inBlock(block, n) {
  const [base] = block.split('/');
  const octets = base.split('.').map(Number);
  octets[3] += n;
  return octets.join('.');
}

export function run(lab) {
  // The router gives nodes a default route, which proxy ARP for 169.254.1.1 needs.
  const world = underlay(lab, { router: true });
  const [n1, n2, n3] = NODES.map((spec, i) => {
    const n = node(world, spec.name, i + 1, { podCIDR: spec.podCIDR });
    n.block = spec.block;
    return n;
  });
  vxlanOverlay(world, {
    device: 'vxlan.calico',
    vni: VNI,
    port: VXLAN_PORT,
    tunnelAddress: (n) => inBlock(n.block, 0),
    blockOf: (n) => n.block,
  });
  // Felix: a blackhole for the node's own block (its pods' /32s are more specific).
  for (const n of world.nodes) lab.ip(n.ns, 'route', 'add', 'blackhole', n.block, 'proto', '80');

  const calicoPod = (n, podName, index, options = {}) => {
    const p = pod(world, n, podName, inBlock(n.block, index), { style: 'calico', mtu: 1450, ...options });
    // Felix answers the pod's ARP for 169.254.1.1 at once, not after the proxy delay.
    lab.sysctl(n.ns, { [`net.ipv4.neigh.${p.hostVeth}.proxy_delay`]: 0 });
    return p;
  };
  const client0 = calicoPod(n1, deploymentPodName('client', 0), 1, { labels: { app: 'client' } });
  const web0 = calicoPod(n1, deploymentPodName('web', 0), 2, { labels: { app: 'web' } });
  const web1 = calicoPod(n2, deploymentPodName('web', 1), 1, { labels: { app: 'web' } });
  // A pod that carries no traffic, as real clusters have.
  calicoPod(n2, deploymentPodName('coredns', 0), 2, {
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
  });
  const client1 = calicoPod(n3, deploymentPodName('client', 1), 1, { labels: { app: 'client' } });

  for (const [web, tag] of [
    [web0, 'web0'],
    [web1, 'web1'],
  ]) {
    lab.server(web.ns, `${tag}-tcp`, 'tcp-server', web.ip, '8080');
    lab.server(web.ns, `${tag}-udp`, 'udp-server', web.ip, '9000');
  }

  lab.capture(n1.ns, 'eth0', 'node1-eth0.pcap');
  lab.capture(n3.ns, 'eth0', 'node3-eth0.pcap');
  lab.capture(n2.ns, 'any', 'node2-any.pcap');
  lab.capture(web0.ns, 'eth0', 'web-0.pcap');

  const ping = (from, to) =>
    lab.exec(from.ns, 'ping', ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', to.ip]);
  ping(client0, web1);
  lab.client(client0.ns, 'tcp-client', web1.ip, '8080', '--port', String(N1_TCP));
  lab.client(client0.ns, 'udp-client', web1.ip, '9000', '--port', String(N1_UDP));
  ping(client1, web0);
  lab.client(client1.ns, 'tcp-client', web0.ip, '8080', '--port', String(N3_TCP));
  lab.client(client1.ns, 'udp-client', web0.ip, '9000', '--port', String(N3_UDP));
  lab.client(client0.ns, 'tcp-client', web0.ip, '8080', '--port', String(LOCAL_TCP));
  const interfaces = lab.ifindexes(n2.ns);

  const podName = (p) => `${p.namespace}/${p.name}`;
  const endOf = (p, port) =>
    port === undefined ? { ip: p.ip, name: podName(p) } : { ip: p.ip, port, name: podName(p) };
  const tunnel = (from, to) => [
    { type: 'vxlan', vni: VNI, vniReply: VNI, udpPort: VXLAN_PORT, outer: { src: from.ip, dst: to.ip } },
  ];
  /** TCP, UDP and ping from a client pod to a web pod, all with the same encapsulation. */
  const exchange = (client, web, tcpPort, udpPort, encapsulation, extra = {}) => [
    { protocol: 'tcp', src: endOf(client, tcpPort), dst: endOf(web, 8080), encapsulation, ...extra },
    { protocol: 'udp', src: endOf(client, udpPort), dst: endOf(web, 9000), encapsulation, ...extra },
    { protocol: 'icmp', src: endOf(client), dst: endOf(web), encapsulation, ...extra },
  ];
  const n1ToN2 = (encapsulation, extra) => exchange(client0, web1, N1_TCP, N1_UDP, encapsulation, extra);
  const n3ToN1 = (encapsulation, extra) => exchange(client1, web0, N3_TCP, N3_UDP, encapsulation, extra);
  const local = [
    { protocol: 'tcp', src: endOf(client0, LOCAL_TCP), dst: endOf(web0, 8080), encapsulation: [] },
  ];
  const on = (iface) => ({ interface: iface });

  const snapshot = list([
    ...world.nodes.map((n) =>
      nodeObject({
        name: n.name,
        ip: n.ip,
        podCIDR: n.podCIDR,
        annotations: {
          'projectcalico.org/IPv4Address': `${n.ip}/24`,
          'projectcalico.org/IPv4VXLANTunnelAddr': n.tunnelAddress,
        },
      }),
    ),
    ...world.pods.map((p) => {
      const object = podObject({
        name: p.name,
        namespace: p.namespace,
        node: p.node.name,
        nodeIP: p.node.ip,
        ip: p.ip,
        labels: p.labels,
        deployment: p.labels.app ?? (p.namespace === 'kube-system' ? 'coredns' : undefined),
        containerPort: p.labels.app === 'web' ? 8080 : undefined,
      });
      object.metadata.annotations = {
        'cni.projectcalico.org/podIP': `${p.ip}/32`,
        'cni.projectcalico.org/podIPs': `${p.ip}/32`,
      };
      return object;
    }),
    ...world.nodes.map((n, i) =>
      podObject({
        name: CALICO_NODE_PODS[i],
        namespace: 'kube-system',
        node: n.name,
        nodeIP: n.ip,
        ip: n.ip,
        labels: { 'k8s-app': 'calico-node' },
        hostNetwork: true,
        daemonSet: 'calico-node',
        image: 'docker.io/calico/node:v3.29.1',
      }),
    ),
    serviceObject({
      name: 'web',
      clusterIP: '10.96.88.20',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      selector: { app: 'web' },
    }),
    endpointSliceObject({
      service: 'web',
      endpoints: [web0, web1].map((p) => ({ ip: p.ip, node: p.node.name, pod: p.name })),
      ports: [{ name: 'http', port: 8080 }],
    }),
  ]);

  return {
    snapshot,
    captures: [
      {
        file: 'node1-eth0.pcap',
        point: 'node1 eth0 (underlay)',
        linkType: 'ETHERNET',
        flows: [...n1ToN2(tunnel(n1, n2)), ...n3ToN1(tunnel(n3, n1))],
      },
      {
        file: 'node3-eth0.pcap',
        point: 'node3 eth0 (underlay)',
        linkType: 'ETHERNET',
        flows: n3ToN1(tunnel(n3, n1)),
      },
      {
        file: 'node2-any.pcap',
        point: 'node2, tcpdump -i any',
        linkType: 'LINUX_SLL2',
        interfaces,
        flows: [
          ...n1ToN2(tunnel(n1, n2), on('eth0')),
          ...n1ToN2([], on('vxlan.calico')),
          ...n1ToN2([], on(web1.hostVeth)),
        ],
      },
      {
        file: 'web-0.pcap',
        point: `pod ${podName(web0)} eth0`,
        linkType: 'ETHERNET',
        flows: [...n3ToN1([]), ...local],
      },
    ],
  };
}
