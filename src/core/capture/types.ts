import type { TextParams, WarningCode } from '../text/index.js';

/** 'pcap' (libpcap savefile, any magic) or 'pcapng'. */
export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * One captured packet, handed out by a reader's `next()`.
 *
 * Zero-copy: `bytes` is either the chunk last given to `push()` or the reader's own carry
 * buffer (for a record that straddled two chunks). The record, and the bytes it points at,
 * are valid only until the next call to `next()` or `push()`. Copy what you keep.
 */
export class CaptureRecord {
  /** The buffer holding the packet; the packet is `bytes[start, start + capturedLength)`. */
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  capturedLength = 0;
  /** Length on the wire; larger than `capturedLength` when the snaplen cut the packet. */
  originalLength = 0;
  /** Whole seconds since 1970-01-01T00:00:00Z (if_tsoffset applied). */
  tsSeconds = 0;
  /** Nanoseconds within the second, 0..999999999. */
  tsNanos = 0;
  /** False for pcapng Simple Packet Blocks, which carry no timestamp. */
  hasTimestamp = true;
  /** Index into the reader's `interfaces`, counted across all pcapng sections. */
  interfaceIndex = 0;
  linkType = 0;
  /** Bytes of frame check sequence at the end of the packet (pcap FCS bits, pcapng if_fcslen). */
  fcsLength = 0;
  /** Offset of the record's header (pcap) or block (pcapng) in the uncompressed file. */
  fileOffset = 0;
  /** Offset of the packet's first byte in the uncompressed file (for pointing at bad bytes). */
  dataOffset = 0;
  /** 0-based number of this record among the packets of the file. */
  index = -1;
  /** pcapng: the packet block's options, `bytes[optionsStart, optionsEnd)`; empty for pcap. */
  optionsStart = 0;
  optionsEnd = 0;
  /** pcapng: the section's byte order, needed to read the options. */
  littleEndian = true;
}

/** One capture interface: the single pcap header, or a pcapng Interface Description Block. */
export interface InterfaceInfo {
  /** Position in the reader's `interfaces`. */
  index: number;
  /** pcapng section (0-based) the interface belongs to; 0 for pcap. */
  section: number;
  /** Interface id within its section, as Enhanced Packet Blocks refer to it. */
  idInSection: number;
  linkType: number;
  snapLength: number;
  /** if_name, if_description and opt_comment, when the file records them. */
  name: string | null;
  description: string | null;
  comment: string | null;
  /** Timestamp units per second (1e6 for microseconds, 1e9 for nanoseconds, 256 for 2^-8...). */
  unitsPerSecond: number;
  /** Decimal digits needed to print a timestamp at this resolution (6 for µs, 9 for ns). */
  precisionDigits: number;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffsetSeconds: number;
  fcsLength: number;
}

/**
 * Something wrong in the file: a warning (reading went on) or, with `fatal`, the reason
 * reading stopped. `offset` is the byte offset in the uncompressed file.
 */
export interface CaptureIssue {
  offset: number;
  /** Index of the record concerned, or of the next record when the damage stopped reading. */
  recordIndex: number;
  kind: CaptureIssueKind;
  message: string;
  fatal: boolean;
  /** The message as data, for the UI's catalogs: `message` is `warningText(code, params)`. */
  code?: WarningCode;
  params?: TextParams;
}

export type CaptureIssueKind =
  | 'not-a-capture'
  | 'unsupported-version'
  | 'bad-header'
  | 'bad-length'
  | 'length-over-snaplen'
  | 'captured-over-original'
  | 'bad-timestamp'
  | 'bad-block'
  | 'bad-interface'
  | 'truncated'
  | 'empty';

/**
 * What framing one packet record needs besides its own bytes (see readRecordAt): copies of the
 * pcap file header, or of a pcapng section's Section Header and Interface Description Blocks
 * (its byte order, link types, timestamp resolutions and offsets). A file has one per section,
 * and sections are few: a pcap file has one, most pcapng files one.
 */
export interface SectionContext {
  format: CaptureFormat;
  /** File offset of the file header (pcap) or Section Header Block (pcapng): the section starts here. */
  offset: number;
  /** Index in the reader's `interfaces` of the section's first interface. */
  firstInterface: number;
  /** The header blocks, copied, in file order, each with its file offset. Grows while IDBs arrive. */
  blocks: { offset: number; bytes: Uint8Array }[];
}

/** What every capture reader offers; see CaptureReader for the format-sniffing front. */
export interface RecordSource {
  readonly record: CaptureRecord;
  readonly interfaces: InterfaceInfo[];
  readonly issues: CaptureIssue[];
  /** Set once reading cannot go on; the records before it were all handed out. */
  readonly fatal: CaptureIssue | null;
  /** Records handed out so far. */
  readonly recordCount: number;
  push(chunk: Uint8Array): void;
  next(): boolean;
  end(): void;
}
