// Kubernetes objects shaped as `kubectl get nodes,pods,services,endpointslices -A -o json`
// prints them: a List of Node, Pod, Service and discovery.k8s.io/v1 EndpointSlice objects,
// with the fields real clusters fill in (uids, ownerReferences, conditions, labels).
import { createHash } from 'node:crypto';

const CREATED = '2026-11-01T09:00:00Z';

export function uid(seed) {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A ReplicaSet-style hash suffix ("7d4b9c6f5d") and pod suffix ("x2k9p") from a seed. */
function suffix(seed, length) {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const h = createHash('sha256').update(seed).digest();
  return [...h.subarray(0, length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The name a Deployment's pod gets: <deployment>-<replicaset hash>-<pod hash>. */
export function deploymentPodName(deployment, index) {
  return `${deployment}-${suffix(`${deployment}-rs`, 10)}-${suffix(`${deployment}-${index}`, 5)}`;
}

export function nodeObject({ name, ip, podCIDR, podCIDRs, annotations = {}, labels = {}, ipv6 }) {
  const addresses = [{ type: 'InternalIP', address: ip }];
  if (ipv6) addresses.push({ type: 'InternalIP', address: ipv6 });
  addresses.push({ type: 'Hostname', address: name });
  const spec = {};
  if (podCIDR) {
    spec.podCIDR = podCIDR;
    spec.podCIDRs = podCIDRs ?? [podCIDR];
  }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: uid(`node/${name}`),
      creationTimestamp: CREATED,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        ...labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', ...annotations },
    },
    spec,
    status: {
      addresses,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.31.4',
        containerRuntimeVersion: 'containerd://1.7.24',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
    },
  };
}

/**
 * A pod. `owner` is a Deployment name (pods get a ReplicaSet owner), a DaemonSet name
 * (`{ daemonSet }`), or nothing (a bare pod).
 */
export function podObject({
  name,
  namespace = 'default',
  node,
  nodeIP,
  ip,
  ips,
  labels = {},
  hostNetwork = false,
  deployment,
  daemonSet,
  containerPort,
  image = 'registry.k8s.io/e2e-test-images/agnhost:2.52',
}) {
  const ownerReferences = [];
  if (deployment) {
    ownerReferences.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: `${deployment}-${suffix(`${deployment}-rs`, 10)}`,
      uid: uid(`rs/${namespace}/${deployment}`),
      controller: true,
      blockOwnerDeletion: true,
    });
  }
  if (daemonSet) {
    ownerReferences.push({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      name: daemonSet,
      uid: uid(`ds/${namespace}/${daemonSet}`),
      controller: true,
      blockOwnerDeletion: true,
    });
  }
  const container = { name: labels.app ?? name, image };
  if (containerPort) container.ports = [{ containerPort, protocol: 'TCP' }];
  const podIPs = (ips ?? [ip]).filter(Boolean).map((a) => ({ ip: a }));
  const metadata = {
    name,
    namespace,
    uid: uid(`pod/${namespace}/${name}`),
    creationTimestamp: CREATED,
    labels,
  };
  if (ownerReferences.length > 0) metadata.ownerReferences = ownerReferences;
  const spec = {
    nodeName: node,
    containers: [container],
    restartPolicy: 'Always',
    dnsPolicy: hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
  };
  if (hostNetwork) spec.hostNetwork = true;
  const status = { phase: 'Running', hostIP: nodeIP, hostIPs: [{ ip: nodeIP }], startTime: CREATED };
  if (podIPs.length > 0) {
    status.podIP = podIPs[0].ip;
    status.podIPs = podIPs;
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status };
}

/** A Service; `ports` as [{ name, port, targetPort, nodePort, protocol }]. */
export function serviceObject({
  name,
  namespace = 'default',
  type = 'ClusterIP',
  clusterIP,
  clusterIPs,
  ports,
  selector,
  externalTrafficPolicy,
  ipFamilies,
  labels = {},
}) {
  const spec = {
    type,
    clusterIP,
    clusterIPs: clusterIPs ?? [clusterIP],
    ports: ports.map((p) => {
      const port = {
        name: p.name,
        protocol: p.protocol ?? 'TCP',
        port: p.port,
        targetPort: p.targetPort ?? p.port,
      };
      if (p.nodePort) port.nodePort = p.nodePort;
      return port;
    }),
    sessionAffinity: 'None',
    ipFamilies: ipFamilies ?? [clusterIP.includes(':') ? 'IPv6' : 'IPv4'],
    ipFamilyPolicy: (ipFamilies ?? []).length > 1 ? 'PreferDualStack' : 'SingleStack',
    internalTrafficPolicy: 'Cluster',
  };
  if (selector) spec.selector = selector;
  if (type === 'NodePort' || type === 'LoadBalancer')
    spec.externalTrafficPolicy = externalTrafficPolicy ?? 'Cluster';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, uid: uid(`svc/${namespace}/${name}`), creationTimestamp: CREATED, labels },
    spec,
    status: { loadBalancer: {} },
  };
}

/** The EndpointSlice the controller makes for a Service; endpoints as [{ ip, node, pod }]. */
export function endpointSliceObject({
  service,
  namespace = 'default',
  endpoints,
  ports,
  addressType = 'IPv4',
}) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service}-${suffix(`eps/${namespace}/${service}/${addressType}`, 5)}`,
      namespace,
      uid: uid(`eps/${namespace}/${service}/${addressType}`),
      creationTimestamp: CREATED,
      generateName: `${service}-`,
      labels: {
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        'kubernetes.io/service-name': service,
      },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: service,
          uid: uid(`svc/${namespace}/${service}`),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false },
      nodeName: e.node,
      targetRef: { kind: 'Pod', namespace, name: e.pod, uid: uid(`pod/${namespace}/${e.pod}`) },
    })),
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** The List kubectl prints for several kinds at once. */
export function list(items) {
  return { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
}
