// A ClusterIP Service through kube-proxy's iptables rules: a client pod connects to
// 10.96.45.10, its node DNATs each connection to one of two endpoints picked at random
// (-m statistic --mode random --probability 0.5), one on each node. The truth learns which
// endpoint each connection reached from the servers' logs and the node's conntrack table.
import { deploymentPodName, endpointSliceObject, list, serviceObject } from '../k8s.mjs';
import {
  clusterObjects,
  conntrack,
  flannelCluster,
  flannelMasquerade,
  flannelPod,
  flow,
  natOf,
  podName,
  programKubeProxy,
  saveRules,
  serverPeers,
  VXLAN_TUNNEL,
} from '../kube-proxy.mjs';

export const name = 'clusterip';
export const short = 'ci';
export const summary =
  'ClusterIP Service 10.96.45.10 (kube-proxy iptables mode): DNAT at the client’s node to one of two endpoints on different nodes, chosen at random';
export const readme = `
# clusterip

**Models:** a ClusterIP Service as kube-proxy's iptables mode implements it, on the two-node
Flannel VXLAN cluster of \`flannel-vxlan\` (pods 10.244.1.0/24 and 10.244.2.0/24, \`flannel.1\`
VNI 1 on UDP 8472). Service \`default/web\` has ClusterIP 10.96.45.10 with port \`http\` 80/TCP
(targetPort 8080) and \`echo\` 9000/UDP, and two ready endpoints: \`web-…\` on node2
(10.244.2.2) and \`web-…\` on node1 (10.244.1.3). Every node holds kube-proxy's chains, loaded
with \`iptables-restore\`: \`KUBE-SERVICES\` matches \`-d 10.96.45.10/32 --dport 80\` and jumps
to \`KUBE-SVC-<hash>\`, which picks the first endpoint's \`KUBE-SEP-<hash>\` with
\`-m statistic --mode random --probability 0.5000000000\` and the other otherwise; the SEP
chain DNATs to \`<pod>:8080\`. Off-cluster sources would be marked 0x4000 for
\`KUBE-POSTROUTING\`'s MASQUERADE; pod sources (10.244.0.0/16) are not. Flannel's ip-masq
chain is there too and leaves pod-to-pod traffic alone.

**Concept:** DNAT. The client only ever talks to 10.96.45.10:80; the translation happens once,
in the client's own node (PREROUTING, on the first packet), and conntrack rewrites the replies
back so the client sees them from the ClusterIP. The source is the client pod's IP all the
way: a ClusterIP reached from a pod is not masqueraded. The endpoint is chosen per
connection, at random: the lab keeps connecting (fixed source ports 40001 and up) until each
endpoint has had at least two, and reads which one each connection reached from the
endpoint servers' logs (\`accepted <ip> <port>\`) and node1's \`conntrack -L\`; every run may
split them differently. Two UDP exchanges (ports 40101, 40102) go to 10.96.45.10:9000 the
same way, one conntrack entry each.

**Captures:**
- \`client.pcap\`: inside the client pod. Every flow is to 10.96.45.10 (before DNAT).
- \`node1-eth0.pcap\`: node1's underlay. Only the connections DNATed to the node2 endpoint,
  inside VXLAN (outer 192.168.10.101 → 192.168.10.102), inner client pod → 10.244.2.2:8080
  (after DNAT). Connections to the node1 endpoint never leave node1.
- \`node2-eth0.pcap\`: node2's underlay, the same VXLAN flows.
- \`web-node2.pcap\`, \`web-node1.pcap\`: inside each endpoint pod: the connections it got,
  from the client pod's own IP and port, to its pod IP and port 8080/9000.

truth.json gives each post-DNAT flow a \`nat\` field (\`kind: "dnat"\`, \`service:
"default/web"\`, the addresses before and after), and \`translations\` lists every connection
with the endpoint it reached and the captures showing each side.

**What to look for in podpath:** in \`client.pcap\` the TCP flows
\`10.244.1.2:4000x → 10.96.45.10:80\` (no tunnel) and UDP to 10.96.45.10:9000; the same source
ports reappear in \`web-node1.pcap\` / \`web-node2.pcap\` and (with \`encapsulation: vxlan,
outer 192.168.10.101 → 192.168.10.102\`) in both \`eth0\` captures, now to
\`10.244.x.y:8080\`: the client port is what ties the two sides of the DNAT together. No
capture shows a source other than 10.244.1.2 for this traffic, and no capture outside the
client pod shows 10.96.45.10.
`;

