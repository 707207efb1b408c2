// An MTU mismatch on Flannel VXLAN: the pods' interfaces say 1500 (a misconfigured CNI),
// flannel.1 says 1450 (1500 less the 50 bytes of VXLAN). A pod pings the other node's pod
// with DF set and 1460 bytes of payload (a 1488-byte IP packet): its node cannot put it into
// the tunnel and answers ICMP "fragmentation needed" (type 3 code 4, next-hop MTU 1450),
// quoting the packet. The pod learns the path MTU; a 1400-byte ping then goes through.
import { flannelBridge, mac, node, pod, underlay, vxlanOverlay } from '../cluster.mjs';
import { deploymentPodName, list, nodeObject, podObject } from '../k8s.mjs';

export const name = 'mtu';
export const short = 'mt';
export const summary =
  'MTU mismatch on Flannel VXLAN: pods at MTU 1500, flannel.1 at 1450; a DF ping of 1488 bytes draws ICMP fragmentation-needed (3/4) from the node, a 1428-byte one passes';

const BIG = 1460; // ICMP payload: 1460 + 8 + 20 = 1488 bytes of IP, over flannel.1's 1450
const SMALL = 1400; // 1428 bytes of IP: fits
const PING_ID = 0x4d54; // one identifier for both pings, so they are one echo conversation
const TUNNEL_MTU = 1450;
export const readme = `
# mtu

**Models:** the classic overlay MTU mistake. Two Flannel VXLAN nodes (as in
\`flannel-vxlan\`: \`flannel.1\`, VNI 1, UDP 8472, MTU ${TUNNEL_MTU}), but the pods' interfaces
were given MTU 1500, as when a CNI config or a custom image ignores the overlay's 50 bytes
of headers. The client pod (10.244.1.2, node1) pings the web pod (10.244.2.2, node2) with
the Don't Fragment bit set (\`ping -M do\`), first with ${BIG} bytes of payload, then with ${SMALL}.

**Shows:** Path MTU discovery and where it breaks. The ${BIG + 28}-byte request fits the pod's
eth0 (1500) and reaches node1 over cni0, but the route to 10.244.2.0/24 leaves through
\`flannel.1\` (MTU ${TUNNEL_MTU}), DF forbids fragmenting, so node1 drops it and sends ICMP
Destination Unreachable, *fragmentation needed* (type 3, code 4, next-hop MTU ${TUNNEL_MTU}) back to
the pod. The error's source is node1's address toward the pod, 10.244.1.1 (cni0), not an
address of the pod or of the tunnel; its payload quotes the dropped packet's IP header
(10.244.1.2 → 10.244.2.2, ICMP). The request never reaches the tunnel or node2. The pod's
kernel caches the path MTU ${TUNNEL_MTU} for 10.244.2.2 (a second big DF ping would fail locally with
"message too long" and put nothing on the wire); the ${SMALL + 28}-byte ping fits and is
answered through the tunnel. Both pings use one ICMP identifier, so they are one echo
conversation. With TCP the same error shrinks the segments, unless a firewall drops the
ICMP: then big transfers hang (an MTU black hole) while small requests work.

**Captures:**
- \`mtu-client.pcap\` (inside the client pod): the ${BIG + 28}-byte request, the ICMP error from
  10.244.1.1, then the small request and its reply.
- \`mtu-node1-any.pcap\` (\`tcpdump -i any\` on node1, LINUX_SLL2; truth.json maps ifindexes
  to names): the big request on the pod's veth and on cni0 and nowhere else, the ICMP
  error on cni0 and the veth; the small ping on the veth, cni0, flannel.1 and, in VXLAN,
  eth0.

**What to look for in podpath:** in both captures a separate ICMP-error flow from
10.244.1.1 to 10.244.1.2 with \`icmp: { type: 3, code: 4, quotes: { src: 10.244.1.2,
dst: 10.244.2.2, protocol: icmp } }\`, beside the echo flow it is about; on node1 the echo
flow appears on flannel.1 and eth0 only with the small ping's packets.
`;

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
  // MTU 1500 on the pods on purpose: the mistake this scenario is about.
  const client = pod(world, n1, deploymentPodName('client', 0), '10.244.1.2', {
    mtu: 1500,
    labels: { app: 'client' },
  });
  const web = pod(world, n2, deploymentPodName('web', 0), '10.244.2.2', {
    mtu: 1500,
    labels: { app: 'web' },
  });
  const gateway = '10.244.1.1'; // node1's cni0

  lab.capture(client.ns, 'eth0', 'mtu-client.pcap');
  lab.capture(n1.ns, 'any', 'mtu-node1-any.pcap');

  const ping = (size) =>
    lab.exec(
      client.ns,
      'ping',
      ['-n', '-c', '1', '-W', '1', '-M', 'do', '-e', String(PING_ID), '-s', String(size), web.ip],
      { allowFailure: true },
    );
  const big = ping(BIG);
  // iputils prints the error's source: the truth records the address that really answered.
  const from = /From (\S+) icmp_seq=1 Frag needed and DF set \(mtu = (\d+)\)/.exec(big);
  if (!from) throw new Error(`the big ping drew no fragmentation-needed error:\n${big}`);
  if (from[1] !== gateway || Number(from[2]) !== TUNNEL_MTU)
    throw new Error(`expected the error from ${gateway} with mtu ${TUNNEL_MTU}:\n${big}`);
  const small = ping(SMALL);
  if (!/1 received/.test(small)) throw new Error(`the small ping was not answered:\n${small}`);
  lab.log(from[0]);
  const interfaces = lab.ifindexes(n1.ns);

  const podName = (p) => `${p.namespace}/${p.name}`;
  const echo = (extra = {}, encapsulation = []) => ({
    protocol: 'icmp',
    src: { ip: client.ip, name: podName(client) },
    dst: { ip: web.ip, name: podName(web) },
    encapsulation,
    ...extra,
  });
  const fragNeeded = (extra = {}) => ({
    protocol: 'icmp',
    src: { ip: gateway, name: 'node1' },
    dst: { ip: client.ip, name: podName(client) },
    encapsulation: [],
    icmp: { type: 3, code: 4, mtu: TUNNEL_MTU, quotes: { src: client.ip, dst: web.ip, protocol: 'icmp' } },
    ...extra,
  });
  const on = (iface) => ({ interface: iface });
  const tunnel = [{ type: 'vxlan', vni: 1, vniReply: 1, udpPort: 8472, outer: { src: n1.ip, dst: n2.ip } }];

  const snapshot = list([
    nodeObject({ name: 'node1', ip: n1.ip, podCIDR: n1.podCIDR, annotations: flannelAnnotations(n1) }),
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
      }),
    ),
  ]);

  return {
    snapshot,
    captures: [
      {
        file: 'mtu-client.pcap',
        point: `pod ${podName(client)} eth0 (MTU 1500)`,
        linkType: 'ETHERNET',
        flows: [echo(), fragNeeded()],
      },
      {
        file: 'mtu-node1-any.pcap',
        point: 'node1, tcpdump -i any',
        linkType: 'LINUX_SLL2',
        interfaces,
        flows: [
          echo(on(client.hostVeth)),
          echo(on('cni0')),
          echo(on('flannel.1')),
          echo(on('eth0'), tunnel),
          fragNeeded(on('cni0')),
          fragNeeded(on(client.hostVeth)),
        ],
      },
    ],
  };
}

function flannelAnnotations(n) {
  return {
    'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: mac(`${n.name}-flannel.1`) }),
    'flannel.alpha.coreos.com/backend-type': 'vxlan',
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': n.ip,
  };
}
