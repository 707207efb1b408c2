import type { CaptureRecord } from '../capture/index.js';
import {
  type DecodedPacket,
  decodeProxyProtocol,
  DecodeStop,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_ICMPV6,
  Layer,
  LayerBit,
  MAX_TUNNELS,
  Network,
  ProxyProtocolFields,
  Status,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
} from '../decode/index.js';
import { ContextTable, type FlowContext } from './context.js';
import { finishHash, mix } from './hash.js';
import { growF64, growI32, growU32 } from './grow.js';

/*
 * A flow key is twelve 32-bit words (stored with its hash in a 16-word line):
 *   0      context id (interface and tunnels, see ContextTable)
 *   1      IP version << 24 | key kind << 16 | IP protocol (or 0)
 *   2      port A << 16 | port B (ICMP echo: the identifier twice; Ethernet: the EtherType)
 *   3-6    address A (IPv4 in word 3; a MAC as high 16 / low 32 bits in words 3-4)
 *   7-10   address B
 *   11     0
 * Endpoint A is the smaller (address, port), so both directions of a conversation make the
 * same key (gopacket's FastHash does the same with its symmetric hash).
 */
const KEY_WORDS = 12;

/** What a flow is keyed by. */
export const enum FlowKind {
  PORTS = 1, // TCP, UDP: addresses and ports
  ECHO = 2, // ICMP/ICMPv6 echo: addresses and identifier
  ADDRESSES = 3, // other IP: addresses and protocol
  ARP = 4, // ARP: sender and target IPv4 addresses
  ETHERNET = 5, // non-IP frames: MAC addresses and EtherType
  ICMP_ERROR = 6, // ICMP errors: addresses, type, code and the quoted packet
}

/** Which way a packet went: 0 from endpoint A to B, 1 back. */
const A_TO_B = 0;

/** How sure we are who started a flow, weakest first; 0 means no packet yet. */
const INITIATOR_FIRST_PACKET = 1;
/** A flow whose first packet is a RST+ACK: the reset answers the peer, who started it. */
const INITIATOR_RESET = 2;
const INITIATOR_SYN_ACK = 3;
const INITIATOR_SYN = 4;

/** Fragment map entries kept before it is cleared (fragments are rare; this bounds memory). */
const MAX_PENDING_FRAGMENTS = 4096;
/** Orphan fragments listed for absorb; past this many, a table is not absorbed. */
const MAX_ORPHANS_LISTED = 256;

/** A PROXY protocol header: the client the load balancer speaks for (family 0: not given). */
export interface ProxyHeader {
  /** Which way the header went: 0 from endpoint A, 1 from B. */
  direction: number;
  version: number;
  family: number;
  source: Uint32Array;
  destination: Uint32Array;
  sourcePort: number;
  destinationPort: number;
}

/** Rare details kept beside a flow, off the hot path. */
export interface IcmpErrorDetail {
  type: number;
  code: number;
  quotedVersion: number;
  quotedSource: Uint32Array;
  quotedDestination: Uint32Array;
  quotedProtocol: number;
  quotedSourcePort: number;
  quotedDestinationPort: number;
  hasQuotedPorts: boolean;
}

/*
 * A flow's hot state fits two 64-byte cache lines, so a packet touches the slot, the key
 * line and the stats line and nothing else: a capture's 50,000 flows outgrow the CPU caches,
 * and every extra array would cost a miss per packet.
 *
 * Key line, 16 x uint32: words 0-11 the key, then
 */
const KEY_STRIDE = 16;
const K_HASH = 12;
/** TCP flags sent by A (bits 0-7) and by B (8-15); initiator (bit 16); its evidence (bits 17-19). */
const K_STATE = 13;
/** VNI (or GRE key) of the outermost tunnel in packets from A, then from B; NO_VNI when none. */
const K_VNI = 14;
const NO_VNI = 0xffffffff;
const STATE_INITIATOR_B = 1 << 16;
const STATE_EVIDENCE_SHIFT = 17;
const STATE_EVIDENCE_MASK = 7;
/** The first TCP payload from A (bit 21) and from B (bit 22) was checked for a PROXY header. */
const STATE_PAYLOAD_SEEN = 1 << 21;
/**
 * Linux cooked captures (SLL, SLL2) say which way each packet crossed its interface: bit 23 + d
 * is set when a packet of direction d (0 = A to B) left through it (PACKET_OUTGOING), bit
 * 25 + d when one arrived. What an interface carries follows from who sends into it.
 */
const STATE_OUT_SHIFT = 23;
const STATE_IN_SHIFT = 25;
const STATE_LINK_BITS = 0xf << STATE_OUT_SHIFT;
const PACKET_OUTGOING = 4;
/* Stats line, 8 doubles: */
const STAT_STRIDE = 8;
const S_PACKETS = 0; // + direction
const S_BYTES = 2; // + direction
const S_FIRST_SECONDS = 4;
const S_FIRST_NANOS = 5;
const S_LAST_SECONDS = 6;
const S_LAST_NANOS = 7;

