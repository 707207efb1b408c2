// Who is who in the lab clusters: every address of their snapshots, and copies of their objects
// edited the way real clusters differ (named targetPorts, dual-stack Services, Calico blocks
// beside another node's podCIDR, a VPC subnet wider than a /24).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/support/files.js';
import { buildClusterSnapshot, ClusterIndex, ipv4Number, ipv6Words } from './index.js';
import type { Identity } from './index.js';

type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Record<string, unknown>[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
} & Record<string, unknown>;
interface KubeList {
  apiVersion: string;
  kind: string;
  metadata: unknown;
  items: KubeObject[];
}
interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
}
interface ServicePortSpec {
  name: string;
  protocol: string;
  port: number;
  targetPort: number | string;
  nodePort?: number;
}

/** A fresh copy of a lab scenario's snapshot.json (a List, as kubectl printed it). */
const lab = (scenario: string): KubeList =>
  JSON.parse(readFileSync(join(FIXTURES, 'lab', scenario, 'snapshot.json'), 'utf8')) as KubeList;
const item = (list: KubeList, kind: string, name: string): KubeObject => {
  const found = list.items.find((i) => i.kind === kind && i.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const without = (list: KubeList, kind: string, name?: string): KubeList => ({
  ...list,
  items: list.items.filter((i) => i.kind !== kind || (name !== undefined && i.metadata.name !== name)),
});
const index = (list: KubeList): ClusterIndex =>
  new ClusterIndex(buildClusterSnapshot([{ source: 'snapshot.json', value: list }]));
const portsOf = (service: KubeObject): ServicePortSpec[] => service.spec!.ports as ServicePortSpec[];
const endpointsOf = (slice: KubeObject): SliceEndpoint[] => slice.endpoints as SliceEndpoint[];

const external: Identity = { kind: 'external', name: null };
const unknownService: Identity = { kind: 'unknown-service', name: 'unknown Service' };
const unknownPodOn = (node: string): Identity => ({
  kind: 'unknown-pod',
  name: `unknown pod on ${node}`,
  node,
});
const nodeAddress = (name: string, role: Identity['role'], hostNetworkPods?: string[]): Identity => ({
  kind: 'node',
  name,
  node: name,
  role,
  ...(hostNetworkPods ? { hostNetworkPods } : {}),
});

describe('flannel-vxlan', () => {
  const cluster = index(lab('flannel-vxlan'));

  it('names pods with namespace, node and Deployment (by the ReplicaSet hash)', () => {
    expect(cluster.identifyText('10.244.1.2')).toEqual({
      kind: 'pod',
      name: 'default/client-7glfjtdkgj-5hcgn',
      namespace: 'default',
      node: 'node1',
      workload: 'Deployment/client',
    });
    expect(cluster.identifyText('10.244.2.2')).toMatchObject({
      name: 'default/web-l9cpv6hc4l-9skml',
      node: 'node2',
      workload: 'Deployment/web',
    });
  });

  it('names a pod without owner with no workload', () => {
    expect(cluster.identifyText('10.244.2.3')).toEqual({
      kind: 'pod',
      name: 'kube-system/coredns-5d78c9869d-qk8pz',
      namespace: 'kube-system',
      node: 'node2',
    });
  });

  it('identify() takes the decoder’s word layout (IPv4 in word 0, unsigned)', () => {
    const words = new Uint32Array([ipv4Number('192.168.10.102')!, 0, 0, 0]);
    expect(cluster.identify(4, words)).toEqual(nodeAddress('node2', 'address'));
    expect(cluster.identify(4, [ipv4Number('10.244.1.3')!, 0, 0, 0])).toMatchObject({
      kind: 'pod',
      name: 'default/web-l9cpv6hc4l-khzkn',
    });
  });

  it('names node addresses, the flannel.1 VTEP (podCIDR network address) and the cni0 gateway', () => {
    expect(cluster.identifyText('192.168.10.101')).toEqual(nodeAddress('node1', 'address'));
    expect(cluster.identifyText('10.244.1.0')).toEqual(nodeAddress('node1', 'tunnel'));
    expect(cluster.identifyText('10.244.1.1')).toEqual(nodeAddress('node1', 'bridge'));
    expect(cluster.identifyText('10.244.2.0')).toEqual(nodeAddress('node2', 'tunnel'));
    expect(cluster.identifyText('10.244.2.1')).toEqual(nodeAddress('node2', 'bridge'));
    expect(cluster.nodeOf('10.244.2.1')).toBe('node2');
    expect(cluster.nodeOf('10.244.2.2')).toBeNull();
  });

  it('names an unused address of a node’s podCIDR as an unknown pod on that node', () => {
    expect(cluster.identifyText('10.244.1.77')).toEqual(unknownPodOn('node1'));
    expect(cluster.identifyText('10.244.2.254')).toEqual(unknownPodOn('node2'));
    expect(cluster.identifyText('10.244.2.255')).toEqual(unknownPodOn('node2'));
  });

  it('names the Service, an unknown Service in the inferred range, and the rest external', () => {
    expect(cluster.identifyText('10.96.45.10')).toEqual({
      kind: 'service',
      name: 'default/web',
      namespace: 'default',
    });
    expect(cluster.identifyText('10.96.0.10')).toEqual(unknownService);
    expect(cluster.identifyText('10.96.255.255')).toEqual(unknownService);
    expect(cluster.identifyText('10.97.0.1')).toEqual(external);
    expect(cluster.identifyText('192.168.10.1')).toEqual(external);
    expect(cluster.identifyText('203.0.113.20')).toEqual(external);
    expect(cluster.identifyText('not an address')).toEqual(external);
  });

  it('infers the ranges: the pod range around both /24s, the Service range at least a /16', () => {
    expect(cluster.podRanges).toEqual(['10.244.0.0/22']);
    expect(cluster.serviceRanges).toEqual(['10.96.0.0/16']);
    expect(cluster.nodeBlocks).toEqual([
      { node: 'node1', cidr: '10.244.1.0/24', inferred: false },
      { node: 'node2', cidr: '10.244.2.0/24', inferred: false },
    ]);
    // Inside the pod range but in no node's podCIDR.
    expect(cluster.identifyText('10.244.3.9')).toEqual({ kind: 'unknown-pod', name: 'unknown pod' });
  });

  it('finds the Service at its ClusterIP and port, with its ready endpoints', () => {
    const match = cluster.serviceAt('10.96.45.10', 80, 'tcp')!;
    expect(match.service.name).toBe('web');
    expect(match.port).toEqual({ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: null });
    expect(match.targetPort).toBe(8080);
    expect(match.endpoints).toEqual(['10.244.2.2:8080', '10.244.1.3:8080']);
    expect(match.viaNodePort).toBe(false);
    expect(cluster.serviceAt('10.96.45.10', 80, 'TCP')?.service.name).toBe('web');
    expect(cluster.serviceAt('10.96.45.10', 80, 'udp')).toBeNull();
    expect(cluster.serviceAt('10.96.45.10', 8080, 'tcp')).toBeNull();
    expect(cluster.serviceAt('10.244.2.2', 8080, 'tcp')).toBeNull();
  });

  it('without Services: no Service range, a former ClusterIP is external', () => {
    const bare = index(without(without(lab('flannel-vxlan'), 'Service'), 'EndpointSlice'));
    expect(bare.serviceRanges).toEqual([]);
    expect(bare.podRanges).toEqual(['10.244.0.0/22']);
    expect(bare.identifyText('10.96.45.10')).toEqual(external);
    expect(bare.serviceAt('10.96.45.10', 80, 'tcp')).toBeNull();
    expect(bare.identifyText('10.244.1.2')).toMatchObject({ kind: 'pod' });
  });

  it('names the Flannel node’s public-ip annotation as the node (flanneld --public-ip / --iface)', () => {
    // A second NIC carries the VXLAN underlay: the VTEP's outer address is not the InternalIP.
    const list = lab('flannel-vxlan');
    item(list, 'Node', 'node1').metadata.annotations!['flannel.alpha.coreos.com/public-ip'] = '10.0.0.11';
    const id = index(list).identifyText('10.0.0.11');
    expect([id.kind, id.name]).toEqual(['node', 'node1']);
  });
});

describe('workloads', () => {
  it('names StatefulSet, CronJob (by its Job), Job, DaemonSet and bare-pod workloads', () => {
    const list = lab('flannel-vxlan');
    const template = item(list, 'Pod', 'web-l9cpv6hc4l-khzkn');
    const add = (name: string, ip: string, kind: string, owner: string, apiVersion: string): void => {
      const pod = structuredClone(template);
      pod.metadata.name = name;
      pod.metadata.ownerReferences = [
        { apiVersion, kind, name: owner, uid: '3b1f0c52-6a8e-4f1d-9c27-5e4d8a0b7c61', controller: true },
      ];
      pod.status!.podIP = ip;
      pod.status!.podIPs = [{ ip }];
      list.items.push(pod);
    };
    add('db-0', '10.244.1.10', 'StatefulSet', 'db', 'apps/v1');
    add('backup-28934460-x7k2p', '10.244.1.11', 'Job', 'backup-28934460', 'batch/v1');
    add('migrate-5xq8z', '10.244.1.12', 'Job', 'migrate', 'batch/v1');
    add('kube-proxy-7xkqp', '10.244.1.13', 'DaemonSet', 'kube-proxy', 'apps/v1');
    const cluster = index(list);
    const workload = (ip: string): string | undefined => cluster.identifyText(ip).workload;
    expect(workload('10.244.1.10')).toBe('StatefulSet/db');
    expect(workload('10.244.1.11')).toBe('CronJob/backup');
    expect(workload('10.244.1.12')).toBe('Job/migrate');
    expect(workload('10.244.1.13')).toBe('DaemonSet/kube-proxy');
    expect(workload('10.244.2.3')).toBeUndefined();
    expect(workload('10.244.1.3')).toBe('Deployment/web');
  });
});

describe('hostNetwork pods', () => {
  it('name their address as the node, with the hostNetwork pods beside it (calico-vxlan)', () => {
    const cluster = index(lab('calico-vxlan'));
    expect(cluster.identifyText('192.168.10.101')).toEqual(
      nodeAddress('node1', 'address', ['kube-system/calico-node-4x7kq']),
    );
    expect(cluster.identifyText('192.168.10.103')).toEqual(
      nodeAddress('node3', 'address', ['kube-system/calico-node-m2p8s']),
    );
  });

  it('list every hostNetwork pod of the node (a kube-proxy beside calico-node)', () => {
    const list = lab('calico-vxlan');
    const proxy = structuredClone(item(list, 'Pod', 'calico-node-4x7kq'));
    proxy.metadata.name = 'kube-proxy-5k8wq';
    proxy.metadata.ownerReferences![0].name = 'kube-proxy';
    list.items.push(proxy);
    expect(index(list).identifyText('192.168.10.101').hostNetworkPods).toEqual([
      'kube-system/calico-node-4x7kq',
      'kube-system/kube-proxy-5k8wq',
    ]);
  });

  it('name their address as their node when the snapshot has no Node objects', () => {
    // kubectl get pods,services,endpointslices -A: the pod still says its IP is its node's.
    const cluster = index(without(lab('calico-vxlan'), 'Node'));
    expect(cluster.identifyText('192.168.10.101')).toMatchObject({
      kind: 'node',
      name: 'node1',
      hostNetworkPods: ['kube-system/calico-node-4x7kq'],
    });
  });
});

describe('calico-vxlan: IPAM blocks that ignore spec.podCIDR', () => {
  const cluster = index(lab('calico-vxlan'));

  it('names pods by their records, not by podCIDR', () => {
    expect(cluster.identifyText('10.244.120.65')).toMatchObject({
      kind: 'pod',
      name: 'default/client-7glfjtdkgj-5hcgn',
      node: 'node1',
    });
    expect(cluster.identifyText('10.244.7.1')).toMatchObject({
      kind: 'pod',
      name: 'default/client-7glfjtdkgj-jgj7m',
      node: 'node3',
    });
  });

  it('names an unused address of a node’s /26 block as an unknown pod on that node', () => {
    expect(cluster.identifyText('10.244.120.100')).toEqual(unknownPodOn('node1'));
    expect(cluster.identifyText('10.244.33.190')).toEqual(unknownPodOn('node2'));
    expect(cluster.identifyText('10.244.7.63')).toEqual(unknownPodOn('node3'));
    expect(cluster.nodeBlocks).toEqual(
      expect.arrayContaining([
        { node: 'node1', cidr: '10.244.120.64/26', inferred: true },
        { node: 'node2', cidr: '10.244.33.128/26', inferred: true },
        { node: 'node3', cidr: '10.244.7.0/26', inferred: true },
      ]),
    );
  });

  it('names the vxlan.calico tunnel addresses as the nodes, and no podCIDR .0/.1', () => {
    expect(cluster.identifyText('10.244.120.64')).toEqual(
      nodeAddress('node1', 'tunnel', ['kube-system/calico-node-4x7kq']),
    );
    expect(cluster.identifyText('10.244.33.128')).toMatchObject({
      kind: 'node',
      name: 'node2',
      role: 'tunnel',
    });
    expect(cluster.identifyText('10.244.7.0')).toMatchObject({ kind: 'node', name: 'node3', role: 'tunnel' });
    for (const ip of ['10.244.0.0', '10.244.0.1', '10.244.1.0', '10.244.1.1'])
      expect(cluster.identifyText(ip).kind, ip).not.toBe('node');
  });

  it('infers a pod range holding the blocks', () => {
    expect(cluster.podRanges).toEqual(['10.244.0.0/17']);
    expect(cluster.serviceRanges).toEqual(['10.96.0.0/16']);
  });

  it('ties a block to its node by the tunnel address when no pod of the node is listed', () => {
    // node3's only workload pod gone: its block still holds its vxlan.calico address.
    const cluster3 = index(without(lab('calico-vxlan'), 'Pod', 'client-7glfjtdkgj-jgj7m'));
    expect(cluster3.identifyText('10.244.7.0')).toMatchObject({ kind: 'node', name: 'node3' });
    expect(cluster3.identifyText('10.244.7.1')).toEqual(unknownPodOn('node3'));
  });

  it('gives a block to the node whose pods are in it, even inside another node’s podCIDR', () => {
    // Calico picks blocks from its pool regardless of spec.podCIDR: node1's block here is
    // 10.244.1.64/26, inside the 10.244.1.0/24 the controller manager gave node2.
    const list = lab('calico-vxlan');
    const renumber: Record<string, string> = {
      '10.244.120.64': '10.244.1.64',
      '10.244.120.65': '10.244.1.65',
      '10.244.120.66': '10.244.1.66',
    };
    item(list, 'Node', 'node1').metadata.annotations!['projectcalico.org/IPv4VXLANTunnelAddr'] =
      '10.244.1.64';
    for (const name of ['client-7glfjtdkgj-5hcgn', 'web-l9cpv6hc4l-9skml']) {
      const status = item(list, 'Pod', name).status as { podIP: string; podIPs: { ip: string }[] };
      status.podIP = renumber[status.podIP];
      status.podIPs = [{ ip: status.podIP }];
    }
    endpointsOf(item(list, 'EndpointSlice', 'web-6bz2w'))[0].addresses = ['10.244.1.66'];
    const moved = index(list);
    expect(moved.identifyText('10.244.1.65')).toMatchObject({ kind: 'pod', node: 'node1' });
    expect(moved.identifyText('10.244.1.64')).toMatchObject({ kind: 'node', name: 'node1' });
    expect(moved.identifyText('10.244.1.100')).toEqual(unknownPodOn('node1'));
  });
});

describe('calico-ipip, cilium-geneve: the CNI’s own node addresses', () => {
  it('names the IPIP tunnel annotations as the nodes', () => {
    const cluster = index(lab('calico-ipip'));
    expect(cluster.identifyText('10.244.64.1')).toEqual(
      nodeAddress('node1', 'tunnel', ['kube-system/calico-node-l7hd68jlnl-pr87n']),
    );
    expect(cluster.identifyText('10.244.64.65')).toMatchObject({
      kind: 'node',
      name: 'node2',
      role: 'tunnel',
    });
    expect(cluster.identifyText('10.244.64.71')).toMatchObject({
      kind: 'pod',
      name: 'kube-system/metrics-server-6d94bc8694-vr7mh',
      workload: 'Deployment/metrics-server',
    });
    expect(cluster.identifyText('10.244.64.40')).toEqual(unknownPodOn('node1'));
    expect(cluster.identifyText('10.244.64.100')).toEqual(unknownPodOn('node2'));
    expect(cluster.identifyText('10.244.0.0').kind).not.toBe('node');
    expect(cluster.identifyText('10.244.0.1').kind).not.toBe('node');
  });

  it('names cilium_host as the node, and no podCIDR .0 as a tunnel', () => {
    const cluster = index(lab('cilium-geneve'));
    expect(cluster.identifyText('10.0.1.1')).toEqual(
      nodeAddress('node1', 'host', ['kube-system/cilium-x7k2p']),
    );
    expect(cluster.identifyText('10.0.2.1')).toMatchObject({ kind: 'node', name: 'node2', role: 'host' });
    expect(cluster.identifyText('10.0.1.0')).toEqual(unknownPodOn('node1'));
    expect(cluster.identifyText('10.0.2.0')).toEqual(unknownPodOn('node2'));
    expect(cluster.podRanges).toEqual(['10.0.0.0/22']);
  });
});

describe('direct-routing: Calico BGP nodes beside an AWS VPC CNI node', () => {
  const cluster = index(lab('direct-routing'));

  it('names node3’s pods in the node subnet as pods', () => {
    expect(cluster.identifyText('192.168.10.150')).toEqual({
      kind: 'pod',
      name: 'default/api-fg5bhnwbjc-dxdxn',
      namespace: 'default',
      node: 'node3',
      workload: 'Deployment/api',
    });
    expect(cluster.identifyText('192.168.10.151')).toMatchObject({ kind: 'pod', node: 'node3' });
    expect(cluster.identifyText('192.168.10.103')).toEqual(
      nodeAddress('node3', 'address', ['kube-system/aws-node-zpmmq']),
    );
  });

  it('does not make the node subnet a pod block', () => {
    expect(cluster.identifyText('192.168.10.152')).toEqual(external);
    expect(cluster.identifyText('192.168.10.1')).toEqual(external);
    expect(cluster.nodeBlocks).toEqual([
      { node: 'node1', cidr: '10.244.1.0/24', inferred: false },
      { node: 'node2', cidr: '10.244.2.0/24', inferred: false },
    ]);
    expect(cluster.podRanges).toEqual(['10.244.0.0/22']);
  });

  it('gives the Calico BGP nodes no podCIDR .0/.1 addresses', () => {
    expect(cluster.identifyText('10.244.1.0')).toEqual(unknownPodOn('node1'));
    expect(cluster.identifyText('10.244.1.1')).toEqual(unknownPodOn('node1'));
  });

  it('finds the api Service’s endpoint in the node subnet', () => {
    expect(cluster.serviceAt('10.96.120.8', 80, 'tcp')?.endpoints).toEqual(['192.168.10.150:8080']);
  });

  it('keeps VPC pods out of the pod range when the VPC subnet is wider than a /24', () => {
    // eksctl's subnets are /19s: node3 at 192.168.10.103, its ENI's secondary addresses elsewhere.
    const list = lab('direct-routing');
    for (const [name, ip] of [
      ['api-fg5bhnwbjc-dxdxn', '192.168.21.150'],
      ['client-7glfjtdkgj-jgj7m', '192.168.21.151'],
    ]) {
      const status = item(list, 'Pod', name).status as { podIP: string; podIPs: { ip: string }[] };
      status.podIP = ip;
      status.podIPs = [{ ip }];
    }
    endpointsOf(item(list, 'EndpointSlice', 'api-gd7f4'))[0].addresses = ['192.168.21.150'];
    const wide = index(list);
    expect(wide.identifyText('192.168.21.150')).toMatchObject({ kind: 'pod', node: 'node3' });
    expect(wide.podRanges).toEqual(['10.244.0.0/22']);
    expect(wide.nodeBlocks.map((b) => b.node)).toEqual(['node1', 'node2']);
    expect(wide.identifyText('8.8.8.8')).toEqual(external);
    expect(wide.identifyText('203.0.113.20')).toEqual(external);
  });
});

describe('dual-stack', () => {
  const cluster = index(lab('dual-stack'));

  it('names pods by their IPv6 addresses too', () => {
    const client = cluster.identifyText('10.244.1.2');
    expect(cluster.identifyText('fd00:10:244:1::2')).toEqual(client);
    expect(client).toMatchObject({ kind: 'pod', name: 'default/client-7glfjtdkgj-5hcgn', node: 'node1' });
    expect(cluster.identify(6, ipv6Words('fd00:10:244:2::2')!)).toMatchObject({
      kind: 'pod',
      name: 'default/web-l9cpv6hc4l-9skml',
      workload: 'Deployment/web',
    });
    expect(cluster.identifyText('FD00:10:244:2:0:0:0:3')).toMatchObject({
      name: 'kube-system/coredns-2f5mkjvvfc-7mghz',
    });
  });

  it('names IPv6 node addresses, unknown pods in the /64s, the IPv6 Service and its range', () => {
    expect(cluster.identifyText('fd00:192:168:10::102')).toEqual(nodeAddress('node2', 'address'));
    expect(cluster.identifyText('fd00:10:244:1::99')).toEqual(unknownPodOn('node1'));
    expect(cluster.identifyText('fd00:10:244:2:ffff:ffff:ffff:ffff')).toEqual(unknownPodOn('node2'));
    expect(cluster.identifyText('fd00:10:96::1234')).toEqual({
      kind: 'service',
      name: 'default/web',
      namespace: 'default',
    });
    expect(cluster.identifyText('fd00:10:96::a')).toEqual(unknownService);
    expect(cluster.identifyText('2001:db8::1')).toEqual(external);
  });

  it('infers ranges per family, IPv6 written compressed', () => {
    expect(cluster.podRanges).toEqual(['10.244.0.0/22', 'fd00:10:244::/62']);
    expect(cluster.serviceRanges).toEqual(['fd00:10:96::/112']);
    expect(cluster.nodeBlocks).toEqual([
      { node: 'node1', cidr: '10.244.1.0/24', inferred: false },
      { node: 'node1', cidr: 'fd00:10:244:1::/64', inferred: false },
      { node: 'node2', cidr: '10.244.2.0/24', inferred: false },
      { node: 'node2', cidr: 'fd00:10:244:2::/64', inferred: false },
    ]);
  });

  it('finds the IPv6 Service with a bracketed endpoint', () => {
    const match = cluster.serviceAt('fd00:10:96::1234', 80, 'tcp')!;
    expect(match.service.name).toBe('web');
    expect(match.endpoints).toEqual(['[fd00:10:244:2::2]:8080']);
    expect(cluster.serviceAt('fd00:10:96:0:0:0:0:1234', 80, 'tcp')?.service.name).toBe('web');
  });

  describe('a dual-stack Service (PreferDualStack: a ClusterIP and an EndpointSlice per family)', () => {
    const list = lab('dual-stack');
    const web = item(list, 'Service', 'web');
    web.spec = {
      ...web.spec,
      clusterIPs: ['fd00:10:96::1234', '10.96.0.20'],
      ipFamilies: ['IPv6', 'IPv4'],
      ipFamilyPolicy: 'PreferDualStack',
    };
    const v4 = structuredClone(item(list, 'EndpointSlice', 'web-f6p9m'));
    v4.metadata.name = 'web-w8k4t';
    v4.addressType = 'IPv4';
    endpointsOf(v4)[0].addresses = ['10.244.2.2'];
    list.items.push(v4);
    const dual = index(list);

    it('names both ClusterIPs and infers a Service range per family', () => {
      const service = { kind: 'service', name: 'default/web', namespace: 'default' };
      expect(dual.identifyText('10.96.0.20')).toEqual(service);
      expect(dual.identifyText('fd00:10:96::1234')).toEqual(service);
      expect(dual.serviceRanges).toEqual(['10.96.0.0/16', 'fd00:10:96::/112']);
      expect(dual.identifyText('10.96.7.7')).toEqual(unknownService);
    });

    it('gives each ClusterIP the endpoints of its own family', () => {
      expect(dual.serviceAt('10.96.0.20', 80, 'tcp')?.endpoints).toEqual(['10.244.2.2:8080']);
      expect(dual.serviceAt('fd00:10:96::1234', 80, 'tcp')?.endpoints).toEqual(['[fd00:10:244:2::2]:8080']);
    });
  });
});

describe('Services beyond the ClusterIP', () => {
  it('finds a LoadBalancer Service at its ingress IP, per port (proxy-protocol)', () => {
    const cluster = index(lab('proxy-protocol'));
    expect(cluster.identifyText('192.168.10.50')).toEqual({
      kind: 'service',
      name: 'default/web',
      namespace: 'default',
    });
    const v2 = cluster.serviceAt('192.168.10.50', 80, 'tcp')!;
    expect([v2.service.name, v2.port.name, v2.targetPort, v2.endpoints, v2.viaNodePort]).toEqual([
      'web',
      'http',
      8080,
      ['10.244.1.2:8080'],
      false,
    ]);
    expect(cluster.serviceAt('192.168.10.50', 81, 'tcp')?.port.name).toBe('http-proxy-v1');
    expect(cluster.serviceAt('192.168.10.50', 82, 'tcp')).toBeNull();
    // The LB address is not a ClusterIP: the Service range stays around 10.96.120.33.
    expect(cluster.serviceRanges).toEqual(['10.96.0.0/16']);
    expect(cluster.identifyText('192.168.10.51')).toEqual(external);
  });

  it('tells apart Services sharing one load-balancer IP by port (MetalLB allow-shared-ip)', () => {
    const list = lab('proxy-protocol');
    const dns = structuredClone(item(list, 'Service', 'web'));
    dns.metadata.name = 'dns-lb';
    dns.spec = {
      ...dns.spec,
      clusterIP: '10.96.120.34',
      clusterIPs: ['10.96.120.34'],
      ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 53, nodePort: 30053 }],
      selector: { app: 'dns' },
    };
    list.items.push(dns);
    const cluster = index(list);
    expect(cluster.serviceAt('192.168.10.50', 53, 'udp')?.service.name).toBe('dns-lb');
    expect(cluster.serviceAt('192.168.10.50', 80, 'tcp')?.service.name).toBe('web');
  });

  it('finds a Service at its externalIPs', () => {
    const list = lab('clusterip');
    item(list, 'Service', 'web').spec!.externalIPs = ['203.0.113.77'];
    const cluster = index(list);
    expect(cluster.identifyText('203.0.113.77')).toEqual({
      kind: 'service',
      name: 'default/web',
      namespace: 'default',
    });
    const match = cluster.serviceAt('203.0.113.77', 9000, 'udp')!;
    expect([match.service.name, match.port.name, match.endpoints]).toEqual([
      'web',
      'echo',
      ['10.244.2.2:9000', '10.244.1.3:9000'],
    ]);
    expect(cluster.serviceRanges).toEqual(['10.96.0.0/16']);
  });

  it('finds NodePort Services through any node address (nodeport)', () => {
    const cluster = index(lab('nodeport'));
    const web = cluster.serviceAt('192.168.10.101', 30080, 'tcp')!;
    expect([web.service.name, web.port.port, web.targetPort, web.endpoints, web.viaNodePort]).toEqual([
      'web',
      80,
      8080,
      ['10.244.2.2:8080'],
      true,
    ]);
    const local = cluster.serviceAt('192.168.10.102', 30081, 'tcp')!;
    expect([local.service.name, local.service.externalTrafficPolicy, local.viaNodePort]).toEqual([
      'web-local',
      'Local',
      true,
    ]);
    expect(cluster.serviceAt('192.168.10.101', 30080, 'udp')).toBeNull();
    expect(cluster.serviceAt('192.168.10.101', 30082, 'tcp')).toBeNull();
    expect(cluster.serviceAt('203.0.113.10', 30080, 'tcp')).toBeNull();
    expect(cluster.serviceAt('10.244.2.2', 30080, 'tcp')).toBeNull();
    // The ClusterIP still answers on the Service port, not the nodePort.
    expect(cluster.serviceAt('10.96.120.10', 80, 'tcp')?.viaNodePort).toBe(false);
    expect(cluster.serviceAt('10.96.120.10', 30080, 'tcp')).toBeNull();
  });

  it('lists only ready endpoints (no-endpoints)', () => {
    const cluster = index(lab('no-endpoints'));
    const api = cluster.serviceAt('10.96.77.7', 80, 'tcp')!;
    expect([api.service.name, api.targetPort, api.endpoints]).toEqual(['api', 8080, []]);
    expect(cluster.serviceAt('10.96.77.8', 80, 'tcp')?.endpoints).toEqual(['10.244.2.2:8080']);
    // Ready again: the endpoint comes back.
    const list = lab('no-endpoints');
    endpointsOf(item(list, 'EndpointSlice', 'api-gd7f4'))[0].conditions = {
      ready: true,
      serving: true,
      terminating: false,
    };
    expect(index(list).serviceAt('10.96.77.7', 80, 'tcp')?.endpoints).toEqual(['10.244.2.3:8080']);
  });

  it('keeps a terminating endpoint out', () => {
    const list = lab('clusterip');
    endpointsOf(item(list, 'EndpointSlice', 'web-6bz2w'))[1].conditions = {
      ready: false,
      serving: true,
      terminating: true,
    };
    expect(index(list).serviceAt('10.96.45.10', 80, 'tcp')?.endpoints).toEqual(['10.244.2.2:8080']);
  });
});

