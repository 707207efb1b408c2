// What a capture record says, bytes and options included, as one string: to compare a record
// framed at random (readRecordAt, the packet index) with the one the streaming reader gave.
import type { CaptureRecord } from '../../src/core/capture/index.js';

export function recordFacts(r: CaptureRecord): string {
  const data = Buffer.from(r.bytes.subarray(r.start, r.start + r.capturedLength)).toString('base64');
  const options = Buffer.from(r.bytes.subarray(r.optionsStart, r.optionsEnd)).toString('base64');
  return [
    r.index,
    r.capturedLength,
    r.originalLength,
    r.tsSeconds,
    r.tsNanos,
    r.hasTimestamp,
    r.interfaceIndex,
    r.linkType,
    r.fcsLength,
    r.fileOffset,
    r.dataOffset,
    r.littleEndian,
    data,
    options,
  ].join(' ');
}
