import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureFiles, FIXTURES, GOLDEN_PUBLIC, HAVE_PUBLIC, publicFiles, ROOT } from './support/files.js';
import {
  DECODED_FIELDS,
  decodeCapture,
  DIVERGENCES,
  type Divergence,
  type GoldenPacket,
  loadGolden,
  type OurPacket,
  sha256,
} from './support/golden.js';

/*
 * Field by field against Wireshark. Goldens come from `npm run golden` (scripts/golden.js),
 * which runs tshark 4.0 over every fixture with per-packet decoding (no reassembly). Where
 * podpath and tshark differ on purpose, DIVERGENCES (test/support/golden.ts) says so and why.
 */

function goldenPathFor(capture: string): string {
  return capture.startsWith(FIXTURES)
    ? `${capture}.golden.json`
    : join(GOLDEN_PUBLIC, `${basename(capture)}.golden.json`);
}

function isPrefix(a: unknown[], b: unknown[]): boolean {
  return a.length <= b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
}

function compare(
  name: string,
  ours: OurPacket[],
  golden: GoldenPacket[],
  badTimestamps: Set<number>,
): string[] {
  const divergences = DIVERGENCES[name] ?? [];
  const rule = (field: string, n: number): Divergence | undefined =>
    divergences.find((d) => d.fields.includes(field) && (d.packets === undefined || d.packets.includes(n)));
  const problems: string[] = [];
  // tshark 4.0 shows pcapng custom and decryption-secrets blocks as frames of protocol "PCAPNG":
  // they are not packets, and podpath's reader skips them.
  const theirs = golden.filter((g) => g.protocolColumn !== 'PCAPNG');
  if (ours.length !== theirs.length && rule('count', 0) === undefined) {
    problems.push(`${name}: ${ours.length} packets, tshark ${theirs.length}`);
  }
  const n = Math.min(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    const a = ours[i];
    const b = theirs[i];
    const where = `${name} packet ${i + 1}`;
    if (rule('len', i + 1) === undefined && a.len !== b.len)
      problems.push(`${where}: len ${a.len}, tshark ${b.len}`);
    if (a.caplen !== b.caplen) problems.push(`${where}: caplen ${a.caplen}, tshark ${b.caplen}`);
    // A repaired timestamp (fraction >= 1 s) has no agreed value: tshark overflows on some.
    if (!badTimestamps.has(i) && a.time !== b.time)
      problems.push(`${where}: time ${a.time}, tshark ${b.time}`);
    if (b.interface !== null && a.interface !== b.interface)
      problems.push(`${where}: interface ${a.interface}, tshark ${b.interface}`);
    for (const field of DECODED_FIELDS) {
      const mine = a[field] as unknown[];
      const wireshark = b[field] as unknown[];
      if (JSON.stringify(mine) === JSON.stringify(wireshark)) continue;
      const d = rule(field, i + 1);
      if (d?.kind === 'skip') continue;
      if (d?.kind === 'prefix' && isPrefix(mine, wireshark)) continue;
      if (d?.kind === 'deeper' && isPrefix(wireshark, mine)) continue;
      problems.push(`${where}: ${field} ${JSON.stringify(mine)}, tshark ${JSON.stringify(wireshark)}`);
    }
  }
  return problems;
}

const captures = [
  ...fixtureFiles(),
  ...fixtureFiles()
    .map((f) => `${f}.gz`)
    .filter((f) => existsSync(f)),
  ...publicFiles({ capturesOnly: true }),
];

describe('decode matches Wireshark field by field', () => {
  it('has a golden for every capture', () => {
    const missing = captures.filter((c) => !existsSync(goldenPathFor(c))).map((c) => relative(ROOT, c));
    expect(missing).toEqual([]);
    if (HAVE_PUBLIC) expect(captures.length).toBeGreaterThan(150);
  });

  it('lists divergences only for files that exist', () => {
    if (!HAVE_PUBLIC) return;
    const names = new Set(captures.map((c) => basename(c)));
    expect(Object.keys(DIVERGENCES).filter((n) => !names.has(n))).toEqual([]);
  });

  it.each(captures.map((c) => [relative(ROOT, c), c]))('%s', (_label, capture) => {
    const golden = loadGolden(goldenPathFor(capture));
    expect(golden, 'golden file missing: run npm run golden').not.toBeNull();
    expect(golden!.sha256, `golden is stale for ${capture}: run npm run golden`).toBe(
      sha256(readFileSync(capture)),
    );
    const ours = decodeCapture(capture);
    expect(compare(basename(capture), ours.packets, golden!.packets, ours.badTimestamps)).toEqual([]);
  });
});