describe('named targetPorts', () => {
  /** clusterip with the web Service's http port pointing at the container port named "http". */
  const named = (): KubeList => {
    const list = lab('clusterip');
    portsOf(item(list, 'Service', 'web'))[0].targetPort = 'http';
    for (const name of ['web-l9cpv6hc4l-9skml', 'web-l9cpv6hc4l-khzkn']) {
      const containers = item(list, 'Pod', name).spec!.containers as { ports: Record<string, unknown>[] }[];
      containers[0].ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
    }
    return list;
  };

  it('resolve through the EndpointSlice ports', () => {
    const list = named();
    // The pods' containers say nothing: only the slice knows the number.
    for (const name of ['web-l9cpv6hc4l-9skml', 'web-l9cpv6hc4l-khzkn'])
      delete (item(list, 'Pod', name).spec!.containers as { ports?: unknown }[])[0].ports;
    const match = index(list).serviceAt('10.96.45.10', 80, 'tcp')!;
    expect(match.port.targetPort).toBe('http');
    expect(match.targetPort).toBe(8080);
    expect(match.endpoints).toEqual(['10.244.2.2:8080', '10.244.1.3:8080']);
  });

  it('pick the slice port of their own Service port when the slice has several', () => {
    const list = named();
    portsOf(item(list, 'Service', 'web'))[1].targetPort = 'echo';
    const cluster = index(list);
    expect(cluster.serviceAt('10.96.45.10', 9000, 'udp')?.targetPort).toBe(9000);
    expect(cluster.serviceAt('10.96.45.10', 80, 'tcp')?.targetPort).toBe(8080);
  });

  it('resolve through the pod’s named containerPort when the slice has no ports', () => {
    const list = named();
    delete item(list, 'EndpointSlice', 'web-6bz2w').ports;
    const match = index(list).serviceAt('10.96.45.10', 80, 'tcp')!;
    expect(match.targetPort).toBe(8080);
    expect(match.endpoints).toEqual(['10.244.2.2:8080', '10.244.1.3:8080']);
  });

  it('resolve per slice when a rollout changed the number behind the name', () => {
    // The EndpointSlice controller puts endpoints with different ports in different slices.
    const list = named();
    const slice = item(list, 'EndpointSlice', 'web-6bz2w');
    const moved = structuredClone(slice);
    moved.metadata.name = 'web-q7n2d';
    moved.endpoints = endpointsOf(slice).splice(1, 1);
    moved.ports = [{ name: 'http', port: 8081, protocol: 'TCP' }];
    list.items.push(moved);
    const match = index(list).serviceAt('10.96.45.10', 80, 'tcp')!;
    expect(match.endpoints).toEqual(['10.244.2.2:8080', '10.244.1.3:8081']);
  });

  it('resolve per pod when the pods name different numbers (a rollout changing the port)', () => {
    const list = named();
    delete item(list, 'EndpointSlice', 'web-6bz2w').ports;
    const containers = item(list, 'Pod', 'web-l9cpv6hc4l-khzkn').spec!.containers as {
      ports: Record<string, unknown>[];
    }[];
    containers[0].ports = [{ name: 'http', containerPort: 8081, protocol: 'TCP' }];
    expect(index(list).serviceAt('10.96.45.10', 80, 'tcp')?.endpoints).toEqual([
      '10.244.2.2:8080',
      '10.244.1.3:8081',
    ]);
  });
});

