import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CaptureAnalysis,
  type CaptureSummary,
  type FlowSummary,
  flowSummaries,
} from '../src/core/analysis/index.js';
import { CaptureReader, LinkType } from '../src/core/capture/index.js';
import { MAX_ISSUES } from '../src/core/capture/framer.js';
import { DecodedPacket, DecodeTables, Layer } from '../src/core/decode/index.js';
import { concat, pcapngBlocks } from './support/capture-bytes.js';
import { fixtureFiles, publicFiles, readBytes } from './support/files.js';

/*
 * Mutation fuzzing of real captures through the whole pipeline: reader, decoders, flow
 * table and report. Seeds are fixed, so a failure reproduces; the failing input is also
 * written to FAILURE_DIR.
 */

/** capture-analysis.ts keeps this many distinct decode problems per file (not exported). */
const MAX_DECODE_KINDS = 32;
const FAILURE_DIR = '/tmp/podpath-fuzz';
const CASE_BUDGET_MS = 1000;

interface RecordFacts {
  index: number;
  capturedLength: number;
  originalLength: number;
  tsSeconds: number;
  tsNanos: number;
  fileOffset: number;
}

interface Field {
  offset: number;
  width: 1 | 2 | 4;
}

interface Input {
  name: string;
  bytes: Uint8Array;
  format: 'pcap' | 'pcapng';
  /** The records of the unmutated file, each with the offset just past its record or block. */
  records: (RecordFacts & { end: number })[];
  /** Length fields and other numbers worth lying in: record and block headers, IP/UDP/TCP lengths. */
  fields: Field[];
}

function facts(r: {
  index: number;
  capturedLength: number;
  originalLength: number;
  tsSeconds: number;
  tsNanos: number;
  fileOffset: number;
}): RecordFacts {
  const { index, capturedLength, originalLength, tsSeconds, tsNanos, fileOffset } = r;
  return { index, capturedLength, originalLength, tsSeconds, tsNanos, fileOffset };
}

/** Layer kinds and where their length-like fields sit (offset from the layer start, width). */
const LAYER_FIELDS: Partial<Record<number, Field[]>> = {
  [Layer.ETHERNET]: [{ offset: 12, width: 2 }],
  [Layer.VLAN]: [{ offset: 2, width: 2 }],
  [Layer.IPV4]: [
    { offset: 0, width: 1 },
    { offset: 2, width: 2 },
    { offset: 6, width: 2 },
  ],
  [Layer.IPV6]: [
    { offset: 4, width: 2 },
    { offset: 6, width: 1 },
  ],
  [Layer.UDP]: [
    { offset: 2, width: 2 },
    { offset: 4, width: 2 },
  ],
  [Layer.TCP]: [{ offset: 12, width: 1 }],
  [Layer.DNS]: [
    { offset: 4, width: 2 },
    { offset: 6, width: 2 },
  ],
  [Layer.VXLAN]: [{ offset: 0, width: 4 }],
  [Layer.GENEVE]: [{ offset: 0, width: 2 }],
  [Layer.GRE]: [{ offset: 0, width: 2 }],
  [Layer.ICMP]: [{ offset: 0, width: 2 }],
  [Layer.ICMPV6]: [{ offset: 0, width: 2 }],
};

