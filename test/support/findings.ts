import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildClusterSnapshot, ClusterIndex } from '../../src/core/cluster/index.js';
import {
  type Finding,
  type FindingPacket,
  type FindingsDocument,
  FINDINGS_SCHEMA,
  MAX_EVIDENCE,
} from '../../src/core/findings/index.js';
import { FINDING_CODES, FINDING_TEXT, findingText } from '../../src/core/text/index.js';
import type { DecodedPacket } from '../../src/core/decode/index.js';
import { FIXTURES } from './files.js';
import { decode, packetsOf } from './packets.js';

export const LAB = join(FIXTURES, 'lab');

/** A lab scenario's snapshot.json, indexed. */
export function clusterOf(scenario: string): ClusterIndex {
  const value: unknown = JSON.parse(readFileSync(join(LAB, scenario, 'snapshot.json'), 'utf8'));
  return new ClusterIndex(buildClusterSnapshot([{ source: 'snapshot.json', value }]));
}

/** What every document keeps: the schema, the contract's fields, capped evidence, English from the codes. */
export function checkShape(doc: FindingsDocument): void {
  expect(doc.schema).toBe(FINDINGS_SCHEMA);
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of doc.findings) {
    counts[f.severity]++;
    expect(FINDING_CODES).toContain(f.code);
    for (const part of ['summary', 'explanation', 'suggestion'] as const) {
      expect(f[part]).toBe(findingText(f.code as (typeof FINDING_CODES)[number], part, f.params));
      expect(f[part]).not.toMatch(/\{\{|\}\}|undefined|NaN|\[object/);
    }
    // Every value is said somewhere (the app's catalogs word the same values).
    const entry = FINDING_TEXT[f.code as (typeof FINDING_CODES)[number]] as Record<string, string>;
    const said = new Set(
      [
        ...Object.values(entry)
          .join(' ')
          .matchAll(/\{\{(\w+)\}\}/g),
      ].map((m) => m[1]),
    );
    for (const name of Object.keys(f.params)) expect(said, `${f.code}: {{${name}}}`).toContain(name);
    expect(f.packets.length).toBeLessThanOrEqual(MAX_EVIDENCE);
    expect(f.flows.length).toBeLessThanOrEqual(MAX_EVIDENCE);
    for (const p of f.packets) expect(doc.captures.map((c) => c.file)).toContain(p.capture);
    for (const flow of f.flows) {
      expect(Number.isInteger(flow.flow)).toBe(true);
      expect(f.captures).toContain(flow.capture);
    }
  }
  expect(doc.counts).toEqual(counts);
}

/** The one finding of a kind (fails when there are none or several). */
export function only(doc: FindingsDocument, kind: Finding['kind']): Finding {
  const list = doc.findings.filter((f) => f.kind === kind);
  expect(list, kind).toHaveLength(1);
  return list[0];
}

export const byRole = (f: Finding, role: FindingPacket['role']): FindingPacket[] =>
  f.packets.filter((p) => p.role === role);

const decoded = new Map<string, { p: DecodedPacket; bytes: Uint8Array }[]>();

/** Record `index` of a lab (or public) capture, decoded from its bytes. */
export function recordAt(path: string, index: number): { p: DecodedPacket; bytes: Uint8Array } {
  let list = decoded.get(path);
  if (list === undefined) {
    list = packetsOf(path).map((r) => ({ p: decode(r.bytes, r.linkType), bytes: r.bytes }));
    decoded.set(path, list);
  }
  expect(index).toBeLessThan(list.length);
  return list[index];
}
