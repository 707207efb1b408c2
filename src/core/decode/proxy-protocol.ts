import { Status, type DecodeStop, malformed, truncated } from './stop.js';

/*
 * PROXY protocol, HAProxy's spec (https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt).
 * A proxying load balancer (an AWS NLB with IP targets and proxy_protocol_v2, HAProxy with
 * send-proxy) writes it at the very start of its TCP stream to the backend, before the
 * client's bytes: the only place the real client address survives.
 *
 * Version 1, §2.1: one US-ASCII line of at most 107 bytes, CRLF included:
 *   PROXY TCP4 203.0.113.20 192.168.10.50 41001 81\r\n
 *   PROXY TCP6 <source> <destination> <source port> <destination port>\r\n
 *   PROXY UNKNOWN[ anything]\r\n
 *
 * Version 2, §2.2:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |                                                               |
 *   +    Signature 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A (12 bytes)   +
 *   |                                                               |
 *   |Version|Command| Family|Transp.|            Length             |
 *   | Addresses (INET 4+4+2+2, INET6 16+16+2+2, UNIX 108+108)...    |
 *   | TLVs ... up to Length bytes after the 16-byte fixed part      |
 * Version 2; command LOCAL 0 (health checks: no addresses) or PROXY 1; family UNSPEC 0,
 * INET 1, INET6 2, UNIX 3; transport UNSPEC 0, STREAM 1, DGRAM 2.
 */
