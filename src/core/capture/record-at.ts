import { PcapReader } from './pcap.js';
import { PcapngReader } from './pcapng.js';
import type { CaptureIssue, CaptureRecord, SectionContext } from './types.js';

/** What readRecordAt found at an offset. */
export type RecordAt =
  /** The packet record, owned by the caller; its bytes point into the bytes given. */
  | { kind: 'record'; record: CaptureRecord }
  /** The bytes given hold only part of the record: it needs `need` bytes from its offset. */
  | { kind: 'short'; need: number }
  /** No packet record starts there (the file changed, or the offset is wrong); why, when known. */
  | { kind: 'none'; issue: CaptureIssue | null };

/**
 * Frames the one packet record at `fileOffset`, given the file's bytes from there on (at least
 * the whole record; bytes after it are ignored) and its section's context. No parsing of its
 * own: a fresh reader replays the section's header blocks, seeks, and frames the record exactly
 * as the streaming reader did, so timestamps, lengths, link type and interface come out the
 * same. The record is numbered `recordIndex`; its `bytes` are `bytes` itself, not a copy.
 */
export function readRecordAt(
  section: SectionContext,
  bytes: Uint8Array,
  fileOffset: number,
  recordIndex: number,
): RecordAt {
  const reader = section.format === 'pcap' ? new PcapReader() : new PcapngReader();
  for (const block of section.blocks) {
    reader.seek(block.offset, 0);
    reader.push(block.bytes);
    while (reader.next()) {
      // Header blocks hand out no packets.
    }
  }
  if (reader.fatal !== null) return { kind: 'none', issue: reader.fatal };
  reader.seek(fileOffset, recordIndex);
  reader.push(bytes);
  if (reader.next()) {
    const record = reader.record;
    // A block that is not a packet was skipped, and the packet after it handed out instead.
    if (record.fileOffset !== fileOffset) return { kind: 'none', issue: null };
    // The replayed section numbers its interfaces from 0; the file's reader counts all sections.
    record.interfaceIndex += section.firstInterface;
    return { kind: 'record', record };
  }
  if (reader.fatal !== null) return { kind: 'none', issue: reader.fatal };
  const need = reader.pendingLength();
  if (need > bytes.length) return { kind: 'short', need };
  return { kind: 'none', issue: reader.issues.length > 0 ? reader.issues[reader.issues.length - 1] : null };
}

/** The section a file offset lies in: the last one starting at or before it (null before the first). */
export function sectionAt(sections: readonly SectionContext[], fileOffset: number): SectionContext | null {
  let low = 0;
  let high = sections.length - 1;
  let found: SectionContext | null = null;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (sections[middle].offset <= fileOffset) {
      found = sections[middle];
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}
