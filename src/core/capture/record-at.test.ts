import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureFiles, publicFiles, readBytes } from '../../../test/support/files.js';
import { recordFacts } from '../../../test/support/records.js';
import { CaptureReader, readRecordAt, sectionAt } from './index.js';

/** Every record of a file as the streaming reader hands it out, and the file's section contexts. */
function streamed(bytes: Uint8Array) {
  const reader = new CaptureReader();
  reader.push(bytes);
  const records: { facts: string; offset: number; index: number }[] = [];
  while (reader.next())
    records.push({
      facts: recordFacts(reader.record),
      offset: reader.record.fileOffset,
      index: reader.record.index,
    });
  reader.end();
  return { records, sections: reader.sectionContexts };
}

const files = [...fixtureFiles(), ...publicFiles()];

describe('readRecordAt', () => {
  it.each(files.map((f) => [basename(f), f]))(
    '%s: frames each record alone as the stream did',
    (_name, path) => {
      const bytes = readBytes(path);
      const { records, sections } = streamed(bytes);
      for (const expected of records) {
        const offset = expected.offset;
        const section = sectionAt(sections, offset);
        expect(section).not.toBeNull();
        // The file from the record on, in a buffer of its own.
        const result = readRecordAt(section!, bytes.slice(offset), offset, expected.index);
        expect(result.kind).toBe('record');
        if (result.kind === 'record') expect(recordFacts(result.record)).toEqual(expected.facts);
      }
    },
  );

  it('asks for more bytes when given part of a record, at every length', () => {
    const path = fixtureFiles().find((f) => f.endsWith('pcapng-two-interfaces.pcapng'))!;
    const bytes = readBytes(path);
    const { records, sections } = streamed(bytes);
    for (const expected of records.slice(0, 3)) {
      const offset = expected.offset;
      const section = sectionAt(sections, offset)!;
      const length = (bytes[offset + 4] | (bytes[offset + 5] << 8)) >>> 0; // block total length
      for (let cut = 1; cut < length; cut++) {
        const result = readRecordAt(section, bytes.slice(offset, offset + cut), offset, 0);
        expect(result).toEqual({ kind: 'short', need: cut < 12 ? 12 : length });
      }
    }
  });

  it('says when no record starts at the offset', () => {
    const path = fixtureFiles().find((f) => f.endsWith('pcapng-two-interfaces.pcapng'))!;
    const bytes = readBytes(path);
    const { sections } = streamed(bytes);
    // The Section Header Block: a block, but not a packet (the packets after it are not handed out).
    expect(readRecordAt(sections[0], bytes, 0, 0)).toEqual({ kind: 'none', issue: null });
    // Inside a block: its "length" cannot be right.
    const result = readRecordAt(sections[0], bytes.slice(2), 2, 0);
    expect(result.kind).toBe('none');
    expect(sectionAt(sections, -1)).toBeNull();
  });
});