export const PROXY_V2_SIGNATURE = new Uint8Array([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
export const PROXY_V2_FIXED_LENGTH = 16;
/** The longest v1 line, CRLF included: "PROXY UNKNOWN" with two full IPv6 addresses and ports. */
export const PROXY_V1_MAX_LENGTH = 107;
/** The shortest v1 line: "PROXY UNKNOWN\r\n". */
export const PROXY_V1_MIN_LENGTH = 15;

/**
 * decodeProxyProtocol's answer when the bytes do not start like a PROXY header, which is what
 * nearly every stream does. Distinct from every Status code.
 */
export const PROXY_ABSENT = -1;

/** "PROXY ": v1 starts with the word and exactly one space. */
const V1_PREFIX = new Uint8Array([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]);
const V1_TCP4 = new Uint8Array([0x54, 0x43, 0x50, 0x34, 0x20]);
const V1_TCP6 = new Uint8Array([0x54, 0x43, 0x50, 0x36, 0x20]);
const V1_UNKNOWN = new Uint8Array([0x55, 0x4e, 0x4b, 0x4e, 0x4f, 0x57, 0x4e]);

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const DOT = 0x2e;
const COLON = 0x3a;
const ZERO = 0x30;

const COMMAND_LOCAL = 0;
const COMMAND_PROXY = 1;
const FAMILY_INET = 1;
const FAMILY_INET6 = 2;
const FAMILY_UNIX = 3;
const TRANSPORT_STREAM = 1;
const TRANSPORT_DGRAM = 2;

export class ProxyProtocolFields {
  /** 1 (text line) or 2 (binary). */
  version = 0;
  /** A v2 LOCAL command: the proxy's own connection (a health check), so no addresses. */
  isLocal = false;
  /** 4 or 6; 0 for UNKNOWN (v1), UNSPEC, UNIX and LOCAL (v2). */
  family = 0;
  /** IP protocol number: 6 TCP, 17 UDP, 0 unknown. */
  transport = 0;
  /** The real client, laid out as IpFields addresses: IPv4 in word 0, IPv6 in 4 big-endian words. */
  readonly source = new Uint32Array(4);
  /** The address the client connected to (the load balancer's listener). */
  readonly destination = new Uint32Array(4);
  sourcePort = 0;
  destinationPort = 0;
  /** Bytes of the whole header (v2 TLVs included) from its start: the proxied payload follows. */
  headerLength = 0;
}

/**
 * Decodes a PROXY header starting at `at`. Call it on the first bytes of a TCP stream: the
 * header is only valid there, and a short segment elsewhere ("\r\n", "P") would look cut.
 *
 * Returns Status.OK with `out` filled; PROXY_ABSENT when the bytes do not start like a header
 * (decided on the first byte for almost any payload, with nothing written anywhere); and,
 * once the bytes so far match the v2 signature or "PROXY " (at least one byte), either
 * Status.TRUNCATED (`stop` says the bytes needed from `at`, lengthFrom 'proxy.v2.fixed',
 * 'proxy.v2.length' or 'proxy.v1.line') or Status.MALFORMED. On anything but OK `out` may
 * be partly written.
 *
 * For v1 a cut line has no length to say how much is missing, so `need` is the least that
 * could complete it: the CRLF (or just its LF), and at least the 15 bytes of "PROXY UNKNOWN\r\n".
 */
export function decodeProxyProtocol(
  b: Uint8Array,
  at: number,
  end: number,
  out: ProxyProtocolFields,
  stop: DecodeStop,
): number {
  if (at >= end) return PROXY_ABSENT;
  const first = b[at];
  if (first === PROXY_V2_SIGNATURE[0]) return decodeVersion2(b, at, end, out, stop);
  if (first === V1_PREFIX[0]) return decodeVersion1(b, at, end, out, stop);
  return PROXY_ABSENT;
}

function decodeVersion2(
  b: Uint8Array,
  at: number,
  end: number,
  out: ProxyProtocolFields,
  stop: DecodeStop,
): number {
  const available = end - at;
  const signatureLength = PROXY_V2_SIGNATURE.length;
  for (let i = 1; i < signatureLength && i < available; i++) {
    if (b[at + i] !== PROXY_V2_SIGNATURE[i]) return PROXY_ABSENT;
  }
  if (available < PROXY_V2_FIXED_LENGTH) {
    return truncated(stop, 'proxy', at, PROXY_V2_FIXED_LENGTH, available, 'proxy.v2.fixed');
  }
  const versionCommand = b[at + 12];
  if (versionCommand >>> 4 !== 2)
    return malformed(stop, 'proxy', at + 12, 'version is not 2', versionCommand >>> 4);
  const command = versionCommand & 0x0f;
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) {
    return malformed(stop, 'proxy', at + 12, 'command is not LOCAL or PROXY', command);
  }
  const familyTransport = b[at + 13];
  const length = (b[at + 14] << 8) | b[at + 15];
  let family = 0;
  let transport = 0;
  let addressLength = 0;
  // LOCAL: "discard the protocol block including the family which is ignored" (§2.2).
  if (command === COMMAND_PROXY) {
    const addressFamily = familyTransport >>> 4;
    const socketType = familyTransport & 0x0f;
    if (addressFamily > FAMILY_UNIX) {
      return malformed(
        stop,
        'proxy',
        at + 13,
        'address family is not UNSPEC, INET, INET6 or UNIX',
        addressFamily,
      );
    }
    if (socketType > TRANSPORT_DGRAM) {
      return malformed(stop, 'proxy', at + 13, 'transport is not UNSPEC, STREAM or DGRAM', socketType);
    }
    // Other valid combinations (UNSPEC, UNIX, INET with UNSPEC transport) fall back to UNSPEC,
    // as the spec lets receivers do: their addresses are skipped by the length.
    if (socketType !== 0 && (addressFamily === FAMILY_INET || addressFamily === FAMILY_INET6)) {
      family = addressFamily === FAMILY_INET ? 4 : 6;
      transport = socketType === TRANSPORT_STREAM ? 6 : 17;
      addressLength = family === 4 ? 12 : 36;
    }
  }
  if (length < addressLength) {
    return malformed(stop, 'proxy', at + 14, 'length below the address block', length);
  }
  const headerLength = PROXY_V2_FIXED_LENGTH + length;
  if (available < headerLength) {
    return truncated(stop, 'proxy', at, headerLength, available, 'proxy.v2.length');
  }
  out.version = 2;
  out.isLocal = command === COMMAND_LOCAL;
  out.family = family;
  out.transport = transport;
  out.headerLength = headerLength;
  const s = out.source;
  const d = out.destination;
  s.fill(0);
  d.fill(0);
  const a = at + PROXY_V2_FIXED_LENGTH;
  if (family === 4) {
    s[0] = readWord(b, a);
    d[0] = readWord(b, a + 4);
    out.sourcePort = (b[a + 8] << 8) | b[a + 9];
    out.destinationPort = (b[a + 10] << 8) | b[a + 11];
  } else if (family === 6) {
    for (let i = 0; i < 4; i++) {
      s[i] = readWord(b, a + i * 4);
      d[i] = readWord(b, a + 16 + i * 4);
    }
    out.sourcePort = (b[a + 32] << 8) | b[a + 33];
    out.destinationPort = (b[a + 34] << 8) | b[a + 35];
  } else {
    out.sourcePort = 0;
    out.destinationPort = 0;
  }
  return Status.OK;
}

function readWord(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function decodeVersion1(
  b: Uint8Array,
  at: number,
  end: number,
  out: ProxyProtocolFields,
  stop: DecodeStop,
): number {
  const available = end - at;
  const prefixLength = V1_PREFIX.length;
  for (let i = 1; i < prefixLength && i < available; i++) {
    if (b[at + i] !== V1_PREFIX[i]) return PROXY_ABSENT;
  }
  // The receiver waits for the CRLF before parsing, and gives up after 107 bytes (§2.1).
  const limit = Math.min(end, at + PROXY_V1_MAX_LENGTH - 1);
  let lineEnd = at + prefixLength;
  for (; lineEnd < limit; lineEnd++) {
    const c = b[lineEnd];
    if (c === CR) break;
    if (c === LF) return malformed(stop, 'proxy', lineEnd, 'line ends with LF without CR', c);
  }
  if (lineEnd >= limit) {
    if (available >= PROXY_V1_MAX_LENGTH - 1) {
      return malformed(stop, 'proxy', at, 'no CRLF within 107 bytes', PROXY_V1_MAX_LENGTH);
    }
    const need = Math.max(PROXY_V1_MIN_LENGTH, available + 2);
    return truncated(stop, 'proxy', at, need, available, 'proxy.v1.line');
  }
  if (lineEnd + 1 >= end) return truncated(stop, 'proxy', at, available + 1, available, 'proxy.v1.line');
  if (b[lineEnd + 1] !== LF)
    return malformed(stop, 'proxy', lineEnd, 'CR not followed by LF', b[lineEnd + 1]);

  let c = at + prefixLength;
  let family: number;
  if (startsWith(b, c, lineEnd, V1_TCP4)) family = 4;
  else if (startsWith(b, c, lineEnd, V1_TCP6)) family = 6;
  else if (
    startsWith(b, c, lineEnd, V1_UNKNOWN) &&
    (c + V1_UNKNOWN.length === lineEnd || b[c + V1_UNKNOWN.length] === SPACE)
  ) {
    // "the receiver must ignore anything presented before the CRLF" (§2.1).
    family = 0;
  } else {
    return malformed(stop, 'proxy', c, 'protocol is not TCP4, TCP6 or UNKNOWN', b[c]);
  }
  out.version = 1;
  out.isLocal = false;
  out.family = family;
  out.headerLength = lineEnd + 2 - at;
  const s = out.source;
  const d = out.destination;
  if (family === 0) {
    out.transport = 0;
    s.fill(0);
    d.fill(0);
    out.sourcePort = 0;
    out.destinationPort = 0;
    return Status.OK;
  }
  out.transport = 6;
  c += V1_TCP4.length;
  const sourceAt = c;
  c = family === 4 ? parseIpv4Word(b, c, lineEnd, s) : parseIpv6Words(b, c, lineEnd, s);
  if (c < 0 || b[c] !== SPACE)
    return malformed(stop, 'proxy', sourceAt, 'source address does not parse', family);
  const destinationAt = ++c;
  c = family === 4 ? parseIpv4Word(b, c, lineEnd, d) : parseIpv6Words(b, c, lineEnd, d);
  if (c < 0 || b[c] !== SPACE) {
    return malformed(stop, 'proxy', destinationAt, 'destination address does not parse', family);
  }
  const sourcePortAt = ++c;
  c = parseDecimal(b, c, lineEnd, 0xffff);
  if (c < 0 || b[c] !== SPACE) return malformed(stop, 'proxy', sourcePortAt, 'source port does not parse', 0);
  out.sourcePort = parsedNumber;
  const destinationPortAt = ++c;
  c = parseDecimal(b, c, lineEnd, 0xffff);
  if (c !== lineEnd) return malformed(stop, 'proxy', destinationPortAt, 'destination port does not parse', 0);
  out.destinationPort = parsedNumber;
  return Status.OK;
}

function startsWith(b: Uint8Array, at: number, end: number, word: Uint8Array): boolean {
  if (end - at < word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[at + i] !== word[i]) return false;
  return true;
}

/** The number parseDecimal and parseIpv4 last read: a second return value without allocating. */
let parsedNumber = 0;

/** A decimal in [0, max] from `at`; returns the offset after it, or -1. */
function parseDecimal(b: Uint8Array, at: number, end: number, max: number): number {
  let c = at;
  let value = 0;
  for (; c < end; c++) {
    const digit = b[c] - ZERO;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
    if (value > max) return -1;
  }
  if (c === at) return -1;
  // "Heading zeroes are not permitted ... to avoid any possible confusion with octal" (§2.1).
  if (b[at] === ZERO && c - at > 1) return -1;
  parsedNumber = value;
  return c;
}

/** A dotted quad from `at` into parsedNumber; returns the offset after it, or -1. */
function parseIpv4(b: Uint8Array, at: number, end: number): number {
  let c = at;
  let address = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (c >= end || b[c] !== DOT) return -1;
      c++;
    }
    c = parseDecimal(b, c, end, 255);
    if (c < 0) return -1;
    address = address * 256 + parsedNumber;
  }
  parsedNumber = address;
  return c;
}

