import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CaptureAnalysis,
  type CaptureSummary,
  explainDatapath,
  flowSummaries,
  type FlowSummary,
} from '../../src/core/analysis/index.js';
import { LinkType } from '../../src/core/capture/index.js';
import type { ClusterIndex } from '../../src/core/cluster/index.js';

export interface Analyzed {
  analysis: CaptureAnalysis;
  summary: CaptureSummary;
  flows: FlowSummary[];
}

/** Analyzes a capture file in memory the way the CLI does (gunzipping when needed). */
export function analyze(
  path: string,
  options: { vxlanPorts?: number[]; chunk?: number; cluster?: ClusterIndex } = {},
): Analyzed {
  const raw = readFileSync(path);
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const analysis = new CaptureAnalysis({ vxlanPorts: options.vxlanPorts });
  const chunk = options.chunk ?? 4096;
  for (let at = 0; at < bytes.length; at += chunk) {
    analysis.push(new Uint8Array(bytes.buffer, bytes.byteOffset + at, Math.min(chunk, bytes.length - at)));
  }
  analysis.end();
  const name = basename(path);
  const interfaces = analysis.reader.interfaces;
  const flows = flowSummaries(analysis.flows, {
    capture: name,
    interfaces,
    precisionDigits: analysis.precisionDigits(),
    withInterfaces: interfaces.length > 1 || interfaces.some((i) => i.linkType === LinkType.LINUX_SLL2),
    ...(options.cluster ? { cluster: options.cluster } : {}),
  });
  const summary = analysis.summary(name, raw.length, bytes !== raw);
  summary.datapath = explainDatapath(analysis, options.cluster);
  return { analysis, summary, flows };
}
