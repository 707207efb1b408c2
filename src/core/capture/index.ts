export { CaptureReader, type ReaderTail } from './reader.js';
export { PcapReader, MAX_RECORD_LENGTH } from './pcap.js';
export { PcapngReader, packetComments, packetDirection } from './pcapng.js';
export { CaptureRecord } from './types.js';
export type {
  CaptureFormat,
  CaptureIssue,
  CaptureIssueKind,
  InterfaceInfo,
  RecordSource,
  SectionContext,
} from './types.js';
export { readRecordAt, sectionAt, type RecordAt } from './record-at.js';
export * from './link-types.js';
export { formatTimestamp, isIsoSecond, precisionDigits, wholeSecond } from './timestamp.js';
export { utf8 } from './text.js';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.js';
export { guessPcapBoundary } from './resync.js';
