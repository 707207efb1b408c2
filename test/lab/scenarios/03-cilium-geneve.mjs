// Cilium's Geneve tunnel: the sender's security identity rides in the VNI, so the two
// directions of one connection carry different VNIs. No geneve device here: the real
// captured frames are wrapped afterwards (wrap.mjs); the README says so.
import { join } from 'node:path';
import { list, nodeObject, podObject, serviceObject, endpointSliceObject } from '../k8s.mjs';
import { pairCaptures, routedPair } from '../routed-pair.mjs';
import { ipv4Addresses, rewriteCapture, wrapGeneve } from '../wrap.mjs';

const CLIENT_IDENTITY = 28134;
const API_IDENTITY = 45722;

export const name = 'cilium-geneve';
export const short = 'cg';
export const summary =
  'Cilium Geneve (UDP 6081, VNI = sender identity) between two nodes (wrapped around real captured frames)';
export const readme = `
# cilium-geneve

> **Wrapped, not kernel-made.** The kernel the lab runs on has no \`geneve\` device. The pod
> traffic here ran over direct routes between two real nodes, and each frame captured on
> node1's \`eth0\` was then wrapped whole in outer Ethernet/IPv4/UDP 6081/Geneve between the node
> IPs, as Cilium's \`cilium_geneve\` sends it, with podpath's own pcap writer
> (\`test/lab/wrap.mjs\`). The pod captures are exactly as the kernel wrote them.

**Models:** Cilium in tunnel mode with Geneve (UDP 6081). Cilium puts the sending endpoint's
security identity in the VNI: here the client pods have identity ${CLIENT_IDENTITY} and the api
pods ${API_IDENTITY}, so a connection's two directions carry different VNIs. The outer UDP
source port is a hash of the inner flow, as the kernel picks it.

**Shows:** a UDP overlay whose VNI is not a network id but a sender identity.

**Captures:** \`node1-eth0.pcap\` (node1's underlay, Geneve), \`client.pcap\` and \`api.pcap\`
(inside the two pods).

**What to look for in podpath:** on \`node1-eth0.pcap\` the flows have \`encapsulation: [{ type:
"geneve", udpPort: 6081, vni: <client identity>, vniReply: <api identity>, outer: 192.168.10.101 ->
192.168.10.102 }]\`: one flow per connection although the VNIs differ each way.
`;

export function run(lab) {
  const built = routedPair(lab, {
    blocks: ['10.0.1.0/24', '10.0.2.0/24'],
    podIps: { client: '10.0.1.15', local: '10.0.1.16', server: '10.0.2.33', idle: '10.0.2.34' },
    mtu: 1450,
    rawCapture: 'node1-eth0-direct.pcap',
  });
  const { world, n1, n2 } = built;
  const podOf = (ip) => world.pods.find((p) => p.ip === ip);
  const identity = (p) => (p.labels.app === 'client' ? CLIENT_IDENTITY : API_IDENTITY);
  rewriteCapture(join(lab.work, 'node1-eth0-direct.pcap'), join(lab.work, 'node1-eth0.pcap'), (frame) => {
    const a = ipv4Addresses(frame);
    const from = a && podOf(a.src);
    const to = a && podOf(a.dst);
    if (!from || !to || from.node === to.node) return frame;
    return wrapGeneve(frame, { src: from.node.ip, dst: to.node.ip }, identity(from));
  });
  const snapshot = list([
    ...[n1, n2].map((n) =>
      nodeObject({
        name: n.name,
        ip: n.ip,
        podCIDR: n.podCIDR,
        annotations: {
          'network.cilium.io/ipv4-cilium-host': n.podCIDR.replace(/0\/24$/, '1'),
          'network.cilium.io/ipv4-pod-cidr': n.podCIDR,
        },
      }),
    ),
    ...world.pods.map((p) =>
      podObject({
        name: p.name,
        namespace: p.namespace,
        node: p.node.name,
        nodeIP: p.node.ip,
        ip: p.ip,
        labels: p.labels,
        deployment: p.labels.app ?? p.labels['k8s-app'],
      }),
    ),
    ...[n1, n2].map((n) =>
      podObject({
        name: `cilium-${n.name === 'node1' ? 'x7k2p' : 'q9m4t'}`,
        namespace: 'kube-system',
        node: n.name,
        nodeIP: n.ip,
        ip: n.ip,
        labels: { 'k8s-app': 'cilium' },
        hostNetwork: true,
        daemonSet: 'cilium',
      }),
    ),
    serviceObject({
      name: 'api',
      clusterIP: '10.96.88.2',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      selector: { app: 'api' },
    }),
    endpointSliceObject({
      service: 'api',
      endpoints: [built.server, built.local].map((p) => ({ ip: p.ip, node: p.node.name, pod: p.name })),
      ports: [{ name: 'http', port: 8080 }],
    }),
  ]);
  const tunnel = [
    {
      type: 'geneve',
      vni: CLIENT_IDENTITY,
      vniReply: API_IDENTITY,
      udpPort: 6081,
      outer: { src: n1.ip, dst: n2.ip },
    },
  ];
  return {
    snapshot,
    captures: pairCaptures(built, tunnel, 'node1 eth0 (underlay), Geneve wrapped around the real frames'),
  };
}