function prepare(path: string): Input | null {
  const bytes = readBytes(path);
  const reader = new CaptureReader();
  reader.push(bytes);
  const tables = new DecodeTables();
  const packet = new DecodedPacket();
  const records: Input['records'] = [];
  const fields: Field[] = [];
  while (reader.next()) {
    const r = reader.record;
    const end =
      reader.format === 'pcap'
        ? r.dataOffset + r.capturedLength
        : r.fileOffset +
          new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
            r.fileOffset + 4,
            r.littleEndian,
          );
    records.push({ ...facts(r), end });
    packet.decode(r.bytes, r.start, r.capturedLength, r.originalLength, r.linkType, r.fcsLength, tables);
    for (let i = 0; i < packet.layerCount; i++) {
      const at = r.dataOffset + (packet.starts[i] - r.start);
      for (const f of LAYER_FIELDS[packet.kinds[i]] ?? []) {
        if (at + f.offset + f.width <= r.dataOffset + r.capturedLength)
          fields.push({ offset: at + f.offset, width: f.width });
      }
    }
  }
  reader.end();
  if (reader.format === null) return null;
  if (reader.format === 'pcap') {
    fields.push({ offset: 16, width: 4 }, { offset: 20, width: 4 }, { offset: 4, width: 2 });
    for (const r of records) {
      for (const at of [4, 8, 12]) fields.push({ offset: r.fileOffset + at, width: 4 });
    }
  } else {
    for (const b of pcapngBlocks(bytes)) {
      fields.push({ offset: b.offset + 4, width: 4 }, { offset: b.offset + b.length - 4, width: 4 });
      const body =
        b.type === 6
          ? [8, 20, 24]
          : b.type === 3
            ? [8]
            : b.type === 1
              ? [8, 12, 20]
              : b.type === 0x0a0d0d0a
                ? [12, 16, 20, 24]
                : [8];
      for (const at of body) if (at + 4 <= b.length - 4) fields.push({ offset: b.offset + at, width: 4 });
    }
  }
  return { name: basename(path), bytes, format: reader.format, records, fields };
}

const INPUTS: Input[] = [...fixtureFiles(), ...publicFiles({ capturesOnly: true })]
  .map(prepare)
  .filter((x): x is Input => x !== null);

/** mulberry32: chunk sizes from a seed the property generates. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Outcome {
  records: RecordFacts[];
  summary: CaptureSummary;
  flows: FlowSummary[];
  json: string;
  /** Records handed out while (or after) the reader had a fatal issue: must stay 0. */
  recordsAfterFatal: number;
  issues: { offset: number; message: string; fatal: boolean; recordIndex: number }[];
  fatal: { offset: number; recordIndex: number } | null;
  interfaces: number;
  ms: number;
}

interface Chunking {
  seed: number;
  maxChunk: number;
}

/** The whole pipeline over `bytes`, pushed in random chunks, every output field forced. */
function run(bytes: Uint8Array, chunking: Chunking): Outcome {
  const started = performance.now();
  const analysis = new CaptureAnalysis();
  const reader = analysis.reader;
  const records: RecordFacts[] = [];
  let recordsAfterFatal = 0;
  const next = reader.next.bind(reader);
  // Watch what the reader hands the analysis, without changing it.
  reader.next = (): boolean => {
    const got = next();
    if (got) {
      records.push(facts(reader.record));
      if (reader.fatal !== null) recordsAfterFatal++;
    }
    return got;
  };
  const random = prng(chunking.seed);
  for (let at = 0; at < bytes.length;) {
    const size = Math.min(bytes.length - at, 1 + Math.floor(random() * chunking.maxChunk));
    // A fresh copy per chunk: the reader may keep nothing past the chunk it was given.
    analysis.push(bytes.slice(at, at + size));
    at += size;
  }
  analysis.end();
  const summary = analysis.summary('fuzz.pcap', bytes.length, false);
  const interfaces = reader.interfaces;
  const flows = flowSummaries(analysis.flows, {
    capture: 'fuzz.pcap',
    interfaces,
    precisionDigits: analysis.precisionDigits(),
    withInterfaces: interfaces.length > 1 || interfaces.some((i) => i.linkType === LinkType.LINUX_SLL2),
  });
  const json = JSON.stringify({ summary, flows });
  return {
    records,
    summary,
    flows,
    json,
    recordsAfterFatal,
    issues: reader.issues.map(({ offset, message, fatal, recordIndex }) => ({
      offset,
      message,
      fatal,
      recordIndex,
    })),
    fatal: reader.fatal,
    interfaces: interfaces.length,
    ms: performance.now() - started,
  };
}