/** A FlowTable as plain, transferable data (see FlowTable.parts and absorb). */
export interface FlowTableParts {
  count: number;
  keys: Uint32Array;
  stats: Float64Array;
  orientations: Uint32Array;
  firstRecords: Float64Array;
  deeperVni: Int32Array;
  contexts: readonly FlowContext[];
  icmpErrors: [number, IcmpErrorDetail][];
  proxyHeaders: [number, ProxyHeader][];
  slowKeys: [string, number][];
  fragmentsStarted: number;
  orphanFragments: string[] | null;
}

/** Whether a key with word 1 `word` is hashed on its five narrow words (IPv4 and ARP keys). */
function isNarrowKey(word: number): boolean {
  return word >>> 24 === 4 && ((word >>> 16) & 0xff) !== FlowKind.ICMP_ERROR;
}

/**
 * Bidirectional conversations of one capture. Flows live in typed arrays indexed by flow
 * id (keys, then numbers), so adding a packet allocates nothing and a million flows cost
 * about 200 MB of flat arrays, not a million objects.
 */
export class FlowTable {
  readonly contexts = new ContextTable();
  count = 0;
  private capacity = 0;
  private slots = new Int32Array(0);
  private keys = new Uint32Array(0);
  private stats = new Float64Array(0);
  /** Written once per flow, read for reports: which way A-to-B traffic crosses each tunnel, and the first record. */
  private orientations = new Uint32Array(0);
  private firstRecords = new Float64Array(0);
  /** VNIs of tunnel levels 1 and deeper: [(id * (MAX_TUNNELS - 1) + level - 1) * 2 + direction]. */
  private deeperVni = new Int32Array(0);
  readonly icmpErrors = new Map<number, IcmpErrorDetail>();
  /** PROXY protocol headers found at the start of a flow's stream, by flow id. */
  readonly proxyHeaders = new Map<number, ProxyHeader>();
  private readonly proxyFields = new ProxyProtocolFields();
  private readonly proxyStop = new DecodeStop();

  private readonly key = new Uint32Array(KEY_WORDS);
  /** Whether `key` may hold non-zero words beyond an IPv4 key's (IPv6, MAC, ICMP error). */
  private keyIsWide = true;
  private readonly slowKeys = new Map<string, number>();
  private readonly fragments = new Map<string, number>();
  /** First fragments seen, and the keys of later ones whose first was not (null: too many to list): see absorb. */
  private fragmentsStarted = 0;
  private orphanFragments: string[] | null = [];

  /**
   * The flow the last `add` put its packet in, and which way it went (0 = A to B); -1 when
   * the packet joined no flow of its own (fragments after the first, packets without addresses).
   */
  lastFlow = -1;
  lastDirection = 0;

  constructor(initialCapacity = 1024) {
    this.grow(initialCapacity);
  }

  /** Adds one decoded packet; false when it has no addresses to key a flow by. */
  add(p: DecodedPacket, r: CaptureRecord): boolean {
    this.lastFlow = -1;
    const network = p.innerNetwork;
    const k = this.key;
    let swapped: boolean;
    if (network === Network.IP) {
      const ip = p.ip[p.innerIp];
      if (ip.isFragment) return this.addFragment(p, r);
      const transport = p.transport;
      if (transport === Layer.ICMP || transport === Layer.ICMPV6) {
        if (p.icmp.isError) return this.addIcmpError(p, r);
      }
      k[0] = this.contexts.intern(p, r.interfaceIndex, p.enclosingTunnels);
      swapped = this.ipKey(p, ip.source, ip.destination, ip.version, ip.protocol);
    } else if (network === Network.ARP) {
      const arp = p.arp;
      if (!arp.isEthernetIpv4) return false;
      k[0] = this.contexts.intern(p, r.interfaceIndex, p.enclosingTunnels);
      k[1] = (4 << 24) | (FlowKind.ARP << 16);
      k[2] = 0;
      const a = arp.senderProtocolAddress;
      const b = arp.targetProtocolAddress;
      swapped = a > b;
      k[3] = swapped ? b : a;
      k[7] = swapped ? a : b;
      k[4] = k[5] = k[6] = k[8] = k[9] = k[10] = k[11] = 0;
      this.keyIsWide = false;
    } else if (network === Network.ETHERNET) {
      const e = p.ethernet[p.innerEthernet];
      k[0] = this.contexts.intern(p, r.interfaceIndex, p.enclosingTunnels);
      k[1] = FlowKind.ETHERNET << 16;
      k[2] = e.etherType < 0x0600 ? 0 : e.etherType;
      swapped =
        e.sourceHigh > e.destinationHigh ||
        (e.sourceHigh === e.destinationHigh && e.sourceLow > e.destinationLow);
      k[3] = swapped ? e.destinationHigh : e.sourceHigh;
      k[4] = swapped ? e.destinationLow : e.sourceLow;
      k[7] = swapped ? e.sourceHigh : e.destinationHigh;
      k[8] = swapped ? e.sourceLow : e.destinationLow;
      k[5] = k[6] = k[9] = k[10] = k[11] = 0;
      this.keyIsWide = true;
    } else {
      return false;
    }
    const id = this.lookup();
    const direction = swapped ? 1 : A_TO_B;
    this.update(id, direction, p, r);
    this.lastFlow = id;
    this.lastDirection = direction;
    return true;
  }

