// A capture read in two parts at once (src/node/split-read.ts) must give exactly what one reading
// from start to end gives: the summary, every flow's JSON and every packet index row, for every
// capture of the project's fixtures and the public corpus, split at several places, and when the
// second part starts where no record does (it is then read on by the first reader).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeFileIndexed, flowWriter, type IndexedFile } from '../src/node/index.js';
import { fixtureFiles, publicFiles, readBytes, ROOT } from './support/files.js';

const SHARES = [0.2, 0.5, 0.8];

/** Everything a reading gives, as text to compare. */
function picture(file: IndexedFile): { summary: string; flows: string[]; index: string[] } {
  const writer = flowWriter(file);
  const flows = Array.from({ length: file.analysis.flows.count }, (_, id) => writer.flow(id));
  const index: string[] = [];
  const x = file.packetIndex;
  for (let n = 0; n < x.count; n++) index.push(`${x.offset(n)} ${x.time(n)} ${x.flow(n)} ${x.direction(n)}`);
  return { summary: JSON.stringify(file.summary), flows, index };
}

/** Plain pcap (2.4, 16-byte record headers): the files the two-part reading is for. */
function isPlainPcap(path: string): boolean {
  const b = readBytes(path).subarray(0, 8);
  const le = b[0] === 0xd4 || b[0] === 0x4d;
  const magic = le ? [b[3], b[2], b[1], b[0]] : [b[0], b[1], b[2], b[3]];
  const known = magic[0] === 0xa1 && magic[1] === 0xb2 && (magic[2] === 0xc3 || magic[2] === 0x3c);
  return known && b[le ? 4 : 5] === 2 && b[le ? 6 : 7] === 4;
}

const files = [...fixtureFiles(), ...publicFiles({ capturesOnly: true })].filter(isPlainPcap);

describe('a capture read in two parts', () => {
  it('gives what one reading gives, for every pcap fixture and public capture split at 20, 50 and 80%', async () => {
    expect(files.length).toBeGreaterThan(10);
    let absorbed = 0;
    let readOn = 0;
    for (const path of files) {
      const whole = picture(await analyzeFileIndexed(path));
      const size = statSync(path).size;
      for (const share of SHARES) {
        const file = await analyzeFileIndexed(path, {
          split: { at: Math.floor(size * share), inThread: true, minBytes: 0 },
        });
        const split = picture(file);
        const where = `${path} split at ${share}`;
        expect(split.summary, where).toBe(whole.summary);
        expect(split.flows, where).toEqual(whole.flows);
        expect(split.index, where).toEqual(whole.index);
        if (file.info.split?.absorbed === true) absorbed++;
        else if (file.info.split !== undefined) readOn++;
      }
    }
    console.log(`${files.length} files, ${absorbed} splits taken on, ${readOn} read on by the first reader`);
    // Splits are taken on wherever 12 records follow the split point; the checks above hold either way.
    expect(absorbed).toBeGreaterThan(files.length / 3);
  }, 600_000);

  it('reads on itself when the second part did not start at a record', async () => {
    const path = files.find((f) => statSync(f).size > 20_000)!;
    const whole = picture(await analyzeFileIndexed(path));
    const size = statSync(path).size;
    const boundary = whole.index.map((row) => Number(row.split(' ')[0])).find((offset) => offset > size / 2)!;
    for (const start of [boundary + 1, boundary - 5, boundary + 16]) {
      const file = await analyzeFileIndexed(path, { split: { start, inThread: true, minBytes: 0 } });
      expect(file.info.split).toEqual({ at: start, absorbed: false });
      expect(picture(file)).toEqual(whole);
    }
    const file = await analyzeFileIndexed(path, { split: { start: boundary, inThread: true, minBytes: 0 } });
    expect(file.info.split).toEqual({ at: boundary, absorbed: true });
    expect(picture(file)).toEqual(whole);
  });

  it('gives the same on a second thread (the compiled worker)', async () => {
    const dist = (await import(
      pathToFileURL(join(ROOT, 'dist/node/index.js')).href
    )) as typeof import('../src/node/index.js');
    let absorbed = 0;
    for (const path of files.filter((f) => statSync(f).size > 50_000).slice(0, 6)) {
      const whole = picture(await dist.analyzeFileIndexed(path));
      const file = await dist.analyzeFileIndexed(path, { split: { minBytes: 0 } });
      expect(picture(file), path).toEqual(whole);
      if (file.info.split?.absorbed === true) absorbed++;
    }
    expect(absorbed).toBeGreaterThan(0);
  });
});
