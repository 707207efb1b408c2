// The second reading thread of a capture read in two parts (see split-read.ts): reads the file
// from the boundary it is given to the end and sends back what it found, its arrays transferred.
import { parentPort, workerData } from 'node:worker_threads';
import { readPart, type SplitJob, type SplitResult } from './split-read.js';

const result: SplitResult = await readPart(workerData as SplitJob);
const transfer: ArrayBuffer[] = [];
const parts = result.parts;
if (parts !== null) {
  const f = parts.flows;
  for (const a of [
    f.keys,
    f.stats,
    f.orientations,
    f.firstRecords,
    f.deeperVni,
    parts.maskCounts,
    parts.tunnelStats,
  ])
    transfer.push(a.buffer as ArrayBuffer);
}
for (const chunk of result.index?.chunks ?? []) transfer.push(chunk.buffer as ArrayBuffer);
parentPort!.postMessage(result, transfer);
