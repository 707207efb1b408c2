// The packet index against the streaming reader, on real captures: every packet read at random
// through the index is the record the streaming reader handed out, in any order; packetsOf
// equals a full re-read; 16 bytes a packet; cut and changed files.
import { recordFacts } from './support/records.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_FLOW, type PacketIndex } from '../src/core/index/index.js';
import { analyzeFile } from '../src/node/analyze-file.js';
import {
  analyzeFileIndexed,
  type IndexedFile,
  packetPageAt,
  RandomAccessError,
  readPacketsAt,
  supportsRandomAccess,
} from '../src/node/packet-index.js';
import { FIXTURES, fixtureFiles, HAVE_PUBLIC, PUBLIC, publicFiles } from './support/files.js';

interface Streamed {
  file: IndexedFile;
  records: string[];
  flows: number[];
  directions: number[];
}

/** Reads the file once, indexing it, and keeps what the streaming reader handed out. */
async function stream(path: string): Promise<Streamed> {
  const records: string[] = [];
  const flows: number[] = [];
  const directions: number[] = [];
  const file = await analyzeFileIndexed(path, {
    observer: {
      packet: (_p, r, flow, direction) => {
        records.push(recordFacts(r));
        flows.push(flow);
        directions.push(direction);
      },
    },
  });
  return { file, records, flows, directions };
}

