// NodePort Services reached from outside the cluster, through kube-proxy's iptables rules:
// externalTrafficPolicy Cluster (DNAT and MASQUERADE at the node the client picked, then on to
// an endpoint on any node) against Local (DNAT only, to an endpoint on that node; the client's
// address reaches the pod; a node without an endpoint drops the connection).
import { outsideHost } from '../cluster.mjs';
import { deploymentPodName, endpointSliceObject, list, serviceObject } from '../k8s.mjs';
import { TRAFFIC } from '../kit.mjs';
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

export const name = 'nodeport';
export const short = 'np';
export const summary =
  'NodePort Services from outside the cluster: externalTrafficPolicy Cluster (DNAT + MASQUERADE, the pod sees a node address) against Local (client IP kept; a node without an endpoint drops)';
export const readme = `
# nodeport

**Models:** two NodePort Services on the two-node Flannel VXLAN cluster of \`flannel-vxlan\`,
reached from an outside client (203.0.113.10, beyond the underlay's router 192.168.10.1 /
203.0.113.1), through kube-proxy's iptables rules on both nodes:
- \`default/web\`: ClusterIP 10.96.120.10:80, **nodePort 30080**, \`externalTrafficPolicy:
  Cluster\`, one endpoint \`web-…\` on **node2** (10.244.2.2:8080). On every node
  \`KUBE-SERVICES\`' last rule (\`-m addrtype --dst-type LOCAL\`) sends node-addressed traffic to
  \`KUBE-NODEPORTS\`, \`--dport 30080\` jumps to \`KUBE-EXT-<hash>\`, which marks the packet
  0x4000 (\`KUBE-MARK-MASQ\`) and continues to \`KUBE-SVC-<hash>\` → \`KUBE-SEP-<hash>\` (DNAT to
  10.244.2.2:8080); \`KUBE-POSTROUTING\` MASQUERADEs marked packets (\`--random-fully\`).
- \`default/web-local\`: ClusterIP 10.96.120.11:80, **nodePort 30081**, \`externalTrafficPolicy:
  Local\` (healthCheckNodePort 32081), one endpoint \`web-local-…\` on **node1**
  (10.244.1.3:8080). \`KUBE-EXT-<hash>\` sends outside sources to \`KUBE-SVL-<hash>\` (this
  node's endpoints only) without marking them; on node2, which has no endpoint, there is no
  SVL jump and \`KUBE-EXTERNAL-SERVICES\` (filter) DROPs new connections to port 30081 ("has no
  local endpoints").

**Concept:** NodePort, SNAT/masquerade and externalTrafficPolicy. Four connections from
203.0.113.10 (source ports 41001-41004):
1. → node1 192.168.10.101:30080 (Cluster, endpoint on node2): node1 DNATs to 10.244.2.2:8080
   and masquerades, so the pod sees **node1's \`flannel.1\` address 10.244.1.0** as the source
   (MASQUERADE takes the address of the interface the packet leaves by, here the VXLAN device,
   not eth0), with a random port (\`--random-fully\`); the packet crosses VXLAN to node2.
   Replies go back to node1, which undoes both translations.
2. → node1 192.168.10.101:30081 (Local, endpoint on node1): DNAT only; the pod sees
   **203.0.113.10:41002**, the client itself.
3. → node2 192.168.10.102:30080 (Cluster, endpoint on node2 itself): still masqueraded,
   here to node2's \`cni0\` address **10.244.2.1** (the interface toward the pod): Cluster
   policy hides the client even when no second hop is needed.
4. → node2 192.168.10.102:30081 (Local, no endpoint on node2): dropped; the client's SYNs go
   unanswered until it gives up (2.5 s).
The masqueraded source ports are random: the truth reads them from the endpoint's server log
(\`accepted <ip> <port>\`), checked against node1's and node2's \`conntrack -L\`.

**Captures:**
- \`outside.pcap\`: the outside client's eth0: the four connections to the node IPs, as sent.
- \`node1-eth0.pcap\`: node1's underlay: connections 1 and 2 as the client sent them
  (203.0.113.10 → 192.168.10.101:3008x), and connection 1 again after DNAT + SNAT inside
  VXLAN (10.244.1.0:<random> → 10.244.2.2:8080, outer 192.168.10.101 → 192.168.10.102).
- \`node2-eth0.pcap\`: node2's underlay: connection 1 inside VXLAN, connections 3 and 4 as
  sent.
- \`web.pcap\`: inside \`web-…\` on node2: connection 1 from 10.244.1.0, connection 3 from
  10.244.2.1.
- \`web-local.pcap\`: inside \`web-local-…\` on node1: connection 2 from 203.0.113.10:41002.

Flows after a translation carry \`nat\` (\`dnat+snat\` for Cluster, \`dnat\` for Local) with
their addresses before and after; \`translations\` lists each connection's.

**What to look for in podpath:** the same connection under three different address pairs:
\`203.0.113.10:41001 → 192.168.10.101:30080\` on the client and on node1's eth0, then
\`10.244.1.0:<port> → 10.244.2.2:8080\` inside VXLAN on both eth0 captures and in
\`web.pcap\`: nothing in the packets links the two but time and the node in between
(\`translations\` says which is which). For Local, \`web-local.pcap\` has
\`203.0.113.10:41002 → 10.244.1.3:8080\`: the source survives, only the destination changed.
Connection 4 is a TCP flow of SYNs alone (\`tcpFlags.src: "S"\`, no packets to the source) in
\`outside.pcap\` and \`node2-eth0.pcap\`.
`;

