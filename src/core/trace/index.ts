export {
  Correlator,
  SAME_PACKET_SECONDS,
  type ClockModel,
  type Correlation,
  type ConnectionModel,
  type HopModel,
  type LostModel,
} from './correlator.js';
export { Fingerprint, fingerprint } from './fingerprint.js';
export {
  compareDocument,
  natKind,
  rewriteNote,
  traceConnections,
  traceDocument,
  traceHead,
  type TraceCaptureInfo,
} from './report.js';
export * from './types.js';
