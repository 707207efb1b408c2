// Two ways a ClusterIP Service refuses a connection: (a) no ready endpoints, so kube-proxy's
// filter rule REJECTs the SYN at the client's own node with ICMP port unreachable; (b) a ready
// endpoint that does not listen on the targetPort, so the pod's RST comes back, un-DNATed by
// conntrack to look as if the ClusterIP sent it.
import { deploymentPodName, endpointSliceObject, list, serviceObject } from '../k8s.mjs';
import {
  clusterObjects,
  flannelCluster,
  flannelMasquerade,
  flannelPod,
  flow,
  natOf,
  podName,
  programKubeProxy,
  saveRules,
  VXLAN_TUNNEL,
} from '../kube-proxy.mjs';

export const name = 'no-endpoints';
export const short = 'ne';
export const summary =
  'ClusterIP Services that refuse: no ready endpoints (kube-proxy REJECT, ICMP port unreachable from the client’s node) and an endpoint not listening on the targetPort (RST, un-DNATed to come from the ClusterIP)';
export const readme = `
# no-endpoints

**Models:** two broken ClusterIP Services on the two-node Flannel VXLAN cluster of
\`flannel-vxlan\` (nodes route everything else via the underlay's router), with kube-proxy's
iptables rules on both nodes:
- \`default/api\` (10.96.77.7:80 → 8080): its only pod, \`api-…\` on node2, is not ready (its
  EndpointSlice says \`ready: false\`), so kube-proxy writes no \`KUBE-SVC\` chain, only
  \`-A KUBE-SERVICES -d 10.96.77.7/32 -p tcp --dport 80 -j REJECT --reject-with
  icmp-port-unreachable\` in the **filter** table ("has no endpoints"), reached from
  FORWARD and OUTPUT for new connections.
- \`default/broken\` (10.96.77.8:80 → targetPort **8080**): its pod \`broken-…\` on node2
  (10.244.2.2) is ready but its server listens on **8081** (the classic targetPort mistake);
  kube-proxy DNATs as usual.

**Concept:** DNAT, and what a refusal looks like through it. The client pod (10.244.1.2 on
node1) connects to each ClusterIP once:
- (a) source port 40001 → 10.96.77.7:80. The SYN never leaves node1: it is routed (default
  route), meets the REJECT in FORWARD, and node1 answers with **ICMP destination unreachable,
  port unreachable (type 3, code 3) from 10.244.1.1**, its \`cni0\` address on the way back to
  the client, quoting the SYN \`10.244.1.2:40001 → 10.96.77.7:80\`. The client gets
  ECONNREFUSED without a single packet reaching any pod.
- (b) source port 40002 → 10.96.77.8:80. node1 DNATs the SYN to 10.244.2.2:8080, it crosses
  VXLAN, the pod's kernel answers RST/ACK from 10.244.2.2:8080, and node1's conntrack rewrites
  that source back: the client receives the RST **from 10.96.77.8:80**. ECONNREFUSED again,
  but this time a pod answered.

**Captures:**
- \`client.pcap\`: inside the client pod: (a) the SYN and the ICMP error from 10.244.1.1; (b)
  the SYN and the RST, both with 10.96.77.8:80.
- \`node1-any.pcap\`: \`tcpdump -i any\` on node1 (LINUX_SLL2; truth.json maps ifindexes to
  names). (a): the SYN on the client's veth and on \`cni0\`, the ICMP error on \`cni0\` and on
  the veth; nothing on \`flannel.1\` or \`eth0\`. (b): the SYN and RST on the client's veth with
  the ClusterIP; on \`cni0\` the SYN **already DNATed** (10.244.2.2:8080: with bridged pod
  traffic passed through iptables, br_netfilter, nat PREROUTING runs as the frame enters the
  bridge, before \`cni0\` sees it) while the RST leaves \`cni0\` **already un-DNATed** (from
  10.96.77.8:80, rewritten in POSTROUTING): on \`cni0\` one connection is two flows of one
  packet each; on \`flannel.1\` and inside VXLAN on \`eth0\`, SYN and RST with the pod address.
- \`broken.pcap\`: inside the endpoint pod: (b) as it happened there, SYN from 10.244.1.2:40002
  to 10.244.2.2:8080 and its RST.

Flows after DNAT carry \`nat\` (\`kind: "dnat"\`, \`service: "default/broken"\`); the ICMP
error carries \`icmp: { type: 3, code: 3, quotes }\`; \`translations\` lists (b)'s DNAT and
(a)'s rejection.

**What to look for in podpath:** in \`client.pcap\` an \`icmp\` flow with \`icmp.type 3,
code 3\`, \`src 10.244.1.1\` and \`quotes: { src: 10.244.1.2, dst: 10.96.77.7, protocol: tcp }\`,
beside a TCP flow of one SYN; and a TCP flow to 10.96.77.8:80 with \`tcpFlags: { src: "S",
dst: "RA" }\`. In \`broken.pcap\` the same refusal with the pod address. In \`node1-any.pcap\`
the interface of each flow tells where the translation happened.
`;

