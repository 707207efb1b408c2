// Cluster DNS: a client pod asks the kube-dns ClusterIP (10.96.0.10:53/UDP), which the
// client's node DNATs, kube-proxy style, to a CoreDNS-like pod on the other node across
// Flannel's VXLAN. The pod's resolver follows glibc with Kubernetes' resolv.conf (search
// default.svc.cluster.local svc.cluster.local cluster.local, ndots:5): a Service name is
// answered on its first try; an external name walks the search list (NXDOMAIN three times)
// before the bare name is asked.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flannelBridge, mac, node, pod, underlay, vxlanOverlay } from '../cluster.mjs';
import {
  deploymentPodName,
  endpointSliceObject,
  list,
  nodeObject,
  podObject,
  serviceObject,
} from '../k8s.mjs';

export const name = 'dns';
export const short = 'dn';
export const summary =
  'Cluster DNS: a pod resolves through the kube-dns ClusterIP 10.96.0.10:53/UDP (DNAT on its node) to a CoreDNS pod on another node, with the ndots:5 search-list walk';

const KUBE_DNS_IP = '10.96.0.10';
const WEB_CLUSTER_IP = '10.96.45.10';
const EXAMPLE_IP = '93.184.215.14';
const SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
const SERVICE_QUERY_PORT = 40053; // the client's port for resolving `web`
const EXTERNAL_QUERY_PORT = 40054;
export const readme = `
# dns

**Models:** cluster DNS as every pod uses it. Two Flannel VXLAN nodes (as in
\`flannel-vxlan\`); a CoreDNS-like responder pod (\`kube-system/coredns-…\`, Deployment
\`coredns\`, label \`k8s-app: kube-dns\`) on node2 at 10.244.2.2; the \`kube-system/kube-dns\`
Service, ClusterIP ${KUBE_DNS_IP} (ports \`dns\` 53/UDP, \`dns-tcp\` 53/TCP). node1's nat table
holds the rules kube-proxy (iptables mode) writes for it, with their real chain names:
\`KUBE-SERVICES\` → \`KUBE-SVC-TCOU7JCQXEZGVUNU\` (kube-system/kube-dns:dns) → one
\`KUBE-SEP-…\` that DNATs to 10.244.2.2:53 (and the same for dns-tcp, unused). The client pod
on node1 resolves as glibc does with the resolv.conf the kubelet writes:

    nameserver ${KUBE_DNS_IP}
    search ${SEARCH.join(' ')}
    options ndots:5

**Shows:** DNS through a Service, and the \`ndots:5\` search walk. \`web\` (no dots) is tried
with the first search suffix, \`web.default.svc.cluster.local\`, and answered at once
(${WEB_CLUSTER_IP}, the web Service's ClusterIP). \`example.com\` has one dot, fewer than five,
so the search list comes first: \`example.com.default.svc.cluster.local\`,
\`example.com.svc.cluster.local\`, \`example.com.cluster.local\` (NXDOMAIN each), then
\`example.com\` itself (${EXAMPLE_IP}; this CoreDNS answers it directly, standing in for its
\`forward\` to an upstream resolver). Four round trips for one external name: the reason for
trailing dots, lower ndots, or NodeLocal DNSCache. Only A queries are sent (glibc also sends
AAAA in parallel). Each name is resolved from its own fixed client port (${SERVICE_QUERY_PORT},
${EXTERNAL_QUERY_PORT}), so each resolution is one UDP flow.

**Captures:**
- \`dns-client.pcap\` (inside the client pod): the queries go to ${KUBE_DNS_IP}:53 and the
  answers come back from ${KUBE_DNS_IP}: the pod never sees the CoreDNS pod's address.
- \`dns-node1-eth0.pcap\`, \`dns-node2-eth0.pcap\` (the nodes' underlay): after node1's DNAT,
  the same queries travel client pod → 10.244.2.2:53 inside VXLAN (VNI 1, UDP 8472,
  192.168.10.101 → 192.168.10.102).
- \`dns-coredns.pcap\` (inside the CoreDNS pod): queries from the client pod's own IP (no SNAT:
  the source is inside the cluster CIDR) to the CoreDNS pod IP.

truth.json gives each flow seen after the DNAT a \`nat\` field (kind \`dnat\`, service
\`kube-system/kube-dns\`, the tuple before and after) and lists the translations.

**What to look for in podpath:** with snapshot.json, ${KUBE_DNS_IP}:53 is named as the
\`kube-system/kube-dns\` Service in the client capture, and 10.244.2.2:53 as the CoreDNS pod
behind it in the others; the client pod's two UDP flows to port 53 (${SERVICE_QUERY_PORT}: 1
query and answer; ${EXTERNAL_QUERY_PORT}: 4 queries, 3 NXDOMAIN and 1 answer) appear at every
capture point, encapsulated on the nodes' eth0 and plain in the pods.
`;