  /** Fills words 1-11 of the key for an IP packet; returns whether source is endpoint B. */
  private ipKey(
    p: DecodedPacket,
    s: Uint32Array,
    d: Uint32Array,
    version: number,
    protocol: number,
  ): boolean {
    const k = this.key;
    let kind = FlowKind.ADDRESSES;
    let sourcePort = 0;
    let destinationPort = 0;
    const transport = p.transport;
    if (transport === Layer.TCP) {
      kind = FlowKind.PORTS;
      sourcePort = p.tcp.sourcePort;
      destinationPort = p.tcp.destinationPort;
    } else if (transport === Layer.UDP) {
      kind = FlowKind.PORTS;
      const u = p.udp[p.transportSlot];
      sourcePort = u.sourcePort;
      destinationPort = u.destinationPort;
    } else if ((transport === Layer.ICMP || transport === Layer.ICMPV6) && p.icmp.isEcho) {
      kind = FlowKind.ECHO;
      sourcePort = destinationPort = p.icmp.identifier;
    }
    k[1] = (version << 24) | (kind << 16) | protocol;
    if (version === 4) {
      // IPv4: one word an address; words 4-6, 8-10 and 11 stay zero from the last wide key.
      if (this.keyIsWide) {
        k[4] = k[5] = k[6] = k[8] = k[9] = k[10] = k[11] = 0;
        this.keyIsWide = false;
      }
      const s0 = s[0];
      const d0 = d[0];
      const swapped = s0 > d0 || (s0 === d0 && sourcePort > destinationPort);
      k[2] = swapped
        ? ((destinationPort << 16) | sourcePort) >>> 0
        : ((sourcePort << 16) | destinationPort) >>> 0;
      k[3] = swapped ? d0 : s0;
      k[7] = swapped ? s0 : d0;
      return swapped;
    }
    this.keyIsWide = true;
    let cmp = 0;
    for (let i = 0; i < 4 && cmp === 0; i++) cmp = s[i] < d[i] ? -1 : s[i] > d[i] ? 1 : 0;
    if (cmp === 0) cmp = sourcePort < destinationPort ? -1 : sourcePort > destinationPort ? 1 : 0;
    const swapped = cmp > 0;
    const a = swapped ? d : s;
    const b = swapped ? s : d;
    k[2] = swapped
      ? ((destinationPort << 16) | sourcePort) >>> 0
      : ((sourcePort << 16) | destinationPort) >>> 0;
    k[3] = a[0];
    k[4] = a[1];
    k[5] = a[2];
    k[6] = a[3];
    k[7] = b[0];
    k[8] = b[1];
    k[9] = b[2];
    k[10] = b[3];
    k[11] = 0;
    return swapped;
  }

  /** The flow keyed by `key`, added when new. */
  private lookup(): number {
    return this.probe(true);
  }

