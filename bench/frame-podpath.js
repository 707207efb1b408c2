#!/usr/bin/env node
// Framing only: podpath's CaptureReader over one reused buffer (512 KiB by default), counting records.
// Prints {"packets": N, "capturedBytes": S, "issues": I}; the harness checks them against the sidecar.
//   node bench/frame-podpath.js FILE
import fs from 'node:fs';
import { CaptureReader } from '../dist/core/capture/index.js';

// 512 KiB, as podpath reads, unless the harness says otherwise (--chunk-kib)
const CHUNK = Number(process.env.PODPATH_BENCH_CHUNK_KIB || 512) * 1024;
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/frame-podpath.js FILE\n');
  process.exit(2);
}

const buffer = new Uint8Array(CHUNK);
const fd = fs.openSync(file, 'r');
const reader = new CaptureReader();
let packets = 0;
let capturedBytes = 0;
for (;;) {
  const n = fs.readSync(fd, buffer, 0, CHUNK, null);
  if (n === 0) break;
  // The chunk may be overwritten as soon as next() returns false: refill only then.
  reader.push(n === CHUNK ? buffer : buffer.subarray(0, n));
  // The front hands out its format reader's record, which exists once the magic was seen.
  const record = reader.record;
  while (reader.next()) {
    packets++;
    capturedBytes += record.capturedLength;
  }
}
fs.closeSync(fd);
reader.end();
// A clean capture gives no warnings; any is a reader bug, so the harness fails the row.
for (const issue of reader.issues.slice(0, 5))
  process.stderr.write(`podpath: ${issue.kind} at byte ${issue.offset}: ${issue.message}\n`);
if (reader.fatal) {
  process.stderr.write(
    `podpath: fatal ${reader.fatal.kind} at byte ${reader.fatal.offset}: ${reader.fatal.message}\n`,
  );
  process.exitCode = 1;
}
process.stdout.write(JSON.stringify({ packets, capturedBytes, issues: reader.issues.length }) + '\n');