/** mulberry32 */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(count: number, seed: number): number[] {
  const next = random(seed);
  const a = Array.from({ length: count }, (_, i) => i);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Reads `numbers` at random and expects exactly the streamed records. */
async function expectRandomReads(path: string, s: Streamed, numbers: number[]): Promise<void> {
  const records = await readPacketsAt(path, s.file.packetIndex, numbers);
  expect(records.map(recordFacts)).toEqual(numbers.map((n) => s.records[n]));
}

const MAX_TIME = 2 ** 47 - 1;

/** time(n) as the index documents it, from the record's own timestamp. */
function expectedTime(index: PacketIndex, record: string): number {
  const [, , , seconds, nanos, hasTimestamp] = record.split(' ');
  if (hasTimestamp !== 'true') return NaN;
  const micros =
    (Number(seconds) - index.baseSeconds) * 1e6 + (Math.floor(Number(nanos) / 1000) - index.baseMicros);
  return Math.max(-MAX_TIME, Math.min(MAX_TIME, micros));
}

/** The packets of each flow (NO_FLOW included) from a full re-read, as the packets view made them. */
async function flowsByReread(path: string): Promise<Map<number, number[]>> {
  const byFlow = new Map<number, number[]>();
  await analyzeFile(path, {
    observer: {
      packet: (_p, r, flow) => {
        const list = byFlow.get(flow) ?? [];
        list.push(r.index);
        byFlow.set(flow, list);
      },
    },
  });
  return byFlow;
}

function sectionBytes(index: PacketIndex): number {
  return index.sections.reduce((sum, s) => sum + s.blocks.reduce((b, block) => b + block.bytes.length, 0), 0);
}

const tmp = mkdtempSync(join(tmpdir(), 'podpath-packet-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tmpFile(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

const files = [...fixtureFiles(), ...publicFiles()];

describe('packet index over real captures', () => {
  it('has captures to index', () => {
    expect(fixtureFiles().length).toBeGreaterThan(5);
    if (HAVE_PUBLIC) expect(publicFiles().length).toBeGreaterThan(100);
  });

  it.each(files.map((f) => [basename(f), f]))(
    '%s: every packet read at random is the streamed record',
    async (_name, path) => {
      const s = await stream(path);
      const index = s.file.packetIndex;
      expect(index.count).toBe(s.records.length);
      expect(index.count).toBe(s.file.summary.packets);
      expect(s.file.randomAccess).toBe(true);
      for (let n = 0; n < index.count; n++) {
        const [, , , , , , , , , fileOffset] = s.records[n].split(' ');
        if (index.offset(n) !== Number(fileOffset))
          expect(index.offset(n), `offset of ${n}`).toBe(Number(fileOffset));
        if (index.flow(n) !== s.flows[n]) expect(index.flow(n), `flow of ${n}`).toBe(s.flows[n]);
        const direction = s.flows[n] < 0 ? 0 : s.directions[n]; // none without a flow
        if (index.direction(n) !== direction) expect(index.direction(n), `direction of ${n}`).toBe(direction);
        expect(index.time(n)).toBe(expectedTime(index, s.records[n]));
      }
      // 16 bytes a packet, plus a constant per 1 MiB chunk and the header blocks.
      expect(index.rowBytes()).toBe(16 * index.count);
      expect(index.bytes()).toBeLessThanOrEqual(
        16 * index.count + 256 * Math.ceil(index.count / 65536) + sectionBytes(index),
      );
      if (index.count === 0) return;
      // Any order: shuffled, backwards, and a few at a time with repeats.
      await expectRandomReads(path, s, shuffled(index.count, 1));
      await expectRandomReads(
        path,
        s,
        shuffled(index.count, 2).map((_, i) => index.count - 1 - i),
      );
      const next = random(3);
      for (let round = 0; round < 5; round++) {
        const some = Array.from({ length: 1 + Math.floor(next() * 8) }, () =>
          Math.floor(next() * index.count),
        );
        await expectRandomReads(path, s, some);
      }
      // packetsOf against a full re-read, flow by flow.
      const byFlow = await flowsByReread(path);
      const table = s.file.analysis.flows;
      for (let flow = 0; flow < table.count; flow++) {
        const expected = byFlow.get(flow) ?? [];
        expect(Array.from(index.packetsOf(flow)), `flow ${flow}`).toEqual(expected);
        const counted = table.packetsFrom(flow, 0) + table.packetsFrom(flow, 1);
        expect(Array.from(index.packetsOf(flow, counted)), `flow ${flow} by its count`).toEqual(expected);
      }
      expect(Array.from(index.packetsOf(NO_FLOW))).toEqual(byFlow.get(-1) ?? []);
    },
  );
});

describe('packet index: sections, pages, cut and changed files', () => {
  const corpus = (name: string): string => join(FIXTURES, 'corpus', name);

  it('frames records of every section of a file of several pcapng sections', async () => {
    const parts = [
      corpus('pcapng-two-interfaces.pcapng'),
      corpus('pcapng-nsec.pcapng'),
      corpus('pcapng-dumpcap.pcapng'),
    ];
    if (HAVE_PUBLIC)
      parts.push(join(PUBLIC, 'ngsuite-be-test001.pcapng'), join(PUBLIC, 'ngsuite-le-test002.pcapng'));
    const path = tmpFile('sections.pcapng', Buffer.concat(parts.map((p) => readFileSync(p))));
    const s = await stream(path);
    const index = s.file.packetIndex;
    expect(index.sections.length).toBe(parts.length);
    expect(index.count).toBeGreaterThan(20);
    // The later sections' interfaces come after the earlier ones' in the reader's numbering.
    const interfaces = new Set(s.records.map((r) => Number(r.split(' ')[6])));
    expect(Math.max(...interfaces)).toBeGreaterThan(1);
    await expectRandomReads(path, s, shuffled(index.count, 4));
  });

  it('reads a page of a flow and of all packets with the rows the packets view shows', async () => {
    const path = join(FIXTURES, 'lab/clusterip/client.pcap');
    const s = await stream(path);
    const index = s.file.packetIndex;
    const table = s.file.analysis.flows;
    let flow = 0;
    for (let id = 1; id < table.count; id++)
      if (index.packetsOf(id).length > index.packetsOf(flow).length) flow = id;
    const numbers = index.packetsOf(flow);
    const page = await packetPageAt(path, index, numbers, 1, 3, {
      precisionDigits: s.file.analysis.precisionDigits(),
      flows: table,
    });
    expect(page.total).toBe(numbers.length);
    expect(page.packets.map((p) => p.index)).toEqual(Array.from(numbers.subarray(1, 4)));
    // The rows the session's re-read makes for the same packets.
    const src = table.initiator(flow);
    const rows: { index: number; fromSrc: boolean; length: number; hex: string; layers: number }[] = [];
    await analyzeFile(path, {
      observer: {
        packet: (p, r, id, direction) => {
          if (id === flow && numbers.indexOf(r.index) >= 1 && numbers.indexOf(r.index) <= 3)
            rows.push({
              index: r.index,
              fromSrc: direction === src,
              length: r.originalLength,
              hex: Buffer.from(r.bytes.subarray(r.start, r.start + r.capturedLength)).toString('hex'),
              layers: p.layerCount,
            });
        },
      },
    });
    expect(
      page.packets.map((p) => ({
        index: p.index,
        fromSrc: p.fromSrc,
        length: p.length,
        hex: p.hex,
        layers: p.layers.length,
      })),
    ).toEqual(rows);
    const all = await packetPageAt(path, index, null, index.count - 2, 10);
    expect(all.total).toBe(index.count);
    expect(all.packets.map((p) => p.index)).toEqual([index.count - 2, index.count - 1]);
  });

  it('indexes the packets before the cut of a cut file, and reads them at random', async () => {
    for (const source of [
      join(FIXTURES, 'lab/clusterip/node1-eth0.pcap'),
      corpus('pcapng-two-interfaces.pcapng'),
    ]) {
      const whole = readFileSync(source);
      const full = await stream(source);
      const offsets = Array.from({ length: full.file.packetIndex.count }, (_, n) =>
        full.file.packetIndex.offset(n),
      );
      // Inside a record's header, inside its data, and right at a record's start.
      const cuts = [offsets[5] + 3, offsets[9] + 30, offsets[12], whole.length - 1];
      for (const cut of cuts) {
        const path = tmpFile(`cut-${cut}-${basename(source)}`, whole.subarray(0, cut));
        const s = await stream(path);
        // A pcap record ends where the next begins (these files hold no other blocks between packets).
        const kept = offsets.filter((_, n) =>
          n + 1 < offsets.length ? offsets[n + 1] <= cut : cut === whole.length,
        ).length;
        expect(s.file.packetIndex.count, `cut at ${cut}`).toBe(kept);
        expect(s.records).toEqual(full.records.slice(0, kept));
        await expectRandomReads(path, s, shuffled(kept, 5));
        // The full file's index against the cut file: the packets past the cut are gone.
        await expect(readPacketsAt(path, full.file.packetIndex, [offsets.length - 1])).rejects.toThrow(
          RandomAccessError,
        );
      }
    }
  });

  it('says a file changed since it was indexed', async () => {
    const source = join(FIXTURES, 'lab/clusterip/client.pcap');
    const s = await stream(source);
    const bytes = new Uint8Array(readFileSync(source));
    // Shift everything by 8 bytes after the file header: no record is where the index says.
    const moved = new Uint8Array(bytes.length + 8);
    moved.set(bytes.subarray(0, 24));
    moved.set(bytes.subarray(24), 32);
    moved.fill(0xff, 24, 32);
    const path = tmpFile('moved.pcap', moved);
    await expect(readPacketsAt(path, s.file.packetIndex, [0])).rejects.toThrow(
      /packet 0: no packet record at byte 24/,
    );
    await expect(readPacketsAt(source, s.file.packetIndex, [s.file.packetIndex.count])).rejects.toThrow(
      RangeError,
    );
  });

  it('says a gzip capture cannot be read at random, and still indexes it', async () => {
    const gz = corpus('eth-tcp-udp-icmp.pcap.gz');
    const plain = corpus('eth-tcp-udp-icmp.pcap');
    expect(await supportsRandomAccess(gz)).toBe(false);
    expect(await supportsRandomAccess(plain)).toBe(true);
    const compressed = await stream(gz);
    const uncompressed = await stream(plain);
    expect(compressed.file.randomAccess).toBe(false);
    expect(compressed.file.packetIndex.count).toBe(uncompressed.file.packetIndex.count);
    expect(Array.from(compressed.file.packetIndex.packetsOf(0))).toEqual(
      Array.from(uncompressed.file.packetIndex.packetsOf(0)),
    );
    await expect(readPacketsAt(gz, compressed.file.packetIndex, [0])).rejects.toThrow(
      /gzip-compressed: its packets cannot be read at random/,
    );
  });
});
