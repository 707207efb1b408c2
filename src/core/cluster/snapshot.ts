/**
 * A cluster snapshot: the Nodes, Pods, Services and their endpoints from what `kubectl get
 * nodes,pods,services,endpointslices -A -o json` (or -o yaml, a single object, one kind at a
 * time) printed. Only the fields podpath uses are read; everything else is ignored.
 */

/** A snapshot that cannot be read as Kubernetes objects; the message is for the user. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export interface SnapshotDocument {
  /** Where the document came from (a file path, "path (document 2)"). */
  source: string;
  value: unknown;
}

export type WorkloadKind =
  'Deployment' | 'DaemonSet' | 'StatefulSet' | 'ReplicaSet' | 'Job' | 'CronJob' | 'Node' | string;

export interface NodeInfo {
  name: string;
  internalIPs: string[];
  externalIPs: string[];
  podCIDRs: string[];
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** spec.providerID, e.g. "aws:///us-east-1a/i-0abc..." (AWS VPC CNI nodes have no podCIDR). */
  providerID: string | null;
  /** Pods on this node running in its network namespace ("namespace/name"). */
  hostNetworkPods: string[];
}

export interface PodInfo {
  namespace: string;
  name: string;
  node: string | null;
  ips: string[];
  hostIP: string | null;
  hostNetwork: boolean;
  labels: Record<string, string>;
  /** The controller behind the pod: a ReplicaSet's Deployment, a DaemonSet, a StatefulSet, a Job. */
  workload: { kind: WorkloadKind; name: string } | null;
  /** Named container ports (for Services whose targetPort is a name). */
  namedPorts: Record<string, number>;
}

export interface ServicePort {
  name: string | null;
  protocol: string;
  port: number;
  targetPort: number | string;
  nodePort: number | null;
}

export interface EndpointInfo {
  ip: string;
  node: string | null;
  /** "namespace/name" of the pod behind it, when the slice names one. */
  pod: string | null;
  ready: boolean;
  /** The endpoint ports by their Service port name (null for an unnamed single port). */
  ports: { name: string | null; port: number; protocol: string }[];
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  type: string;
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  ports: ServicePort[];
  selector: Record<string, string> | null;
  externalTrafficPolicy: string | null;
  /**
   * A cloud load balancer asked, by one of the Service's annotations, to open each connection
   * to the backends with a PROXY protocol header (see PROXY_PROTOCOL_ANNOTATIONS); null when
   * none does. Only the annotation is known: whether the controller honoured it is for the
   * packets to say.
   */
  proxyProtocol: ProxyProtocolAnnotation | null;
  endpoints: EndpointInfo[];
}

export interface ProxyProtocolAnnotation {
  /** The annotation that asks for it, e.g. "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol". */
  annotation: string;
  value: string;
  /** The Service ports (spec.ports[].port) whose listeners send it: every TCP port unless the annotation names some. */
  ports: number[];
}

export interface SnapshotCounts {
  nodes: number;
  pods: number;
  services: number;
  endpointSlices: number;
  endpoints: number;
  /** Pods not yet given an address (Pending): skipped. */
  podsWithoutIp: number;
  /** Objects of other kinds (ConfigMaps, Deployments...): ignored. */
  unknownKinds: Record<string, number>;
}

export interface ClusterSnapshot {
  sources: string[];
  nodes: NodeInfo[];
  pods: PodInfo[];
  services: ServiceInfo[];
  counts: SnapshotCounts;
  /** Whether EndpointSlices were used, or v1 Endpoints because there were none. */
  endpointsFrom: 'EndpointSlice' | 'Endpoints' | 'none';
  /**
   * The pod and Service ranges as the control plane's own flags write them
   * (kube-controller-manager/kube-proxy `--cluster-cidr`, kube-apiserver
   * `--service-cluster-ip-range`), with the pod that says so. Empty when no such pod is listed.
   */
  writtenRanges: { pod: string[]; service: string[]; from: string[] };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const record = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};
