import { basename } from 'node:path';
import { type FlowSummary, ObserverList, type PacketObserver } from '../core/analysis/index.js';
import type { ClusterIndex } from '../core/cluster/index.js';
import { type Correlation, Correlator, type TraceCaptureInfo } from '../core/trace/index.js';
import { type AnalyzedFile, analyzeFile, flowWriter } from './analyze-file.js';
import { CaptureFileError } from './capture-file.js';

export interface CorrelatedFiles {
  files: AnalyzedFile[];
  captures: TraceCaptureInfo[];
  correlation: Correlation;
  /** Files that could not be read, with the reason (the others are correlated). */
  failures: { path: string; message: string }[];
  /** For each file read, its index in the paths given. */
  pathIndexes: number[];
}

/**
 * Display names for the files: base names, or the paths as given where two base names are
 * the same (node1/eth0.pcap and node2/eth0.pcap).
 */
export function displayNames(paths: readonly string[]): string[] {
  const bases = paths.map((p) => basename(p));
  return paths.map((p, i) => (bases.filter((b) => b === bases[i]).length > 1 ? p : bases[i]));
}

/**
 * Reads each capture once, one after another, feeding every packet to the correlator, then
 * links the packets seen in more than one place into connections.
 */
export async function correlateFiles(
  paths: readonly string[],
  options: {
    vxlanPorts?: readonly number[];
    cluster?: ClusterIndex | Promise<ClusterIndex>;
    /** Per pair of captures: packets both saw and their median latency (compare). */
    pairs?: boolean;
    onFile?: (path: string, index: number) => void;
    /** Another observer for the packets of paths[index], in the same pass (findings). */
    observer?: (index: number) => PacketObserver;
    /** Display names of the paths (default: displayNames). */
    names?: readonly string[];
  } = {},
): Promise<CorrelatedFiles> {
  const correlator = new Correlator(paths.length);
  const names = options.names ?? displayNames(paths);
  const files: AnalyzedFile[] = [];
  const failures: { path: string; message: string }[] = [];
  const pathIndexes: number[] = [];
  for (let i = 0; i < paths.length; i++) {
    options.onFile?.(paths[i], i);
    try {
      const correlating = correlator.observer(files.length);
      const file = await analyzeFile(paths[i], {
        vxlanPorts: options.vxlanPorts ?? [],
        observer: options.observer ? new ObserverList(options.observer(i), correlating) : correlating,
        name: names[i],
        ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
      });
      if (file.summary.format === null) {
        failures.push({ path: paths[i], message: file.summary.warnings[0]?.message ?? 'not a capture' });
        continue;
      }
      files.push(file);
      pathIndexes.push(i);
    } catch (error) {
      if (!(error instanceof CaptureFileError)) throw error;
      failures.push({ path: paths[i], message: error.message });
    }
  }
  const captures: TraceCaptureInfo[] = files.map((file) => {
    const writer = flowWriter(file);
    const cache = new Map<number, FlowSummary>();
    return {
      name: file.name,
      flows: file.analysis.flows,
      precisionDigits: file.analysis.precisionDigits(),
      ...(file.summary.datapath?.interfaces ? { interfaces: file.summary.datapath.interfaces } : {}),
      side: (flow: number, client: number) => writer.side(flow, client),
      summary(flow: number): FlowSummary {
        let s = cache.get(flow);
        if (s === undefined) cache.set(flow, (s = JSON.parse(writer.flow(flow)) as FlowSummary));
        return s;
      },
    };
  });
  const correlation = correlator.correlate(
    files.map((f) => ({ name: f.name, flows: f.analysis.flows })),
    { pairs: options.pairs === true },
  );
  return { files, captures, correlation, failures, pathIndexes };
}
