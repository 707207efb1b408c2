// The traffic the wrapped scenarios (calico-ipip, cilium-geneve) share: two nodes with
// routed /32 pods (Calico/Cilium style), no tunnel; a client pod on node1 talks to a server
// pod on node2 (TCP, UDP, ping) and to a server pod on its own node (TCP). Captured on
// node1's eth0 (to be wrapped) and inside the client and the remote server pod.
import { directRoutes, node, pod, underlay } from './cluster.mjs';
import { deploymentPodName } from './k8s.mjs';

export const CLIENT_TCP_PORT = 41001;
export const CLIENT_UDP_PORT = 41002;
export const LOCAL_TCP_PORT = 41003;

export function routedPair(lab, { blocks, podIps, mtu, rawCapture }) {
  const world = underlay(lab);
  const n1 = node(world, 'node1', 1, { podCIDR: blocks[0] });
  const n2 = node(world, 'node2', 2, { podCIDR: blocks[1] });
  directRoutes(world, { blockOf: (n) => n.podCIDR });
  const client = pod(world, n1, deploymentPodName('client', 0), podIps.client, {
    style: 'calico',
    mtu,
    labels: { app: 'client' },
  });
  const server = pod(world, n2, deploymentPodName('api', 0), podIps.server, {
    style: 'calico',
    mtu,
    labels: { app: 'api' },
  });
  const local = pod(world, n1, deploymentPodName('api', 1), podIps.local, {
    style: 'calico',
    mtu,
    labels: { app: 'api' },
  });
  pod(world, n2, 'metrics-server-6d94bc8694-vr7mh', podIps.idle, {
    namespace: 'kube-system',
    style: 'calico',
    mtu,
    labels: { 'k8s-app': 'metrics-server' },
  });

  lab.server(server.ns, 'api-tcp', 'tcp-server', server.ip, '8080');
  lab.server(server.ns, 'api-udp', 'udp-server', server.ip, '9000');
  lab.server(local.ns, 'local-tcp', 'tcp-server', local.ip, '8080');

  lab.capture(n1.ns, 'eth0', rawCapture);
  lab.capture(client.ns, 'eth0', 'client.pcap');
  lab.capture(server.ns, 'eth0', 'api.pcap');

  lab.exec(client.ns, 'ping', ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', server.ip]);
  lab.client(client.ns, 'tcp-client', server.ip, '8080', '--port', String(CLIENT_TCP_PORT));
  lab.client(client.ns, 'udp-client', server.ip, '9000', '--port', String(CLIENT_UDP_PORT));
  lab.client(client.ns, 'tcp-client', local.ip, '8080', '--port', String(LOCAL_TCP_PORT));
  lab.stopCaptures();
  return { world, n1, n2, client, server, local };
}

/** The truth flows of that traffic, with `encapsulation` for the cross-node ones. */
export function pairFlows({ client, server, local }, encapsulation, { includeLocal }) {
  const name = (p) => `${p.namespace}/${p.name}`;
  const flow = (protocol, cport, target, sport, encap) => ({
    protocol,
    src:
      cport === undefined
        ? { ip: client.ip, name: name(client) }
        : { ip: client.ip, port: cport, name: name(client) },
    dst:
      sport === undefined
        ? { ip: target.ip, name: name(target) }
        : { ip: target.ip, port: sport, name: name(target) },
    encapsulation: encap,
  });
  const flows = [
    flow('tcp', CLIENT_TCP_PORT, server, 8080, encapsulation),
    flow('udp', CLIENT_UDP_PORT, server, 9000, encapsulation),
    flow('icmp', undefined, server, undefined, encapsulation),
  ];
  if (includeLocal) flows.push(flow('tcp', LOCAL_TCP_PORT, local, 8080, []));
  return flows;
}

/** The truth's three captures of that traffic: node1's underlay (wrapped in `tunnel`) and both pods. */
export function pairCaptures(built, tunnel, underlayPoint) {
  return [
    {
      file: 'node1-eth0.pcap',
      point: underlayPoint,
      linkType: 'ETHERNET',
      flows: pairFlows(built, tunnel, { includeLocal: false }),
    },
    {
      file: 'client.pcap',
      point: `pod default/${built.client.name} eth0`,
      linkType: 'ETHERNET',
      flows: pairFlows(built, [], { includeLocal: true }),
    },
    {
      file: 'api.pcap',
      point: `pod default/${built.server.name} eth0`,
      linkType: 'ETHERNET',
      flows: pairFlows(built, [], { includeLocal: false }),
    },
  ];
}
