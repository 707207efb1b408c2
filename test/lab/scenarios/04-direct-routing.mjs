// Pod addresses routed on the underlay with no tunnel: two Calico BGP (or host-gw) nodes whose
// pod blocks are reached via the peer node's IP, and a third node in the style of the AWS VPC
// CNI, whose pods take addresses from the node subnet itself and have no podCIDR at all.
import { createHash } from 'node:crypto';
import { hostVeth, mac, node, pod, underlay } from '../cluster.mjs';
import {
  deploymentPodName,
  endpointSliceObject,
  list,
  nodeObject,
  podObject,
  serviceObject,
} from '../k8s.mjs';

export const name = 'direct-routing';
export const short = 'dr';
export const summary =
  'Pod IPs routed on the underlay without a tunnel: Calico BGP / host-gw blocks via node IPs, and an AWS-VPC-CNI-style node whose pods hold node-subnet addresses';
export const readme = `
# direct-routing

**Models:** pod networks with no overlay, on one underlay subnet (192.168.10.0/24).
node1 and node2 are Calico in BGP mode (or Flannel host-gw, which programs the same routes):
each has a pod block (10.244.1.0/24, 10.244.2.0/24, its \`spec.podCIDR\`), routed /32 pods
behind proxy-ARP \`cali...\` veths with the 169.254.1.1 gateway, a blackhole for its own block,
and for the peer's block a plain route via the peer's node IP (\`10.244.2.0/24 via
192.168.10.102 dev eth0\`), as BIRD would install it. node3 is shaped like an AWS VPC CNI node:
its pods take secondary addresses of the node subnet itself (192.168.10.150, 192.168.10.151),
its Node object has no \`spec.podCIDR\` (EKS nodes have none) but an \`aws://\` providerID, each
pod sits behind an \`eni...\` veth with a /32 host route, a default route via 169.254.1.1 and
a permanent neighbour entry for it (as aws-node writes), and node3 answers ARP for its pods'
addresses on \`eth0\` (proxy ARP standing in for the VPC fabric, which delivers an ENI's
secondary addresses to the instance). node3 reaches the Calico blocks by routes via the node
IPs; the Calico nodes reach node3's pods directly on the shared subnet. A calico-node pod on
node1 and node2 and an aws-node pod on node3 use the host network; an idle CoreDNS pod sits on
node2.

**Shows:** direct routing, the alternative to an overlay: pod-to-pod packets cross the
underlay with their own pod addresses as the only IP header, the node's MAC rewritten per hop
but nothing added; and that a pod IP need not come from a pod CIDR at all (VPC CNI pods look
like hosts of the node subnet).

**Captures:** \`node1-eth0.pcap\` (node1's client to node2's web pod and to node3's api pod),
\`node2-eth0.pcap\` (node2's web pod answering node1's client and node3's VPC-style client),
\`node3-eth0.pcap\` (node3's pods: the api pod answering node1's client, the client pod
reaching node2's web pod), \`web-0.pcap\` (inside the web pod on node2).

**What to look for in podpath:** every flow on every capture has \`encapsulation: []\`: the
underlay captures show the same 5-tuples as the pod capture, pod IP to pod IP, with no outer
header and no node IP in them. Flows to and from 192.168.10.150 and .151 are pod flows even
though those addresses sit in the node subnet beside 192.168.10.101-103; the snapshot names
them (status.podIP) while node3 has no podCIDR to match them against.
`;

const CALICO_NODES = [
  { name: 'node1', podCIDR: '10.244.1.0/24' },
  { name: 'node2', podCIDR: '10.244.2.0/24' },
];
const AWS_NODE = 'node3';
const AWS_PROVIDER_ID = 'aws:///eu-west-1a/i-0c4e1f7a9b2d35e81';

// Fixed client ports.
const N1_WEB_TCP = 40001;
const N1_WEB_UDP = 40002;
const N1_API_TCP = 40003;
const N3_WEB_TCP = 40011;
const N3_WEB_UDP = 40012;

/**
 * A pod as the AWS VPC CNI wires it: an `eni...` host veth, the pod's /32 (a secondary address
 * of the node subnet) with a default route via 169.254.1.1 and a permanent neighbour entry for
 * that gateway naming the host veth's MAC; on the node a /32 route to the veth.
 */
