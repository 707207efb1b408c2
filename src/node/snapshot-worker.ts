// Loads a cluster snapshot off the main thread (see loadClusterSnapshotInBackground): reading,
// JSON.parse and building the model of a large snapshot take a third of a second, which the
// main thread spends reading the capture instead.
import { parentPort, workerData } from 'node:worker_threads';
import { loadClusterSnapshot, SnapshotFileError } from './snapshot-file.js';

const { path } = workerData as { path: string };
loadClusterSnapshot(path).then(
  (snapshot) => parentPort!.postMessage({ ok: true, snapshot }),
  (error: unknown) =>
    parentPort!.postMessage({
      ok: false,
      snapshotError: error instanceof SnapshotFileError,
      path,
      message: error instanceof Error ? error.message : String(error),
    }),
);