const API_IP = '10.96.77.7';
const BROKEN_IP = '10.96.77.8';
const REJECTED_PORT = 40001;
const RESET_PORT = 40002;

export function run(lab) {
  const world = flannelCluster(lab, { router: true });
  const [n1, n2] = world.nodes;
  const client = flannelPod(world, n1, deploymentPodName('client', 0), '10.244.1.2', {
    labels: { app: 'client' },
  });
  const broken = flannelPod(world, n2, deploymentPodName('broken', 0), '10.244.2.2', {
    labels: { app: 'broken' },
  });
  const api = flannelPod(world, n2, deploymentPodName('api', 0), '10.244.2.3', { labels: { app: 'api' } });

  const apiService = serviceObject({
    name: 'api',
    clusterIP: API_IP,
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    selector: { app: 'api' },
  });
  const apiSlice = endpointSliceObject({
    service: 'api',
    endpoints: [{ ip: api.ip, node: n2.name, pod: api.name, ready: false }],
    ports: [{ name: 'http', port: 8080 }],
  });
  const brokenService = serviceObject({
    name: 'broken',
    clusterIP: BROKEN_IP,
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    selector: { app: 'broken' },
  });
  const brokenSlice = endpointSliceObject({
    service: 'broken',
    endpoints: [{ ip: broken.ip, node: n2.name, pod: broken.name }],
    ports: [{ name: 'http', port: 8080 }],
  });
  const services = [apiService, brokenService];
  const endpointSlices = [apiSlice, brokenSlice];
  const rules = [];
  for (const n of world.nodes) {
    rules.push(programKubeProxy(lab, n, { services, endpointSlices }));
    flannelMasquerade(lab, n);
    saveRules(lab, n);
  }
  if (!rules[0].includes(`-d ${API_IP}/32 --dport 80 -j REJECT --reject-with icmp-port-unreachable`))
    throw new Error('no REJECT rule for the Service without endpoints');

  // The broken pod serves, but on 8081, not the targetPort; the not-ready pod is idle.
  lab.server(broken.ns, 'broken-tcp', 'tcp-server', broken.ip, '8081');

  lab.capture(client.ns, 'eth0', 'client.pcap');
  // A bigger kernel buffer (-B, KiB) for the -i any capture: with tcpdump's default 2 MiB and
  // 256 KiB snaplen its ring holds ~8 packets, and (b) puts 8 on node1 within ~300 us, so the
  // last ones (the RST leaving cni0 and the veth) were "dropped by kernel". The `filter`
  // arguments follow tcpdump's options; getopt still reads this one as an option.
  lab.capture(n1.ns, 'any', 'node1-any.pcap');
  lab.capture(broken.ns, 'eth0', 'broken.pcap');

  const a = lab.client(
    client.ns,
    'tcp-client',
    API_IP,
    '80',
    '--port',
    String(REJECTED_PORT),
    '--expect-refused',
  );
  const b = lab.client(
    client.ns,
    'tcp-client',
    BROKEN_IP,
    '80',
    '--port',
    String(RESET_PORT),
    '--expect-refused',
  );
  for (const [what, out] of [
    ['api', a],
    ['broken', b],
  ]) {
    if (!out.includes('ECONNREFUSED')) throw new Error(`${what}: expected ECONNREFUSED, got ${out.trim()}`);
  }
  const interfaces = lab.ifindexes(n1.ns);

  // The truth.
  const clientEnd = (port) => ({ ip: client.ip, port, name: podName(client) });
  const apiEnd = { ip: API_IP, port: 80, name: 'service/default/api' };
  const brokenServiceEnd = { ip: BROKEN_IP, port: 80, name: 'service/default/broken' };
  const brokenPodEnd = { ip: broken.ip, port: 8080, name: podName(broken) };
  const cni0 = `${n1.podCIDR.replace(/0\/24$/, '1')}`;
  const nat = natOf(
    'dnat',
    { src: clientEnd(RESET_PORT), dst: brokenServiceEnd },
    { src: clientEnd(RESET_PORT), dst: brokenPodEnd },
    'default/broken',
  );
  const on = (iface) => (iface ? { interface: iface } : {});
  const syn = (iface) => flow('tcp', clientEnd(REJECTED_PORT), apiEnd, [], on(iface));
  const unreachable = (iface) =>
    flow('icmp', { ip: cni0, name: n1.name }, { ip: client.ip, name: podName(client) }, [], {
      ...on(iface),
      icmp: { type: 3, code: 3, quotes: { src: client.ip, dst: API_IP, protocol: 'tcp' } },
    });
  const toService = (iface) => flow('tcp', clientEnd(RESET_PORT), brokenServiceEnd, [], on(iface));
  const toPod = (iface, encapsulation = []) =>
    flow('tcp', clientEnd(RESET_PORT), brokenPodEnd, encapsulation, { ...on(iface), nat });

  const captures = [
    {
      file: 'client.pcap',
      point: `pod ${podName(client)} eth0`,
      linkType: 'ETHERNET',
      flows: [syn(), unreachable(), toService()],
    },
    {
      file: 'node1-any.pcap',
      point: 'node1, tcpdump -i any',
      linkType: 'LINUX_SLL2',
      interfaces,
      flows: [
        syn(client.hostVeth),
        syn('cni0'),
        unreachable('cni0'),
        unreachable(client.hostVeth),
        toService(client.hostVeth),
        // cni0: the SYN after DNAT (br_netfilter), the RST after un-DNAT: two flows.
        toPod('cni0'),
        toService('cni0'),
        toPod('flannel.1'),
        toPod('eth0', VXLAN_TUNNEL(n1, n2)),
      ],
    },
    {
      file: 'broken.pcap',
      point: `pod ${podName(broken)} eth0 on node2 (after DNAT)`,
      linkType: 'ETHERNET',
      flows: [toPod()],
    },
  ];

  const translations = [
    {
      ...nat,
      protocol: 'tcp',
      where:
        'node1: nat PREROUTING KUBE-SERVICES → KUBE-SVC → KUBE-SEP (DNAT); the RST un-DNATed by conntrack',
      endpoint: podName(broken),
      outcome: 'RST from the pod (nothing listens on 8080), seen by the client from 10.96.77.8:80',
      capturesBefore: ['client.pcap', `node1-any.pcap (${client.hostVeth}; the RST also on cni0)`],
      capturesAfter: ['node1-any.pcap (cni0 SYN, flannel.1, eth0)', 'broken.pcap'],
    },
    {
      kind: 'none (rejected)',
      service: 'default/api',
      protocol: 'tcp',
      where:
        'node1: filter FORWARD KUBE-SERVICES REJECT --reject-with icmp-port-unreachable ("has no endpoints")',
      before: { src: { ip: client.ip, port: REJECTED_PORT }, dst: { ip: API_IP, port: 80 } },
      after: null,
      outcome: `ICMP type 3 code 3 from ${cni0} (node1's cni0) quoting the SYN`,
      capturesBefore: ['client.pcap', 'node1-any.pcap'],
      capturesAfter: [],
    },
  ];

  const snapshot = list([
    ...clusterObjects(world, {
      containerPorts: { [broken.name]: 8081, [api.name]: 8080 },
      podExtras: {
        [api.name]: (pod) => {
          pod.status.conditions = [
            { type: 'Initialized', status: 'True' },
            { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
            { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
            { type: 'PodScheduled', status: 'True' },
          ];
          pod.spec.containers[0].readinessProbe = {
            httpGet: { path: '/healthz', port: 8080 },
            periodSeconds: 10,
          };
          pod.status.containerStatuses = [
            { name: pod.spec.containers[0].name, ready: false, started: true, restartCount: 0 },
          ];
        },
      },
    }),
    apiService,
    apiSlice,
    brokenService,
    brokenSlice,
  ]);
  return { snapshot, captures, translations };
}