/** kube-proxy's chain name hash: base32(sha256(...)) cut to 16 characters. */
function kubeHash(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of createHash('sha256').update(text).digest()) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.slice(0, 16);
}

/**
 * The nat rules kube-proxy (iptables mode) writes for a ClusterIP Service whose ports each
 * have one endpoint. `ports` as [{ name, port, protocol, endpoint: 'ip:port' }].
 */
function kubeProxyRules({ namespace, service, clusterIP, clusterCIDR, ports }) {
  const chains = ['KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING'];
  const rules = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  for (const p of ports) {
    const portName = `${namespace}/${service}:${p.name}`;
    const proto = p.protocol.toLowerCase();
    const svc = `KUBE-SVC-${kubeHash(portName + proto)}`;
    const sep = `KUBE-SEP-${kubeHash(portName + proto + p.endpoint)}`;
    const [epIP] = p.endpoint.split(':');
    chains.push(svc, sep);
    rules.push(
      `-A KUBE-SERVICES -d ${clusterIP}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${p.port} -j ${svc}`,
      `-A ${svc} ! -s ${clusterCIDR} -d ${clusterIP}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${p.port} -j KUBE-MARK-MASQ`,
      `-A ${svc} -m comment --comment "${portName} -> ${p.endpoint}" -j ${sep}`,
      `-A ${sep} -s ${epIP}/32 -m comment --comment "${portName}" -j KUBE-MARK-MASQ`,
      `-A ${sep} -p ${proto} -m comment --comment "${portName}" -m ${proto} -j DNAT --to-destination ${p.endpoint}`,
    );
  }
  return ['*nat', ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT', ''].join('\n');
}

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
  const client = pod(world, n1, deploymentPodName('client', 0), '10.244.1.2', {
    mtu: 1450,
    labels: { app: 'client' },
  });
  const coredns = pod(world, n2, deploymentPodName('coredns', 0), '10.244.2.2', {
    namespace: 'kube-system',
    mtu: 1450,
    labels: { 'k8s-app': 'kube-dns' },
  });
  // The web Service's backend: it only has to exist for its name to resolve.
  const web = pod(world, n2, deploymentPodName('web', 0), '10.244.2.3', {
    mtu: 1450,
    labels: { app: 'web' },
  });

  const dnsPorts = [
    { name: 'dns', port: 53, protocol: 'UDP', endpoint: `${coredns.ip}:53` },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', endpoint: `${coredns.ip}:53` },
  ];
  const rulesFile = join(lab.work, 'node1-nat.rules');
  writeFileSync(
    rulesFile,
    kubeProxyRules({
      namespace: 'kube-system',
      service: 'kube-dns',
      clusterIP: KUBE_DNS_IP,
      clusterCIDR: '10.244.0.0/16',
      ports: dnsPorts,
    }),
  );
  lab.exec(n1.ns, 'iptables-restore', [rulesFile]);

  const records = {
    'web.default.svc.cluster.local': WEB_CLUSTER_IP,
    'kube-dns.kube-system.svc.cluster.local': KUBE_DNS_IP,
    'example.com': EXAMPLE_IP,
  };
  lab.server(coredns.ns, 'coredns', 'dns-server', coredns.ip, '53', JSON.stringify(records));

  lab.capture(client.ns, 'eth0', 'dns-client.pcap');
  lab.capture(n1.ns, 'eth0', 'dns-node1-eth0.pcap');
  lab.capture(n2.ns, 'eth0', 'dns-node2-eth0.pcap');
  lab.capture(coredns.ns, 'eth0', 'dns-coredns.pcap');

  const resolve = (nameToResolve, port, firstId) =>
    lab.client(
      client.ns,
      'resolve',
      nameToResolve,
      KUBE_DNS_IP,
      '--search',
      SEARCH.join(','),
      '--ndots',
      '5',
      '--port',
      String(port),
      '--id',
      String(firstId),
    );
  const serviceAnswer = resolve('web', SERVICE_QUERY_PORT, 0x1000);
  const externalAnswer = resolve('example.com', EXTERNAL_QUERY_PORT, 0x2000);
  expectLines(serviceAnswer, [`web.default.svc.cluster.local ${WEB_CLUSTER_IP}`]);
  expectLines(externalAnswer, [
    ...SEARCH.map((s) => `example.com.${s} NXDOMAIN`),
    `example.com ${EXAMPLE_IP}`,
  ]);
  lab.log(serviceAnswer.trim(), '|', externalAnswer.trim().replace(/\n/g, ' | '));
  // The rules really translated: the conntrack entries name the CoreDNS pod as the reply's source.
  const conntrack = lab.exec(n1.ns, 'conntrack', ['-L', '-p', 'udp'], { allowFailure: true });
  for (const port of [SERVICE_QUERY_PORT, EXTERNAL_QUERY_PORT]) {
    const entry = `src=${client.ip} dst=${KUBE_DNS_IP} sport=${port} dport=53 src=${coredns.ip} dst=${client.ip} sport=53 dport=${port}`;
    if (!conntrack.split('\n').some((l) => l.replace(/\s+/g, ' ').includes(entry)))
      throw new Error(`node1 conntrack lacks the DNAT of port ${port}:\n${conntrack}`);
  }

  const podName = (p) => `${p.namespace}/${p.name}`;
  const clientEnd = (port) => ({ ip: client.ip, port, name: podName(client) });
  const serviceEnd = { ip: KUBE_DNS_IP, port: 53, name: 'kube-system/kube-dns' };
  const corednsEnd = { ip: coredns.ip, port: 53, name: podName(coredns) };
  const ports = [SERVICE_QUERY_PORT, EXTERNAL_QUERY_PORT];
  const nat = (port) => ({
    kind: 'dnat',
    service: 'kube-system/kube-dns',
    before: { src: { ip: client.ip, port }, dst: { ip: KUBE_DNS_IP, port: 53 } },
    after: { src: { ip: client.ip, port }, dst: { ip: coredns.ip, port: 53 } },
  });
  const tunnel = [{ type: 'vxlan', vni: 1, vniReply: 1, udpPort: 8472, outer: { src: n1.ip, dst: n2.ip } }];
  const beforeDnat = ports.map((port) => ({
    protocol: 'udp',
    src: clientEnd(port),
    dst: serviceEnd,
    encapsulation: [],
  }));
  const afterDnat = (encapsulation) =>
    ports.map((port) => ({
      protocol: 'udp',
      src: clientEnd(port),
      dst: corednsEnd,
      encapsulation,
      nat: nat(port),
    }));

  const snapshot = list([
    nodeObject({ name: 'node1', ip: n1.ip, podCIDR: n1.podCIDR, annotations: flannelAnnotations(n1) }),
    nodeObject({ name: 'node2', ip: n2.ip, podCIDR: n2.podCIDR, annotations: flannelAnnotations(n2) }),
    podObject({
      name: client.name,
      node: n1.name,
      nodeIP: n1.ip,
      ip: client.ip,
      labels: client.labels,
      deployment: 'client',
    }),
    podObject({
      name: web.name,
      node: n2.name,
      nodeIP: n2.ip,
      ip: web.ip,
      labels: web.labels,
      deployment: 'web',
      containerPort: 8080,
    }),
    podObject({
      name: coredns.name,
      namespace: 'kube-system',
      node: n2.name,
      nodeIP: n2.ip,
      ip: coredns.ip,
      labels: coredns.labels,
      deployment: 'coredns',
      containerPort: 53,
      image: 'registry.k8s.io/coredns/coredns:v1.11.3',
    }),
    serviceObject({
      name: 'kube-dns',
      namespace: 'kube-system',
      clusterIP: KUBE_DNS_IP,
      ports: [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
      ],
      selector: { 'k8s-app': 'kube-dns' },
      labels: {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'kubernetes.io/name': 'CoreDNS',
      },
    }),
    endpointSliceObject({
      service: 'kube-dns',
      namespace: 'kube-system',
      endpoints: [{ ip: coredns.ip, node: n2.name, pod: coredns.name }],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    }),
    serviceObject({
      name: 'web',
      clusterIP: WEB_CLUSTER_IP,
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      selector: { app: 'web' },
    }),
    endpointSliceObject({
      service: 'web',
      endpoints: [{ ip: web.ip, node: n2.name, pod: web.name }],
      ports: [{ name: 'http', port: 8080 }],
    }),
  ]);

  const files = ['dns-client.pcap', 'dns-node1-eth0.pcap', 'dns-node2-eth0.pcap', 'dns-coredns.pcap'];
  return {
    snapshot,
    captures: [
      { file: files[0], point: `pod ${podName(client)} eth0`, linkType: 'ETHERNET', flows: beforeDnat },
      { file: files[1], point: 'node1 eth0 (underlay)', linkType: 'ETHERNET', flows: afterDnat(tunnel) },
      { file: files[2], point: 'node2 eth0 (underlay)', linkType: 'ETHERNET', flows: afterDnat(tunnel) },
      { file: files[3], point: `pod ${podName(coredns)} eth0`, linkType: 'ETHERNET', flows: afterDnat([]) },
    ],
    translations: ports.map((port) => ({
      service: 'kube-system/kube-dns',
      kind: 'dnat',
      where: 'node1 nat PREROUTING (kube-proxy iptables rules)',
      before: nat(port).before,
      after: nat(port).after,
      captures: { before: [files[0]], after: files.slice(1) },
    })),
  };
}

function expectLines(output, lines) {
  const got = output.trim().split('\n');
  if (JSON.stringify(got) !== JSON.stringify(lines))
    throw new Error(`resolver printed ${JSON.stringify(got)}, expected ${JSON.stringify(lines)}`);
}

function flannelAnnotations(n) {
  return {
    'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: mac(`${n.name}-flannel.1`) }),
    'flannel.alpha.coreos.com/backend-type': 'vxlan',
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': n.ip,
  };
}