const A = { name: 'web', clusterIP: '10.96.120.10', nodePort: 30080 };
const B = { name: 'web-local', clusterIP: '10.96.120.11', nodePort: 30081, healthCheckNodePort: 32081 };
const OUTSIDE_IP = '203.0.113.10';

export function run(lab) {
  const world = flannelCluster(lab, { router: true });
  const [n1, n2] = world.nodes;
  const outside = outsideHost(world, 'client', OUTSIDE_IP);
  const web = flannelPod(world, n2, deploymentPodName('web', 0), '10.244.2.2', { labels: { app: 'web' } });
  const webLocal = flannelPod(world, n1, deploymentPodName('web-local', 0), '10.244.1.3', {
    labels: { app: 'web-local' },
  });
  flannelPod(world, n2, 'coredns-5d78c9869d-qk8pz', '10.244.2.3', {
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
  });

  const serviceA = serviceObject({
    name: A.name,
    type: 'NodePort',
    clusterIP: A.clusterIP,
    ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: A.nodePort }],
    selector: { app: 'web' },
    externalTrafficPolicy: 'Cluster',
  });
  const serviceB = serviceObject({
    name: B.name,
    type: 'NodePort',
    clusterIP: B.clusterIP,
    ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: B.nodePort }],
    selector: { app: 'web-local' },
    externalTrafficPolicy: 'Local',
  });
  serviceB.spec.healthCheckNodePort = B.healthCheckNodePort;
  const sliceA = endpointSliceObject({
    service: A.name,
    endpoints: [{ ip: web.ip, node: n2.name, pod: web.name }],
    ports: [{ name: 'http', port: 8080 }],
  });
  const sliceB = endpointSliceObject({
    service: B.name,
    endpoints: [{ ip: webLocal.ip, node: n1.name, pod: webLocal.name }],
    ports: [{ name: 'http', port: 8080 }],
  });
  const services = [serviceA, serviceB];
  const endpointSlices = [sliceA, sliceB];
  for (const n of world.nodes) {
    programKubeProxy(lab, n, { services, endpointSlices });
    flannelMasquerade(lab, n);
    saveRules(lab, n);
  }

  const webServer = lab.server(web.ns, 'web-tcp', 'tcp-server', web.ip, '8080');
  const localServer = lab.server(webLocal.ns, 'web-local-tcp', 'tcp-server', webLocal.ip, '8080');

  lab.capture(outside.ns, 'eth0', 'outside.pcap');
  lab.capture(n1.ns, 'eth0', 'node1-eth0.pcap');
  lab.capture(n2.ns, 'eth0', 'node2-eth0.pcap');
  lab.capture(web.ns, 'eth0', 'web.pcap');
  lab.capture(webLocal.ns, 'eth0', 'web-local.pcap');

  const connections = [
    { port: 41001, node: n1, svc: A, server: webServer, endpoint: web },
    { port: 41002, node: n1, svc: B, server: localServer, endpoint: webLocal },
    { port: 41003, node: n2, svc: A, server: webServer, endpoint: web },
    { port: 41004, node: n2, svc: B, server: null, endpoint: null },
  ];
  for (const c of connections) {
    const args = ['tcp-client', c.node.ip, String(c.svc.nodePort), '--port', String(c.port)];
    if (c.endpoint) {
      lab.client(outside.ns, ...args);
    } else {
      // No local endpoint on this node: the SYNs are dropped and the client times out.
      const r = lab.exec(outside.ns, process.execPath, [TRAFFIC, ...args, '--timeout', '2500'], {
        allowFailure: true,
        timeout: 10_000,
      });
      if (/HTTP/.test(r))
        throw new Error(`connection ${c.port} to ${c.node.name}:${c.svc.nodePort} was answered`);
    }
  }

  // What each endpoint saw (the source after any SNAT), checked against the node's conntrack.
  for (const c of connections.filter((x) => x.endpoint)) {
    const peers = serverPeers(c.server);
    const entry = [...conntrack(lab, c.node.ns, 'tcp')].find(
      (e) => e.original.src.ip === OUTSIDE_IP && e.original.src.port === c.port,
    );
    if (!entry) throw new Error(`no conntrack entry on ${c.node.name} for port ${c.port}`);
    if (entry.reply.src.ip !== c.endpoint.ip || entry.reply.src.port !== 8080)
      throw new Error(`port ${c.port} DNATed to ${JSON.stringify(entry.reply.src)}`);
    c.seen = entry.reply.dst; // the source the endpoint sees
    if (!peers.some((p) => p.ip === c.seen.ip && p.port === c.seen.port))
      throw new Error(`server did not log ${JSON.stringify(c.seen)}: ${JSON.stringify(peers)}`);
    lab.log(`port ${c.port} via ${c.node.name}:${c.svc.nodePort} reached ${c.endpoint.ip} from`, c.seen);
  }
  // MASQUERADE takes the address of the interface the packet leaves by: the README says which.
  const cni0Of = (n) => n.podCIDR.replace(/0\/24$/, '1');
  const leftBy = (c) =>
    c.seen.ip === c.node.tunnelAddress ? 'flannel.1' : c.seen.ip === cni0Of(c.node) ? 'cni0' : null;
  if (leftBy(connections[0]) !== 'flannel.1' || leftBy(connections[2]) !== 'cni0')
    throw new Error(
      `masqueraded to ${connections[0].seen.ip} and ${connections[2].seen.ip}, not as the README says`,
    );
  const conn4 = connections[3];
  if (
    conntrack(lab, n2.ns, 'tcp').some((e) => e.original.src.port === conn4.port && e.reply.src.ip !== n2.ip)
  )
    throw new Error('connection 4 was translated');

  // The truth.
  const clientEnd = (c) => ({ ip: OUTSIDE_IP, port: c.port, name: 'outside client' });
  const nodePortEnd = (c) => ({ ip: c.node.ip, port: c.svc.nodePort, name: c.node.name });
  const podEnd = (c) => ({ ip: c.endpoint.ip, port: 8080, name: podName(c.endpoint) });
  const seenEnd = (c) => {
    if (c.seen.ip === OUTSIDE_IP) return clientEnd(c);
    const n = world.nodes.find((x) => x.tunnelAddress === c.seen.ip || cni0Of(x) === c.seen.ip);
    return { ip: c.seen.ip, port: c.seen.port, name: n ? n.name : 'unknown' };
  };
  const kind = (c) => (c.seen.ip === OUTSIDE_IP && c.seen.port === c.port ? 'dnat' : 'dnat+snat');
  const nat = (c) =>
    natOf(
      kind(c),
      { src: clientEnd(c), dst: nodePortEnd(c) },
      { src: seenEnd(c), dst: podEnd(c) },
      `default/${c.svc.name}`,
    );
  const asSent = (c) => flow('tcp', clientEnd(c), nodePortEnd(c));
  const translated = (c, encapsulation = []) =>
    flow('tcp', seenEnd(c), podEnd(c), encapsulation, { nat: nat(c) });
  const [c1, c2, c3, c4] = connections;
  const tunnel = VXLAN_TUNNEL(n1, n2);

  const captures = [
    {
      file: 'outside.pcap',
      point: `outside client ${OUTSIDE_IP} eth0`,
      linkType: 'ETHERNET',
      flows: connections.map(asSent),
    },
    {
      file: 'node1-eth0.pcap',
      point: 'node1 eth0 (underlay)',
      linkType: 'ETHERNET',
      flows: [asSent(c1), translated(c1, tunnel), asSent(c2)],
    },
    {
      file: 'node2-eth0.pcap',
      point: 'node2 eth0 (underlay)',
      linkType: 'ETHERNET',
      flows: [translated(c1, tunnel), asSent(c3), asSent(c4)],
    },
    {
      file: 'web.pcap',
      point: `pod ${podName(web)} eth0 on node2 (endpoint of default/web, Cluster)`,
      linkType: 'ETHERNET',
      flows: [translated(c1), translated(c3)],
    },
    {
      file: 'web-local.pcap',
      point: `pod ${podName(webLocal)} eth0 on node1 (endpoint of default/web-local, Local)`,
      linkType: 'ETHERNET',
      flows: [translated(c2)],
    },
  ];

  const translations = [
    {
      ...nat(c1),
      protocol: 'tcp',
      externalTrafficPolicy: 'Cluster',
      where:
        'node1: nat PREROUTING KUBE-NODEPORTS → KUBE-EXT (mark 0x4000) → KUBE-SVC → KUBE-SEP (DNAT); POSTROUTING KUBE-POSTROUTING (MASQUERADE out flannel.1: source 10.244.1.0)',
      endpoint: podName(web),
      capturesBefore: ['outside.pcap', 'node1-eth0.pcap'],
      capturesAfter: ['node1-eth0.pcap', 'node2-eth0.pcap', 'web.pcap'],
    },
    {
      ...nat(c2),
      protocol: 'tcp',
      externalTrafficPolicy: 'Local',
      where: 'node1: nat PREROUTING KUBE-NODEPORTS → KUBE-EXT → KUBE-SVL → KUBE-SEP (DNAT); no mark, no SNAT',
      endpoint: podName(webLocal),
      capturesBefore: ['outside.pcap', 'node1-eth0.pcap'],
      capturesAfter: ['web-local.pcap'],
    },
    {
      ...nat(c3),
      protocol: 'tcp',
      externalTrafficPolicy: 'Cluster',
      where:
        'node2: nat PREROUTING KUBE-NODEPORTS → KUBE-EXT (mark 0x4000) → KUBE-SVC → KUBE-SEP (DNAT); POSTROUTING KUBE-POSTROUTING (MASQUERADE out cni0: source 10.244.2.1)',
      endpoint: podName(web),
      capturesBefore: ['outside.pcap', 'node2-eth0.pcap'],
      capturesAfter: ['web.pcap'],
    },
    {
      kind: 'none (dropped)',
      service: `default/${B.name}`,
      protocol: 'tcp',
      externalTrafficPolicy: 'Local',
      where: 'node2: no local endpoint; filter INPUT KUBE-EXTERNAL-SERVICES DROP ("has no local endpoints")',
      before: { src: { ip: OUTSIDE_IP, port: c4.port }, dst: { ip: n2.ip, port: B.nodePort } },
      after: null,
      capturesBefore: ['outside.pcap', 'node2-eth0.pcap'],
      capturesAfter: [],
    },
  ];

  const snapshot = list([
    ...clusterObjects(world, { containerPorts: { [web.name]: 8080, [webLocal.name]: 8080 } }),
    serviceA,
    sliceA,
    serviceB,
    sliceB,
  ]);
  return { snapshot, captures, translations };
}