const get = (v: unknown, ...path: string[]): unknown => {
  let at = v;
  for (const p of path) at = isObject(at) ? at[p] : undefined;
  return at;
};

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty array';
    const kinds = [
      ...new Set(value.map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v))),
    ];
    return `an array of ${kinds.map((k) => (k === 'object' ? 'objects without apiVersion and kind' : `${k}s`)).join(' and ')}`;
  }
  if (isObject(value)) {
    const keys = Object.keys(value).slice(0, 4);
    return keys.length === 0
      ? 'an empty object'
      : `an object with ${keys.map((k) => `"${k}"`).join(', ')}${Object.keys(value).length > 4 ? ', ...' : ''} but no apiVersion and kind`;
  }
  return `a ${typeof value}`;
}

const isKubernetesObject = (v: unknown): v is Json =>
  isObject(v) && typeof v.kind === 'string' && typeof v.apiVersion === 'string';

/** Flattens documents into Kubernetes objects: Lists (any `...List` kind), arrays of objects, single objects. */
export function collectObjects(documents: SnapshotDocument[]): { source: string; object: Json }[] {
  const out: { source: string; object: Json }[] = [];
  const expected =
    'Kubernetes objects (what kubectl get ... -o json or -o yaml prints, each with apiVersion and kind)';
  const add = (source: string, v: Json): void => {
    const kind = v.kind as string;
    if (kind !== 'List' && !kind.endsWith('List')) {
      out.push({ source, object: v });
      return;
    }
    if (!Array.isArray(v.items)) throw new SnapshotError(`${source}: a ${kind} without an items array`);
    v.items.forEach((item, i) => {
      if (!isKubernetesObject(item))
        throw new SnapshotError(
          `${source}: item ${i + 1} of the ${kind} is not a Kubernetes object: ${describe(item)}`,
        );
      add(source, item);
    });
  };
  for (const { source, value } of documents) {
    if (value === null || value === undefined) continue; // an empty YAML document
    if (isKubernetesObject(value)) add(source, value);
    else if (Array.isArray(value) && value.length > 0 && value.every(isKubernetesObject))
      for (const item of value) add(source, item);
    else throw new SnapshotError(`${source}: expected ${expected}, found ${describe(value)}`);
  }
  return out;
}

/** "web-7d4b9c6f5d" → "web": a ReplicaSet named by a Deployment gets its pod-template hash. */
function deploymentOf(replicaSet: string): string | null {
  const m = /^(.*)-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/.exec(replicaSet);
  return m ? m[1] : null;
}

function workloadOf(pod: Json): PodInfo['workload'] {
  const owners = get(pod, 'metadata', 'ownerReferences');
  if (!Array.isArray(owners)) return null;
  const owner = owners.find((o) => isObject(o) && o.controller === true) ?? owners[0];
  if (!isObject(owner)) return null;
  const kind = str(owner.kind);
  const name = str(owner.name);
  if (kind === null || name === null) return null;
  if (kind === 'ReplicaSet') {
    const deployment = deploymentOf(name);
    return deployment ? { kind: 'Deployment', name: deployment } : { kind, name };
  }
  if (kind === 'Job') {
    // A CronJob's Jobs are named <cronjob>-<scheduled minute>.
    const m = /^(.*)-\d{8,}$/.exec(name);
    return m ? { kind: 'CronJob', name: m[1] } : { kind, name };
  }
  return { kind, name };
}

function podIps(pod: Json): string[] {
  const ips = [];
  const list = get(pod, 'status', 'podIPs');
  if (Array.isArray(list))
    for (const entry of list) if (typeof get(entry, 'ip') === 'string') ips.push(get(entry, 'ip') as string);
  const single = str(get(pod, 'status', 'podIP'));
  if (single !== null && !ips.includes(single)) ips.unshift(single);
  return ips;
}