  /** The flow keyed by `key`: found, added (when `add`) or -1. */
  private probe(add: boolean): number {
    const k = this.key;
    // IPv4 and ARP keys (most) leave words 4-6 and 8-11 zero: hash only the words that can differ.
    const narrow = !this.keyIsWide;
    let h = mix(mix(mix(mix(mix(0x6a09e667, k[0]), k[1]), k[2]), k[3]), k[7]);
    if (!narrow) {
      h = mix(mix(mix(h, k[4]), k[5]), k[6]);
      h = mix(mix(mix(mix(h, k[8]), k[9]), k[10]), k[11]);
    }
    h = finishHash(h, KEY_WORDS);
    const slots = this.slots;
    const mask = slots.length - 1;
    const keys = this.keys;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = slots[i] - 1;
      if (id < 0) return add ? this.insert(i, h) : -1;
      const base = id * KEY_STRIDE;
      if (
        keys[base + K_HASH] === h &&
        keys[base + 2] === k[2] &&
        keys[base + 3] === k[3] &&
        keys[base + 7] === k[7] &&
        keys[base] === k[0] &&
        keys[base + 1] === k[1] &&
        // A narrow key (IPv4, ARP) is zero in the other words, and word 1 tells it from
        // every wide kind (IPv6, MAC, ICMP error): these five words decide.
        (narrow ||
          (keys[base + 4] === k[4] &&
            keys[base + 5] === k[5] &&
            keys[base + 6] === k[6] &&
            keys[base + 8] === k[8] &&
            keys[base + 9] === k[9] &&
            keys[base + 10] === k[10] &&
            keys[base + 11] === k[11]))
      ) {
        return id;
      }
    }
  }

  private insert(slot: number, hash: number): number {
    if (this.count === this.capacity) {
      this.grow(this.capacity * 2);
      return this.lookup();
    }
    const id = this.count++;
    this.slots[slot] = id + 1;
    const base = id * KEY_STRIDE;
    const keys = this.keys;
    keys.set(this.key, base);
    keys[base + K_HASH] = hash;
    keys[base + K_STATE] = 0;
    keys[base + K_VNI] = NO_VNI;
    keys[base + K_VNI + 1] = NO_VNI;
    const s = id * STAT_STRIDE;
    this.stats[s + S_FIRST_SECONDS] = Infinity;
    this.stats[s + S_LAST_SECONDS] = -Infinity;
    this.deeperVni.fill(-1, id * (MAX_TUNNELS - 1) * 2, (id + 1) * (MAX_TUNNELS - 1) * 2);
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return id;
  }

  private update(id: number, direction: number, p: DecodedPacket, r: CaptureRecord): void {
    const stats = this.stats;
    const s = id * STAT_STRIDE;
    stats[s + S_PACKETS + direction]++;
    stats[s + S_BYTES + direction] += r.originalLength;
    const keys = this.keys;
    const k = id * KEY_STRIDE;
    let state = keys[k + K_STATE];
    // The evidence bits only: the payload and link bits above them are no evidence.
    const known = (state >>> STATE_EVIDENCE_SHIFT) & STATE_EVIDENCE_MASK;
    // Who started it: a SYN says so best, a SYN-ACK next, else the first packet's sender.
    let evidence = INITIATOR_FIRST_PACKET;
    let starter = direction;
    if (p.transport === Layer.TCP && p.innerNetwork === Network.IP) {
      const flags = p.tcp.flags;
      state |= flags << (direction * 8);
      const seen = STATE_PAYLOAD_SEEN << direction;
      if ((state & seen) === 0 && p.tcp.payloadEnd > p.tcp.payloadStart) {
        // A load balancer's PROXY header opens its stream: look once per direction.
        state |= seen;
        this.checkProxyHeader(id, direction, p, r);
      }
      const synAck = flags & (TCP_SYN | TCP_ACK);
      if (synAck === TCP_SYN) evidence = INITIATOR_SYN;
      else if (synAck === (TCP_SYN | TCP_ACK)) {
        evidence = INITIATOR_SYN_ACK;
        starter = 1 - direction;
      } else if (known === 0 && (flags & (TCP_RST | TCP_ACK)) === (TCP_RST | TCP_ACK)) {
        // A flow that opens with RST+ACK is an answer (a refused SYN, a reset seen without its
        // connection): the peer started it. Later resets prove nothing (clients abort too).
        evidence = INITIATOR_RESET;
        starter = 1 - direction;
      }
    }
    if ((p.mask & LayerBit.SLL) !== 0)
      state |= 1 << ((p.sll.packetType === PACKET_OUTGOING ? STATE_OUT_SHIFT : STATE_IN_SHIFT) + direction);
    if (evidence > known) {
      state =
        (state & (0xffff | (STATE_PAYLOAD_SEEN * 3) | STATE_LINK_BITS)) |
        (evidence << STATE_EVIDENCE_SHIFT) |
        (starter === 1 ? STATE_INITIATOR_B : 0);
    }
    keys[k + K_STATE] = state;
    const tunnels = p.enclosingTunnels;
    if (known === 0) {
      this.firstRecords[id] = r.index;
      // Remember which way A-to-B traffic crosses each tunnel.
      const orientation = this.contexts.orientation;
      this.orientations[id] = direction === A_TO_B ? orientation : ~orientation & ((1 << tunnels) - 1);
    }
    if (tunnels > 0) {
      keys[k + K_VNI + direction] = p.tunnelVni[0];
      if (tunnels > 1) {
        const base = id * (MAX_TUNNELS - 1) * 2 + direction;
        for (let t = 1; t < tunnels; t++) this.deeperVni[base + (t - 1) * 2] = p.tunnelVni[t];
      }
    }
    if (r.hasTimestamp) {
      const seconds = r.tsSeconds;
      const nanos = r.tsNanos;
      // Packets mostly come in time order: check the end first.
      const lastSeconds = stats[s + S_LAST_SECONDS];
      if (seconds > lastSeconds || (seconds === lastSeconds && nanos > stats[s + S_LAST_NANOS])) {
        stats[s + S_LAST_SECONDS] = seconds;
        stats[s + S_LAST_NANOS] = nanos;
      }
      const firstSeconds = stats[s + S_FIRST_SECONDS];
      if (seconds < firstSeconds || (seconds === firstSeconds && nanos < stats[s + S_FIRST_NANOS])) {
        stats[s + S_FIRST_SECONDS] = seconds;
        stats[s + S_FIRST_NANOS] = nanos;
      }
    }
  }

  private checkProxyHeader(id: number, direction: number, p: DecodedPacket, r: CaptureRecord): void {
    const fields = this.proxyFields;
    if (
      decodeProxyProtocol(r.bytes, p.tcp.payloadStart, p.tcp.payloadEnd, fields, this.proxyStop) !== Status.OK
    )
      return;
    if (fields.isLocal) return;
    this.proxyHeaders.set(id, {
      direction,
      version: fields.version,
      family: fields.family,
      source: fields.source.slice(),
      destination: fields.destination.slice(),
      sourcePort: fields.sourcePort,
      destinationPort: fields.destinationPort,
    });
  }

  /**
   * Fragments: the first one carries the ports and finds its flow as usual; later ones are
   * sent to the same flow by (addresses, identification, protocol). Rare, so string keys.
   */
  private addFragment(p: DecodedPacket, r: CaptureRecord): boolean {
    const ip = p.ip[p.innerIp];
    const k = this.key;
    const fragmentKey = `${p.enclosingTunnels}|${r.interfaceIndex}|${p.linkInterface}|${ip.version}|${ip.source.join('.')}|${ip.destination.join('.')}|${ip.identification}|${ip.protocol}`;
    k[0] = this.contexts.intern(p, r.interfaceIndex, p.enclosingTunnels);
    let swapped: boolean;
    if (ip.fragmentOffset === 0) {
      swapped = this.ipKey(p, ip.source, ip.destination, ip.version, ip.protocol);
      const id = this.lookup();
      if (this.fragments.size >= MAX_PENDING_FRAGMENTS) this.fragments.clear();
      this.fragments.set(fragmentKey, id * 2 + (swapped ? 1 : 0));
      this.fragmentsStarted++;
      this.update(id, swapped ? 1 : 0, p, r);
      return true;
    }
    const known = this.fragments.get(fragmentKey);
    if (known !== undefined) {
      this.update(known >> 1, known & 1, p, r);
      return true;
    }
    // The first fragment was not seen: a flow by addresses and protocol.
    if (this.orphanFragments !== null) {
      if (this.orphanFragments.length < MAX_ORPHANS_LISTED) this.orphanFragments.push(fragmentKey);
      else this.orphanFragments = null;
    }
    const saved = p.transport;
    p.transport = 0;
    swapped = this.ipKey(p, ip.source, ip.destination, ip.version, ip.protocol);
    p.transport = saved;
    const id = this.lookup();
    this.update(id, swapped ? 1 : 0, p, r);
    return true;
  }

  /** ICMP errors: a flow of their own per (addresses, type, code, quoted packet). Rare: string keys. */
  private addIcmpError(p: DecodedPacket, r: CaptureRecord): boolean {
    const ip = p.ip[p.innerIp];
    const icmp = p.icmp;
    const q = icmp.quoted;
    const context = this.contexts.intern(p, r.interfaceIndex, p.enclosingTunnels);
    const quote = icmp.hasQuote
      ? `${q.version}|${q.source.join('.')}|${q.destination.join('.')}|${q.protocol}|${icmp.hasQuotedPorts ? `${icmp.quotedSourcePort}|${icmp.quotedDestinationPort}` : ''}`
      : '';
    const slowKey = `${context}|${ip.version}|${ip.source.join('.')}|${ip.destination.join('.')}|${icmp.type}|${icmp.code}|${quote}`;
    let id = this.slowKeys.get(slowKey);
    if (id === undefined) {
      // A key no other flow can have: kind FlowKind.ICMP_ERROR and a serial number.
      const k = this.key;
      k[0] = context;
      k[1] =
        (ip.version << 24) |
        (FlowKind.ICMP_ERROR << 16) |
        (ip.version === 4 ? IP_PROTOCOL_ICMP : IP_PROTOCOL_ICMPV6);
      k[2] = 0;
      for (let i = 0; i < 4; i++) {
        k[3 + i] = ip.source[i];
        k[7 + i] = ip.destination[i];
      }
      k[11] = this.slowKeys.size + 1;
      this.keyIsWide = true;
      id = this.lookup();
      this.slowKeys.set(slowKey, id);
      this.icmpErrors.set(id, {
        type: icmp.type,
        code: icmp.code,
        quotedVersion: icmp.hasQuote ? q.version : 0,
        quotedSource: q.source.slice(),
        quotedDestination: q.destination.slice(),
        quotedProtocol: icmp.hasQuote ? q.protocol : -1,
        quotedSourcePort: icmp.quotedSourcePort,
        quotedDestinationPort: icmp.quotedDestinationPort,
        hasQuotedPorts: icmp.hasQuotedPorts,
      });
    }
    // Endpoint A is the error's sender by construction.
    this.update(id, A_TO_B, p, r);
    this.lastFlow = id;
    this.lastDirection = A_TO_B;
    return true;
  }

  /** The table as transferable data, for `absorb` on another thread. */
  parts(): FlowTableParts {
    const n = this.count;
    const slowKeys: [string, number][] = [...this.slowKeys];
    return {
      count: n,
      keys: this.keys.slice(0, n * KEY_STRIDE),
      stats: this.stats.slice(0, n * STAT_STRIDE),
      orientations: this.orientations.slice(0, n),
      firstRecords: this.firstRecords.slice(0, n),
      deeperVni: this.deeperVni.slice(0, n * (MAX_TUNNELS - 1) * 2),
      contexts: this.contexts.contexts,
      icmpErrors: [...this.icmpErrors],
      proxyHeaders: [...this.proxyHeaders],
      slowKeys,
      fragmentsStarted: this.fragmentsStarted,
      orphanFragments: this.orphanFragments,
    };
  }

  /**
   * Whether `absorb(parts)` gives exactly the table one reading of both parts in turn gives.
   * It does not in three rare cases, where the caller reads the rest itself instead: a later
   * fragment in `parts` whose first fragment is in this table; so many fragments that the
   * pending list would have been cleared; a PROXY header found in `parts` for a flow whose
   * stream this table had already seen (the header would not have been looked for).
   */
  canAbsorb(parts: FlowTableParts): boolean {
    if (this.fragments.size + parts.fragmentsStarted >= MAX_PENDING_FRAGMENTS) return false;
    if (this.fragments.size > 0) {
      if (parts.orphanFragments === null) return false;
      for (const key of parts.orphanFragments) if (this.fragments.has(key)) return false;
    }
    if (parts.proxyHeaders.length === 0) return true;
    const contextIds = parts.contexts.map((c) => this.contexts.idOf(c, false));
    for (const [b] of parts.proxyHeaders) {
      const context = contextIds[parts.keys[b * KEY_STRIDE]];
      if (context < 0) continue;
      const id = this.findPartsKey(parts, b, context);
      if (id >= 0 && (this.keys[id * KEY_STRIDE + K_STATE] & (STATE_PAYLOAD_SEEN * 3)) !== 0) return false;
    }
    return true;
  }

  /**
   * Adds the flows of a table that read the rest of the same capture (from a record boundary
   * on, its records numbered from 0 there): flows seen in both are summed, the others appended
   * in the order they appeared, as reading on would have left this table. Check canAbsorb
   * first. `recordBase` is the number of records before the boundary. Returns each absorbed
   * flow's id here.
   */
  absorb(parts: FlowTableParts, recordBase: number): Int32Array {
    const contextIds = parts.contexts.map((c) => this.contexts.idOf(c, true));
    const slowKeyOf = new Map<number, string>();
    for (const [key, id] of parts.slowKeys) slowKeyOf.set(id, key);
    const icmpErrors = new Map(parts.icmpErrors);
    const proxyHeaders = new Map(parts.proxyHeaders);
    const before = this.count;
    const ids = new Int32Array(parts.count);
    const k = this.key;
    const pk = parts.keys;
    for (let b = 0; b < parts.count; b++) {
      const line = b * KEY_STRIDE;
      const context = contextIds[pk[line]];
      let id: number;
      const slowKey = slowKeyOf.size > 0 ? slowKeyOf.get(b) : undefined;
      if (slowKey !== undefined) {
        // An ICMP error: keyed by its text, with the context's id as this table numbers it.
        const here = `${context}${slowKey.slice(slowKey.indexOf('|'))}`;
        const known = this.slowKeys.get(here);
        if (known !== undefined) id = known;
        else {
          k.set(pk.subarray(line, line + KEY_WORDS));
          k[0] = context;
          k[11] = this.slowKeys.size + 1;
          this.keyIsWide = true;
          id = this.lookup();
          this.slowKeys.set(here, id);
          this.icmpErrors.set(id, icmpErrors.get(b)!);
        }
      } else {
        k[0] = context;
        for (let w = 1; w < KEY_WORDS; w++) k[w] = pk[line + w];
        this.keyIsWide = !isNarrowKey(k[1]);
        id = this.lookup();
      }
      ids[b] = id;
      this.absorbFlow(
        id,
        id >= before,
        parts,
        b,
        recordBase,
        proxyHeaders.size > 0 ? proxyHeaders.get(b) : undefined,
      );
    }
    this.fragmentsStarted += parts.fragmentsStarted;
    if (this.orphanFragments !== null) {
      if (parts.orphanFragments === null) this.orphanFragments = null;
      else this.orphanFragments.push(...parts.orphanFragments);
    }
    return ids;
  }

  private absorbFlow(
    id: number,
    fresh: boolean,
    parts: FlowTableParts,
    b: number,
    recordBase: number,
    proxy: ProxyHeader | undefined,
  ): void {
    const keys = this.keys;
    const stats = this.stats;
    const line = id * KEY_STRIDE;
    const partLine = b * KEY_STRIDE;
    const s = id * STAT_STRIDE;
    const ps = b * STAT_STRIDE;
    const theirs = parts.keys[partLine + K_STATE];
    const deeper = (MAX_TUNNELS - 1) * 2;
    if (fresh) {
      keys[line + K_STATE] = theirs;
      keys[line + K_VNI] = parts.keys[partLine + K_VNI];
      keys[line + K_VNI + 1] = parts.keys[partLine + K_VNI + 1];
      for (let i = 0; i < STAT_STRIDE; i++) stats[s + i] = parts.stats[ps + i];
      this.orientations[id] = parts.orientations[b];
      this.firstRecords[id] = parts.firstRecords[b] + recordBase;
      for (let i = 0; i < deeper; i++) this.deeperVni[id * deeper + i] = parts.deeperVni[b * deeper + i];
      if (proxy !== undefined) this.proxyHeaders.set(id, proxy);
      return;
    }
    stats[s + S_PACKETS] += parts.stats[ps + S_PACKETS];
    stats[s + S_PACKETS + 1] += parts.stats[ps + S_PACKETS + 1];
    stats[s + S_BYTES] += parts.stats[ps + S_BYTES];
    stats[s + S_BYTES + 1] += parts.stats[ps + S_BYTES + 1];
    const firstSeconds = parts.stats[ps + S_FIRST_SECONDS];
    const firstNanos = parts.stats[ps + S_FIRST_NANOS];
    if (
      firstSeconds < stats[s + S_FIRST_SECONDS] ||
      (firstSeconds === stats[s + S_FIRST_SECONDS] && firstNanos < stats[s + S_FIRST_NANOS])
    ) {
      stats[s + S_FIRST_SECONDS] = firstSeconds;
      stats[s + S_FIRST_NANOS] = firstNanos;
    }
    const lastSeconds = parts.stats[ps + S_LAST_SECONDS];
    const lastNanos = parts.stats[ps + S_LAST_NANOS];
    if (
      lastSeconds > stats[s + S_LAST_SECONDS] ||
      (lastSeconds === stats[s + S_LAST_SECONDS] && lastNanos > stats[s + S_LAST_NANOS])
    ) {
      stats[s + S_LAST_SECONDS] = lastSeconds;
      stats[s + S_LAST_NANOS] = lastNanos;
    }
    const ours = keys[line + K_STATE];
    const sticky = 0xffff | (STATE_PAYLOAD_SEEN * 3) | STATE_LINK_BITS;
    let state = (ours | theirs) & sticky;
    // Who started it: the stronger evidence, ours on a tie (it came first). Their RST+ACK
    // counted only because the flow was new to them: here the flow was known before.
    const known = (ours >>> STATE_EVIDENCE_SHIFT) & STATE_EVIDENCE_MASK;
    const evidence = (theirs >>> STATE_EVIDENCE_SHIFT) & STATE_EVIDENCE_MASK;
    const winner = evidence > known && evidence !== INITIATOR_RESET ? theirs : ours;
    state |= winner & ~sticky;
    keys[line + K_STATE] = state;
    // VNIs: the last packet's, theirs when they saw one.
    for (let d = 0; d < 2; d++) {
      const vni = parts.keys[partLine + K_VNI + d];
      if (vni !== NO_VNI) keys[line + K_VNI + d] = vni;
    }
    for (let i = 0; i < deeper; i++) {
      const vni = parts.deeperVni[b * deeper + i];
      if (vni !== -1) this.deeperVni[id * deeper + i] = vni;
    }
    if (proxy !== undefined) this.proxyHeaders.set(id, proxy);
  }

  /** The flow here with the key of flow b of `parts` under this table's context id, or -1. */
  private findPartsKey(parts: FlowTableParts, b: number, context: number): number {
    const k = this.key;
    const line = b * KEY_STRIDE;
    k.set(parts.keys.subarray(line, line + KEY_WORDS));
    k[0] = context;
    this.keyIsWide = !isNarrowKey(k[1]);
    return this.probe(false);
  }

  /** Key word w of flow id. */
  keyWord(id: number, w: number): number {
    return this.keys[id * KEY_STRIDE + w];
  }

  /** Copies endpoint A's (side 0) or B's (side 1) address words into `out`. */
  address(id: number, side: number, out: Uint32Array): Uint32Array {
    const base = id * KEY_STRIDE + (side === 0 ? 3 : 7);
    for (let i = 0; i < 4; i++) out[i] = this.keys[base + i];
    return out;
  }

  port(id: number, side: number): number {
    const ports = this.keys[id * KEY_STRIDE + 2];
    return side === 0 ? ports >>> 16 : ports & 0xffff;
  }

  kind(id: number): number {
    return (this.keys[id * KEY_STRIDE + 1] >>> 16) & 0xff;
  }

  ipVersion(id: number): number {
    return this.keys[id * KEY_STRIDE + 1] >>> 24;
  }

  ipProtocol(id: number): number {
    return this.keys[id * KEY_STRIDE + 1] & 0xffff;
  }

  contextOf(id: number): number {
    return this.keys[id * KEY_STRIDE];
  }

  /** Packets sent by endpoint `side` (0 = A, 1 = B). */
  packetsFrom(id: number, side: number): number {
    return this.stats[id * STAT_STRIDE + S_PACKETS + side];
  }

  /** Original (on-the-wire) bytes sent by endpoint `side`. */
  bytesFrom(id: number, side: number): number {
    return this.stats[id * STAT_STRIDE + S_BYTES + side];
  }

  tcpFlagsFrom(id: number, side: number): number {
    return (this.keys[id * KEY_STRIDE + K_STATE] >>> (side * 8)) & 0xff;
  }

  /**
   * For a flow in a Linux cooked capture: whether packets from `side` (0 = A, 1 = B) left
   * through the interface (bit 0) and whether they arrived on it (bit 1). 0 elsewhere.
   */
  linkDirections(id: number, side: number): number {
    const state = this.keys[id * KEY_STRIDE + K_STATE];
    return ((state >>> (STATE_OUT_SHIFT + side)) & 1) | (((state >>> (STATE_IN_SHIFT + side)) & 1) << 1);
  }

  /** The endpoint that started the flow: 0 = A, 1 = B. */
  initiator(id: number): number {
    return (this.keys[id * KEY_STRIDE + K_STATE] & STATE_INITIATOR_B) !== 0 ? 1 : 0;
  }

  /** How the initiator was told: 4 a SYN, 3 a SYN-ACK, 2 an opening RST+ACK, 1 the first packet. */
  initiatorEvidence(id: number): number {
    return (this.keys[id * KEY_STRIDE + K_STATE] >>> STATE_EVIDENCE_SHIFT) & STATE_EVIDENCE_MASK;
  }

  /** Earliest and latest timestamp: seconds (±Infinity when none) and nanoseconds. */
  firstSeconds(id: number): number {
    return this.stats[id * STAT_STRIDE + S_FIRST_SECONDS];
  }

  firstNanos(id: number): number {
    return this.stats[id * STAT_STRIDE + S_FIRST_NANOS];
  }

  lastSeconds(id: number): number {
    return this.stats[id * STAT_STRIDE + S_LAST_SECONDS];
  }

  lastNanos(id: number): number {
    return this.stats[id * STAT_STRIDE + S_LAST_NANOS];
  }

  /** Record index of the flow's first packet in its capture. */
  firstRecord(id: number): number {
    return this.firstRecords[id];
  }

  /** Bit t set when A-to-B packets leave tunnel t's context `high` endpoint. */
  outerOrientation(id: number): number {
    return this.orientations[id];
  }

  /** VNI (or GRE key) seen at tunnel `level` in packets from endpoint `side`; -1 when none. */
  vni(id: number, level: number, side: number): number {
    if (level === 0) {
      const vni = this.keys[id * KEY_STRIDE + K_VNI + side];
      return vni === NO_VNI ? -1 : vni;
    }
    return this.deeperVni[(id * (MAX_TUNNELS - 1) + level - 1) * 2 + side];
  }

  private grow(capacity: number): void {
    this.capacity = capacity;
    this.keys = growU32(this.keys, capacity * KEY_STRIDE);
    this.stats = growF64(this.stats, capacity * STAT_STRIDE);
    this.orientations = growU32(this.orientations, capacity);
    this.firstRecords = growF64(this.firstRecords, capacity);
    this.deeperVni = growI32(this.deeperVni, capacity * (MAX_TUNNELS - 1) * 2);
    const size = Math.max(this.slots.length, capacity * 2);
    if (size !== this.slots.length) this.rehash(size);
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let i = this.keys[id * KEY_STRIDE + K_HASH] & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    this.slots = slots;
  }
}
