// The Session's thread (see session-host.ts): answers the host's calls and passes its events on.
import { parentPort, workerData } from 'node:worker_threads';
import type { HostMessage, HostRequest } from './session-host.js';
import { Session, type SessionOptions } from './session.js';

const port = parentPort!;
const session = new Session(workerData as SessionOptions);
const post = (message: HostMessage): void => port.postMessage(message);

session.subscribe((event) => post({ type: 'event', event }));
port.on('message', (request: HostRequest) => {
  session.call(request.method, request.args).then(
    (value) => post({ type: 'reply', id: request.id, ok: true, value }),
    (error: unknown) =>
      post({
        type: 'reply',
        id: request.id,
        ok: false,
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