const RANGE_FLAGS: Record<string, 'pod' | 'service'> = {
  '--cluster-cidr': 'pod',
  '--service-cluster-ip-range': 'service',
};

/** Pod and Service ranges from a control-plane pod's command line (comma-separated for dual stack). */
function flagRanges(pod: Json): { pod: string[]; service: string[] } {
  const out = { pod: [] as string[], service: [] as string[] };
  const containers = get(pod, 'spec', 'containers');
  if (!Array.isArray(containers)) return out;
  for (const c of containers) {
    const words = [...strings(get(c, 'command')), ...strings(get(c, 'args'))];
    for (let i = 0; i < words.length; i++) {
      const [flag, inline] = words[i].split('=', 2);
      const which = RANGE_FLAGS[flag];
      if (which === undefined) continue;
      const value = inline ?? words[i + 1] ?? '';
      for (const cidr of value.split(',')) if (cidr.includes('/')) out[which].push(cidr.trim());
    }
  }
  return out;
}

function namedPorts(pod: Json): Record<string, number> {
  const out: Record<string, number> = {};
  const containers = get(pod, 'spec', 'containers');
  if (!Array.isArray(containers)) return out;
  for (const c of containers) {
    const ports = get(c, 'ports');
    if (!Array.isArray(ports)) continue;
    for (const p of ports) {
      const name = str(get(p, 'name'));
      const port = get(p, 'containerPort');
      if (name !== null && typeof port === 'number') out[name] = port;
    }
  }
  return out;
}

function servicePorts(spec: unknown): ServicePort[] {
  const ports = get(spec, 'ports');
  if (!Array.isArray(ports)) return [];
  return ports.flatMap((p) => {
    const port = get(p, 'port');
    if (typeof port !== 'number') return [];
    const target = get(p, 'targetPort');
    const nodePort = get(p, 'nodePort');
    return [
      {
        name: str(get(p, 'name')),
        protocol: str(get(p, 'protocol')) ?? 'TCP',
        port,
        targetPort: typeof target === 'number' || typeof target === 'string' ? target : port,
        nodePort: typeof nodePort === 'number' ? nodePort : null,
      },
    ];
  });
}

function sliceEndpoints(slice: Json): EndpointInfo[] {
  const ports = (Array.isArray(slice.ports) ? slice.ports : []).flatMap((p) => {
    const port = get(p, 'port');
    return typeof port === 'number'
      ? [{ name: str(get(p, 'name')), port, protocol: str(get(p, 'protocol')) ?? 'TCP' }]
      : [];
  });
  const endpoints = Array.isArray(slice.endpoints) ? slice.endpoints : [];
  return endpoints.flatMap((e) => {
    const ready = get(e, 'conditions', 'ready');
    const ref = get(e, 'targetRef');
    const pod =
      str(get(ref, 'kind')) === 'Pod'
        ? `${str(get(ref, 'namespace')) ?? str(get(slice, 'metadata', 'namespace')) ?? 'default'}/${str(get(ref, 'name'))}`
        : null;
    return strings(get(e, 'addresses')).map((ip) => ({
      ip,
      node: str(get(e, 'nodeName')),
      pod,
      ready: ready !== false,
      ports,
    }));
  });
}

/** Which of the Service's TCP ports an annotation's value turns PROXY protocol on for: all, some, or none (null). */
type ProxyPorts = (value: string, annotations: Record<string, string>, tcpPorts: number[]) => number[] | null;

const everyPortWhen =
  (...on: string[]): ProxyPorts =>
  (value, _, tcpPorts) =>
    on.includes(value.trim().toLowerCase()) ? tcpPorts : null;

/** "true" or "*" for every port, else a comma-separated list of Service ports ("80,443"). */
const allOrListed: ProxyPorts = (value, _, tcpPorts) => {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '*') return tcpPorts;
  const listed = v.split(',').map((p) => Number(p.trim()));
  const ports = tcpPorts.filter((p) => listed.includes(p));
  return ports.length > 0 ? ports : null;
};

