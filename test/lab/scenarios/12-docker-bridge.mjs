// The container basics before Kubernetes: one Docker host with the docker0 bridge
// (172.17.0.1/16), two containers on veths, and the iptables rules dockerd writes: MASQUERADE
// for containers going out, and a published port (-p 8080:80) as a DNAT in the DOCKER chain.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTERNET, node, outsideHost, underlay } from '../cluster.mjs';
import { list } from '../k8s.mjs';

export const name = 'docker-bridge';
export const short = 'db';
export const summary =
  'Docker bridge networking: docker0 172.17.0.1/16 with two containers; container to container, container to the internet through MASQUERADE, and a published port 8080 -> 172.17.0.2:80 (DNAT) from outside';

const OUTSIDE_IP = `${INTERNET}.10`;
const PUBLISHED = 8080;
const C2C_PORT = 40001; // client container -> web container
const EGRESS_PORT = 40002; // client container -> outside server
const INBOUND_PORT = 41001;
export const readme = `
# docker-bridge

**Models:** Docker's default bridge network on one host, as \`dockerd\` (iptables mode) sets
it up: the \`docker0\` bridge with 172.17.0.1/16, containers \`web\` (172.17.0.2, running
\`-p ${PUBLISHED}:80\`) and \`client\` (172.17.0.3) on veth pairs (\`eth0\` inside, \`veth…\` on
docker0; MACs 02:42:ac:11:00:0x from the IPs, as Docker makes them), and dockerd's rules:

    *nat
    -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
    -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
    -A DOCKER -i docker0 -j RETURN
    -A DOCKER ! -i docker0 -p tcp -m tcp --dport ${PUBLISHED} -j DNAT --to-destination 172.17.0.2:80
    *filter (FORWARD policy DROP)
    -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    -A FORWARD -o docker0 -j DOCKER
    -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
    -A FORWARD -i docker0 -o docker0 -j ACCEPT
    -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT

(plus the DOCKER-USER and DOCKER-ISOLATION chains). The host's \`eth0\` is 192.168.10.101 on
a LAN whose router (192.168.10.1) leads to an "internet" 203.0.113.0/24 with a host at
${OUTSIDE_IP}. No Kubernetes: snapshot.json is an empty List.

**Shows:** the three paths every Kubernetes CNI and kube-proxy later build on.
1. Container to container (\`client\` :${C2C_PORT} → \`web\` :80): bridged on docker0, no
   routing and no NAT.
2. Container to the internet (\`client\` :${EGRESS_PORT} → ${OUTSIDE_IP}:80): routed by the host
   and source-NATed by MASQUERADE to the host's 192.168.10.101 (the port is kept, ${EGRESS_PORT});
   the outside server never sees 172.17.0.3.
3. A published port (${OUTSIDE_IP}:${INBOUND_PORT} → 192.168.10.101:${PUBLISHED}): DNATed in
   PREROUTING to 172.17.0.2:80; the container sees the real outside client address (no
   SNAT), and answers through the host, which reverses the DNAT.

**Captures:**
- \`db-docker0.pcap\` (the host's docker0, promiscuous): all three connections as the
  containers' side sees them: 172.17.0.3 → 172.17.0.2:80, 172.17.0.3 → ${OUTSIDE_IP}:80
  (before the SNAT), ${OUTSIDE_IP} → 172.17.0.2:80 (after the DNAT).
- \`db-host-eth0.pcap\` (the host's LAN side): 192.168.10.101:${EGRESS_PORT} → ${OUTSIDE_IP}:80
  (after the SNAT) and ${OUTSIDE_IP} → 192.168.10.101:${PUBLISHED} (before the DNAT); the
  container-to-container traffic is absent.
- \`db-web.pcap\`, \`db-client.pcap\` (inside each container): each container's own
  connections, with container addresses only.

truth.json marks each flow seen after a translation with \`nat\` (\`snat\` for MASQUERADE,
\`dnat\` for the published port, the tuple before and after) and lists the translations.

**What to look for in podpath:** one connection appears with different addresses at
different points: the egress connection is 172.17.0.3:${EGRESS_PORT} on docker0 and
192.168.10.101:${EGRESS_PORT} on eth0; the published-port connection is
192.168.10.101:${PUBLISHED} on eth0 and 172.17.0.2:80 on docker0; with no Kubernetes objects
nothing is named after a pod or a Service.
`;

