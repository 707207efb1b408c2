// A proxying load balancer in front of a pod, like an AWS NLB with IP targets and proxy
// protocol on, or HAProxy with send-proxy: the LB ends the client's TCP connection, opens
// its own to the pod, and puts a PROXY protocol header (v2 binary, or v1 text) naming the
// real client before the client's bytes. Two connections, no NAT: the client's address
// survives only inside that header.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY, INTERNET, mac, node, outsideHost, pod, underlay, UNDERLAY } from '../cluster.mjs';
import {
  deploymentPodName,
  endpointSliceObject,
  list,
  nodeObject,
  podObject,
  serviceObject,
} from '../k8s.mjs';
import { run as runCommand } from '../kit.mjs';

export const name = 'proxy-protocol';
export const short = 'pp';
export const summary =
  'A proxying load balancer (NLB with IP targets stand-in, 192.168.10.50) relays an outside client to a pod over its own TCP connection, with a PROXY protocol v2 (port 80) or v1 (port 81) header carrying the real client address';

const LB_IP = `${UNDERLAY}.50`;
const CLIENT_IP = `${INTERNET}.20`;
const POD_PORT = 8080;
// One listener per PROXY protocol version: [LB port, client port, LB's own source port to the pod].
const LISTENERS = [
  { version: 2, port: 80, clientPort: 41002, lbPort: 42002 },
  { version: 1, port: 81, clientPort: 41001, lbPort: 42001 },
];
export const readme = `
# proxy-protocol

**Models:** a load balancer that proxies instead of forwarding, as an AWS Network Load
Balancer does with IP targets and \`proxy_protocol_v2.enabled\` (Service annotations
\`aws-load-balancer-nlb-target-type: ip\`, \`aws-load-balancer-proxy-protocol: "*"\`), or
HAProxy / a classic ELB with \`send-proxy\`. The LB stand-in is its own namespace on the
underlay, ${LB_IP}, with a route to the pod network (pod IPs are routable targets, as in a
VPC). An outside client (${CLIENT_IP}, beyond the underlay router) connects to the LB; the
LB (test/lab/traffic.mjs \`proxy-lb\`) accepts, opens its own TCP connection from
${LB_IP} to the \`web\` pod 10.244.1.2:${POD_PORT} (on node1, routed /32 pod), writes a PROXY
protocol header, then relays the client's bytes both ways. Port 80 sends the v2 header
(binary: 12-byte signature, then version/command 0x21, TCP over IPv4, the addresses and
ports); port 81 sends v1 (text: \`PROXY TCP4 ${CLIENT_IP} ${LB_IP} 41001 81\\r\\n\`).

**Shows:** why a pod behind such an LB sees the LB, not the client. There is no NAT: the
client's connection ends at the LB, and the pod's connection starts there. Only the PROXY
header (the first bytes of the LB → pod stream, before the HTTP request) says who the client
was: source ${CLIENT_IP} and its port, destination ${LB_IP} and the listener port. The
server must be configured to expect it (nginx \`listen … proxy_protocol\`), or it reads the
header as garbage; and \`externalTrafficPolicy: Local\` is no help here, since the client
address is not in any IP header the pod receives.

**Captures:**
- \`pp-lb-eth0.pcap\` (the LB's underlay interface): four TCP connections: the client's two,
  ${CLIENT_IP}:41002 → ${LB_IP}:80 and ${CLIENT_IP}:41001 → ${LB_IP}:81, and the LB's own two,
  ${LB_IP}:42002 → 10.244.1.2:${POD_PORT} (v2 header) and ${LB_IP}:42001 → 10.244.1.2:${POD_PORT}
  (v1 header).
- \`pp-web.pcap\` (inside the pod): only the LB's two connections; the client address is in
  their payload alone.

truth.json adds to each LB → pod flow a \`proxyProtocol\` field: the version and the client and
destination the header carries (checked against tshark's PROXY dissector when the lab runs).

**What to look for in podpath:** the client → LB and LB → pod connections are separate flows
with no \`nat\` and nothing linking them in the IP headers; with snapshot.json, ${LB_IP} is the
\`web\` Service's load-balancer address and 10.244.1.2:${POD_PORT} its endpoint. A PROXY-aware
view would show ${CLIENT_IP} as the real client of the LB → pod flows (tshark decodes the
header as "PROXY" with \`-o tcp.try_heuristic_first:TRUE\`, since it takes port 8080 for HTTP).

Note: the lab's toy server is not PROXY-aware; it answers as soon as it has read a line,
and the header already contains one, so in the pod capture its "200 OK" can come before the
relayed GET. A real server would consume the header and then wait for the request.
`;

