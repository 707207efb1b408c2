import type { FlowSummary } from '../core/analysis/index.js';
import type { ClusterIndex } from '../core/cluster/index.js';
import { ObserverList } from '../core/analysis/index.js';
import {
  type FindingsCapture,
  findingsDocument,
  type FindingsDocument,
  FindingsObserver,
} from '../core/findings/index.js';
import { NO_FLOW, PacketIndex } from '../core/index/index.js';
import { flowWriter } from './analyze-file.js';
import { correlateFiles } from './trace-files.js';

export interface FindingsOfFiles {
  document: FindingsDocument;
  /** Files that could not be read, with the reason (the findings are the other files'). */
  failures: { path: string; message: string }[];
  /** The files read, as analyzed (their summaries carry the capture warnings). */
  files: Awaited<ReturnType<typeof correlateFiles>>['files'];
  /** For each file read, its index in the paths given. */
  pathIndexes: number[];
}

/**
 * Reads each capture once, one after another: the flow table, the findings observer and the
 * correlator see every packet in one pass. Then the captures' packets are matched across
 * them (losses, asymmetric paths, clocks) and every detector runs. `captureIds` gives the
 * app's ids of the paths, for flow ids ("c1:5") in the document.
 */
export async function findingsOfFiles(
  paths: readonly string[],
  options: {
    cluster?: ClusterIndex | Promise<ClusterIndex>;
    vxlanPorts?: readonly number[];
    captureIds?: readonly string[];
    /** Display names of the paths (default: their base names, paths where two share one). */
    names?: readonly string[];
  } = {},
): Promise<FindingsOfFiles> {
  const vxlanPorts = options.vxlanPorts ?? [];
  const observers = paths.map(() => new FindingsObserver({ vxlanPorts }));
  // The packet index (16 bytes a packet) tells each evidence packet's flow and its place in it.
  const indexes = paths.map(() => new PacketIndex());
  const result = await correlateFiles(paths, {
    vxlanPorts,
    observer: (index) => new ObserverList(observers[index], indexes[index]),
    ...(options.names !== undefined ? { names: options.names } : {}),
    ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
  });
  const cluster = options.cluster === undefined ? undefined : await options.cluster;
  const captures: FindingsCapture[] = result.files.map((file, i) => {
    const pathIndex = result.pathIndexes[i];
    const writer = flowWriter(file);
    const capture: FindingsCapture = {
      name: file.name,
      analysis: file.analysis,
      observer: observers[pathIndex],
      flowSummary: (flow) => JSON.parse(writer.flow(flow)) as FlowSummary,
    };
    if (file.summary.datapath !== undefined) capture.datapath = file.summary.datapath;
    const id = options.captureIds?.[pathIndex];
    if (id !== undefined) capture.captureId = id;
    return capture;
  });
  const document = findingsDocument({
    captures,
    correlation: result.correlation,
    ...(cluster !== undefined ? { cluster } : {}),
  });
  const indexOf = new Map(result.files.map((file, i) => [file.name, indexes[result.pathIndexes[i]]]));
  for (const finding of document.findings) {
    for (const packet of finding.packets) {
      const index = indexOf.get(packet.capture);
      if (index === undefined || packet.index >= index.count) continue;
      const flow = index.flow(packet.index);
      if (flow === NO_FLOW) continue;
      packet.flow = flow;
      packet.flowIndex = placeOf(index.packetsOf(flow), packet.index);
      if (packet.captureId !== undefined) packet.flowId = `${packet.captureId}:${flow}`;
    }
  }
  return { document, failures: result.failures, files: result.files, pathIndexes: result.pathIndexes };
}

/** Where `record` is in the ascending `records` (a flow's packets). */
function placeOf(records: Uint32Array, record: number): number {
  let low = 0;
  let high = records.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (records[middle] < record) low = middle + 1;
    else high = middle;
  }
  return low;
}
