export {
  CaptureAnalysis,
  describeStop,
  type AnalysisOptions,
  type AnalysisParts,
  type PacketObserver,
} from './capture-analysis.js';
export { ObserverList } from './observers.js';
export {
  FlowJsonWriter,
  flowSummaries,
  flowSummary,
  ipProtocolName,
  etherTypeName,
  type FlowReportOptions,
  type FlowSide,
} from './flow-report.js';
export { JsonBytes, asciiBytes } from './json-bytes.js';
export * from './types.js';
export {
  explainDatapath,
  type Datapath,
  type DatapathKind,
  type InterfaceRole,
  type InterfaceUse,
} from './datapath.js';
export {
  matchesFlow,
  parseFlowFilter,
  type FilterKey,
  type FilterTerm,
  type FlowFilter,
} from './flow-filter.js';
export { ChartAggregator, type CaptureCharts } from './charts.js';
export { describePacket, type PacketField, type PacketLayer } from './packet-tree.js';
export { endpointAddress } from './endpoint-text.js';