const CLUSTER_IP = '10.96.45.10';
const FIRST_TCP_PORT = 40001;
const UDP_PORTS = [40101, 40102];
const MIN_EACH = 2;
const MAX_CONNECTIONS = 12;

export function run(lab) {
  const world = flannelCluster(lab, { router: false });
  const [n1, n2] = world.nodes;
  const client = flannelPod(world, n1, deploymentPodName('client', 0), '10.244.1.2', {
    labels: { app: 'client' },
  });
  const webB = flannelPod(world, n2, deploymentPodName('web', 0), '10.244.2.2', { labels: { app: 'web' } });
  const webA = flannelPod(world, n1, deploymentPodName('web', 1), '10.244.1.3', { labels: { app: 'web' } });
  const coredns = flannelPod(world, n2, 'coredns-5d78c9869d-qk8pz', '10.244.2.3', {
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
  });
  const endpoints = [webB, webA];

  const web = serviceObject({
    name: 'web',
    clusterIP: CLUSTER_IP,
    ports: [
      { name: 'http', port: 80, targetPort: 8080 },
      { name: 'echo', port: 9000, targetPort: 9000, protocol: 'UDP' },
    ],
    selector: { app: 'web' },
  });
  const webSlice = endpointSliceObject({
    service: 'web',
    endpoints: endpoints.map((p) => ({ ip: p.ip, node: p.node.name, pod: p.name })),
    ports: [
      { name: 'http', port: 8080 },
      { name: 'echo', port: 9000, protocol: 'UDP' },
    ],
  });
  const dns = serviceObject({
    name: 'kube-dns',
    namespace: 'kube-system',
    clusterIP: '10.96.0.10',
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53 },
    ],
    selector: { 'k8s-app': 'kube-dns' },
    labels: { 'k8s-app': 'kube-dns' },
  });
  const dnsSlice = endpointSliceObject({
    service: 'kube-dns',
    namespace: 'kube-system',
    endpoints: [{ ip: coredns.ip, node: n2.name, pod: coredns.name }],
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53 },
    ],
  });
  const services = [web, dns];
  const endpointSlices = [webSlice, dnsSlice];
  for (const n of world.nodes) {
    programKubeProxy(lab, n, { services, endpointSlices });
    flannelMasquerade(lab, n);
    saveRules(lab, n);
  }

  const tcpServers = new Map();
  for (const p of endpoints) {
    tcpServers.set(p, lab.server(p.ns, `${p.name}-tcp`, 'tcp-server', p.ip, '8080'));
    lab.server(p.ns, `${p.name}-udp`, 'udp-server', p.ip, '9000');
  }

  lab.capture(client.ns, 'eth0', 'client.pcap');
  lab.capture(n1.ns, 'eth0', 'node1-eth0.pcap');
  lab.capture(n2.ns, 'eth0', 'node2-eth0.pcap');
  lab.capture(webB.ns, 'eth0', 'web-node2.pcap');
  lab.capture(webA.ns, 'eth0', 'web-node1.pcap');

  // TCP: connect until each endpoint has had MIN_EACH connections; the endpoint of each
  // connection is the server that logged its source port.
  const connections = [];
  const count = (p) => connections.filter((c) => c.endpoint === p).length;
  for (let port = FIRST_TCP_PORT; port < FIRST_TCP_PORT + MAX_CONNECTIONS; port++) {
    lab.client(client.ns, 'tcp-client', CLUSTER_IP, '80', '--port', String(port));
    const reached = endpoints.filter((p) =>
      serverPeers(tcpServers.get(p)).some((peer) => peer.ip === client.ip && peer.port === port),
    );
    if (reached.length !== 1)
      throw new Error(`connection from port ${port} reached ${reached.length} endpoints`);
    connections.push({ protocol: 'tcp', port, servicePort: 80, targetPort: 8080, endpoint: reached[0] });
    if (endpoints.every((p) => count(p) >= MIN_EACH)) break;
  }
  if (!endpoints.every((p) => count(p) >= MIN_EACH))
    throw new Error(`${MAX_CONNECTIONS} connections did not reach both endpoints ${MIN_EACH} times`);
  for (const port of UDP_PORTS) {
    lab.client(client.ns, 'udp-client', CLUSTER_IP, '9000', '--port', String(port), '--count', '2');
  }

  // Which endpoint conntrack DNATed each flow to (the reply tuple's source).
  const tracked = [...conntrack(lab, n1.ns, 'tcp'), ...conntrack(lab, n1.ns, 'udp')].filter(
    (e) => e.original.src.ip === client.ip && e.original.dst.ip === CLUSTER_IP,
  );
  const trackedTo = (protocol, port) => {
    const e = tracked.find((t) => t.protocol === protocol && t.original.src.port === port);
    if (!e) throw new Error(`no conntrack entry for ${protocol} port ${port}`);
    if (e.reply.dst.ip !== client.ip || e.reply.dst.port !== port)
      throw new Error(`${protocol} port ${port} was source-NATed: ${JSON.stringify(e.reply)}`);
    return e.reply.src;
  };
  for (const c of connections) {
    const to = trackedTo('tcp', c.port);
    if (to.ip !== c.endpoint.ip || to.port !== 8080)
      throw new Error(`server log and conntrack disagree on port ${c.port}`);
  }
  for (const port of UDP_PORTS) {
    const to = trackedTo('udp', port);
    const endpoint = endpoints.find((p) => p.ip === to.ip);
    if (!endpoint || to.port !== 9000) throw new Error(`udp port ${port} went to ${JSON.stringify(to)}`);
    connections.push({ protocol: 'udp', port, servicePort: 9000, targetPort: 9000, endpoint });
  }
  lab.log(
    'endpoints:',
    connections.map((c) => `${c.protocol}/${c.port}->${c.endpoint.node.name}`),
  );

  // The truth.
  const serviceName = 'service/default/web';
  const clientEnd = (c) => ({ ip: client.ip, port: c.port, name: podName(client) });
  const serviceEnd = (c) => ({ ip: CLUSTER_IP, port: c.servicePort, name: serviceName });
  const podEnd = (c) => ({ ip: c.endpoint.ip, port: c.targetPort, name: podName(c.endpoint) });
  const nat = (c) =>
    natOf(
      'dnat',
      { src: clientEnd(c), dst: serviceEnd(c) },
      { src: clientEnd(c), dst: podEnd(c) },
      'default/web',
    );
  const before = (c) => flow(c.protocol, clientEnd(c), serviceEnd(c));
  const after = (c, encapsulation = []) =>
    flow(c.protocol, clientEnd(c), podEnd(c), encapsulation, { nat: nat(c) });
  const remote = connections.filter((c) => c.endpoint === webB);
  const local = connections.filter((c) => c.endpoint === webA);
  const tunnel = VXLAN_TUNNEL(n1, n2);

  const captures = [
    {
      file: 'client.pcap',
      point: `pod ${podName(client)} eth0 (before DNAT)`,
      linkType: 'ETHERNET',
      flows: connections.map(before),
    },
    {
      file: 'node1-eth0.pcap',
      point: 'node1 eth0 (underlay; after DNAT, inside VXLAN)',
      linkType: 'ETHERNET',
      flows: remote.map((c) => after(c, tunnel)),
    },
    {
      file: 'node2-eth0.pcap',
      point: 'node2 eth0 (underlay; after DNAT, inside VXLAN)',
      linkType: 'ETHERNET',
      flows: remote.map((c) => after(c, tunnel)),
    },
    {
      file: 'web-node2.pcap',
      point: `pod ${podName(webB)} eth0 on node2 (after DNAT)`,
      linkType: 'ETHERNET',
      flows: remote.map((c) => after(c)),
    },
    {
      file: 'web-node1.pcap',
      point: `pod ${podName(webA)} eth0 on node1 (after DNAT)`,
      linkType: 'ETHERNET',
      flows: local.map((c) => after(c)),
    },
  ];

  const translations = connections.map((c) => ({
    service: 'default/web',
    servicePort: c.protocol === 'tcp' ? 'http' : 'echo',
    protocol: c.protocol,
    kind: 'dnat',
    where: 'node1 nat PREROUTING (KUBE-SERVICES → KUBE-SVC → KUBE-SEP)',
    endpoint: podName(c.endpoint),
    endpointNode: c.endpoint.node.name,
    before: nat(c).before,
    after: nat(c).after,
    capturesBefore: ['client.pcap'],
    capturesAfter:
      c.endpoint === webB ? ['node1-eth0.pcap', 'node2-eth0.pcap', 'web-node2.pcap'] : ['web-node1.pcap'],
  }));

  const snapshot = list([
    ...clusterObjects(world, {
      containerPorts: { [webA.name]: 8080, [webB.name]: 8080 },
    }),
    web,
    webSlice,
    dns,
    dnsSlice,
  ]);
  return { snapshot, captures, translations };
}