function awsPod(world, n, podName, ip, { namespace = 'default', labels = {} } = {}) {
  const { lab } = world;
  const ns = lab.ns(`p-${podName}`);
  const host = hostVeth('eni', `${namespace}/${podName}`);
  const hostMac = mac(`${podName}-host`);
  lab.veth(ns, 'eth0', n.ns, host, { macA: mac(`${podName}-eth0`), macB: hostMac });
  lab.ip(ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0');
  lab.ip(ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
  lab.ip(ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
  lab.ip(ns, 'neigh', 'add', '169.254.1.1', 'lladdr', hostMac, 'dev', 'eth0', 'nud', 'permanent');
  lab.ip(n.ns, 'route', 'add', `${ip}/32`, 'dev', host, 'scope', 'link');
  const p = { name: podName, namespace, ns, ip, node: n, hostVeth: host, labels };
  n.pods.push(p);
  world.pods.push(p);
  return p;
}

/** A DaemonSet pod's name: <daemonset>-<5 characters>. */
function daemonPodName(daemonSet, nodeName) {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const h = createHash('sha256').update(`${daemonSet}/${nodeName}`).digest();
  return `${daemonSet}-${[...h.subarray(0, 5)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export function run(lab) {
  // The router gives nodes a default route, which proxy ARP for 169.254.1.1 needs.
  const world = underlay(lab, { router: true });
  const [n1, n2] = CALICO_NODES.map((spec, i) => node(world, spec.name, i + 1, { podCIDR: spec.podCIDR }));
  const n3 = node(world, AWS_NODE, 3);
  // BGP's routes: each Calico node's block via that node; node3 learns them too.
  for (const n of [n1, n2]) {
    lab.ip(n.ns, 'route', 'add', 'blackhole', n.podCIDR, 'proto', '80');
    for (const peer of [n1, n2, n3]) {
      if (peer !== n) lab.ip(peer.ns, 'route', 'add', n.podCIDR, 'via', n.ip, 'dev', 'eth0');
    }
  }
  // The VPC delivers node3's secondary addresses to it: node3 answers ARP for its pods.
  lab.sysctl(n3.ns, { 'net.ipv4.conf.eth0.proxy_arp': 1, 'net.ipv4.neigh.eth0.proxy_delay': 0 });

  const calicoPod = (n, podName, ip, options = {}) => {
    const p = pod(world, n, podName, ip, { style: 'calico', ...options });
    lab.sysctl(n.ns, { [`net.ipv4.neigh.${p.hostVeth}.proxy_delay`]: 0 });
    return p;
  };
  const client0 = calicoPod(n1, deploymentPodName('client', 0), '10.244.1.2', { labels: { app: 'client' } });
  const web0 = calicoPod(n2, deploymentPodName('web', 0), '10.244.2.2', { labels: { app: 'web' } });
  calicoPod(n2, deploymentPodName('coredns', 0), '10.244.2.3', {
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
  });
  const api0 = awsPod(world, n3, deploymentPodName('api', 0), '192.168.10.150', { labels: { app: 'api' } });
  const client1 = awsPod(world, n3, deploymentPodName('client', 1), '192.168.10.151', {
    labels: { app: 'client' },
  });

  lab.server(web0.ns, 'web0-tcp', 'tcp-server', web0.ip, '8080');
  lab.server(web0.ns, 'web0-udp', 'udp-server', web0.ip, '9000');
  lab.server(api0.ns, 'api0-tcp', 'tcp-server', api0.ip, '8080');

  lab.capture(n1.ns, 'eth0', 'node1-eth0.pcap');
  lab.capture(n2.ns, 'eth0', 'node2-eth0.pcap');
  lab.capture(n3.ns, 'eth0', 'node3-eth0.pcap');
  lab.capture(web0.ns, 'eth0', 'web-0.pcap');

  const ping = (from, to) =>
    lab.exec(from.ns, 'ping', ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', to.ip]);
  ping(client0, web0);
  lab.client(client0.ns, 'tcp-client', web0.ip, '8080', '--port', String(N1_WEB_TCP));
  lab.client(client0.ns, 'udp-client', web0.ip, '9000', '--port', String(N1_WEB_UDP));
  ping(client0, api0);
  lab.client(client0.ns, 'tcp-client', api0.ip, '8080', '--port', String(N1_API_TCP));
  lab.client(client1.ns, 'tcp-client', web0.ip, '8080', '--port', String(N3_WEB_TCP));
  lab.client(client1.ns, 'udp-client', web0.ip, '9000', '--port', String(N3_WEB_UDP));

  const podName = (p) => `${p.namespace}/${p.name}`;
  const endOf = (p, port) =>
    port === undefined ? { ip: p.ip, name: podName(p) } : { ip: p.ip, port, name: podName(p) };
  const flow = (protocol, client, clientPort, server, serverPort) => ({
    protocol,
    src: endOf(client, clientPort),
    dst: endOf(server, serverPort),
    encapsulation: [],
  });
  const n1ToWeb = [
    flow('tcp', client0, N1_WEB_TCP, web0, 8080),
    flow('udp', client0, N1_WEB_UDP, web0, 9000),
    flow('icmp', client0, undefined, web0, undefined),
  ];
  const n1ToApi = [
    flow('tcp', client0, N1_API_TCP, api0, 8080),
    flow('icmp', client0, undefined, api0, undefined),
  ];
  const n3ToWeb = [
    flow('tcp', client1, N3_WEB_TCP, web0, 8080),
    flow('udp', client1, N3_WEB_UDP, web0, 9000),
  ];

  const calicoNode = (n) =>
    nodeObject({
      name: n.name,
      ip: n.ip,
      podCIDR: n.podCIDR,
      annotations: { 'projectcalico.org/IPv4Address': `${n.ip}/24` },
    });
  const awsNode = nodeObject({
    name: n3.name,
    ip: n3.ip,
    labels: {
      'node.kubernetes.io/instance-type': 'm5.large',
      'topology.kubernetes.io/region': 'eu-west-1',
      'topology.kubernetes.io/zone': 'eu-west-1a',
    },
  });
  awsNode.spec.providerID = AWS_PROVIDER_ID;
  const hostNetworkPod = (n, daemonSet, image) =>
    podObject({
      name: daemonPodName(daemonSet, n.name),
      namespace: 'kube-system',
      node: n.name,
      nodeIP: n.ip,
      ip: n.ip,
      labels: { 'k8s-app': daemonSet },
      hostNetwork: true,
      daemonSet,
      image,
    });

  const snapshot = list([
    calicoNode(n1),
    calicoNode(n2),
    awsNode,
    ...world.pods.map((p) =>
      podObject({
        name: p.name,
        namespace: p.namespace,
        node: p.node.name,
        nodeIP: p.node.ip,
        ip: p.ip,
        labels: p.labels,
        deployment: p.labels.app ?? (p.namespace === 'kube-system' ? 'coredns' : undefined),
        containerPort: p.labels.app === 'web' || p.labels.app === 'api' ? 8080 : undefined,
      }),
    ),
    hostNetworkPod(n1, 'calico-node', 'docker.io/calico/node:v3.29.1'),
    hostNetworkPod(n2, 'calico-node', 'docker.io/calico/node:v3.29.1'),
    hostNetworkPod(n3, 'aws-node', '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.0'),
    serviceObject({
      name: 'web',
      clusterIP: '10.96.120.7',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      selector: { app: 'web' },
    }),
    endpointSliceObject({
      service: 'web',
      endpoints: [{ ip: web0.ip, node: n2.name, pod: web0.name }],
      ports: [{ name: 'http', port: 8080 }],
    }),
    serviceObject({
      name: 'api',
      clusterIP: '10.96.120.8',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      selector: { app: 'api' },
    }),
    endpointSliceObject({
      service: 'api',
      endpoints: [{ ip: api0.ip, node: n3.name, pod: api0.name }],
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
        flows: [...n1ToWeb, ...n1ToApi],
      },
      {
        file: 'node2-eth0.pcap',
        point: 'node2 eth0 (underlay)',
        linkType: 'ETHERNET',
        flows: [...n1ToWeb, ...n3ToWeb],
      },
      {
        file: 'node3-eth0.pcap',
        point: 'node3 eth0 (underlay)',
        linkType: 'ETHERNET',
        flows: [...n1ToApi, ...n3ToWeb],
      },
      {
        file: 'web-0.pcap',
        point: `pod ${podName(web0)} eth0`,
        linkType: 'ETHERNET',
        flows: [...n1ToWeb, ...n3ToWeb],
      },
    ],
  };
}