/** A comma-separated list ("ipvs,proxy-protocol", "a=b,c=d") holding `item`. */
const listHolds =
  (item: string): ProxyPorts =>
  (value, _, tcpPorts) =>
    value
      .split(',')
      .map((x) =>
        x
          .trim()
          .toLowerCase()
          .replace(/\s*=\s*/, '='),
      )
      .includes(item)
      ? tcpPorts
      : null;

const LINODE_PORT = 'service.beta.kubernetes.io/linode-loadbalancer-port-';

/** Linode's default for every port, which a port's own JSON (`"proxy-protocol": "none"`) overrides. */
const linode: ProxyPorts = (value, annotations, tcpPorts) => {
  const ports = tcpPorts.filter((port) => {
    let setting = value.trim().toLowerCase();
    const own = annotations[`${LINODE_PORT}${port}`];
    if (own !== undefined) {
      try {
        const parsed: unknown = JSON.parse(own);
        const v = get(parsed, 'proxy-protocol');
        if (typeof v === 'string') setting = v.trim().toLowerCase();
      } catch {
        // Not JSON: the CCM refuses it; the default stands as far as podpath can tell.
      }
    }
    return setting === 'v1' || setting === 'v2';
  });
  return ports.length > 0 ? ports : null;
};

/**
 * The Service annotations by which a cloud controller manager has its load balancer send a
 * PROXY protocol header to the backends, with the values that turn it on (each provider's
 * CCM documentation). Kept short on purpose: an annotation missing here reads as "not asked
 * for", and the `proxy-protocol` finding then says that no annotation explains the header.
 */
export const PROXY_PROTOCOL_ANNOTATIONS: readonly (readonly [string, ProxyPorts])[] = [
  // AWS, in-tree provider and AWS Load Balancer Controller: "*" is the only value.
  ['service.beta.kubernetes.io/aws-load-balancer-proxy-protocol', everyPortWhen('*')],
  // AWS Load Balancer Controller, NLB target groups.
  [
    'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes',
    listHolds('proxy_protocol_v2.enabled=true'),
  ],
  ['service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol', everyPortWhen('true')],
  // Linode: none, v1 or v2; per port in linode-loadbalancer-port-<port> JSON.
  ['service.beta.kubernetes.io/linode-loadbalancer-default-proxy-protocol', linode],
  ['service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v1', allOrListed],
  ['service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2', allOrListed],
  // OVHcloud Managed Kubernetes' former load balancer; its Public Cloud one is OpenStack's.
  [
    'service.beta.kubernetes.io/ovh-loadbalancer-proxy-protocol',
    everyPortWhen('v1', 'v2', 'v2-ssl', 'v2-ssl-cn'),
  ],
  ['loadbalancer.openstack.org/proxy-protocol', everyPortWhen('true', 'v1', 'v2')],
  ['load-balancer.hetzner.cloud/uses-proxyprotocol', everyPortWhen('true')],
  ['service.kubernetes.io/ibm-load-balancer-cloud-provider-enable-features', listHolds('proxy-protocol')],
  ['kubernetes.civo.com/loadbalancer-enable-proxy-protocol', everyPortWhen('send-proxy', 'send-proxy-v2')],
];

/** The first annotation of PROXY_PROTOCOL_ANNOTATIONS that turns PROXY protocol on, or null. */
function proxyProtocolOf(
  annotations: Record<string, string>,
  ports: ServicePort[],
): ProxyProtocolAnnotation | null {
  const tcpPorts = ports.filter((p) => p.protocol === 'TCP').map((p) => p.port);
  for (const [annotation, portsOf] of PROXY_PROTOCOL_ANNOTATIONS) {
    const value = annotations[annotation];
    if (value === undefined) continue;
    const on = portsOf(value, annotations, tcpPorts);
    if (on !== null && on.length > 0) return { annotation, value, ports: on };
  }
  // Linode's per-port JSON alone, without a default.
  const linodePorts = linode('none', annotations, tcpPorts);
  if (linodePorts !== null)
    return {
      annotation: `${LINODE_PORT}${linodePorts[0]}`,
      value: annotations[`${LINODE_PORT}${linodePorts[0]}`],
      ports: linodePorts,
    };
  return null;
}