describe('ranges written in the snapshot', () => {
  it('are taken from the control plane’s static pods over the inferred ones', () => {
    // kubeadm's kube-apiserver and kube-controller-manager pods, as kubectl get pods -A prints them.
    const list = lab('flannel-vxlan');
    const staticPod = (component: string, command: string[]): KubeObject => {
      const pod = structuredClone(item(list, 'Pod', 'client-7glfjtdkgj-5hcgn'));
      pod.metadata = {
        name: `${component}-node1`,
        namespace: 'kube-system',
        labels: { component, tier: 'control-plane' },
        annotations: { 'kubernetes.io/config.source': 'file' },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Node',
            name: 'node1',
            uid: '5b0e7d3a-2c4f-4a9e-8d61-0f3b7c2e9a14',
            controller: true,
          },
        ],
      };
      pod.spec = {
        ...pod.spec,
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        containers: [{ name: component, image: `registry.k8s.io/${component}:v1.30.0`, command }],
      };
      pod.status = { ...pod.status, podIP: '192.168.10.101', podIPs: [{ ip: '192.168.10.101' }] };
      return pod;
    };
    list.items.push(
      staticPod('kube-apiserver', [
        'kube-apiserver',
        '--advertise-address=192.168.10.101',
        '--secure-port=6443',
        '--service-cluster-ip-range=10.96.0.0/12',
      ]),
      staticPod('kube-controller-manager', [
        'kube-controller-manager',
        '--allocate-node-cidrs=true',
        '--cluster-cidr=10.244.0.0/16',
        '--service-cluster-ip-range=10.96.0.0/12',
      ]),
    );
    const cluster = index(list);
    expect(cluster.identifyText('192.168.10.101').hostNetworkPods).toEqual([
      'kube-system/kube-apiserver-node1',
      'kube-system/kube-controller-manager-node1',
    ]);
    expect(cluster.serviceRanges).toEqual(['10.96.0.0/12']);
    expect(cluster.podRanges).toEqual(['10.244.0.0/16']);
    expect(cluster.identifyText('10.100.0.1')).toEqual(unknownService);
    expect(cluster.identifyText('10.244.9.9')).toMatchObject({ kind: 'unknown-pod' });
  });
});

describe('an empty List (docker-bridge: no Kubernetes)', () => {
  const cluster = index(lab('docker-bridge'));

  it('knows no ranges and names every address external', () => {
    expect([cluster.podRanges, cluster.serviceRanges, cluster.nodeBlocks]).toEqual([[], [], []]);
    for (const ip of ['172.17.0.2', '192.168.10.101', '10.96.0.1', 'fd00::1'])
      expect(cluster.identifyText(ip), ip).toEqual(external);
    expect(cluster.serviceAt('172.17.0.2', 80, 'tcp')).toBeNull();
    expect(cluster.nodeOf('192.168.10.101')).toBeNull();
  });
});
