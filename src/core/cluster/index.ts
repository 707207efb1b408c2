export {
  buildClusterSnapshot,
  collectObjects,
  SnapshotError,
  type ClusterSnapshot,
  type EndpointInfo,
  type NodeInfo,
  type PodInfo,
  PROXY_PROTOCOL_ANNOTATIONS,
  type ProxyProtocolAnnotation,
  type ServiceInfo,
  type ServicePort,
  type SnapshotCounts,
  type SnapshotDocument,
} from './snapshot.js';
export {
  ClusterIndex,
  ipv4Number,
  ipv6Words,
  type Identity,
  type IdentityKind,
  type ServiceMatch,
} from './cluster-index.js';
