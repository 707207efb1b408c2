// A pod reaching a host outside the cluster: its node masquerades the pod address to the node's
// own (Flannel's ip-masq chain in nat POSTROUTING), while pod-to-pod traffic keeps its source.
import { outsideHost } from '../cluster.mjs';
import { deploymentPodName, list } from '../k8s.mjs';
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

export const name = 'egress-snat';
export const short = 'es';
export const summary =
  'Egress from a pod to 203.0.113.20 through its node’s MASQUERADE (Flannel ip-masq): pod IP inside, node IP and a new port outside; pod-to-pod traffic not masqueraded';
export const readme = `
# egress-snat

**Models:** pod egress on the two-node Flannel VXLAN cluster of \`flannel-vxlan\`, with the
underlay's router (192.168.10.1) to an "internet" 203.0.113.0/24 where a public server
(203.0.113.20) runs TCP (port 80) and UDP (port 9000) servers. The nodes route everything
else via the router, with no NAT there: the node must translate. Each node has Flannel's
ip-masq chain (flanneld \`--ip-masq\`), loaded with \`iptables-restore\` after kube-proxy's:
\`POSTROUTING -j FLANNEL-POSTRTG\`, which RETURNs for traffic already marked 0x4000 and for
traffic among pods (\`-s 10.244.1.0/24 -d 10.244.0.0/16\` and the reverse) and otherwise
\`-s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE --random-fully\`: in effect,
\`-s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE\`.

**Concept:** SNAT/masquerade. The client pod (10.244.1.2 on node1) opens a TCP connection
(source port 40001) and a UDP exchange (40002) to 203.0.113.20 and pings it; node1 rewrites
the source to its eth0 address **192.168.10.101** and, with \`--random-fully\`, to a **random
port**; the outside host never sees 10.244.1.2, and answers the node, whose conntrack
reverses the translation. The ICMP echo is masqueraded too (its identifier may be remapped).
For contrast, a TCP connection (port 40003) from the same pod to a pod on node2 (10.244.2.2)
is not masqueraded: it leaves inside VXLAN with the pod address as source. The translated
ports are learned from the outside server's log (TCP) and node1's \`conntrack -L\` (TCP, UDP).

**Captures:**
- \`client.pcap\`: inside the client pod: every flow from 10.244.1.2 (before SNAT).
- \`node1-eth0.pcap\`: node1's underlay: the egress flows from 192.168.10.101:<random> (after
  SNAT), and the pod-to-pod connection inside VXLAN, source still 10.244.1.2.
- \`outside.pcap\`: the public server's eth0: the egress flows as it receives them, from
  192.168.10.101 (after SNAT).

The post-SNAT flows carry \`nat\` (\`kind: "snat"\`, no Service) with both tuples;
\`translations\` lists them.

**What to look for in podpath:** \`client.pcap\` has \`10.244.1.2:40001 → 203.0.113.20:80\`;
\`node1-eth0.pcap\` and \`outside.pcap\` have \`192.168.10.101:<port> → 203.0.113.20:80\`
with a different source port, and no flow from 10.244.1.2 outside VXLAN. The only
un-masqueraded pod traffic on eth0 is the pod-to-pod flow with \`encapsulation: vxlan\`.
`;

const SERVER_IP = '203.0.113.20';
const TCP_PORT = 40001;
const UDP_PORT = 40002;
const POD_TCP_PORT = 40003;