/** The properties every input must keep, mutated or not. */
function checkInvariants(out: Outcome, length: number): void {
  expect(out.ms).toBeLessThan(CASE_BUDGET_MS);
  const s = out.summary;
  expect(s.packets).toBe(out.records.length);
  // Warnings point into the file and say something.
  for (const w of [...s.warnings, ...out.issues]) {
    expect(Number.isInteger(w.offset), w.message).toBe(true);
    expect(w.offset, w.message).toBeGreaterThanOrEqual(0);
    expect(w.offset, w.message).toBeLessThanOrEqual(length);
    expect(typeof w.message).toBe('string');
    expect(w.message.trim().length).toBeGreaterThan(0);
  }
  // At most one fatal; it is the last thing the reader said, and nothing was read after it.
  const fatals = out.issues.filter((i) => i.fatal);
  expect(fatals.length).toBeLessThanOrEqual(1);
  expect(out.recordsAfterFatal).toBe(0);
  if (out.fatal !== null) {
    expect(fatals).toHaveLength(1);
    expect(out.issues[out.issues.length - 1].fatal).toBe(true);
    expect(out.fatal.recordIndex).toBe(out.records.length);
    expect(s.complete).toBe(false);
  } else {
    expect(fatals).toHaveLength(0);
    expect(s.complete).toBe(true);
  }
  // Records come in file order, numbered from 0.
  for (let i = 0; i < out.records.length; i++) {
    expect(out.records[i].index).toBe(i);
    if (i > 0) expect(out.records[i].fileOffset).toBeGreaterThan(out.records[i - 1].fileOffset);
    expect(out.records[i].fileOffset + out.records[i].capturedLength).toBeLessThanOrEqual(length);
  }
  // Bounded memory: flows never outnumber packets, warnings are capped.
  expect(s.flowCount).toBe(out.flows.length);
  expect(out.flows.length).toBeLessThanOrEqual(s.packets);
  expect(out.flows.reduce((n, f) => n + f.packets, 0)).toBeLessThanOrEqual(s.packets);
  expect(out.issues.length).toBeLessThanOrEqual(MAX_ISSUES + 1);
  const unknownLinkTypes = Object.keys(s.unknownLinkTypes).length;
  expect(unknownLinkTypes).toBeLessThanOrEqual(out.interfaces);
  expect(s.warnings.length).toBeLessThanOrEqual(MAX_ISSUES + 2 + MAX_DECODE_KINDS + unknownLinkTypes);
  // Every number made it to JSON as a number.
  expect(out.json).not.toMatch(/NaN|Infinity/);
  expect(Number.isFinite(s.wireBytes)).toBe(true);
  for (const f of out.flows) {
    expect(f.packets).toBeGreaterThan(0);
    expect(Number.isFinite(f.bytes)).toBe(true);
  }
}

// ---- mutations ----------------------------------------------------------------------

type Value =
  | { kind: 'zero' }
  | { kind: 'max' }
  | { kind: 'half' }
  | { kind: 'high-bit' }
  | { kind: 'small'; n: number }
  | { kind: 'past-end'; delta: number };

type Op =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'word'; at: number; targeted: boolean; width: 1 | 2 | 4; value: Value; bigEndian: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; from: number; length: number; to: number }
  | { kind: 'drop'; from: number; length: number }
  | { kind: 'splice'; other: number; at: number; otherAt: number };

