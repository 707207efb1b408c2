// One capture's thread (see capture-client.ts): reads it, then answers the session's calls.
import { parentPort, workerData } from 'node:worker_threads';
import type { FlowQuery } from '../api/index.js';
import type { CaptureMessage, CaptureRequest } from './capture-client.js';
import { CaptureJob, type CaptureJobOptions } from './capture-job.js';

const port = parentPort!;
const post = (message: CaptureMessage): void => port.postMessage(message);
const job = new CaptureJob(workerData as CaptureJobOptions, (event) => post({ type: 'event', event }));

port.on('message', (request: CaptureRequest) => {
  if (request.method === 'cancel') {
    job.cancel();
    return;
  }
  const [a = 0, b = 0, c = 0] = request.args as number[];
  const work = (): unknown =>
    request.method === 'rows'
      ? job.rows()
      : request.method === 'page'
        ? job.page(request.args[0] as FlowQuery)
        : request.method === 'charts'
          ? job.chartsView()
          : request.method === 'packets'
            ? job.packets(a, b, c)
            : job.exportPackets(a);
  Promise.resolve()
    .then(work)
    .then(
      (value) => post({ type: 'reply', id: request.id, ok: true, value }),
      (error: unknown) =>
        post({
          type: 'reply',
          id: request.id,
          ok: false,
          message: error instanceof Error ? error.message : String(error),
        }),
    );
});