/** v1 Endpoints: subsets of addresses (ready) and notReadyAddresses, with their ports. */
function legacyEndpoints(endpoints: Json): EndpointInfo[] {
  const subsets = Array.isArray(endpoints.subsets) ? endpoints.subsets : [];
  const namespace = str(get(endpoints, 'metadata', 'namespace')) ?? 'default';
  return subsets.flatMap((subset) => {
    const ports = (Array.isArray(get(subset, 'ports')) ? (get(subset, 'ports') as unknown[]) : []).flatMap(
      (p) => {
        const port = get(p, 'port');
        return typeof port === 'number'
          ? [{ name: str(get(p, 'name')), port, protocol: str(get(p, 'protocol')) ?? 'TCP' }]
          : [];
      },
    );
    const read = (list: unknown, ready: boolean): EndpointInfo[] =>
      (Array.isArray(list) ? list : []).flatMap((a) => {
        const ip = str(get(a, 'ip'));
        if (ip === null) return [];
        const ref = get(a, 'targetRef');
        const pod =
          str(get(ref, 'kind')) === 'Pod'
            ? `${str(get(ref, 'namespace')) ?? namespace}/${str(get(ref, 'name'))}`
            : null;
        return [{ ip, node: str(get(a, 'nodeName')), pod, ready, ports }];
      });
    return [...read(get(subset, 'addresses'), true), ...read(get(subset, 'notReadyAddresses'), false)];
  });
}

