// Flannel's VXLAN backend: flannel.1 (VNI 1, UDP 8472, MTU 1450) between two nodes, pods
// on a cni0 bridge; pod to pod across nodes (through the tunnel) and on one node (bridged).
import { flannelBridge, mac, node, pod, underlay, vxlanOverlay } from '../cluster.mjs';
import {
  deploymentPodName,
  endpointSliceObject,
  list,
  nodeObject,
  podObject,
  serviceObject,
} from '../k8s.mjs';

export const name = 'flannel-vxlan';
export const short = 'fv';
export const summary =
  'Flannel VXLAN (flannel.1, VNI 1, UDP 8472) between two nodes; pod to pod across nodes and on one node';
export const readme = `
# flannel-vxlan

**Models:** Flannel's VXLAN backend, the default of many course clusters. Two nodes on one
underlay subnet (192.168.10.0/24); each node has a /24 of pod addresses (10.244.1.0/24,
10.244.2.0/24) behind a \`cni0\` bridge, and a \`flannel.1\` VXLAN device (VNI 1, UDP 8472, MTU
1450) with a route, a permanent neighbour and an FDB entry per peer node, as flanneld programs
them.

**Shows:** the overlay. A pod-to-pod packet leaves the client pod as plain IP, crosses the
node's \`flannel.1\` and leaves \`eth0\` wrapped in outer Ethernet/IPv4/UDP 8472/VXLAN between
the node IPs; traffic between two pods of one node never touches the tunnel.

**Captures:** \`node1-eth0.pcap\` (node1's underlay: only encapsulated packets),
\`node1-any.pcap\` (\`tcpdump -i any\` on node1, LINUX_SLL2: the same connection seen on the
pod's veth, on cni0, on flannel.1 and, encapsulated, on eth0; truth.json maps ifindexes to
names), \`client.pcap\` (inside the client pod), \`web-1.pcap\` (inside the server pod on node2).

**What to look for in podpath:** the TCP, UDP and ping flows on \`node1-eth0.pcap\` carry
\`encapsulation: [{ type: "vxlan", vni: 1, udpPort: 8472, outer: 192.168.10.101 -> 192.168.10.102 }]\`;
in the pod captures the same flows have no encapsulation; in \`node1-any.pcap\` one connection
is one flow per interface it crossed.
`;

const CLIENT_TCP_PORT = 40001;
const CLIENT_UDP_PORT = 40002;
const LOCAL_TCP_PORT = 40003;