/** Docker's MAC for a container address: 02:42 and the four bytes of the IPv4 address. */
function dockerMac(ip) {
  return ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

/** dockerd's host-side veth name: "veth" and seven hex characters. */
function dockerVeth(container) {
  return `veth${createHash('sha256').update(container).digest('hex').slice(0, 7)}`;
}

function dockerRules({ bridge, subnet, published }) {
  const dnat = published.map(
    (p) =>
      `-A DOCKER ! -i ${bridge} -p tcp -m tcp --dport ${p.hostPort} -j DNAT --to-destination ${p.ip}:${p.port}`,
  );
  const hairpin = published.map(
    (p) => `-A POSTROUTING -s ${p.ip}/32 -d ${p.ip}/32 -p tcp -m tcp --dport ${p.port} -j MASQUERADE`,
  );
  const accept = published.map(
    (p) => `-A DOCKER -d ${p.ip}/32 ! -i ${bridge} -o ${bridge} -p tcp -m tcp --dport ${p.port} -j ACCEPT`,
  );
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
    `-A POSTROUTING -s ${subnet} ! -o ${bridge} -j MASQUERADE`,
    ...hairpin,
    `-A DOCKER -i ${bridge} -j RETURN`,
    ...dnat,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
    ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
    '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    `-A FORWARD -o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A FORWARD -o ${bridge} -j DOCKER`,
    `-A FORWARD -i ${bridge} ! -o ${bridge} -j ACCEPT`,
    `-A FORWARD -i ${bridge} -o ${bridge} -j ACCEPT`,
    ...accept,
    `-A DOCKER-ISOLATION-STAGE-1 -i ${bridge} ! -o ${bridge} -j DOCKER-ISOLATION-STAGE-2`,
    '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    `-A DOCKER-ISOLATION-STAGE-2 -o ${bridge} -j DROP`,
    '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
    '',
  ].join('\n');
}

