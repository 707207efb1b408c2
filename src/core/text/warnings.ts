import { fillTemplate, type TextCatalog, type TextParams } from './template.js';

/**
 * The English of capture warnings (`CaptureIssue.message`, `CaptureWarning.message`), by code.
 * src/renderer/locales/en.json holds the same object as its "warning" section, and ko.json
 * the same keys in Korean; the test checks both. Hex values come without their "0x".
 */
export const WARNING_TEXT = {
  // Framing: the file ends inside a unit.
  cutRecord:
    'the capture ends in the middle of a record: {{have}} of {{need}} bytes at offset {{offset}} (tcpdump stopped mid-write?)',
  cutFileHeader:
    'the capture ends in the middle of a file header: {{have}} of {{need}} bytes at offset {{offset}} (tcpdump stopped mid-write?)',
  cutBlock:
    'the capture ends in the middle of a block: {{have}} of {{need}} bytes at offset {{offset}} (tcpdump stopped mid-write?)',
  // Not a capture.
  fileEmpty: 'the file is empty',
  fileTooShort: 'the file is {{length}} bytes long, too short for a capture header',
  gzipCompressed: 'the data is gzip-compressed: decompress it before reading (the Node layer does this)',
  notACapture:
    'not a pcap or pcapng capture: it starts with {{start}}, which is neither a pcap magic (a1b2c3d4, a1b23c4d) nor a pcapng section header (0a0d0d0a)',
  // pcap.
  pcapEmpty: 'the file is empty: no pcap header',
  pcapVersionUnsupported: 'unsupported pcap version {{major}}.{{minor}} (only 2.x exists)',
  pcapVersionUnusual: 'pcap version 2.{{minor}} (expected 2.4); reading on',
  linkTypeReservedBits: 'the link-type field 0x{{field}} has reserved bits set (0x{{bits}})',
  recordTooLong:
    'record {{record}} at offset {{offset}} claims {{captured}} captured bytes, more than the maximum {{maximum}} (snaplen {{snaplen}}): the file is damaged here, reading stopped',
  recordOverSnaplen: 'record length {{captured}} exceeds snaplen {{snaplen}}',
  capturedOverOriginal:
    'record {{record}} has {{captured}} captured bytes but an original length of {{original}}',
  timestampFraction:
    'record {{record}} has a timestamp fraction of {{fraction}} ({{unit}}), not below one second',
  // pcapng.
  pcapngEmpty: 'the file is empty: no pcapng section header',
  pcapngVersionUnsupported:
    'pcapng section {{section}} at offset {{offset}} has version {{major}}.{{minor}}, which no reader supports (only 1.0)',
  sectionByteOrder:
    'section header block at offset {{offset}} has byte-order magic 0x{{magic}}, not 0x1a2b3c4d',
  blockBeforeSection: 'block at offset {{offset}} comes before any section header block',
  blockLengthImpossible:
    'block of type 0x{{type}} at offset {{offset}} has an impossible length {{length}}: the file is damaged here, reading stopped',
  blockTrailerMismatch:
    'block at offset {{offset}}: total length {{length}} in its header but {{trailer}} in its trailer: the file is damaged here, reading stopped',
  enhancedPacketShort: 'enhanced packet block of {{length}} bytes is too short; block skipped',
  enhancedPacketOverrun:
    'enhanced packet block at offset {{offset}} claims {{captured}} captured bytes but holds only {{holds}}; block skipped',
  packetBlockShort: 'packet block of {{length}} bytes is too short; block skipped',
  packetBlockOverrun:
    'packet block at offset {{offset}} claims {{captured}} captured bytes but holds only {{holds}}; block skipped',
  simplePacketShort: 'simple packet block of {{length}} bytes is too short; block skipped',
  unknownInterface:
    'packet block at offset {{offset}} refers to interface {{interface}}, but section {{section}} describes {{interfaces}}; block skipped',
  interfaceBlockShort: 'interface description block of {{length}} bytes is too short',
  optionOverrun:
    'option {{option}} of the block at offset {{offset}} claims {{length}} bytes, past the end of the block; its options were ignored from there',
  // Analysis.
  moreWarnings: '{{dropped}} more warnings like the above were not listed',
  packetTruncated:
    'record {{record}}: {{layer}} header cut short at packet byte {{at}}: needs {{need}} bytes, {{have}} there (limited by {{lengthFrom}})',
  packetTruncatedSnaplen:
    'record {{record}}: {{layer}} header cut short at packet byte {{at}}: needs {{need}} bytes, {{have}} there (limited by the captured length (snaplen))',
  packetsTruncated:
    '{{packets}} packets truncated at {{layer}}; the first: record {{record}}: {{layer}} header cut short at packet byte {{at}}: needs {{need}} bytes, {{have}} there (limited by {{lengthFrom}})',
  packetsTruncatedSnaplen:
    '{{packets}} packets truncated at {{layer}}; the first: record {{record}}: {{layer}} header cut short at packet byte {{at}}: needs {{need}} bytes, {{have}} there (limited by the captured length (snaplen))',
  unknownLinkType: '{{packets}} packets of link type {{name}} ({{linkType}}), which podpath does not decode',
  // Reading the file (src/node).
  gzipDamaged: 'the gzip stream ends early or is damaged after {{bytes}} uncompressed bytes: {{reason}}',
  readingCancelled: 'reading was cancelled after {{bytes}} bytes',
} as const satisfies TextCatalog;

export type WarningCode = keyof typeof WARNING_TEXT;

/** Every code a capture warning can have (warnings without a code carry only their English). */
export const WARNING_CODES = Object.keys(WARNING_TEXT) as WarningCode[];

const ROOT: TextCatalog = { warning: WARNING_TEXT };

/** The English of a warning fact. */
export function warningText(code: WarningCode, params: TextParams): string {
  return fillTemplate(ROOT, `warning.${code}`, params);
}