/** Builds the snapshot from parsed documents; throws SnapshotError when they are not Kubernetes objects. */
export function buildClusterSnapshot(documents: SnapshotDocument[]): ClusterSnapshot {
  const objects = collectObjects(documents);
  const counts: SnapshotCounts = {
    nodes: 0,
    pods: 0,
    services: 0,
    endpointSlices: 0,
    endpoints: 0,
    podsWithoutIp: 0,
    unknownKinds: {},
  };
  const nodes: NodeInfo[] = [];
  const pods: PodInfo[] = [];
  const writtenRanges: ClusterSnapshot['writtenRanges'] = { pod: [], service: [], from: [] };
  const services: ServiceInfo[] = [];
  const slices: Json[] = [];
  const legacy: Json[] = [];
  for (const { object } of objects) {
    const kind = object.kind as string;
    const metadata = isObject(object.metadata) ? object.metadata : {};
    const name = str(metadata.name) ?? '';
    const namespace = str(metadata.namespace) ?? 'default';
    switch (kind) {
      case 'Node': {
        counts.nodes++;
        const addresses = get(object, 'status', 'addresses');
        const byType = (type: string): string[] =>
          Array.isArray(addresses)
            ? addresses
                .filter((a) => get(a, 'type') === type)
                .map((a) => str(get(a, 'address')))
                .filter((a): a is string => a !== null)
            : [];
        const cidrs = strings(get(object, 'spec', 'podCIDRs'));
        const cidr = str(get(object, 'spec', 'podCIDR'));
        if (cidr !== null && !cidrs.includes(cidr)) cidrs.unshift(cidr);
        nodes.push({
          name,
          internalIPs: byType('InternalIP'),
          externalIPs: byType('ExternalIP'),
          podCIDRs: cidrs,
          annotations: record(metadata.annotations),
          labels: record(metadata.labels),
          providerID: str(get(object, 'spec', 'providerID')),
          hostNetworkPods: [],
        });
        break;
      }
      case 'Pod': {
        counts.pods++;
        const ips = podIps(object);
        const hostNetwork = get(object, 'spec', 'hostNetwork') === true;
        const flags = flagRanges(object);
        if (flags.pod.length + flags.service.length > 0) {
          for (const which of ['pod', 'service'] as const)
            for (const cidr of flags[which])
              if (!writtenRanges[which].includes(cidr)) writtenRanges[which].push(cidr);
          writtenRanges.from.push(`${namespace}/${name}`);
        }
        if (ips.length === 0) {
          counts.podsWithoutIp++;
          break;
        }
        pods.push({
          namespace,
          name,
          node: str(get(object, 'spec', 'nodeName')),
          ips,
          hostIP: str(get(object, 'status', 'hostIP')),
          hostNetwork,
          labels: record(metadata.labels),
          workload: workloadOf(object),
          namedPorts: namedPorts(object),
        });
        break;
      }
      case 'Service': {
        counts.services++;
        const spec = object.spec;
        const clusterIPs = strings(get(spec, 'clusterIPs'));
        const clusterIP = str(get(spec, 'clusterIP'));
        if (clusterIP !== null && clusterIP !== 'None' && !clusterIPs.includes(clusterIP))
          clusterIPs.unshift(clusterIP);
        const ingress = get(object, 'status', 'loadBalancer', 'ingress');
        const ports = servicePorts(spec);
        services.push({
          namespace,
          name,
          type: str(get(spec, 'type')) ?? 'ClusterIP',
          clusterIPs: clusterIPs.filter((ip) => ip !== 'None'),
          externalIPs: strings(get(spec, 'externalIPs')),
          loadBalancerIPs: Array.isArray(ingress)
            ? ingress.map((i) => str(get(i, 'ip'))).filter((ip): ip is string => ip !== null)
            : [],
          ports,
          selector: isObject(get(spec, 'selector')) ? record(get(spec, 'selector')) : null,
          externalTrafficPolicy: str(get(spec, 'externalTrafficPolicy')),
          proxyProtocol: proxyProtocolOf(record(metadata.annotations), ports),
          endpoints: [],
        });
        break;
      }
      case 'EndpointSlice':
        counts.endpointSlices++;
        slices.push(object);
        break;
      case 'Endpoints':
        counts.endpoints++;
        legacy.push(object);
        break;
      default:
        counts.unknownKinds[kind] = (counts.unknownKinds[kind] ?? 0) + 1;
    }
  }
  const serviceByName = new Map(services.map((s) => [`${s.namespace}/${s.name}`, s]));
  // EndpointSlices when there are any (the v1 Endpoints of the same Services mirror them).
  const endpointsFrom = slices.length > 0 ? 'EndpointSlice' : legacy.length > 0 ? 'Endpoints' : 'none';
  if (slices.length > 0) {
    for (const slice of slices) {
      const namespace = str(get(slice, 'metadata', 'namespace')) ?? 'default';
      const owner = str(get(slice, 'metadata', 'labels', 'kubernetes.io/service-name'));
      const service = owner === null ? undefined : serviceByName.get(`${namespace}/${owner}`);
      service?.endpoints.push(...sliceEndpoints(slice));
    }
  } else {
    for (const endpoints of legacy) {
      const namespace = str(get(endpoints, 'metadata', 'namespace')) ?? 'default';
      const service = serviceByName.get(`${namespace}/${str(get(endpoints, 'metadata', 'name'))}`);
      service?.endpoints.push(...legacyEndpoints(endpoints));
    }
  }
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  for (const pod of pods) {
    if (pod.hostNetwork && pod.node !== null)
      nodeByName.get(pod.node)?.hostNetworkPods.push(`${pod.namespace}/${pod.name}`);
  }
  return {
    sources: [...new Set(documents.map((d) => d.source))],
    nodes,
    pods,
    services,
    counts,
    endpointsFrom,
    writtenRanges,
  };
}
