// A reading thread of `podpath analyze` (see analyze-many.ts): reads the captures it is given in
// turn, says how each went, and sends a capture's flows a batch at a time when asked, each batch
// when the last one was written. A capture is let go once its flows were sent or dropped.
import { parentPort } from 'node:worker_threads';
import type { AnalyzedFile } from './analyze-file.js';
import { analyzeHere, flowBatches, type FromWorker, type ToWorker } from './analyze-many.js';

const port = parentPort!;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
const files = new Map<number, AnalyzedFile>();
const sending = new Map<number, Generator<Uint8Array>>();
// Captures are read one after another: a thread is one core's worth of reading.
let reading: Promise<void> = Promise.resolve();

function sendNext(key: number): void {
  let batches = sending.get(key);
  if (batches === undefined) {
    const file = files.get(key);
    if (file === undefined) {
      post({ type: 'end', key });
      return;
    }
    batches = flowBatches(file);
    sending.set(key, batches);
  }
  const next = batches.next();
  if (next.done === true) {
    sending.delete(key);
    files.delete(key);
    post({ type: 'end', key });
    return;
  }
  post({ type: 'batch', key, bytes: next.value }, [next.value.buffer as ArrayBuffer]);
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'analyze':
      reading = reading.then(async () => {
        const { head, file } = await analyzeHere(message.job);
        if (file !== null && head.ok) files.set(message.key, file);
        post({ type: 'head', key: message.key, head });
      });
      break;
    case 'flows':
    case 'more':
      // A capture still being read is sent once it is.
      void reading.then(() => sendNext(message.key));
      break;
    case 'drop':
      files.delete(message.key);
      sending.delete(message.key);
      break;
  }
});