export function run(lab) {
  const world = underlay(lab, { router: true });
  const host = node(world, 'docker-host', 1);
  const outside = outsideHost(world, 'ext', OUTSIDE_IP);
  lab.bridge(host.ns, 'docker0', { address: '172.17.0.1/16', mac: '02:42:7d:1e:5a:c3' });

  const container = (cname, ip) => {
    const ns = lab.ns(`c-${cname}`);
    const veth = dockerVeth(cname);
    lab.veth(ns, 'eth0', host.ns, veth, {
      macA: dockerMac(ip),
      macB: dockerMac(ip).replace('02:42', '0a:5c'),
    });
    lab.attach(host.ns, veth, 'docker0');
    lab.ip(ns, 'addr', 'add', `${ip}/16`, 'dev', 'eth0');
    lab.ip(ns, 'route', 'add', 'default', 'via', '172.17.0.1');
    return { name: cname, ns, ip, veth };
  };
  const web = container('web', '172.17.0.2');
  const client = container('client', '172.17.0.3');

  const rulesFile = join(lab.work, 'docker-host.rules');
  writeFileSync(
    rulesFile,
    dockerRules({
      bridge: 'docker0',
      subnet: '172.17.0.0/16',
      published: [{ hostPort: PUBLISHED, ip: web.ip, port: 80 }],
    }),
  );
  lab.exec(host.ns, 'iptables-restore', [rulesFile]);

  const webServer = lab.server(web.ns, 'web', 'tcp-server', '0.0.0.0', '80');
  const outsideServer = lab.server(outside.ns, 'ext', 'tcp-server', outside.ip, '80');

  lab.capture(host.ns, 'docker0', 'db-docker0.pcap');
  lab.capture(host.ns, 'eth0', 'db-host-eth0.pcap');
  lab.capture(web.ns, 'eth0', 'db-web.pcap');
  lab.capture(client.ns, 'eth0', 'db-client.pcap');

  lab.client(client.ns, 'tcp-client', web.ip, '80', '--port', String(C2C_PORT));
  lab.client(client.ns, 'tcp-client', outside.ip, '80', '--port', String(EGRESS_PORT));
  lab.client(outside.ns, 'tcp-client', host.ip, String(PUBLISHED), '--port', String(INBOUND_PORT));

  // What each server saw is what the translations made of the connection: read it back.
  const accepted = (proc) =>
    readFileSync(proc.log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('accepted '))
      .map((l) => {
        const [, ip, port] = l.split(' ');
        return { ip, port: Number(port) };
      });
  const egressSeen = accepted(outsideServer);
  if (egressSeen.length !== 1 || egressSeen[0].ip !== host.ip)
    throw new Error(`outside server saw ${JSON.stringify(egressSeen)}, expected ${host.ip} (MASQUERADE)`);
  const snatPort = egressSeen[0].port; // MASQUERADE keeps the port when it is free
  const webSeen = accepted(webServer);
  const expectWeb = [
    { ip: client.ip, port: C2C_PORT },
    { ip: outside.ip, port: INBOUND_PORT },
  ];
  if (JSON.stringify(webSeen) !== JSON.stringify(expectWeb))
    throw new Error(`web saw ${JSON.stringify(webSeen)}, expected ${JSON.stringify(expectWeb)}`);

  const ends = {
    client: (port) => ({ ip: client.ip, port, name: 'container client' }),
    web: { ip: web.ip, port: 80, name: 'container web' },
    host: (port) => ({ ip: host.ip, port, name: 'docker-host' }),
    outside: (port) => ({ ip: outside.ip, port, name: 'outside host' }),
  };
  const tcp = (src, dst, nat) => ({ protocol: 'tcp', src, dst, encapsulation: [], ...(nat ? { nat } : {}) });
  const strip = ({ ip, port }) => ({ ip, port });
  const masquerade = {
    kind: 'snat',
    before: { src: strip(ends.client(EGRESS_PORT)), dst: strip(ends.outside(80)) },
    after: { src: { ip: host.ip, port: snatPort }, dst: strip(ends.outside(80)) },
  };
  const publish = {
    kind: 'dnat',
    before: { src: strip(ends.outside(INBOUND_PORT)), dst: strip(ends.host(PUBLISHED)) },
    after: { src: strip(ends.outside(INBOUND_PORT)), dst: strip(ends.web) },
  };
  const c2c = tcp(ends.client(C2C_PORT), ends.web);
  const egressInside = tcp(ends.client(EGRESS_PORT), ends.outside(80));
  const egressOutside = tcp(ends.host(snatPort), ends.outside(80), masquerade);
  const inboundOutside = tcp(ends.outside(INBOUND_PORT), ends.host(PUBLISHED));
  const inboundInside = tcp(ends.outside(INBOUND_PORT), ends.web, publish);

  return {
    snapshot: list([]),
    captures: [
      {
        file: 'db-docker0.pcap',
        point: 'docker host, docker0 (promiscuous)',
        linkType: 'ETHERNET',
        flows: [c2c, egressInside, inboundInside],
      },
      {
        file: 'db-host-eth0.pcap',
        point: 'docker host, eth0 (LAN)',
        linkType: 'ETHERNET',
        flows: [egressOutside, inboundOutside],
      },
      {
        file: 'db-web.pcap',
        point: 'container web, eth0',
        linkType: 'ETHERNET',
        flows: [c2c, inboundInside],
      },
      {
        file: 'db-client.pcap',
        point: 'container client, eth0',
        linkType: 'ETHERNET',
        flows: [c2c, egressInside],
      },
    ],
    translations: [
      {
        kind: 'snat',
        rule: '-t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
        before: masquerade.before,
        after: masquerade.after,
        captures: { before: ['db-docker0.pcap', 'db-client.pcap'], after: ['db-host-eth0.pcap'] },
      },
      {
        kind: 'dnat',
        rule: `-t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport ${PUBLISHED} -j DNAT --to-destination ${web.ip}:80`,
        before: publish.before,
        after: publish.after,
        captures: { before: ['db-host-eth0.pcap'], after: ['db-docker0.pcap', 'db-web.pcap'] },
      },
    ],
  };
}