export function run(lab) {
  const world = underlay(lab);
  const n1 = node(world, 'node1', 1, { podCIDR: '10.244.1.0/24' });
  const n2 = node(world, 'node2', 2, { podCIDR: '10.244.2.0/24' });
  for (const n of world.nodes) flannelBridge(world, n);
  vxlanOverlay(world, {
    device: 'flannel.1',
    vni: 1,
    port: 8472,
    tunnelAddress: (n) => n.podCIDR.replace(/\/24$/, ''),
    blockOf: (n) => n.podCIDR,
  });
  const clientName = deploymentPodName('client', 0);
  const web1Name = deploymentPodName('web', 0);
  const web2Name = deploymentPodName('web', 1);
  const client = pod(world, n1, clientName, '10.244.1.2', { mtu: 1450, labels: { app: 'client' } });
  const web1 = pod(world, n2, web1Name, '10.244.2.2', { mtu: 1450, labels: { app: 'web' } });
  const web2 = pod(world, n1, web2Name, '10.244.1.3', { mtu: 1450, labels: { app: 'web' } });
  // A pod that carries no traffic, as real clusters have.
  pod(world, n2, 'coredns-5d78c9869d-qk8pz', '10.244.2.3', {
    namespace: 'kube-system',
    mtu: 1450,
    labels: { 'k8s-app': 'kube-dns' },
  });

  lab.server(web1.ns, 'web1-tcp', 'tcp-server', web1.ip, '8080');
  lab.server(web1.ns, 'web1-udp', 'udp-server', web1.ip, '9000');
  lab.server(web2.ns, 'web2-tcp', 'tcp-server', web2.ip, '8080');

  lab.capture(n1.ns, 'eth0', 'node1-eth0.pcap');
  lab.capture(n1.ns, 'any', 'node1-any.pcap');
  lab.capture(client.ns, 'eth0', 'client.pcap');
  lab.capture(web1.ns, 'eth0', 'web-1.pcap');

  lab.exec(client.ns, 'ping', ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', web1.ip]);
  lab.client(client.ns, 'tcp-client', web1.ip, '8080', '--port', String(CLIENT_TCP_PORT));
  lab.client(client.ns, 'udp-client', web1.ip, '9000', '--port', String(CLIENT_UDP_PORT));
  lab.client(client.ns, 'tcp-client', web2.ip, '8080', '--port', String(LOCAL_TCP_PORT));
  const interfaces = lab.ifindexes(n1.ns);

  const podName = (p) => `${p.namespace}/${p.name}`;
  const ends = (port, serverPort, server) => [
    { ip: client.ip, port, name: podName(client) },
    { ip: server.ip, port: serverPort, name: podName(server) },
  ];
  const tunnel = [{ type: 'vxlan', vni: 1, vniReply: 1, udpPort: 8472, outer: { src: n1.ip, dst: n2.ip } }];
  const crossNode = (encapsulation, extra = {}) => [
    flow('tcp', ...ends(CLIENT_TCP_PORT, 8080, web1), encapsulation, extra),
    flow('udp', ...ends(CLIENT_UDP_PORT, 9000, web1), encapsulation, extra),
    flow('icmp', ...ends(undefined, undefined, web1), encapsulation, extra),
  ];
  const sameNode = (extra = {}) => [flow('tcp', ...ends(LOCAL_TCP_PORT, 8080, web2), [], extra)];
  const onInterface = (iface) => ({ interface: iface });

  const snapshot = list([
    nodeObject({
      name: 'node1',
      ip: n1.ip,
      podCIDR: n1.podCIDR,
      annotations: flannelAnnotations(n1),
    }),
    nodeObject({ name: 'node2', ip: n2.ip, podCIDR: n2.podCIDR, annotations: flannelAnnotations(n2) }),
    ...world.pods.map((p) =>
      podObject({
        name: p.name,
        namespace: p.namespace,
        node: p.node.name,
        nodeIP: p.node.ip,
        ip: p.ip,
        labels: p.labels,
        deployment: p.labels.app,
        containerPort: p.labels.app === 'web' ? 8080 : undefined,
      }),
    ),
    serviceObject({
      name: 'web',
      clusterIP: '10.96.45.10',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      selector: { app: 'web' },
    }),
    endpointSliceObject({
      service: 'web',
      endpoints: [web1, web2].map((p) => ({ ip: p.ip, node: p.node.name, pod: p.name })),
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
        flows: crossNode(tunnel),
      },
      {
        file: 'node1-any.pcap',
        point: 'node1, tcpdump -i any',
        linkType: 'LINUX_SLL2',
        interfaces,
        flows: [
          ...crossNode([], onInterface(client.hostVeth)),
          ...crossNode([], onInterface('cni0')),
          ...crossNode([], onInterface('flannel.1')),
          ...crossNode(tunnel, onInterface('eth0')),
          ...sameNode(onInterface(client.hostVeth)),
          ...sameNode(onInterface(web2.hostVeth)),
        ],
      },
      {
        file: 'client.pcap',
        point: `pod ${podName(client)} eth0`,
        linkType: 'ETHERNET',
        flows: [...crossNode([]), ...sameNode()],
      },
      { file: 'web-1.pcap', point: `pod ${podName(web1)} eth0`, linkType: 'ETHERNET', flows: crossNode([]) },
    ],
  };
}

function flow(protocol, src, dst, encapsulation, extra = {}) {
  const strip = (e) => (e.port === undefined ? { ip: e.ip, name: e.name } : e);
  return { protocol, src: strip(src), dst: strip(dst), encapsulation, ...extra };
}

function flannelAnnotations(n) {
  return {
    'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: mac(`${n.name}-flannel.1`) }),
    'flannel.alpha.coreos.com/backend-type': 'vxlan',
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': n.ip,
  };
}
