// What the Findings view does with the engine's document, apart from drawing it: the order of
// the findings, the words of each (from the catalogs, by code), which evidence opens first, and
// which connection of the Path view a finding's flows are.
import type { Endpoint } from '../core/analysis/index.js';
import type { Finding, FindingFlow, FindingPacket, FindingSeverity } from '../core/findings/index.js';
import type { TraceConnection, TraceHop } from '../core/trace/index.js';

export const SEVERITIES: readonly FindingSeverity[] = ['error', 'warning', 'info'];

/** Worst first; within a severity the engine's order (most affected first). */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  return SEVERITIES.flatMap((s) => findings.filter((f) => f.severity === s));
}

export type FindingPart = 'summary' | 'explanation' | 'suggestion';

/**
 * The catalog key of one part of a finding (section "finding", as `src/core/text/findings.ts`
 * has it), or null when the catalog does not know the code. A part written in plural forms is
 * chosen by `count` with English's rule, as the engine chose it: its values fit that form.
 */
export function findingKey(
  finding: Pick<Finding, 'code' | 'params'>,
  part: FindingPart,
  exists: (key: string) => boolean,
): string | null {
  const key = `finding.${finding.code}.${part}`;
  if (exists(key)) return key;
  const count = finding.params.count;
  if (typeof count !== 'number') return null;
  const form = `${key}_${count === 1 ? 'one' : 'other'}`;
  return exists(form) ? form : null;
}

/** What Enter on a finding opens: its first packet the app can show, else its first flow. */
export type Evidence = { packet: FindingPacket } | { flow: FindingFlow };

export function firstEvidence(finding: Finding): Evidence | null {
  const packet = finding.packets.find((p) => p.captureId !== undefined);
  if (packet !== undefined) return { packet };
  const flow = finding.flows.find((f) => f.id !== undefined);
  return flow !== undefined ? { flow } : null;
}

/** Where a packet evidence opens: its flow's packets at its place there, else every packet of its capture at its record number. */
export function packetTarget(packet: FindingPacket): { flowId: string; at: number } | null {
  if (packet.flowId !== undefined && packet.flowIndex !== undefined)
    return { flowId: packet.flowId, at: packet.flowIndex };
  return packet.captureId === undefined ? null : { flowId: `${packet.captureId}:*`, at: packet.index };
}

/** What the Path view is asked to show: the connection these flows belong to. */
export interface PathFocus {
  flows: FindingFlow[];
}

/** Whether the finding's flows were seen at several capture points: the Path view draws that. */
export function seenAtSeveralPoints(finding: Finding): boolean {
  const points = new Set(finding.flows.map((f) => `${f.capture}\u0000${f.interface?.index ?? ''}`));
  return points.size > 1;
}

const sameEnd = (a: Endpoint, b: Endpoint): boolean => a.ip === b.ip && a.port === b.port;

/** Whether a hop of a connection is this flow: its capture, with the same ends either way round. */
function isFlowHop(hop: TraceHop, flow: FindingFlow): boolean {
  if (hop.capture !== flow.capture) return false;
  return (
    (sameEnd(hop.src, flow.src) && sameEnd(hop.dst, flow.dst)) ||
    (sameEnd(hop.src, flow.dst) && sameEnd(hop.dst, flow.src))
  );
}

/** The connection most of the flows are hops of (-1 when none is). */
export function connectionFor(
  connections: readonly TraceConnection[],
  flows: readonly FindingFlow[],
): number {
  let best = -1;
  let bestCount = 0;
  connections.forEach((c, i) => {
    const count = flows.filter(
      (f) => f.protocol === c.protocol && c.hops.some((hop) => isFlowHop(hop, f)),
    ).length;
    if (count > bestCount) {
      best = i;
      bestCount = count;
    }
  });
  return best;
}