const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.constant({ kind: 'zero' as const }),
  fc.constant({ kind: 'max' as const }),
  fc.constant({ kind: 'half' as const }),
  fc.constant({ kind: 'high-bit' as const }),
  fc.record({ kind: fc.constant('small' as const), n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('past-end' as const), delta: fc.integer({ min: -8, max: 24 }) }),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('word' as const),
      at: fc.nat(),
      targeted: fc.boolean(),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      value: valueArb,
      bigEndian: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('duplicate' as const),
      from: fc.nat(),
      length: fc.integer({ min: 1, max: 600 }),
      to: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('drop' as const),
      from: fc.nat(),
      length: fc.integer({ min: 1, max: 600 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('splice' as const),
      other: fc.nat(),
      at: fc.nat(),
      otherAt: fc.nat(),
    }),
  },
);

function writeValue(
  b: Uint8Array,
  at: number,
  width: 1 | 2 | 4,
  value: Value,
  bigEndian: boolean,
): Uint8Array {
  const out = b.slice();
  if (at + width > out.length) return out;
  const bits = 8 * width;
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  let v: number;
  switch (value.kind) {
    case 'zero':
      v = 0;
      break;
    case 'max':
      v = max;
      break;
    case 'half':
      v = Math.floor(max / 2);
      break;
    case 'high-bit':
      v = Math.floor(max / 2) + 1;
      break;
    case 'small':
      v = value.n;
      break;
    case 'past-end':
      // What is left of the file from here, give or take: a length that just overruns.
      v = Math.max(0, out.length - at + value.delta);
      break;
  }
  v = Math.min(v, max);
  for (let i = 0; i < width; i++) {
    const shift = 8 * (bigEndian ? width - 1 - i : i);
    out[at + i] = Math.floor(v / 2 ** shift) & 0xff;
  }
  return out;
}

function apply(input: Input, op: Op): Uint8Array {
  const b = input.bytes;
  switch (op.kind) {
    case 'flip': {
      const out = b.slice();
      if (out.length > 0) out[op.at % out.length] ^= op.xor;
      return out;
    }
    case 'word': {
      if (op.targeted && input.fields.length > 0) {
        const f = input.fields[op.at % input.fields.length];
        return writeValue(b, f.offset, f.width, op.value, op.bigEndian);
      }
      return writeValue(b, b.length > 0 ? op.at % b.length : 0, op.width, op.value, op.bigEndian);
    }
    case 'truncate':
      return b.slice(0, op.at % (b.length + 1));
    case 'duplicate': {
      const from = op.from % (b.length + 1);
      const range = b.subarray(from, from + op.length);
      const to = op.to % (b.length + 1);
      return concat(b.subarray(0, to), range, b.subarray(to));
    }
    case 'drop': {
      const from = op.from % (b.length + 1);
      return concat(b.subarray(0, from), b.subarray(from + op.length));
    }
    case 'splice': {
      const other = INPUTS[op.other % INPUTS.length].bytes;
      return concat(b.subarray(0, op.at % (b.length + 1)), other.subarray(op.otherAt % (other.length + 1)));
    }
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

const chunkingArb: fc.Arbitrary<Chunking> = fc.record({
  seed: fc.nat(),
  maxChunk: fc.constantFrom(1 << 30, 1 << 30, 65536, 1500, 64, 7),
});

/** Writes a failing input where a person can pick it up, then lets the failure through. */
function keepFailure<T>(label: string, bytes: Uint8Array, detail: unknown, body: () => T): T {
  try {
    return body();
  } catch (error) {
    mkdirSync(FAILURE_DIR, { recursive: true });
    writeFileSync(join(FAILURE_DIR, `${label}.bin`), bytes);
    writeFileSync(
      join(FAILURE_DIR, `${label}.json`),
      JSON.stringify({ detail, error: String(error) }, null, 2),
    );
    throw error;
  }
}

// ---- synthetic captures ------------------------------------------------------------

function pcapHeader(linkType: number, nanos: boolean, snapLength = 262144): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, nanos ? 0xa1b23c4d : 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, snapLength, true);
  v.setUint32(20, linkType, true);
  return b;
}

