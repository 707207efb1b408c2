import { Status, type DecodeStop, malformed, truncated } from './stop.js';

/*
 * DNS message header and first question, RFC 1035 §4.1:
 *   |                      ID                       |
 *   |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 *   |                    QDCOUNT                    |
 *   |                    ANCOUNT                    |
 *   |                    NSCOUNT                    |
 *   |                    ARCOUNT                    |
 *   | QNAME (labels) | QTYPE | QCLASS |
 * Over TCP each message is preceded by a two-byte length (§4.2.2).
 */
export const DNS_HEADER_LENGTH = 12;
const MAX_NAME_LENGTH = 255;

export class DnsFields {
  /** Offset of the message (after the TCP length prefix), which compression pointers count from. */
  messageStart = 0;
  messageEnd = 0;
  isTcp = false;
  id = 0;
  flags = 0;
  isResponse = false;
  opcode = 0;
  rcode = 0;
  questionCount = 0;
  answerCount = 0;
  authorityCount = 0;
  additionalCount = 0;
  /** Where the first question's name starts (for dnsQuestionName), or -1 when there is none. */
  nameStart = -1;
  questionType = 0;
  questionClass = 0;
}

export function decodeDns(
  b: Uint8Array,
  at: number,
  end: number,
  out: DnsFields,
  stop: DecodeStop,
  isTcp: boolean,
  endFrom: string,
): number {
  let start = at;
  out.isTcp = isTcp;
  if (isTcp) {
    if (end - at < 2) return truncated(stop, 'dns', at, 2, end - at, endFrom);
    const length = (b[at] << 8) | b[at + 1];
    start = at + 2;
    out.messageEnd = Math.min(end, start + length);
  } else {
    out.messageEnd = end;
  }
  const stopAt = out.messageEnd;
  if (stopAt - start < DNS_HEADER_LENGTH)
    return truncated(stop, 'dns', start, DNS_HEADER_LENGTH, stopAt - start, endFrom);
  out.messageStart = start;
  out.id = (b[start] << 8) | b[start + 1];
  const flags = (b[start + 2] << 8) | b[start + 3];
  out.flags = flags;
  out.isResponse = (flags & 0x8000) !== 0;
  out.opcode = (flags >>> 11) & 0x0f;
  out.rcode = flags & 0x0f;
  out.questionCount = (b[start + 4] << 8) | b[start + 5];
  out.answerCount = (b[start + 6] << 8) | b[start + 7];
  out.authorityCount = (b[start + 8] << 8) | b[start + 9];
  out.additionalCount = (b[start + 10] << 8) | b[start + 11];
  out.nameStart = -1;
  out.questionType = 0;
  out.questionClass = 0;
  if (out.questionCount === 0) return Status.OK;
  // Walk the first name to find QTYPE; names are only turned into text on demand.
  const nameStart = start + DNS_HEADER_LENGTH;
  let cursor = nameStart;
  for (let total = 0; ;) {
    if (cursor >= stopAt) return truncated(stop, 'dns', cursor, 1, 0, endFrom);
    const length = b[cursor];
    if (length === 0) {
      cursor++;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      // A compression pointer ends the name in the message; a question rarely has one.
      if (cursor + 2 > stopAt) return truncated(stop, 'dns', cursor, 2, stopAt - cursor, endFrom);
      cursor += 2;
      break;
    }
    if ((length & 0xc0) !== 0) return malformed(stop, 'dns', cursor, 'label type is reserved', length);
    if (cursor + 1 + length > stopAt)
      return truncated(stop, 'dns', cursor, length + 1, stopAt - cursor, endFrom);
    total += length + 1;
    if (total > MAX_NAME_LENGTH) return malformed(stop, 'dns', cursor, 'name longer than 255 bytes', total);
    cursor += length + 1;
  }
  out.nameStart = nameStart;
  if (stopAt - cursor < 4) return truncated(stop, 'dns', cursor, 4, stopAt - cursor, endFrom);
  out.questionType = (b[cursor] << 8) | b[cursor + 1];
  out.questionClass = (b[cursor + 2] << 8) | b[cursor + 3];
  return Status.OK;
}

/** The first question's name as text ("web.default.svc.cluster.local"; "<Root>" for the root). */
export function dnsQuestionName(b: Uint8Array, dns: DnsFields): string | null {
  if (dns.nameStart < 0) return null;
  const labels: string[] = [];
  let cursor = dns.nameStart;
  let jumps = 0;
  let total = 0;
  while (cursor < dns.messageEnd) {
    const length = b[cursor];
    if (length === 0) break;
    if ((length & 0xc0) === 0xc0) {
      if (cursor + 1 >= dns.messageEnd || ++jumps > 16) return null;
      cursor = dns.messageStart + (((length & 0x3f) << 8) | b[cursor + 1]);
      continue;
    }
    if (cursor + 1 + length > dns.messageEnd) return null;
    let label = '';
    for (let i = cursor + 1; i <= cursor + length; i++) {
      const c = b[i];
      // Printable ASCII as is; anything else escaped as \DDD, the zone-file convention.
      label +=
        c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c
          ? String.fromCharCode(c)
          : `\\${String(c).padStart(3, '0')}`;
    }
    labels.push(label);
    total += length + 1;
    if (total > MAX_NAME_LENGTH) return null;
    cursor += length + 1;
  }
  return labels.length === 0 ? '<Root>' : labels.join('.');
}

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  41: 'OPT',
  65: 'HTTPS',
  255: 'ANY',
};

export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function dnsRcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}
