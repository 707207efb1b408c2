// The app's Findings view links each finding to the flows, packets and path views by what the
// engine put in the document: flow ids, capture ids and record numbers, and the flows' ends.
// Against real lab captures through the session (what both transports serve): every link the
// view offers opens what it says.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FindingsDocument } from '../src/core/findings/index.js';
import { Session } from '../src/node/session.js';
import {
  connectionFor,
  firstEvidence,
  packetTarget,
  seenAtSeveralPoints,
} from '../src/renderer/finding-model.js';
import { FIXTURES } from './support/files.js';

const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) for (const c of (await s.session()).captures) await s.closeCapture(c.id);
});

async function open(scenario: string): Promise<Session> {
  const dir = join(FIXTURES, 'lab', scenario);
  const session = new Session({ version: 'test' });
  sessions.push(session);
  await session.openSnapshot(join(dir, 'snapshot.json'));
  await session.openCaptures(
    readdirSync(dir)
      .filter((f) => /\.pcap$/.test(f))
      .sort()
      .map((f) => join(dir, f)),
  );
  for (let i = 0; i < 400 && (await session.session()).captures.some((c) => c.state === 'reading'); i++)
    await new Promise((resolve) => setTimeout(resolve, 25));
  return session;
}

/** Every link of every finding, checked against the session. */
async function checkLinks(session: Session, doc: FindingsDocument): Promise<void> {
  const trace = await session.trace((await session.session()).captures.map((c) => c.id));
  for (const f of doc.findings) {
    for (const flow of f.flows) {
      expect(flow.id, `${f.kind} flow`).toMatch(/^c\d+:\d+$/);
      const page = await session.packets(flow.id!, 0, 1000);
      expect(page.total).toBe(flow.packets);
    }
    for (const p of f.packets) {
      const target = packetTarget(p);
      expect(target, `${f.kind} packet`).not.toBeNull();
      // The capture's packets, at the packet's place: the packets panel shows this row selected.
      const page = await session.packets(target!.flowId, target!.at, 1);
      expect(page.packets[0].index).toBe(p.index);
    }
    expect(firstEvidence(f)).not.toBeNull();
    if (seenAtSeveralPoints(f))
      expect(connectionFor(trace.connections, f.flows), f.kind).toBeGreaterThanOrEqual(0);
  }
}

describe('the Findings view’s links on the lab', () => {
  it('no-endpoints: the refused Service connections, their packets and the DNATed connection’s path', async () => {
    const session = await open('no-endpoints');
    const doc = await session.findings();
    expect(doc.findings.map((f) => f.kind).sort()).toEqual([
      'endpoint-not-listening',
      'service-no-endpoints',
    ]);
    await checkLinks(session, doc);
    const refused = doc.findings.find((f) => f.kind === 'endpoint-not-listening')!;
    expect(seenAtSeveralPoints(refused)).toBe(true);
  });

  it('mtu: the ICMP error and the packet it answers, one click each', async () => {
    const session = await open('mtu');
    const doc = await session.findings();
    const mtu = doc.findings.find((f) => f.kind === 'mtu')!;
    expect(mtu.severity).toBe('error');
    expect(mtu.packets.map((p) => p.role)).toContain('icmp-error');
    await checkLinks(session, doc);
    // The error itself: ICMP type 3 code 4 from the router.
    const error = mtu.packets.find((p) => p.role === 'icmp-error')!;
    const target = packetTarget(error)!;
    const [row] = (await session.packets(target.flowId, target.at, 1)).packets;
    const icmp = row.layers.find((l) => l.name === 'icmp');
    expect(icmp?.fields.map((x) => `${x.name}=${x.value}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^type=3\b/), expect.stringMatching(/^code=4\b/)]),
    );
  });
});
