// The snapshot as buildClusterSnapshot reads it, from the lab's real kubectl Lists and copies of
// their objects edited the way a cluster would change them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/support/files.js';
import { buildClusterSnapshot, collectObjects, SnapshotError } from './index.js';
import type { ClusterSnapshot, SnapshotDocument } from './index.js';

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

/** A fresh copy of a lab scenario's snapshot.json (a List, as kubectl printed it). */
const lab = (scenario: string): KubeList =>
  JSON.parse(readFileSync(join(FIXTURES, 'lab', scenario, 'snapshot.json'), 'utf8')) as KubeList;
const item = (list: KubeList, kind: string, name: string): KubeObject => {
  const found = list.items.find((i) => i.kind === kind && i.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const build = (value: unknown, source = 'snapshot.json'): ClusterSnapshot =>
  buildClusterSnapshot([{ source, value }]);
const NOT_KUBERNETES =
  'expected Kubernetes objects (what kubectl get ... -o json or -o yaml prints, each with apiVersion and kind)';

/** The message of the SnapshotError `run` throws; fails on any other outcome. */
function snapshotError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotError);
    expect((e as SnapshotError).name).toBe('SnapshotError');
    return (e as SnapshotError).message;
  }
  throw new Error('no SnapshotError');
}

describe('collectObjects', () => {
  const list = lab('flannel-vxlan');
  const names = (docs: SnapshotDocument[]): string[] =>
    collectObjects(docs).map(({ source, object }) => {
      const metadata = object.metadata as { name: string };
      return `${source} ${object.kind as string} ${metadata.name}`;
    });

  it('flattens a List into its items, each with its source', () => {
    expect(names([{ source: 'a.json', value: list }])).toEqual([
      'a.json Node node1',
      'a.json Node node2',
      'a.json Pod client-7glfjtdkgj-5hcgn',
      'a.json Pod web-l9cpv6hc4l-9skml',
      'a.json Pod web-l9cpv6hc4l-khzkn',
      'a.json Pod coredns-5d78c9869d-qk8pz',
      'a.json Service web',
      'a.json EndpointSlice web-6bz2w',
    ]);
  });

  it('flattens *List kinds nested in a List (kubectl get nodes,pods -o json of several kinds)', () => {
    const nodeList = {
      apiVersion: 'v1',
      kind: 'NodeList',
      metadata: { resourceVersion: '' },
      items: list.items.filter((i) => i.kind === 'Node'),
    };
    const podList = {
      apiVersion: 'v1',
      kind: 'PodList',
      metadata: { resourceVersion: '' },
      items: list.items.filter((i) => i.kind === 'Pod').slice(0, 1),
    };
    const outer = { apiVersion: 'v1', kind: 'List', metadata: {}, items: [nodeList, podList] };
    expect(names([{ source: 'b.json', value: outer }])).toEqual([
      'b.json Node node1',
      'b.json Node node2',
      'b.json Pod client-7glfjtdkgj-5hcgn',
    ]);
  });

  it('takes arrays of objects, single objects, and skips null documents (an empty YAML document)', () => {
    const [node1, node2] = list.items;
    expect(
      names([
        { source: 'c.yaml (document 1)', value: null },
        { source: 'c.yaml (document 2)', value: [node1, node2] },
        { source: 'c.yaml (document 3)', value: undefined },
        { source: 'd.yaml', value: item(list, 'Service', 'web') },
      ]),
    ).toEqual(['c.yaml (document 2) Node node1', 'c.yaml (document 2) Node node2', 'd.yaml Service web']);
  });

  it('takes an empty List (docker-bridge: no Kubernetes)', () => {
    expect(collectObjects([{ source: 'e.json', value: lab('docker-bridge') }])).toEqual([]);
  });

  it.each([
    [{}, 'an empty object'],
    [[], 'an empty array'],
    [[1, 2], 'an array of numbers'],
    [['a', null], 'an array of strings and nulls'],
    [[{ name: 'x' }, [1]], 'an array of objects without apiVersion and kind and arrays'],
    [{ hello: 'world' }, 'an object with "hello" but no apiVersion and kind'],
    [{ a: 1, b: 2, c: 3, d: 4, e: 5 }, 'an object with "a", "b", "c", "d", ... but no apiVersion and kind'],
    [{ kind: 'Pod', metadata: {} }, 'an object with "kind", "metadata" but no apiVersion and kind'],
    ['hello', 'a string'],
    [42, 'a number'],
    [true, 'a boolean'],
  ])('rejects %j as %s', (value, found) => {
    expect(snapshotError(() => collectObjects([{ source: 'x.json', value }]))).toBe(
      `x.json: ${NOT_KUBERNETES}, found ${found}`,
    );
  });

  it('rejects an array mixing Kubernetes objects with other values', () => {
    expect(snapshotError(() => collectObjects([{ source: 'x.json', value: [list.items[0], 'oops'] }]))).toBe(
      `x.json: ${NOT_KUBERNETES}, found an array of objects without apiVersion and kind and strings`,
    );
  });

  it('rejects a List without items, and a List item that is not a Kubernetes object', () => {
    expect(
      snapshotError(() =>
        collectObjects([{ source: 'l.json', value: { apiVersion: 'v1', kind: 'PodList', metadata: {} } }]),
      ),
    ).toBe('l.json: a PodList without an items array');
    const { apiVersion: _, kind: __, ...noKind } = list.items[2];
    expect(
      snapshotError(() =>
        collectObjects([{ source: 'l.json', value: { ...list, items: [list.items[0], noKind] } }]),
      ),
    ).toBe(
      'l.json: item 2 of the List is not a Kubernetes object: an object with "metadata", "spec", "status" but no apiVersion and kind',
    );
    expect(
      snapshotError(() => collectObjects([{ source: 'l.json', value: { ...list, items: [null] } }])),
    ).toBe('l.json: item 1 of the List is not a Kubernetes object: null');
  });

  it('buildClusterSnapshot throws the same SnapshotError', () => {
    expect(snapshotError(() => build({ hello: 'world' }, 'hello-world.json'))).toBe(
      `hello-world.json: ${NOT_KUBERNETES}, found an object with "hello" but no apiVersion and kind`,
    );
  });
});

