import { basename } from 'node:path';
import {
  CaptureAnalysis,
  explainDatapath,
  FlowJsonWriter,
  type FlowReportOptions,
  flowSummaries,
  type AnalysisOptions,
  type CaptureSummary,
  type CaptureWarning,
  type ClusterSummary,
  type FlowSummary,
} from '../core/analysis/index.js';
import { LinkType } from '../core/capture/index.js';
import type { ClusterIndex } from '../core/cluster/index.js';
import { type TextParams, type WarningCode, warningText } from '../core/text/index.js';
import { PacketIndex } from '../core/index/index.js';
import { fileSize, readCaptureFile, type CaptureFileInfo, type ReadOptions } from './capture-file.js';
import { readSplit, type SplitOptions } from './split-read.js';

export interface AnalyzedFile {
  analysis: CaptureAnalysis;
  /** The cluster snapshot flows are named from, when one was given. */
  cluster?: ClusterIndex;
  info: CaptureFileInfo;
  summary: CaptureSummary;
  /** Display name: the file's base name. */
  name: string;
}

/**
 * Reads and analyzes one capture file. Throws CaptureFileError only when it cannot be read at
 * all. The cluster may still be loading (a promise): it is awaited once the capture is read,
 * and its rejection is this call's.
 */
export async function analyzeFile(
  path: string,
  options: AnalysisOptions &
    ReadOptions & {
      name?: string;
      cluster?: ClusterIndex | Promise<ClusterIndex>;
      /** After each chunk: bytes handed to the decoder so far, packets and flows. */
      onProgress?: (bytesRead: number, analysis: CaptureAnalysis) => void;
      /** The analysis as soon as it exists, to look at (flows so far) while the file is read. */
      onStart?: (analysis: CaptureAnalysis) => void;
      /**
       * When `signal` aborts: keep what was read (the summary warns where it stopped) instead of
       * throwing the AbortError.
       */
      keepPartial?: boolean;
      /**
       * Read a big pcap file on two threads (see split-read.ts); the result is the same. Not
       * with a signal, progress or an observer other than a packet index.
       */
      split?: boolean | SplitOptions;
    } = {},
): Promise<AnalyzedFile> {
  const analysis = new CaptureAnalysis(options);
  options.onStart?.(analysis);
  let bytes = 0;
  const onProgress = options.onProgress;
  const onChunk = onProgress
    ? (chunk: Uint8Array): void => {
        analysis.push(chunk);
        bytes += chunk.length;
        onProgress(bytes, analysis);
      }
    : (chunk: Uint8Array): void => analysis.push(chunk);
  let info: CaptureFileInfo;
  let cancelled = false;
  try {
    const observer = options.observer;
    const split =
      options.split !== undefined &&
      options.split !== false &&
      options.signal === undefined &&
      onProgress === undefined &&
      (observer === undefined || observer instanceof PacketIndex)
        ? await readSplit(path, analysis, observer ?? null, onChunk, {
            ...(options.split === true ? {} : options.split),
            ...(options.vxlanPorts ? { vxlanPorts: options.vxlanPorts } : {}),
          })
        : null;
    info = split ?? (await readCaptureFile(path, onChunk, options));
  } catch (error) {
    if (!(options.keepPartial && error instanceof Error && error.name === 'AbortError')) throw error;
    cancelled = true;
    info = { path, size: await fileSize(path), compressed: false, bytesRead: bytes, decompressError: null };
  }
  analysis.end();
  const cluster = await options.cluster;
  const name = options.name ?? basename(path);
  const summary = analysis.summary(name, info.size, info.compressed);
  summary.datapath = explainDatapath(analysis, cluster);
  if (info.decompressError !== null)
    summary.warnings.unshift(warning(info.bytesRead, 'gzipDamaged', info.decompressError));
  if (cancelled) summary.warnings.unshift(warning(bytes, 'readingCancelled', { bytes }));
  const file: AnalyzedFile = { analysis, info, summary, name };
  if (cluster !== undefined) file.cluster = cluster;
  return file;
}

function reportOptions(file: Pick<AnalyzedFile, 'analysis' | 'name' | 'cluster'>): FlowReportOptions {
  const interfaces = file.analysis.reader.interfaces;
  return {
    capture: file.name,
    interfaces,
    precisionDigits: file.analysis.precisionDigits(),
    // Flows name their interface when there is a choice: several interfaces, or SLL2's ifindex.
    withInterfaces: interfaces.length > 1 || interfaces.some((i) => i.linkType === LinkType.LINUX_SLL2),
    ...(file.cluster !== undefined ? { cluster: file.cluster } : {}),
  };
}

/** The flows of an analyzed file in the JSON contract's shape. */
export function fileFlows(file: AnalyzedFile): FlowSummary[] {
  return flowSummaries(file.analysis.flows, reportOptions(file));
}

/**
 * The `count` flows with the most bytes (all when count is 0), biggest first: ordered from
 * the table's numbers, so only the flows shown are turned into objects.
 */
export function topFlows(file: AnalyzedFile, count: number): FlowSummary[] {
  const table = file.analysis.flows;
  const ids = Array.from({ length: table.count }, (_, id) => id);
  const bytes = (id: number): number => table.bytesFrom(id, 0) + table.bytesFrom(id, 1);
  ids.sort((a, b) => bytes(b) - bytes(a) || a - b);
  const writer = flowWriter(file);
  return ids.slice(0, count > 0 ? count : ids.length).map((id) => JSON.parse(writer.flow(id)) as FlowSummary);
}

/** Writes the file's flows as JSON text one at a time (for large outputs). */
export function flowWriter(file: Pick<AnalyzedFile, 'analysis' | 'name' | 'cluster'>): FlowJsonWriter {
  return new FlowJsonWriter(file.analysis.flows, reportOptions(file));
}

/** A warning of the file's reading, in English and as a code the app words in its language. */
function warning(offset: number, code: WarningCode, params: TextParams): CaptureWarning {
  return { offset, message: warningText(code, params), code, params };
}

/** What the snapshot held and the ranges podpath used, for the JSON document. */
export function clusterSummary(cluster: ClusterIndex): ClusterSummary {
  const s = cluster.snapshot;
  return {
    sources: s.sources,
    counts: s.counts,
    endpointsFrom: s.endpointsFrom,
    podRanges: cluster.podRanges,
    serviceRanges: cluster.serviceRanges,
    nodeBlocks: cluster.nodeBlocks,
  };
}
