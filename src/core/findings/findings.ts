import { findingText } from '../text/index.js';
import { type Draft, FindingsContext, type FindingsInput } from './context.js';
import { detectDns } from './detect-dns.js';
import { detectMtu } from './detect-mtu.js';
import { detectNat } from './detect-nat.js';
import { detectPath } from './detect-path.js';
import { detectTcp } from './detect-tcp.js';
import { Count } from './observer.js';
import {
  type Finding,
  type FindingFlow,
  type FindingKind,
  type FindingPacket,
  FINDINGS_SCHEMA,
  type FindingsDocument,
  type FlowTcpHealth,
} from './types.js';

/** Flows and packets listed per finding; the rest are counted (moreFlows, morePackets). */
export const MAX_EVIDENCE = 20;
/** Findings kept per kind, most affected first; the rest are counted in `omitted`. */
export const MAX_FINDINGS_PER_KIND = 50;

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * What is wrong in a set of captures: runs every detector over what the captures' analyses
 * and FindingsObservers gathered (and, given several captures, their correlation), and writes
 * each finding with its evidence, its mechanism and what to change.
 */
export function findingsDocument(input: FindingsInput): FindingsDocument {
  const ctx = new FindingsContext(input);
  const drafts: Draft[] = [];
  detectMtu(ctx, drafts);
  detectDns(ctx, drafts);
  detectTcp(ctx, drafts);
  detectNat(ctx, drafts);
  detectPath(ctx, drafts);
  const ordered = merged(withoutExplainedLosses(drafts)).sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      b.weight - a.weight ||
      a.kind.localeCompare(b.kind) ||
      a.key.localeCompare(b.key),
  );
  const findings = ordered.map((d) => finding(ctx, d));
  const kept: Finding[] = [];
  const perKind = new Map<FindingKind, number>();
  const omitted: Partial<Record<FindingKind, number>> = {};
  for (const f of findings) {
    const n = perKind.get(f.kind) ?? 0;
    perKind.set(f.kind, n + 1);
    if (n < MAX_FINDINGS_PER_KIND) kept.push(f);
    else omitted[f.kind] = (omitted[f.kind] ?? 0) + 1;
  }
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of kept) counts[f.severity]++;
  return {
    schema: FINDINGS_SCHEMA,
    captures: input.captures.map((c) => ({
      file: c.name,
      packets: c.analysis.packets,
      flows: c.analysis.flows.count,
    })),
    cluster: input.cluster !== undefined,
    counts,
    findings: kept,
    omitted,
  };
}

/** Drafts with one key (several detectors' or captures' views of one problem) made one. */
function merged(drafts: readonly Draft[]): Draft[] {
  const byKey = new Map<string, Draft>();
  const out: Draft[] = [];
  for (const d of drafts) {
    const known = byKey.get(d.key);
    if (known === undefined) {
      byKey.set(d.key, d);
      out.push(d);
      continue;
    }
    known.flows.push(...d.flows);
    known.packets.push(...d.packets);
    known.weight = Math.max(known.weight, d.weight);
    for (const pod of d.pods ?? []) if (!(known.pods ??= []).includes(pod)) known.pods.push(pod);
  }
  return out;
}

/** Packets lost where an MTU finding already shows them dropped (too big) are that finding's. */
function withoutExplainedLosses(drafts: readonly Draft[]): Draft[] {
  const tooBig = new Set<string>();
  for (const d of drafts)
    if (d.kind === 'mtu') for (const p of d.packets) tooBig.add(`${p.capture}:${p.record}`);
  return drafts.filter(
    (d) =>
      d.kind !== 'packet-lost-between' ||
      d.packets.length === 0 ||
      !d.packets.every((p) => tooBig.has(`${p.capture}:${p.record}`)),
  );
}

function finding(ctx: FindingsContext, d: Draft): Finding {
  const packetKeys = new Set<string>();
  const packets: FindingPacket[] = [];
  const ordered = [...d.packets].sort((a, b) => a.capture - b.capture || a.record - b.record);
  for (const p of ordered) {
    const key = `${p.capture}:${p.record}`;
    if (packetKeys.has(key)) continue;
    packetKeys.add(key);
    const capture = ctx.captures[p.capture];
    const packet: FindingPacket = { capture: capture.name, index: p.record, role: p.role };
    if (capture.captureId !== undefined) packet.captureId = capture.captureId;
    packets.push(packet);
  }
  const flowKeys = new Set<string>();
  const flowRefs = [...d.flows]
    .sort((a, b) => a.capture - b.capture || a.flow - b.flow)
    .filter((f) => {
      const key = `${f.capture}:${f.flow}`;
      if (flowKeys.has(key)) return false;
      flowKeys.add(key);
      return true;
    });
  const flows = flowRefs.slice(0, MAX_EVIDENCE).map((f) => findingFlow(ctx, f.capture, f.flow));
  const captures = new Set<number>([...flowRefs.map((f) => f.capture), ...ordered.map((p) => p.capture)]);
  const out: Finding = {
    kind: d.kind,
    severity: d.severity,
    code: d.code,
    params: d.params,
    summary: findingText(d.code, 'summary', d.params),
    explanation: findingText(d.code, 'explanation', d.params),
    suggestion: findingText(d.code, 'suggestion', d.params),
    captures: [...captures].sort((a, b) => a - b).map((c) => ctx.captures[c].name),
    flows,
    packets: packets.slice(0, MAX_EVIDENCE),
    moreFlows: Math.max(0, flowRefs.length - MAX_EVIDENCE),
    morePackets: Math.max(0, packets.length - MAX_EVIDENCE),
  };
  if (d.service !== undefined) out.service = d.service;
  if (d.pods !== undefined && d.pods.length > 0) out.pods = [...new Set(d.pods)].sort();
  return out;
}

function findingFlow(ctx: FindingsContext, c: number, flow: number): FindingFlow {
  const capture = ctx.captures[c];
  const out: FindingFlow = { ...ctx.summary(c, flow), flow };
  if (capture.captureId !== undefined) out.id = `${capture.captureId}:${flow}`;
  const o = capture.observer;
  if (o.isTcp(flow)) {
    const src = ctx.table(c).initiator(flow);
    const dst = 1 - src;
    const pair = (counter: Count): { src: number; dst: number } => ({
      src: o.count(flow, src, counter),
      dst: o.count(flow, dst, counter),
    });
    const tcp: FlowTcpHealth = {
      retransmissions: pair(Count.RETRANSMISSIONS),
      segments: pair(Count.SEGMENTS),
      zeroWindows: pair(Count.ZERO_WINDOWS),
      resets: pair(Count.RESETS),
      syns: o.count(flow, src, Count.SYNS),
    };
    out.tcp = tcp;
  }
  return out;
}
