import type { PacketObserver } from '../analysis/index.js';
import type { CaptureRecord } from '../capture/index.js';
import {
  type DecodedPacket,
  decodeProxyProtocol,
  DecodeStop,
  DEFAULT_VXLAN_PORTS,
  dnsQuestionName,
  GENEVE_PORT,
  GRE_IN_UDP_PORT,
  type IpFields,
  Layer,
  Network,
  PROXY_ABSENT,
  ProxyProtocolFields,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from '../decode/index.js';
import { growF64, growI32, growU32, growU8 } from '../flow/grow.js';

/*
 * What the findings need from each packet, gathered in the same pass as the flow table (an
 * observer, see AnalysisOptions.observer): per TCP flow, sequence tracking each way (the next
 * sequence number expected, the highest acknowledgment) and counters (retransmissions, zero
 * windows, resets, SYNs); a few example packets per kind of event; and, off the hot path, the
 * rare packets that matter one by one (DNS messages, ICMP errors, IP fragments).
 *
 * Per flow the state lives in flat typed arrays indexed by flow id (and direction), grown as
 * the flow table grows: a TCP packet allocates nothing. Example lists are capped, so memory is
 * bounded by the flows, not the packets.
 */

/** Kinds of event whose example packets are kept (see events). */
export const enum TcpEvent {
  RETRANSMISSION = 0,
  ZERO_WINDOW = 1,
  RESET = 2,
  SYN = 3,
  SYN_ACK = 4,
  /** An unencapsulated IP packet longer than any tunnel's inner MTU might allow (1381-1500 bytes). */
  LARGE = 5,
}
const EVENT_KINDS = 6;
/** Example packets kept per kind of event and capture. */
export const MAX_EVENTS = 4096;

/** Per (flow, direction) counters, COUNTERS of them. */
export const enum Count {
  SEGMENTS = 0,
  RETRANSMISSIONS = 1,
  ZERO_WINDOWS = 2,
  RESETS = 3,
  SYNS = 4,
  SYN_ACKS = 5,
  /** Retransmitted segments whose IP packet was longer than LARGE_SEGMENT. */
  LARGE_RETRANSMISSIONS = 6,
}
const COUNTERS = 7;

/** Per-flow state bits. */
export const enum TcpBit {
  IS_TCP = 1 << 0,
  SEQ_KNOWN = 1 << 1, // + direction
  ACK_KNOWN = 1 << 3, // + direction
  FIN = 1 << 5, // + direction
  DATA = 1 << 7, // + direction
  HANDSHAKE_DONE = 1 << 9,
  /** + direction: the first payload seen was the stream's first byte (its SYN seen, nothing between). */
  OPENS_STREAM = 1 << 10,
  /** + direction: that first payload starts like a PROXY protocol header (v1 or v2, LOCAL too, cut or not). */
  PROXY_SIGNATURE = 1 << 12,
}

/** How a flow's first RST came, for the reset findings. */
export const enum ResetKind {
  NONE = 0,
  /** Answering a SYN its sender never accepted: connection refused. */
  REFUSED = 1,
  /** After data, before any FIN: the connection was aborted. */
  ABORTED = 2,
  /** After a FIN, or on a connection that carried nothing: a way to close. */
  CLOSE = 3,
}

/** Segments whose IP packet is at least this long count as large (an MTU black hole drops them). */
export const LARGE_SEGMENT = 1281;
/** Unencapsulated packets at least this long are kept as examples for the MTU finding. */
const LARGE_PACKET = 1381;
/** The largest IP packet a standard Ethernet underlay carries; longer ones are offload super-packets. */
export const ETHERNET_MTU = 1500;
/** Copies of one packet closer together than this are the same packet captured twice. */
const DUPLICATE_SECONDS = 0.0001;
/** Copies with one IP Identification this close are one packet too (not a wrapped counter). */
const COPY_SECONDS = 1;

/** Recent large packets, to find the packet an ICMP "too big" error quotes. */
const RING = 512;
/** Packets at least this long go into the ring (no link carries less than 576). */
const RING_MIN_LENGTH = 577;

export interface DnsMessage {
  flow: number;
  /** 0: sent by the flow's endpoint A, 1: by B. */
  direction: number;
  record: number;
  /** Seconds since the capture's first packet. */
  time: number;
  id: number;
  isResponse: boolean;
  rcode: number;
  questionType: number;
  answers: number;
  /** The first question's name, lower-cased, without the root's dot; null when unreadable. */
  name: string | null;
}

export interface IcmpErrorEvent {
  flow: number;
  record: number;
  time: number;
  version: number;
  type: number;
  code: number;
  /** The next-hop MTU of a fragmentation-needed or packet-too-big error (0 when absent). */
  mtu: number;
  /** Records of this capture that are the quoted packet (the same header seen earlier here), and their flows. */
  quotedRecords: number[];
  quotedFlows: number[];
  /** The quoted packet's IP total length (IPv6: payload length + 40), 0 when not quoted. */
  quotedLength: number;
}

export interface FragmentEvent {
  flow: number;
  record: number;
  time: number;
  /** The fragment is the outer header of a tunnel packet (the tunnel itself was fragmented). */
  isTunnel: boolean;
  isFirst: boolean;
  version: number;
  source: Uint32Array;
  destination: Uint32Array;
  protocol: number;
  /** The IP Identification the fragments of one datagram share. */
  identification: number;
}

/** Caps on the slow-path lists: past these, events are counted, not kept. */
const MAX_DNS_MESSAGES = 100_000;
const MAX_ICMP_ERRORS = 4096;
const MAX_FRAGMENTS = 4096;

/**
 * Collects, for one capture, what the findings detectors need. Give it to the capture's
 * analysis (alone or in an ObserverList); read it after the analysis ended.
 */
export class FindingsObserver implements PacketObserver {
  private capacity = 0;
  /** Per flow: TcpBit flags. */
  bits = new Uint16Array(0);
  /** Per flow: ResetKind of the first RST. */
  resetKind = new Uint8Array(0);
  /** Per (flow, direction): the next sequence number expected, the highest ack sent. */
  nextSeq = new Uint32Array(0);
  maxAck = new Uint32Array(0);
  /** Per (flow, direction): the last segment (sequence, length, IP id, time), to tell copies. */
  private lastSeq = new Uint32Array(0);
  private lastLength = new Int32Array(0);
  private lastIpId = new Int32Array(0);
  private lastFlags = new Uint8Array(0);
  private lastTime = new Float64Array(0);
  /** Per (flow, direction): the sequence of the first large segment retransmitted. */
  largeSeq = new Uint32Array(0);
  /** Per (flow, direction): first record with a TCP payload (a PROXY header's, say), -1 none. */
  firstPayload = new Int32Array(0);
  /** Per flow: first SYN, first SYN-ACK and first RST record (-1 none). */
  firstSyn = new Int32Array(0);
  firstSynAck = new Int32Array(0);
  firstReset = new Int32Array(0);
  /** Per flow: the longest unencapsulated IP packet (bytes, at most 65535). */
  longest = new Uint16Array(0);
  /** Per (flow, direction) COUNTERS counters. */
  counts = new Uint32Array(0);

  /** Example packets per TcpEvent: flow, record and a value (the IP length for LARGE). */
  readonly eventFlow = new Int32Array(EVENT_KINDS * MAX_EVENTS);
  readonly eventRecord = new Int32Array(EVENT_KINDS * MAX_EVENTS);
  readonly eventValue = new Int32Array(EVENT_KINDS * MAX_EVENTS);
  readonly eventCount = new Int32Array(EVENT_KINDS);

  readonly dns: DnsMessage[] = [];
  dnsDropped = 0;
  readonly icmpErrors: IcmpErrorEvent[] = [];
  readonly fragments: FragmentEvent[] = [];
  fragmentsDropped = 0;

  /** Whole seconds times are counted from (the first packet's), and the last packet's time. */
  baseSeconds = NaN;
  lastPacketTime = 0;

  private readonly ringVersion = new Uint8Array(RING);
  private readonly ringWords = new Uint32Array(RING * 8);
  private readonly ringMeta = new Int32Array(RING * 5);
  private ringNext = 0;
  private readonly tunnelPorts = new Uint8Array(65536);
  private readonly proxyFields = new ProxyProtocolFields();
  private readonly proxyStop = new DecodeStop();

  constructor(options: { vxlanPorts?: readonly number[] } = {}) {
    for (const port of [...DEFAULT_VXLAN_PORTS, GENEVE_PORT, GRE_IN_UDP_PORT, ...(options.vxlanPorts ?? [])])
      this.tunnelPorts[port] = 1;
    this.grow(1024);
  }

  /** Examples of one kind of event: [flow, record, value] triples, in capture order. */
  events(kind: TcpEvent): { flow: number; record: number; value: number }[] {
    const out: { flow: number; record: number; value: number }[] = [];
    const base = kind * MAX_EVENTS;
    for (let i = 0; i < this.eventCount[kind]; i++)
      out.push({
        flow: this.eventFlow[base + i],
        record: this.eventRecord[base + i],
        value: this.eventValue[base + i],
      });
    return out;
  }

  count(flow: number, direction: number, counter: Count): number {
    return flow < this.capacity ? this.counts[(flow * 2 + direction) * COUNTERS + counter] : 0;
  }

  isTcp(flow: number): boolean {
    return flow < this.capacity && (this.bits[flow] & TcpBit.IS_TCP) !== 0;
  }

  has(flow: number, bit: number): boolean {
    return flow < this.capacity && (this.bits[flow] & bit) !== 0;
  }

  packet(p: DecodedPacket, r: CaptureRecord, flow: number, direction: number): void {
    let time = 0;
    if (r.hasTimestamp) {
      if (this.baseSeconds !== this.baseSeconds) this.baseSeconds = r.tsSeconds;
      time = r.tsSeconds - this.baseSeconds + r.tsNanos * 1e-9;
      if (time > this.lastPacketTime) this.lastPacketTime = time;
    }
    if (p.innerNetwork !== Network.IP) return;
    const ip = p.ip[p.innerIp];
    const length = ipLength(ip);
    if (length >= RING_MIN_LENGTH) {
      this.remember(ip, length, r.index, flow);
      // An ICMP error about a tunnel packet quotes the outer header.
      if (p.tunnelCount > 0) {
        const outer = p.ip[p.tunnelIp[0]];
        this.remember(outer, ipLength(outer), r.index, flow);
      }
    }
    for (let i = 0; i < p.ipCount; i++) {
      if (p.ip[i].isFragment) {
        this.noteFragment(p, r, flow, i, time);
        break;
      }
    }
    if (flow < 0) return;
    if (flow >= this.capacity) this.grow(Math.max(flow + 1, this.capacity * 2));
    if (p.enclosingTunnels === 0 && !ip.isFragment) {
      const capped = length > 65535 ? 65535 : length;
      // Examples of a flow's large packets: each that beats its longest so far (a few a flow).
      if (capped > this.longest[flow]) {
        this.longest[flow] = capped;
        if (length >= LARGE_PACKET && length <= ETHERNET_MTU)
          this.event(TcpEvent.LARGE, flow, r.index, length);
      }
    }
    const transport = p.transport;
    if (transport === Layer.TCP) this.tcpPacket(p, ip, length, r, flow, direction, time);
    else if ((transport === Layer.ICMP || transport === Layer.ICMPV6) && p.icmp.isError)
      this.noteIcmpError(p, r, flow, time);
    if (p.hasDns) this.noteDns(p, r, flow, direction, time);
  }

  private event(kind: TcpEvent, flow: number, record: number, value: number): void {
    const n = this.eventCount[kind];
    if (n >= MAX_EVENTS) return;
    const at = kind * MAX_EVENTS + n;
    this.eventFlow[at] = flow;
    this.eventRecord[at] = record;
    this.eventValue[at] = value;
    this.eventCount[kind] = n + 1;
  }

  private tcpPacket(
    p: DecodedPacket,
    ip: IpFields,
    length: number,
    r: CaptureRecord,
    flow: number,
    d: number,
    time: number,
  ): void {
    const t = p.tcp;
    const flags = t.flags;
    const fd = flow * 2 + d;
    const c = fd * COUNTERS;
    const counts = this.counts;
    let bits = this.bits[flow] | TcpBit.IS_TCP;
    // The payload by the length fields, not the bytes captured: a snaplen cuts the bytes only.
    const headers = ip.payloadStart - ip.start + t.headerLength;
    let payload =
      ip.version === 4
        ? ip.lengthField === 0
          ? t.payloadEnd - t.payloadStart
          : ip.lengthField - headers
        : ip.lengthField + 40 - headers;
    if (payload < 0) payload = 0;
    const span = payload + ((flags & TCP_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FIN) !== 0 ? 1 : 0);
    const seq = t.sequence;
    const ipId = ip.version === 4 ? ip.identification : -1;
    const seen = (bits & (TcpBit.SEQ_KNOWN << d)) !== 0;
    // One packet captured twice (a mirror port, two VLANs, two copies of a frame): the same
    // segment with the same IP Identification, or any copy microseconds apart. A sender that
    // sends the segment again gives it a new Identification (except stacks that use 0).
    if (
      seen &&
      seq === this.lastSeq[fd] &&
      span === this.lastLength[fd] &&
      flags === this.lastFlags[fd] &&
      ((ipId > 0 && ipId === this.lastIpId[fd] && time - this.lastTime[fd] < COPY_SECONDS) ||
        time - this.lastTime[fd] < DUPLICATE_SECONDS)
    )
      return;
    this.lastSeq[fd] = seq;
    this.lastLength[fd] = span;
    this.lastFlags[fd] = flags;
    this.lastIpId[fd] = ipId;
    this.lastTime[fd] = time;
    if (payload > 0) {
      counts[c + Count.SEGMENTS]++;
      bits |= TcpBit.DATA << d;
      if (this.firstPayload[fd] < 0) {
        this.firstPayload[fd] = r.index;
        // nextSeq is still the SYN's sequence plus one unless bytes went by unseen.
        if (seen && counts[c + Count.SYNS] + counts[c + Count.SYN_ACKS] > 0 && seq === this.nextSeq[fd]) {
          const start = p.tcp.payloadStart;
          const end = p.tcp.payloadEnd;
          // A snaplen that kept no payload byte leaves nothing to tell.
          if (end > start) {
            bits |= TcpBit.OPENS_STREAM << d;
            if (decodeProxyProtocol(r.bytes, start, end, this.proxyFields, this.proxyStop) !== PROXY_ABSENT)
              bits |= TcpBit.PROXY_SIGNATURE << d;
          }
        }
      }
    }
    if ((flags & TCP_SYN) !== 0) {
      if ((flags & TCP_ACK) === 0) {
        counts[c + Count.SYNS]++;
        if (this.firstSyn[flow] < 0) this.firstSyn[flow] = r.index;
        this.event(TcpEvent.SYN, flow, r.index, d);
      } else {
        counts[c + Count.SYN_ACKS]++;
        if (this.firstSynAck[flow] < 0) this.firstSynAck[flow] = r.index;
        this.event(TcpEvent.SYN_ACK, flow, r.index, d);
      }
    } else if (
      (flags & (TCP_ACK | TCP_RST)) === TCP_ACK &&
      counts[(flow * 2 + 1 - d) * COUNTERS + Count.SYN_ACKS] > 0 &&
      counts[c + Count.SYNS] > 0
    ) {
      // The initiator's ACK after the peer's SYN-ACK: the handshake completed.
      bits |= TcpBit.HANDSHAKE_DONE;
    }
    if ((flags & TCP_RST) !== 0) {
      counts[c + Count.RESETS]++;
      this.event(TcpEvent.RESET, flow, r.index, d);
      if (this.firstReset[flow] < 0) {
        this.firstReset[flow] = r.index;
        const other = (flow * 2 + 1 - d) * COUNTERS;
        const anyData = (bits & (TcpBit.DATA | (TcpBit.DATA << 1))) !== 0;
        const anyFin = (bits & (TcpBit.FIN | (TcpBit.FIN << 1))) !== 0;
        this.resetKind[flow] =
          counts[other + Count.SYNS] > 0 && counts[c + Count.SYN_ACKS] === 0 && !anyData
            ? ResetKind.REFUSED
            : anyData && !anyFin
              ? ResetKind.ABORTED
              : ResetKind.CLOSE;
      }
      this.bits[flow] = bits;
      return;
    }
    if ((flags & TCP_ACK) !== 0) {
      const known = (bits & (TcpBit.ACK_KNOWN << d)) !== 0;
      if (!known || ((t.acknowledgment - this.maxAck[fd]) | 0) > 0) this.maxAck[fd] = t.acknowledgment;
      bits |= TcpBit.ACK_KNOWN << d;
    }
    // A FIN with a zero window is a closing socket, not a full one.
    if (t.window === 0 && (flags & (TCP_SYN | TCP_FIN)) === 0) {
      counts[c + Count.ZERO_WINDOWS]++;
      this.event(TcpEvent.ZERO_WINDOW, flow, r.index, d);
    }
    if ((flags & TCP_FIN) !== 0) bits |= TcpBit.FIN << d;
    const end = (seq + span) >>> 0;
    if (!seen) {
      bits |= TcpBit.SEQ_KNOWN << d;
      this.nextSeq[fd] = end;
    } else if (span > 0 && (flags & TCP_SYN) === 0) {
      const behind = (seq - this.nextSeq[fd]) | 0;
      // A keep-alive or zero-window probe repeats the byte before the next one expected.
      const probe = payload <= 1 && behind === -1 && (flags & TCP_FIN) === 0;
      if (behind < 0 && !probe) {
        counts[c + Count.RETRANSMISSIONS]++;
        this.event(TcpEvent.RETRANSMISSION, flow, r.index, length);
        if (length >= LARGE_SEGMENT) {
          if (counts[c + Count.LARGE_RETRANSMISSIONS] === 0) this.largeSeq[fd] = seq;
          counts[c + Count.LARGE_RETRANSMISSIONS]++;
        }
      }
      if (((end - this.nextSeq[fd]) | 0) > 0) this.nextSeq[fd] = end;
    } else if ((flags & TCP_SYN) !== 0 && ((end - this.nextSeq[fd]) | 0) > 0) {
      this.nextSeq[fd] = end;
    }
    this.bits[flow] = bits;
  }

  /** Keeps a large packet's header in the ring, for an ICMP error that may quote it. */
  private remember(ip: IpFields, length: number, record: number, flow: number): void {
    const slot = this.ringNext;
    this.ringNext = (slot + 1) % RING;
    this.ringVersion[slot] = ip.version;
    const w = slot * 8;
    for (let i = 0; i < 4; i++) {
      this.ringWords[w + i] = ip.source[i];
      this.ringWords[w + 4 + i] = ip.destination[i];
    }
    const m = slot * 5;
    this.ringMeta[m] = ip.identification;
    this.ringMeta[m + 1] = length;
    this.ringMeta[m + 2] = ip.protocol;
    this.ringMeta[m + 3] = record;
    this.ringMeta[m + 4] = flow;
  }

  /** An ICMP error (rare): its MTU, and the packets of this capture it quotes. */
  private noteIcmpError(p: DecodedPacket, r: CaptureRecord, flow: number, time: number): void {
    if (this.icmpErrors.length >= MAX_ICMP_ERRORS) return;
    const icmp = p.icmp;
    let at = -1;
    for (let i = 0; i < p.layerCount; i++)
      if (p.kinds[i] === Layer.ICMP || p.kinds[i] === Layer.ICMPV6) at = p.starts[i];
    const b = r.bytes;
    let mtu = 0;
    if (at >= 0 && at + 8 <= p.end) {
      if (icmp.version === 4 && icmp.type === 3 && icmp.code === 4) mtu = (b[at + 6] << 8) | b[at + 7];
      else if (icmp.version === 6 && icmp.type === 2)
        mtu = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
    }
    const quoted: [number, number][] = [];
    let quotedLength = 0;
    if (icmp.hasQuote) {
      const q = icmp.quoted;
      quotedLength = q.version === 4 ? q.lengthField : q.lengthField + 40;
      for (let slot = 0; slot < RING; slot++) {
        if (this.ringVersion[slot] !== q.version) continue;
        const m = slot * 5;
        if (this.ringMeta[m + 2] !== q.protocol || this.ringMeta[m + 3] >= r.index) continue;
        if (q.version === 4 ? this.ringMeta[m] !== q.identification : this.ringMeta[m + 1] !== quotedLength)
          continue;
        const w = slot * 8;
        let same = true;
        for (let i = 0; i < 4 && same; i++)
          same = this.ringWords[w + i] === q.source[i] && this.ringWords[w + 4 + i] === q.destination[i];
        if (same) quoted.push([this.ringMeta[m + 3], this.ringMeta[m + 4]]);
      }
      quoted.sort((x, y) => x[0] - y[0]);
    }
    this.icmpErrors.push({
      flow,
      record: r.index,
      time,
      version: icmp.version,
      type: icmp.type,
      code: icmp.code,
      mtu,
      quotedRecords: quoted.map((x) => x[0]),
      quotedFlows: [...new Set(quoted.map((x) => x[1]).filter((f) => f >= 0))],
      quotedLength,
    });
  }

  /** An IP fragment (rare): whether it is a tunnel's outer header that was fragmented. */
  private noteFragment(p: DecodedPacket, r: CaptureRecord, flow: number, slot: number, time: number): void {
    if (this.fragments.length >= MAX_FRAGMENTS) {
      this.fragmentsDropped++;
      return;
    }
    const ip = p.ip[slot];
    let isTunnel = slot < p.innerIp;
    const protocol = ip.protocol;
    // IP-in-IP and GRE carry a tunnel straight in IP; a UDP tunnel shows its port in the first fragment.
    if (!isTunnel && (protocol === 4 || protocol === 41 || protocol === 47)) isTunnel = true;
    if (!isTunnel && protocol === 17 && ip.fragmentOffset === 0 && ip.payloadStart + 4 <= p.end) {
      const b = r.bytes;
      const source = (b[ip.payloadStart] << 8) | b[ip.payloadStart + 1];
      const destination = (b[ip.payloadStart + 2] << 8) | b[ip.payloadStart + 3];
      isTunnel = this.tunnelPorts[destination] === 1 || this.tunnelPorts[source] === 1;
    }
    this.fragments.push({
      flow,
      record: r.index,
      time,
      isTunnel,
      isFirst: ip.fragmentOffset === 0,
      version: ip.version,
      source: ip.source.slice(),
      destination: ip.destination.slice(),
      protocol,
      identification: ip.identification,
    });
  }

  /** A DNS message (not the hot path: a name is text). */
  private noteDns(p: DecodedPacket, r: CaptureRecord, flow: number, direction: number, time: number): void {
    if (this.dns.length >= MAX_DNS_MESSAGES) {
      this.dnsDropped++;
      return;
    }
    const dns = p.dns;
    const name = dnsQuestionName(r.bytes, dns);
    this.dns.push({
      flow,
      direction,
      record: r.index,
      time,
      id: dns.id,
      isResponse: dns.isResponse,
      rcode: dns.rcode,
      questionType: dns.questionType,
      answers: dns.answerCount,
      name: name === null ? null : name.toLowerCase().replace(/\.$/, ''),
    });
  }

  private grow(capacity: number): void {
    const pairs = capacity * 2;
    this.bits = growU16(this.bits, capacity);
    this.resetKind = growU8(this.resetKind, capacity);
    this.nextSeq = growU32(this.nextSeq, pairs);
    this.maxAck = growU32(this.maxAck, pairs);
    this.lastSeq = growU32(this.lastSeq, pairs);
    this.lastLength = growI32(this.lastLength, pairs);
    this.lastIpId = growI32(this.lastIpId, pairs);
    this.lastFlags = growU8(this.lastFlags, pairs);
    this.lastTime = growF64(this.lastTime, pairs);
    this.largeSeq = growU32(this.largeSeq, pairs);
    this.firstPayload = growFilled(this.firstPayload, pairs);
    this.firstSyn = growFilled(this.firstSyn, capacity);
    this.firstSynAck = growFilled(this.firstSynAck, capacity);
    this.firstReset = growFilled(this.firstReset, capacity);
    this.longest = growU16(this.longest, capacity);
    this.counts = growU32(this.counts, pairs * COUNTERS);
    this.capacity = capacity;
  }
}

/** An IP packet's length from its header (IPv4 total length 0: TSO, so the bytes captured). */
export function ipLength(ip: IpFields): number {
  if (ip.version === 4) return ip.lengthField === 0 ? ip.payloadEnd - ip.start : ip.lengthField;
  return ip.lengthField + 40;
}

function growU16(a: Uint16Array, n: number): Uint16Array<ArrayBuffer> {
  const b = new Uint16Array(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

/** growI32 with the new entries -1 ("none"). */
function growFilled(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n).fill(-1);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}
