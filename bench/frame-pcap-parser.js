#!/usr/bin/env node
// Baseline framing: the npm package pcap-parser, used as its README shows (a file path, so
// fs.createReadStream's 64 KiB chunks), counting 'packet' events.
// Prints {"packets": N, "capturedBytes": S}.
//   node bench/frame-pcap-parser.js FILE
import pcapp from 'pcap-parser';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/frame-pcap-parser.js FILE\n');
  process.exit(2);
}

let packets = 0;
let capturedBytes = 0;
const parser = pcapp.parse(file);
parser.on('packet', (packet) => {
  packets++;
  capturedBytes += packet.header.capturedLength;
});
parser.on('error', (err) => {
  process.stderr.write(`pcap-parser: ${err.message}\n`);
  process.exitCode = 1;
});
parser.on('end', () => {
  process.stdout.write(JSON.stringify({ packets, capturedBytes }) + '\n');
});