function parseIpv4Word(b: Uint8Array, at: number, end: number, words: Uint32Array): number {
  const c = parseIpv4(b, at, end);
  if (c < 0) return -1;
  words[0] = parsedNumber;
  words[1] = 0;
  words[2] = 0;
  words[3] = 0;
  return c;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const groups = new Uint16Array(8);

/**
 * RFC 4291 §2.2 text (groups of 1-4 hex digits, at most one "::", an optional dotted quad in
 * the last 32 bits) into four big-endian words; returns the offset after it, or -1.
 */
function parseIpv6Words(b: Uint8Array, at: number, end: number, words: Uint32Array): number {
  let c = at;
  let count = 0;
  let gap = -1;
  if (c + 1 < end && b[c] === COLON && b[c + 1] === COLON) {
    gap = 0;
    c += 2;
  }
  for (;;) {
    // Right after "::" the address may end; anywhere else a group must follow.
    if (gap === count && (c >= end || hexValue(b[c]) < 0)) break;
    if (count === 8) return -1;
    const groupAt = c;
    let value = 0;
    let digits = 0;
    for (; c < end && digits < 5; c++, digits++) {
      const h = hexValue(b[c]);
      if (h < 0) break;
      value = value * 16 + h;
    }
    if (digits === 0) return -1;
    if (c < end && b[c] === DOT) {
      if (count > 6) return -1;
      c = parseIpv4(b, groupAt, end);
      if (c < 0) return -1;
      groups[count++] = parsedNumber >>> 16;
      groups[count++] = parsedNumber & 0xffff;
      break;
    }
    if (digits > 4) return -1;
    groups[count++] = value;
    if (c >= end || b[c] !== COLON) break;
    if (c + 1 < end && b[c + 1] === COLON) {
      if (gap >= 0) return -1;
      c += 2;
      gap = count;
    } else {
      c++;
    }
  }
  // 128 bits exactly: eight groups, or fewer with "::" standing for at least one zero group.
  if (gap < 0 ? count !== 8 : count > 7) return -1;
  if (gap >= 0) {
    const tail = count - gap;
    for (let i = 1; i <= tail; i++) groups[8 - i] = groups[count - i];
    for (let i = gap; i < 8 - tail; i++) groups[i] = 0;
  }
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return c;
}