export function run(lab) {
  const world = flannelCluster(lab, { router: true });
  const [n1, n2] = world.nodes;
  const server = outsideHost(world, 'public', SERVER_IP);
  const client = flannelPod(world, n1, deploymentPodName('client', 0), '10.244.1.2', {
    labels: { app: 'client' },
  });
  const web = flannelPod(world, n2, deploymentPodName('web', 0), '10.244.2.2', { labels: { app: 'web' } });
  for (const n of world.nodes) {
    programKubeProxy(lab, n, { services: [], endpointSlices: [] });
    flannelMasquerade(lab, n);
    saveRules(lab, n);
  }

  const tcpServer = lab.server(server.ns, 'public-tcp', 'tcp-server', SERVER_IP, '80');
  lab.server(server.ns, 'public-udp', 'udp-server', SERVER_IP, '9000');
  lab.server(web.ns, 'web-tcp', 'tcp-server', web.ip, '8080');

  lab.capture(client.ns, 'eth0', 'client.pcap');
  lab.capture(n1.ns, 'eth0', 'node1-eth0.pcap');
  lab.capture(server.ns, 'eth0', 'outside.pcap');

  lab.client(client.ns, 'tcp-client', SERVER_IP, '80', '--port', String(TCP_PORT));
  lab.client(client.ns, 'udp-client', SERVER_IP, '9000', '--port', String(UDP_PORT), '--count', '2');
  lab.exec(client.ns, 'ping', ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', SERVER_IP]);
  lab.client(client.ns, 'tcp-client', web.ip, '8080', '--port', String(POD_TCP_PORT));

  // The translated source of each egress flow, from node1's conntrack (reply destination).
  const entry = (protocol, port) => {
    const e = conntrack(lab, n1.ns, protocol).find(
      (x) =>
        x.original.src.ip === client.ip && x.original.dst.ip === SERVER_IP && x.original.src.port === port,
    );
    if (!e) throw new Error(`no conntrack entry for ${protocol} ${port}`);
    return e.reply.dst;
  };
  const tcpSeen = entry('tcp', TCP_PORT);
  const udpSeen = entry('udp', UDP_PORT);
  const icmp = conntrack(lab, n1.ns, 'icmp').find((x) => x.original.src.ip === client.ip);
  if (!icmp || icmp.reply.dst.ip !== n1.ip) throw new Error(`ping not masqueraded: ${JSON.stringify(icmp)}`);
  const logged = serverPeers(tcpServer);
  if (logged.length !== 1 || logged[0].ip !== tcpSeen.ip || logged[0].port !== tcpSeen.port)
    throw new Error(
      `server log ${JSON.stringify(logged)} disagrees with conntrack ${JSON.stringify(tcpSeen)}`,
    );
  for (const seen of [tcpSeen, udpSeen])
    if (seen.ip !== n1.ip) throw new Error(`masqueraded to ${seen.ip}, not ${n1.ip}`);
  const podPeer = conntrack(lab, n1.ns, 'tcp').find((x) => x.original.src.port === POD_TCP_PORT);
  if (!podPeer || podPeer.reply.dst.ip !== client.ip) throw new Error('pod-to-pod traffic was translated');
  lab.log('tcp seen as', tcpSeen, 'udp seen as', udpSeen);

  // The truth.
  const podEnd = (port) => ({ ip: client.ip, port, name: podName(client) });
  const nodeEnd = (seen) => ({ ip: seen.ip, port: seen.port, name: n1.name });
  const serverEnd = (port) => ({ ip: SERVER_IP, port, name: 'public server' });
  const egress = [
    { protocol: 'tcp', before: podEnd(TCP_PORT), after: nodeEnd(tcpSeen), dst: serverEnd(80) },
    { protocol: 'udp', before: podEnd(UDP_PORT), after: nodeEnd(udpSeen), dst: serverEnd(9000) },
    {
      protocol: 'icmp',
      before: { ip: client.ip, name: podName(client) },
      after: { ip: n1.ip, name: n1.name },
      dst: { ip: SERVER_IP, name: 'public server' },
    },
  ];
  const nat = (e) => natOf('snat', { src: e.before, dst: e.dst }, { src: e.after, dst: e.dst });
  const before = (e) => flow(e.protocol, e.before, e.dst);
  const after = (e) => flow(e.protocol, e.after, e.dst, [], { nat: nat(e) });
  const podToPod = (encapsulation) =>
    flow('tcp', podEnd(POD_TCP_PORT), { ip: web.ip, port: 8080, name: podName(web) }, encapsulation);

  const captures = [
    {
      file: 'client.pcap',
      point: `pod ${podName(client)} eth0 (before SNAT)`,
      linkType: 'ETHERNET',
      flows: [...egress.map(before), podToPod([])],
    },
    {
      file: 'node1-eth0.pcap',
      point: 'node1 eth0 (underlay; after SNAT)',
      linkType: 'ETHERNET',
      flows: [...egress.map(after), podToPod(VXLAN_TUNNEL(n1, n2))],
    },
    {
      file: 'outside.pcap',
      point: `public server ${SERVER_IP} eth0 (after SNAT)`,
      linkType: 'ETHERNET',
      flows: egress.map(after),
    },
  ];
  const translations = egress.map((e) => ({
    ...nat(e),
    protocol: e.protocol,
    where:
      'node1: nat POSTROUTING FLANNEL-POSTRTG (-s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE --random-fully)',
    capturesBefore: ['client.pcap'],
    capturesAfter: ['node1-eth0.pcap', 'outside.pcap'],
  }));

  const snapshot = list(clusterObjects(world, { containerPorts: { [web.name]: 8080 } }));
  return { snapshot, captures, translations };
}