export function run(lab) {
  const world = underlay(lab, { router: true });
  const n1 = node(world, 'node1', 1, { podCIDR: '10.244.1.0/24' });
  const web = pod(world, n1, deploymentPodName('web', 0), '10.244.1.2', {
    style: 'routed',
    labels: { app: 'web' },
  });
  const client = outsideHost(world, 'client', CLIENT_IP);

  // The load balancer: its own address on the underlay, pod IPs routable through the node.
  const lb = lab.ns('lb');
  lab.veth(lb, 'eth0', world.net, 'lb', { macA: mac('lb-eth0') });
  lab.attach(world.net, 'lb', 'br0');
  lab.ip(lb, 'addr', 'add', `${LB_IP}/24`, 'dev', 'eth0');
  lab.ip(lb, 'route', 'add', 'default', 'via', GATEWAY);
  lab.ip(lb, 'route', 'add', n1.podCIDR, 'via', n1.ip);

  const server = lab.server(web.ns, 'web', 'tcp-server', web.ip, String(POD_PORT));
  for (const l of LISTENERS) {
    lab.server(
      lb,
      `lb-v${l.version}`,
      'proxy-lb',
      LB_IP,
      String(l.port),
      web.ip,
      String(POD_PORT),
      '--version',
      String(l.version),
      '--port',
      String(l.lbPort),
    );
  }

  lab.capture(lb, 'eth0', 'pp-lb-eth0.pcap');
  lab.capture(web.ns, 'eth0', 'pp-web.pcap');

  for (const l of LISTENERS) {
    const reply = lab.client(client.ns, 'tcp-client', LB_IP, String(l.port), '--port', String(l.clientPort));
    if (!reply.startsWith('HTTP/1.0 200 OK')) throw new Error(`client through LB port ${l.port}: ${reply}`);
  }
  // The pod saw the LB, never the client.
  const seen = readFileSync(server.log, 'utf8')
    .split('\n')
    .filter((s) => s.startsWith('accepted '));
  const expected = LISTENERS.map((l) => `accepted ${LB_IP} ${l.lbPort}`);
  if (JSON.stringify(seen) !== JSON.stringify(expected))
    throw new Error(`web saw ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);

  // Check the headers on the wire with tshark's PROXY dissector before writing them down.
  lab.stopCaptures();
  for (const file of ['pp-lb-eth0.pcap', 'pp-web.pcap']) checkProxyHeaders(join(lab.work, file), web.ip);

  const podName = `${web.namespace}/${web.name}`;
  const clientEnd = (port) => ({ ip: CLIENT_IP, port, name: 'outside client' });
  const lbEnd = (port) => ({ ip: LB_IP, port, name: 'load balancer' });
  const podEnd = { ip: web.ip, port: POD_PORT, name: podName };
  const tcp = (src, dst, extra = {}) => ({ protocol: 'tcp', src, dst, encapsulation: [], ...extra });
  const toLb = LISTENERS.map((l) => tcp(clientEnd(l.clientPort), lbEnd(l.port)));
  const toPod = LISTENERS.map((l) =>
    tcp(lbEnd(l.lbPort), podEnd, {
      proxyProtocol: {
        version: l.version,
        src: { ip: CLIENT_IP, port: l.clientPort },
        dst: { ip: LB_IP, port: l.port },
      },
    }),
  );

  const service = serviceObject({
    name: 'web',
    type: 'LoadBalancer',
    clusterIP: '10.96.120.33',
    ports: LISTENERS.map((l) => ({
      name: l.version === 2 ? 'http' : 'http-proxy-v1',
      port: l.port,
      targetPort: POD_PORT,
      nodePort: 30000 + l.port,
    })),
    selector: { app: 'web' },
  });
  service.metadata.annotations = {
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*',
  };
  service.status.loadBalancer = { ingress: [{ ip: LB_IP, ipMode: 'Proxy' }] };

  const snapshot = list([
    nodeObject({ name: 'node1', ip: n1.ip, podCIDR: n1.podCIDR }),
    podObject({
      name: web.name,
      node: n1.name,
      nodeIP: n1.ip,
      ip: web.ip,
      labels: web.labels,
      deployment: 'web',
      containerPort: POD_PORT,
    }),
    service,
    endpointSliceObject({
      service: 'web',
      endpoints: [{ ip: web.ip, node: n1.name, pod: web.name }],
      ports: LISTENERS.map((l) => ({ name: l.version === 2 ? 'http' : 'http-proxy-v1', port: POD_PORT })),
    }),
  ]);

  return {
    snapshot,
    captures: [
      {
        file: 'pp-lb-eth0.pcap',
        point: `load balancer ${LB_IP}, eth0`,
        linkType: 'ETHERNET',
        flows: [...toLb, ...toPod],
      },
      { file: 'pp-web.pcap', point: `pod ${podName} eth0`, linkType: 'ETHERNET', flows: toPod },
    ],
  };
}

/** Every LB → pod connection starts with a PROXY header naming the client, v2 or v1. */
function checkProxyHeaders(path, podIP) {
  const fields = ['ip.dst', 'tcp.srcport', 'proxy.version', 'proxy.v1.proto'];
  fields.push('proxy.src.ipv4', 'proxy.srcport', 'proxy.dst.ipv4', 'proxy.dstport');
  const out = runCommand('tshark', [
    '-n',
    '-r',
    path,
    // Port 8080 is HTTP's to tshark: try the PROXY heuristic first.
    '-o',
    'tcp.try_heuristic_first:TRUE',
    '-o',
    'tcp.desegment_tcp_streams:FALSE',
    '-Y',
    'proxy',
    '-T',
    'fields',
    '-E',
    'separator=,',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  const got = out
    .trim()
    .split('\n')
    .map((line) => {
      const [dst, port, v2, v1, ...rest] = line.split(',');
      return [dst, port, v2 || (v1 === 'TCP4' ? '1' : '?'), ...rest].join(',');
    })
    .sort();
  const want = LISTENERS.map((l) =>
    [podIP, l.lbPort, l.version, CLIENT_IP, l.clientPort, LB_IP, l.port].join(','),
  ).sort();
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`${path}: PROXY headers ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}