function pcapngHeader(linkType: number): Uint8Array {
  const shb = new Uint8Array(28);
  const s = new DataView(shb.buffer);
  s.setUint32(0, 0x0a0d0d0a, true);
  s.setUint32(4, 28, true);
  s.setUint32(8, 0x1a2b3c4d, true);
  s.setUint16(12, 1, true);
  s.setUint16(14, 0, true);
  s.setInt32(16, -1, true);
  s.setInt32(20, -1, true);
  s.setUint32(24, 28, true);
  const idb = new Uint8Array(20);
  const i = new DataView(idb.buffer);
  i.setUint32(0, 1, true);
  i.setUint32(4, 20, true);
  i.setUint16(8, linkType, true);
  i.setUint32(12, 262144, true);
  i.setUint32(16, 20, true);
  return concat(shb, idb);
}

/** Random packets in well-formed records, so the decoders, not the framer, see the noise. */
function framed(format: 'pcap' | 'pcapng', packets: Uint8Array[]): Uint8Array {
  return concat(
    ...packets.map((p, n) => {
      if (format === 'pcap') {
        const h = new Uint8Array(16);
        const v = new DataView(h.buffer);
        v.setUint32(0, 1_700_000_000 + n, true);
        v.setUint32(8, p.length, true);
        v.setUint32(12, p.length + (n % 3), true);
        return concat(h, p);
      }
      const padded = (p.length + 3) & ~3;
      const block = new Uint8Array(32 + padded);
      const v = new DataView(block.buffer);
      v.setUint32(0, 6, true);
      v.setUint32(4, block.length, true);
      v.setUint32(12, n, true);
      v.setUint32(20, p.length, true);
      v.setUint32(24, p.length, true);
      block.set(p, 28);
      v.setUint32(block.length - 4, block.length, true);
      return block;
    }),
  );
}

describe('fuzzing the pipeline with mutated real captures', () => {
  it('has inputs of both formats', () => {
    expect(INPUTS.length).toBeGreaterThanOrEqual(13);
    expect(INPUTS.some((i) => i.format === 'pcap')).toBe(true);
    expect(INPUTS.some((i) => i.format === 'pcapng')).toBe(true);
    for (const input of INPUTS) expect(input.fields.length, input.name).toBeGreaterThan(0);
  });

  it('unmutated, any chunking gives the same records as one chunk', () => {
    fc.assert(
      fc.property(fc.nat(), chunkingArb, (which, chunking) => {
        const input = INPUTS[which % INPUTS.length];
        const out = run(input.bytes, chunking);
        checkInvariants(out, input.bytes.length);
        expect(out.records).toEqual(input.records.map(facts));
      }),
      { numRuns: 300, seed: 20261129 },
    );
  }, 30_000);

  it('survives mutations, keeps every record before the first damaged byte, and stays bounded', () => {
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(opArb, { minLength: 1, maxLength: 3 }),
        chunkingArb,
        (which, ops, chunking) => {
          const input = INPUTS[which % INPUTS.length];
          let bytes = input.bytes;
          for (const op of ops) bytes = apply({ ...input, bytes }, op);
          keepFailure('mutation', bytes, { input: input.name, ops, chunking }, () => {
            const out = run(bytes, chunking);
            checkInvariants(out, bytes.length);
            const damage = firstDifference(input.bytes, bytes);
            const intact = input.records.filter((r) => r.end <= damage).map(facts);
            expect(out.records.length).toBeGreaterThanOrEqual(intact.length);
            expect(out.records.slice(0, intact.length)).toEqual(intact);
            if (damage === bytes.length && bytes.length === input.bytes.length) {
              // No byte changed (e.g. a value written over itself): the whole file reads as before.
              expect(out.records).toEqual(input.records.map(facts));
            }
          });
        },
      ),
      { numRuns: 3000, seed: 7348 },
    );
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 60_000);
});

