import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../src/core/capture/index.js';
import { fixtureFiles, publicFiles, readBytes } from './support/files.js';

// pcap-parser (npm), the project's baseline, as a second opinion on record framing.
const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as {
  parse(input: NodeJS.ReadableStream): NodeJS.EventEmitter;
};

interface Framed {
  microseconds: number;
  capturedLength: number;
  originalLength: number;
  data: string;
}

function theirs(path: string): Promise<Framed[]> {
  return new Promise((resolve, reject) => {
    const out: Framed[] = [];
    const parser = pcapParser.parse(createReadStream(path));
    parser.on('packet', (p: { header: Record<string, number>; data: Buffer }) => {
      out.push({
        microseconds: p.header.timestampSeconds * 1e6 + p.header.timestampMicroseconds,
        capturedLength: p.header.capturedLength,
        originalLength: p.header.originalLength,
        data: p.data.toString('hex'),
      });
    });
    parser.on('end', () => resolve(out));
    parser.on('error', reject);
  });
}

function ours(path: string): { records: Framed[]; stopped: boolean } {
  const reader = new CaptureReader();
  const records: Framed[] = [];
  reader.push(readBytes(path));
  while (reader.next()) {
    const r = reader.record;
    records.push({
      microseconds: r.tsSeconds * 1e6 + r.tsNanos / 1000,
      capturedLength: r.capturedLength,
      originalLength: r.originalLength,
      data: Buffer.from(r.bytes.subarray(r.start, r.start + r.capturedLength)).toString('hex'),
    });
  }
  reader.end();
  return { records, stopped: reader.fatal !== null };
}

/** pcap-parser reads version 2.4 microsecond files only (magic a1b2c3d4, either order). */
function parserCanRead(path: string): boolean {
  const b = readBytes(path);
  if (b.length < 24) return false;
  const le = b[0] === 0xd4 && b[1] === 0xc3 && b[2] === 0xb2 && b[3] === 0xa1;
  const be = b[0] === 0xa1 && b[1] === 0xb2 && b[2] === 0xc3 && b[3] === 0xd4;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return (le || be) && view.getUint16(4, le) === 2 && view.getUint16(6, le) === 4;
}

const files = [...fixtureFiles(), ...publicFiles()].filter(parserCanRead);

describe('pcap-parser agrees on record framing', () => {
  it('has pcap files to compare', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [basename(f), f]))('%s', async (_name, path) => {
    const expected = await theirs(path);
    const got = ours(path);
    if (got.stopped) {
      // Where we stop at an impossible length, pcap-parser reads on into garbage (or waits for
      // bytes that never come): the records up to that point must still agree.
      expect(got.records).toEqual(expected.slice(0, got.records.length));
    } else {
      expect(got.records).toEqual(expected);
    }
  });
});
