// Calico's IPIP mode: pod packets between nodes inside an outer IPv4 header (protocol 4).
// The kernel here has no ipip device, so the traffic runs over direct routes and the real
// captured packets are wrapped afterwards (wrap.mjs); the README says so.
import { join } from 'node:path';
import {
  deploymentPodName,
  endpointSliceObject,
  list,
  nodeObject,
  podObject,
  serviceObject,
} from '../k8s.mjs';
import { pairCaptures, routedPair } from '../routed-pair.mjs';
import { ipv4Addresses, rewriteCapture, wrapIpip } from '../wrap.mjs';

export const name = 'calico-ipip';
export const short = 'ci4';
export const summary = 'Calico IPIP between two nodes (wrapped around real captured packets)';
export const readme = `
# calico-ipip

> **Wrapped, not kernel-made.** The kernel the lab runs on has no \`ipip\` device. The pod
> traffic here ran over direct routes between two real nodes, and the packets captured on
> node1's \`eth0\` were then wrapped in the outer IPv4 header (protocol 4, node IP to node IP,
> DF, valid checksum) that Calico's \`tunl0\` adds, with podpath's own pcap writer
> (\`test/lab/wrap.mjs\`). The pod captures are exactly as the kernel wrote them.

**Models:** Calico in IPIP mode (\`ipipMode: Always\`): routed /32 pods with proxy ARP and the
169.254.1.1 gateway, Calico IPAM blocks (10.244.64.0/26, 10.244.64.64/26) that ignore the
nodes' spec.podCIDR, and the \`projectcalico.org/IPv4IPIPTunnelAddr\` annotation.

**Shows:** the IP-in-IP overlay: no UDP, no VNI, just a second IPv4 header between the node IPs.

**Captures:** \`node1-eth0.pcap\` (node1's underlay, IPIP), \`client.pcap\` and \`api.pcap\` (inside
the two pods: plain IP).

**What to look for in podpath:** on \`node1-eth0.pcap\` the TCP, UDP and ping flows between the
pods have \`encapsulation: [{ type: "ipip", outer: 192.168.10.101 -> 192.168.10.102 }]\` (no
VNI, no UDP port); the pod captures show the same flows with no encapsulation.
`;

const BLOCKS = ['10.244.64.0/26', '10.244.64.64/26'];

export function run(lab) {
  const built = routedPair(lab, {
    blocks: BLOCKS,
    podIps: { client: '10.244.64.5', local: '10.244.64.6', server: '10.244.64.70', idle: '10.244.64.71' },
    mtu: 1480,
    rawCapture: 'node1-eth0-direct.pcap',
  });
  const { world, n1, n2 } = built;
  const nodeOf = (ip) => world.pods.find((p) => p.ip === ip)?.node;
  rewriteCapture(join(lab.work, 'node1-eth0-direct.pcap'), join(lab.work, 'node1-eth0.pcap'), (frame) => {
    const a = ipv4Addresses(frame);
    const from = a && nodeOf(a.src);
    const to = a && nodeOf(a.dst);
    return from && to && from !== to ? wrapIpip(frame, { src: from.ip, dst: to.ip }) : frame;
  });
  const tunnelAddress = (n) =>
    n.podCIDR.replace(/\.\d+\/26$/, (m) => `.${Number(m.slice(1, m.indexOf('/'))) + 1}`);
  const snapshot = list([
    ...[n1, n2].map((n, i) =>
      nodeObject({
        name: n.name,
        ip: n.ip,
        podCIDR: `10.244.${i}.0/24`,
        annotations: {
          'projectcalico.org/IPv4Address': `${n.ip}/24`,
          'projectcalico.org/IPv4IPIPTunnelAddr': tunnelAddress(n),
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
        name: deploymentPodName(`calico-node-${n.name}`, 0).replace(/^calico-node-node\d-/, 'calico-node-'),
        namespace: 'kube-system',
        node: n.name,
        nodeIP: n.ip,
        ip: n.ip,
        labels: { 'k8s-app': 'calico-node' },
        hostNetwork: true,
        daemonSet: 'calico-node',
      }),
    ),
    serviceObject({
      name: 'api',
      clusterIP: '10.96.12.40',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      selector: { app: 'api' },
    }),
    endpointSliceObject({
      service: 'api',
      endpoints: [built.server, built.local].map((p) => ({ ip: p.ip, node: p.node.name, pod: p.name })),
      ports: [{ name: 'http', port: 8080 }],
    }),
  ]);
  const tunnel = [{ type: 'ipip', outer: { src: n1.ip, dst: n2.ip } }];
  return {
    snapshot,
    captures: pairCaptures(built, tunnel, 'node1 eth0 (underlay), IPIP wrapped around the real packets'),
  };
}
