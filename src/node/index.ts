export {
  readCaptureFile,
  CaptureFileError,
  DEFAULT_CHUNK_SIZE,
  type CaptureFileInfo,
  type ReadOptions,
} from './capture-file.js';
export { analyzeFile, fileFlows, flowWriter, topFlows, type AnalyzedFile } from './analyze-file.js';
export {
  clusterIndexOf,
  loadClusterSnapshot,
  loadClusterSnapshotInBackground,
  readSnapshotDocuments,
  SnapshotFileError,
  type SnapshotDocument,
} from './snapshot-file.js';
export {
  analyzeFileIndexed,
  packetPageAt,
  packetRowsAt,
  RandomAccessError,
  readPacketsAt,
  supportsRandomAccess,
  type IndexedFile,
  type PacketRowOptions,
} from './packet-index.js';