describe('buildClusterSnapshot', () => {
  it('reads the flannel-vxlan List: nodes, pods, the Service and its EndpointSlice', () => {
    const s = build(lab('flannel-vxlan'));
    expect(s.sources).toEqual(['snapshot.json']);
    expect(s.counts).toEqual({
      nodes: 2,
      pods: 4,
      services: 1,
      endpointSlices: 1,
      endpoints: 0,
      podsWithoutIp: 0,
      unknownKinds: {},
    });
    expect(s.endpointsFrom).toBe('EndpointSlice');
    expect(s.nodes[0]).toMatchObject({
      name: 'node1',
      internalIPs: ['192.168.10.101'],
      externalIPs: [],
      podCIDRs: ['10.244.1.0/24'],
      labels: {},
      hostNetworkPods: [],
    });
    expect(s.nodes[0].annotations['flannel.alpha.coreos.com/public-ip']).toBe('192.168.10.101');
    expect(s.pods.map((p) => [p.namespace, p.name, p.node, p.ips, p.hostIP, p.hostNetwork])).toEqual([
      ['default', 'client-7glfjtdkgj-5hcgn', 'node1', ['10.244.1.2'], '192.168.10.101', false],
      ['default', 'web-l9cpv6hc4l-9skml', 'node2', ['10.244.2.2'], '192.168.10.102', false],
      ['default', 'web-l9cpv6hc4l-khzkn', 'node1', ['10.244.1.3'], '192.168.10.101', false],
      ['kube-system', 'coredns-5d78c9869d-qk8pz', 'node2', ['10.244.2.3'], '192.168.10.102', false],
    ]);
    expect(s.services).toEqual([
      {
        namespace: 'default',
        name: 'web',
        type: 'ClusterIP',
        clusterIPs: ['10.96.45.10'],
        externalIPs: [],
        loadBalancerIPs: [],
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: null }],
        selector: { app: 'web' },
        externalTrafficPolicy: null,
        proxyProtocol: null,
        endpoints: [
          {
            ip: '10.244.2.2',
            node: 'node2',
            pod: 'default/web-l9cpv6hc4l-9skml',
            ready: true,
            ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
          },
          {
            ip: '10.244.1.3',
            node: 'node1',
            pod: 'default/web-l9cpv6hc4l-khzkn',
            ready: true,
            ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
          },
        ],
      },
    ]);
  });

  it('names each pod’s workload: Deployment by the ReplicaSet hash, DaemonSet, a bare pod', () => {
    const workloads = (scenario: string): Record<string, unknown> =>
      Object.fromEntries(build(lab(scenario)).pods.map((p) => [p.name, p.workload]));
    expect(workloads('calico-ipip')).toEqual({
      'client-7glfjtdkgj-5hcgn': { kind: 'Deployment', name: 'client' },
      'api-fg5bhnwbjc-dxdxn': { kind: 'Deployment', name: 'api' },
      'api-fg5bhnwbjc-j4bkn': { kind: 'Deployment', name: 'api' },
      // The owner, not the pod's own name, says which ReplicaSet.
      'metrics-server-6d94bc8694-vr7mh': { kind: 'Deployment', name: 'metrics-server' },
      'calico-node-l7hd68jlnl-pr87n': { kind: 'DaemonSet', name: 'calico-node' },
      'calico-node-w8dgwk6lxk-n2rmf': { kind: 'DaemonSet', name: 'calico-node' },
    });
    expect(workloads('flannel-vxlan')['coredns-5d78c9869d-qk8pz']).toBeNull();
    expect(workloads('nodeport')['web-local-tkq6hjjmzl-96xsm']).toEqual({
      kind: 'Deployment',
      name: 'web-local',
    });
  });

  it('names StatefulSet, CronJob (by its Job), Job, bare ReplicaSet and static (Node-owned) pods', () => {
    const list = lab('flannel-vxlan');
    const template = item(list, 'Pod', 'client-7glfjtdkgj-5hcgn');
    const owned = (name: string, kind: string, owner: string, apiVersion = 'apps/v1'): KubeObject => {
      const pod = structuredClone(template);
      pod.metadata.name = name;
      pod.metadata.ownerReferences = [
        { apiVersion, kind, name: owner, uid: '0d4c6a57-1f7e-4c61-9b07-6a0f3e1d2b11', controller: true },
      ];
      return pod;
    };
    const pods = [
      owned('web-0', 'StatefulSet', 'web'),
      owned('backup-28934460-x7k2p', 'Job', 'backup-28934460', 'batch/v1'),
      owned('migrate-5xq8z', 'Job', 'migrate', 'batch/v1'),
      owned('frontend-9xk2l', 'ReplicaSet', 'frontend'),
      owned('kube-apiserver-node1', 'Node', 'node1', 'v1'),
    ];
    const s = build({ ...list, items: pods });
    expect(s.pods.map((p) => p.workload)).toEqual([
      { kind: 'StatefulSet', name: 'web' },
      { kind: 'CronJob', name: 'backup' },
      { kind: 'Job', name: 'migrate' },
      { kind: 'ReplicaSet', name: 'frontend' },
      { kind: 'Node', name: 'node1' },
    ]);
  });

  it('keeps every pod IP (both families of the dual-stack pods) and both podCIDRs', () => {
    const s = build(lab('dual-stack'));
    expect(s.pods.map((p) => p.ips)).toEqual([
      ['10.244.1.2', 'fd00:10:244:1::2'],
      ['10.244.2.2', 'fd00:10:244:2::2'],
      ['10.244.2.3', 'fd00:10:244:2::3'],
    ]);
    expect(s.nodes.map((n) => [n.internalIPs, n.podCIDRs])).toEqual([
      [
        ['192.168.10.101', 'fd00:192:168:10::101'],
        ['10.244.1.0/24', 'fd00:10:244:1::/64'],
      ],
      [
        ['192.168.10.102', 'fd00:192:168:10::102'],
        ['10.244.2.0/24', 'fd00:10:244:2::/64'],
      ],
    ]);
    expect(s.services[0].clusterIPs).toEqual(['fd00:10:96::1234']);
  });

  it('takes podIP alone (older kubectl) and podCIDR alone', () => {
    const list = lab('flannel-vxlan');
    const pod = item(list, 'Pod', 'client-7glfjtdkgj-5hcgn');
    delete pod.status!.podIPs;
    const node = item(list, 'Node', 'node1');
    delete node.spec!.podCIDRs;
    const s = build(list);
    expect(s.pods[0].ips).toEqual(['10.244.1.2']);
    expect(s.nodes[0].podCIDRs).toEqual(['10.244.1.0/24']);
  });

  it('lists hostNetwork pods on their node (calico-vxlan’s calico-node DaemonSet)', () => {
    const s = build(lab('calico-vxlan'));
    expect(s.nodes.map((n) => [n.name, n.hostNetworkPods])).toEqual([
      ['node1', ['kube-system/calico-node-4x7kq']],
      ['node2', ['kube-system/calico-node-9zvbd']],
      ['node3', ['kube-system/calico-node-m2p8s']],
    ]);
    const calico = s.pods.find((p) => p.name === 'calico-node-4x7kq')!;
    expect([calico.hostNetwork, calico.ips]).toEqual([true, ['192.168.10.101']]);
    expect(s.nodes[0].annotations['projectcalico.org/IPv4VXLANTunnelAddr']).toBe('10.244.120.64');
  });

  it('reads named container ports', () => {
    const list = lab('flannel-vxlan');
    const pod = item(list, 'Pod', 'web-l9cpv6hc4l-9skml');
    (pod.spec!.containers as { ports: Record<string, unknown>[] }[])[0].ports = [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { containerPort: 9090, protocol: 'TCP' },
    ];
    const s = build(list);
    expect(s.pods.find((p) => p.name === 'web-l9cpv6hc4l-9skml')!.namedPorts).toEqual({ http: 8080 });
    expect(s.pods.find((p) => p.name === 'client-7glfjtdkgj-5hcgn')!.namedPorts).toEqual({});
  });

  it('reads NodePort and LoadBalancer Services: nodePort, externalTrafficPolicy, ingress IPs', () => {
    const nodeport = build(lab('nodeport')).services;
    expect(nodeport.map((s) => [s.name, s.type, s.ports[0].nodePort, s.externalTrafficPolicy])).toEqual([
      ['web', 'NodePort', 30080, 'Cluster'],
      ['web-local', 'NodePort', 30081, 'Local'],
    ]);
    const [lb] = build(lab('proxy-protocol')).services;
    expect(lb.type).toBe('LoadBalancer');
    expect(lb.loadBalancerIPs).toEqual(['192.168.10.50']);
    expect(lb.ports.map((p) => [p.name, p.port, p.targetPort, p.nodePort])).toEqual([
      ['http', 80, 8080, 30080],
      ['http-proxy-v1', 81, 8080, 30081],
    ]);
  });

  it('reads the annotations that ask the cloud load balancer for PROXY protocol, per Service port', () => {
    // proxy-protocol's Service as kubectl printed it: the AWS annotation, value "*".
    expect(build(lab('proxy-protocol')).services[0].proxyProtocol).toEqual({
      annotation: 'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol',
      value: '*',
      ports: [80, 81],
    });
    /** The Service's PROXY protocol ports with only these annotations (null: none asked for). */
    const portsWith = (annotations: Record<string, string>): number[] | null => {
      const list = lab('proxy-protocol');
      const web = item(list, 'Service', 'web');
      web.metadata.annotations = annotations;
      // A UDP port never carries a PROXY header over TCP's stream.
      (web.spec!.ports as unknown[]).push({ name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 });
      return build(list).services[0].proxyProtocol?.ports ?? null;
    };
    const cases: [Record<string, string>, number[] | null][] = [
      [{}, null],
      [{ 'service.beta.kubernetes.io/aws-load-balancer-type': 'external' }, null],
      // The in-tree provider and the AWS Load Balancer Controller take "*" alone.
      [{ 'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': 'true' }, null],
      [
        {
          'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes':
            'preserve_client_ip.enabled=true, proxy_protocol_v2.enabled = true',
        },
        [80, 81],
      ],
      [
        {
          'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes':
            'proxy_protocol_v2.enabled=false',
        },
        null,
      ],
      [{ 'service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol': 'true' }, [80, 81]],
      [{ 'service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol': 'false' }, null],
      [{ 'service.beta.kubernetes.io/linode-loadbalancer-default-proxy-protocol': 'v2' }, [80, 81]],
      [{ 'service.beta.kubernetes.io/linode-loadbalancer-default-proxy-protocol': 'none' }, null],
      // Linode's per-port JSON overrides the default, either way.
      [
        {
          'service.beta.kubernetes.io/linode-loadbalancer-default-proxy-protocol': 'v1',
          'service.beta.kubernetes.io/linode-loadbalancer-port-81': '{ "proxy-protocol": "none" }',
        },
        [80],
      ],
      [{ 'service.beta.kubernetes.io/linode-loadbalancer-port-81': '{"proxy-protocol":"v2"}' }, [81]],
      [{ 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2': '80' }, [80]],
      [{ 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v1': '*' }, [80, 81]],
      [{ 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2': 'false' }, null],
      [{ 'service.beta.kubernetes.io/ovh-loadbalancer-proxy-protocol': 'v2-ssl' }, [80, 81]],
      [{ 'loadbalancer.openstack.org/proxy-protocol': 'v2' }, [80, 81]],
      [{ 'loadbalancer.openstack.org/proxy-protocol': 'false' }, null],
      [{ 'load-balancer.hetzner.cloud/uses-proxyprotocol': 'true' }, [80, 81]],
      [{ 'load-balancer.hetzner.cloud/uses-proxyprotocol': 'false' }, null],
      [
        { 'service.kubernetes.io/ibm-load-balancer-cloud-provider-enable-features': 'ipvs,proxy-protocol' },
        [80, 81],
      ],
      [{ 'service.kubernetes.io/ibm-load-balancer-cloud-provider-enable-features': 'ipvs' }, null],
      [{ 'kubernetes.civo.com/loadbalancer-enable-proxy-protocol': 'send-proxy-v2' }, [80, 81]],
    ];
    for (const [annotations, ports] of cases)
      expect(portsWith(annotations), JSON.stringify(annotations)).toEqual(ports);
    // Every Service of the other scenarios asks for none.
    expect(build(lab('nodeport')).services.map((s) => s.proxyProtocol)).toEqual([null, null]);
  });

  it('reads externalIPs, a headless Service (clusterIP None), and port defaults', () => {
    const list = lab('flannel-vxlan');
    const web = item(list, 'Service', 'web');
    web.spec!.externalIPs = ['203.0.113.77'];
    const headless = structuredClone(web);
    headless.metadata.name = 'web-headless';
    headless.spec = {
      ...headless.spec,
      clusterIP: 'None',
      clusterIPs: ['None'],
      externalIPs: undefined,
      // The API server fills protocol and targetPort in; a hand-written object may not have them.
      ports: [{ name: 'http', port: 8080 }],
    };
    list.items.push(headless);
    const s = build(list);
    expect(s.services[0].externalIPs).toEqual(['203.0.113.77']);
    expect(s.services[1].clusterIPs).toEqual([]);
    expect(s.services[1].ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080, nodePort: null },
    ]);
  });

  it('keeps not-ready endpoints as such, and takes a missing ready condition as ready', () => {
    const s = build(lab('no-endpoints'));
    const api = s.services.find((x) => x.name === 'api')!;
    expect(api.endpoints.map((e) => [e.ip, e.ready])).toEqual([['10.244.2.3', false]]);
    const list = lab('flannel-vxlan');
    const slice = item(list, 'EndpointSlice', 'web-6bz2w');
    // Unknown readiness "should be interpreted as ready" (discovery.k8s.io/v1 EndpointConditions).
    delete (slice.endpoints as { conditions?: unknown }[])[0].conditions;
    expect(build(list).services[0].endpoints.map((e) => e.ready)).toEqual([true, true]);
  });

  it('gives EndpointSlices to their Service by the service-name label and namespace only', () => {
    const list = lab('clusterip');
    const slice = structuredClone(item(list, 'EndpointSlice', 'web-6bz2w'));
    slice.metadata = { ...slice.metadata, name: 'web-abcde', namespace: 'other' };
    list.items.push(slice);
    const s = build(list);
    expect(s.counts.endpointSlices).toBe(3);
    expect(s.services.map((x) => [x.name, x.endpoints.map((e) => e.ip)])).toEqual([
      ['web', ['10.244.2.2', '10.244.1.3']],
      ['kube-dns', ['10.244.2.3']],
    ]);
    expect(s.services[1].endpoints[0].pod).toBe('kube-system/coredns-5d78c9869d-qk8pz');
  });

  it('reads v1 Endpoints when there are no EndpointSlices, and prefers slices when both are there', () => {
    const list = lab('no-endpoints');
    const endpoints = (name: string): KubeObject => {
      const slice = list.items.find(
        (i) => i.kind === 'EndpointSlice' && i.metadata.labels?.['kubernetes.io/service-name'] === name,
      )!;
      const eps = slice.endpoints as {
        addresses: string[];
        conditions: { ready: boolean };
        nodeName: string;
        targetRef: Record<string, unknown>;
      }[];
      const address = (e: (typeof eps)[number]): Record<string, unknown> => ({
        ip: e.addresses[0],
        nodeName: e.nodeName,
        targetRef: e.targetRef,
      });
      return {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace: 'default', labels: { app: name } },
        subsets: [
          {
            addresses: eps.filter((e) => e.conditions.ready).map(address),
            notReadyAddresses: eps.filter((e) => !e.conditions.ready).map(address),
            ports: slice.ports,
          },
        ],
      };
    };
    const legacy = [endpoints('api'), endpoints('broken')];
    const withSlices = build({ ...list, items: [...list.items, ...legacy] });
    const onlyLegacy = build({
      ...list,
      items: [...list.items.filter((i) => i.kind !== 'EndpointSlice'), ...legacy],
    });
    expect(onlyLegacy.endpointsFrom).toBe('Endpoints');
    expect([onlyLegacy.counts.endpointSlices, onlyLegacy.counts.endpoints]).toEqual([0, 2]);
    expect(withSlices.endpointsFrom).toBe('EndpointSlice');
    expect([withSlices.counts.endpointSlices, withSlices.counts.endpoints]).toEqual([2, 2]);
    expect(onlyLegacy.services).toEqual(withSlices.services);
    expect(onlyLegacy.services.map((x) => x.endpoints.map((e) => [e.ip, e.ready, e.pod]))).toEqual([
      [['10.244.2.3', false, 'default/api-fg5bhnwbjc-dxdxn']],
      [['10.244.2.2', true, 'default/broken-trn8t42v5l-8dq2z']],
    ]);
    const none = build({ ...list, items: list.items.filter((i) => i.kind !== 'EndpointSlice') });
    expect(none.endpointsFrom).toBe('none');
    expect(none.services.every((x) => x.endpoints.length === 0)).toBe(true);
  });

  it('counts other kinds and skips pods without an address (Pending)', () => {
    const list = lab('flannel-vxlan');
    const pending = structuredClone(item(list, 'Pod', 'web-l9cpv6hc4l-9skml'));
    pending.metadata.name = 'web-l9cpv6hc4l-p2xqz';
    pending.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] };
    delete pending.spec!.nodeName;
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-root-ca.crt', namespace: 'default' },
      data: {},
    };
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 2 },
    };
    const replicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-l9cpv6hc4l', namespace: 'default' },
    };
    const s = build({
      ...list,
      items: [...list.items, pending, configMap, deployment, configMap, replicaSet],
    });
    expect(s.counts).toEqual({
      nodes: 2,
      pods: 5,
      services: 1,
      endpointSlices: 1,
      endpoints: 0,
      podsWithoutIp: 1,
      unknownKinds: { ConfigMap: 2, Deployment: 1, ReplicaSet: 1 },
    });
    expect(s.pods.map((p) => p.name)).not.toContain('web-l9cpv6hc4l-p2xqz');
  });

  it('reads the pod and Service ranges the control plane writes on its command line', () => {
    const list = lab('dual-stack');
    const base = list.items.find((i) => i.kind === 'Pod')!;
    const controlPlane = (name: string, container: Record<string, unknown>): KubeObject => ({
      ...structuredClone(base),
      metadata: { name, namespace: 'kube-system' },
      spec: { nodeName: 'node1', hostNetwork: true, containers: [container] },
      status: { podIP: '192.168.10.101' },
    });
    list.items.push(
      controlPlane('kube-apiserver-node1', {
        name: 'kube-apiserver',
        command: ['kube-apiserver', '--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112'],
      }),
      // kube-proxy's DaemonSet pods pass flags as separate args.
      controlPlane('kube-proxy-abcde', {
        name: 'kube-proxy',
        command: ['/usr/local/bin/kube-proxy'],
        args: ['--cluster-cidr', '10.244.0.0/16,fd00:10:244::/56', '--v=2'],
      }),
    );
    expect(build(list).writtenRanges).toEqual({
      pod: ['10.244.0.0/16', 'fd00:10:244::/56'],
      service: ['10.96.0.0/16', 'fd00:10:96::/112'],
      from: ['kube-system/kube-apiserver-node1', 'kube-system/kube-proxy-abcde'],
    });
    expect(build(lab('flannel-vxlan')).writtenRanges).toEqual({ pod: [], service: [], from: [] });
  });

  it('names each source once, and reads an empty List as an empty cluster', () => {
    const list = lab('flannel-vxlan');
    const s = buildClusterSnapshot([
      { source: 'a.yaml (document 1)', value: list.items[0] },
      { source: 'a.yaml (document 2)', value: list.items[1] },
      { source: 'b.json', value: { ...list, items: list.items.slice(2) } },
      { source: 'b.json', value: null },
    ]);
    expect(s.sources).toEqual(['a.yaml (document 1)', 'a.yaml (document 2)', 'b.json']);
    expect(s.counts.nodes + s.counts.pods).toBe(6);
    expect(build(lab('docker-bridge'))).toEqual({
      sources: ['snapshot.json'],
      nodes: [],
      pods: [],
      services: [],
      counts: {
        nodes: 0,
        pods: 0,
        services: 0,
        endpointSlices: 0,
        endpoints: 0,
        podsWithoutIp: 0,
        unknownKinds: {},
      },
      endpointsFrom: 'none',
      writtenRanges: { pod: [], service: [], from: [] },
    });
  });
});