describe('fuzzing the pipeline with random bytes behind a valid header', () => {
  const LINK_TYPES = [1, 113, 276, 101, 0, 228, 229, 239, 12, 147];

  it('never throws, stays bounded, and reads every well-framed random packet', () => {
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.constantFrom('pcap' as const, 'pcapng' as const),
        fc.constantFrom(...LINK_TYPES),
        fc.boolean(),
        fc.oneof(
          fc.record({ kind: fc.constant('raw' as const), tail: fc.uint8Array({ maxLength: 4096 }) }),
          fc.record({
            kind: fc.constant('framed' as const),
            packets: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }),
          }),
        ),
        chunkingArb,
        (format, linkType, nanos, body, chunking) => {
          const header = format === 'pcap' ? pcapHeader(linkType, nanos) : pcapngHeader(linkType);
          const bytes = concat(header, body.kind === 'raw' ? body.tail : framed(format, body.packets));
          keepFailure('random', bytes, { format, linkType, nanos, kind: body.kind, chunking }, () => {
            const out = run(bytes, chunking);
            checkInvariants(out, bytes.length);
            expect(out.summary.format).toBe(format);
            if (body.kind === 'framed') {
              expect(out.fatal).toBeNull();
              expect(out.records.map((r) => r.capturedLength)).toEqual(body.packets.map((p) => p.length));
            }
          });
        },
      ),
      { numRuns: 800, seed: 4789 },
    );
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 60_000);
});

/*
 * The smallest inputs the properties above found, kept as plain cases so each failure has a
 * name. They run through the same checks as every fuzz case.
 */
describe('inputs the fuzzer found', () => {
  const ONE_CHUNK: Chunking = { seed: 0, maxChunk: 1 << 30 };

  it('NFLOG: a TLV whose length runs past the packet is reported inside the packet', () => {
    // Header, then a TLV claiming 256 bytes (type 0) where 4 are left.
    const bytes = concat(
      pcapHeader(LinkType.NFLOG, false),
      framed('pcap', [Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0)]),
    );
    const out = run(bytes, ONE_CHUNK);
    expect(out.summary.damagedPackets).toBe(1);
    checkInvariants(out, bytes.length);
  });

  it('DNS: a question label longer than what is left is reported inside the packet', () => {
    const dns = Uint8Array.of(0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 0x61, 0x62, 0x63);
    const udp = concat(Uint8Array.of(0x9c, 0x40, 0, 53, 0, 8 + dns.length, 0, 0), dns);
    const ip = concat(
      Uint8Array.of(0x45, 0, 0, 20 + udp.length, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 10),
      udp,
    );
    const frame = concat(new Uint8Array(12), Uint8Array.of(0x08, 0x00), ip);
    const bytes = concat(pcapHeader(LinkType.ETHERNET, false), framed('pcap', [frame]));
    const out = run(bytes, ONE_CHUNK);
    expect(out.summary.layers.udp).toBe(1);
    expect(out.summary.damagedPackets).toBe(1);
    checkInvariants(out, bytes.length);
  });

  it('pcap: a snaplen of 0xffffffff and a record claiming 4 GiB, read in small chunks, do not throw', () => {
    const good = new Uint8Array(60);
    const liar = new Uint8Array(16);
    new DataView(liar.buffer).setUint32(8, 0xffffffff, true);
    new DataView(liar.buffer).setUint32(12, 0xffffffff, true);
    const bytes = concat(
      pcapHeader(LinkType.ETHERNET, false, 0xffffffff),
      framed('pcap', [good]),
      liar,
      new Uint8Array(200),
    );
    // In one chunk the reader only ever looks at the bytes it has; in chunks it must carry the record.
    for (const chunking of [ONE_CHUNK, { seed: 0, maxChunk: 64 }]) {
      const out = run(bytes, chunking);
      checkInvariants(out, bytes.length);
      expect(out.records).toHaveLength(1);
      expect(out.summary.warnings.length).toBeGreaterThan(0);
    }
  });
});
