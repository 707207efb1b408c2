#!/usr/bin/env node
// The I/O floor: reads the file into one reused buffer (512 KiB by default) and does nothing else.
// Prints {"bytes": N}; the harness checks it against the file size.
//   node bench/read-only.js FILE
import fs from 'node:fs';

// 512 KiB unless the harness says otherwise (--chunk-kib)
const CHUNK = Number(process.env.PODPATH_BENCH_CHUNK_KIB || 512) * 1024;
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/read-only.js FILE\n');
  process.exit(2);
}

const buffer = new Uint8Array(CHUNK);
const fd = fs.openSync(file, 'r');
let bytes = 0;
for (let n; (n = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0;) bytes += n;
fs.closeSync(fd);
process.stdout.write(JSON.stringify({ bytes }) + '\n');
