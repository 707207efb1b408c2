import { basename } from 'node:path';
import {
  CaptureAnalysis,
  flowSummaries,
  type AnalysisOptions,
  type CaptureSummary,
  type FlowSummary,
} from '../core/analysis/index.js';
import { LINKTYPE_LINUX_SLL2 } from '../core/capture/index.js';
import { readCaptureFile, type CaptureFileInfo, type ReadOptions } from './capture-file.js';

export interface AnalyzedFile {
  analysis: CaptureAnalysis;
  info: CaptureFileInfo;
  summary: CaptureSummary;
  /** Display name: the file's base name. */
  name: string;
}

/** Reads and analyzes one capture file. Throws CaptureFileError only when it cannot be read at all. */
export async function analyzeFile(
  path: string,
  options: AnalysisOptions & ReadOptions & { name?: string } = {},
): Promise<AnalyzedFile> {
  const analysis = new CaptureAnalysis(options);
  const info = await readCaptureFile(path, (chunk) => analysis.push(chunk), options);
  analysis.end();
  const name = options.name ?? basename(path);
  const summary = analysis.summary(name, info.size, info.compressed);
  if (info.decompressError !== null)
    summary.warnings.unshift({ offset: info.bytesRead, message: info.decompressError });
  return { analysis, info, summary, name };
}

/** The flows of an analyzed file in the JSON contract's shape. */
export function fileFlows(file: AnalyzedFile): FlowSummary[] {
  const interfaces = file.analysis.reader.interfaces;
  const withInterfaces = interfaces.length > 1 || interfaces.some((i) => i.linkType === LINKTYPE_LINUX_SLL2);
  return flowSummaries(file.analysis.flows, {
    capture: file.name,
    interfaces,
    precisionDigits: file.analysis.precisionDigits(),
    withInterfaces,
  });
}
