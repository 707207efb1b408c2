import type { DecodedPacket } from '../decode/index.js';
import { finishHash, mix, mixWord, powerOfTwoAtLeast } from './hash.js';

/** Words per tunnel in a context key: type, UDP port, IP version, then both endpoints (4 words each). */
const TUNNEL_WORDS = 11;
/** Words before the tunnels: capture interface, link (SLL2) interface + 1, tunnel count. */
const HEAD_WORDS = 3;
const FAST_STRIDE = 6;

/** One tunnel of a context: its type and the unordered pair of outer endpoints, `low` < `high`. */
export interface ContextTunnel {
  type: number;
  /** The UDP port that identified VXLAN/Geneve (0 for IP-in-IP and GRE). */
  udpPort: number;
  ipVersion: number;
  low: Uint32Array;
  high: Uint32Array;
}

export interface FlowContext {
  id: number;
  /** Index into the capture's interfaces (pcap: always 0). */
  captureInterface: number;
  /** SLL2 interface index, or -1. */
  linkInterface: number;
  /** Outermost first. */
  tunnels: ContextTunnel[];
}

/**
 * Interns encapsulation contexts: where a flow was seen (capture interface, SLL2 interface)
 * and through which tunnels, each tunnel as its type and unordered pair of outer endpoints.
 * There are few distinct contexts (node pairs), so a flow key stores just the context id.
 *
 * `intern` also leaves in `orientation` which way this packet crossed each tunnel: bit t is
 * set when the packet's outer source was tunnel t's `high` endpoint.
 */
export class ContextTable {
  readonly contexts: FlowContext[] = [];
  orientation = 0;
  private readonly scratch = new Uint32Array(HEAD_WORDS + TUNNEL_WORDS * 8);
  private keys = new Uint32Array(1024);
  private keyStart: number[] = [];
  private keyLength: number[] = [];
  private keyUsed = 0;
  private slots = new Int32Array(64);
  private hashes: number[] = [];
  /** The one-IPv4-tunnel table: [capture interface, link interface + 1, type << 16 | port, low, high, context id]. */
  private fastKeys = new Uint32Array(FAST_STRIDE * 64);
  private fastSlots = new Int32Array(128);
  private fastHashes: number[] = [];
  private fastCount = 0;
  private plainInterface = -2;
  private plainLink = -2;
  private plainId = -1;

  /** The context of a decoded packet, using its first `tunnelCount` tunnels. */
  intern(p: DecodedPacket, captureInterface: number, tunnelCount: number): number {
    if (tunnelCount === 0) {
      // Most packets: no tunnel, and the same interface as the packet before.
      this.orientation = 0;
      if (captureInterface === this.plainInterface && p.linkInterface === this.plainLink) return this.plainId;
    } else if (tunnelCount === 1 && p.ip[p.tunnelIp[0]].version === 4) {
      return this.internOneIpv4Tunnel(p, captureInterface);
    }
    return this.internAny(p, captureInterface, tunnelCount);
  }

  /**
   * The overlay case (one VXLAN, Geneve, IP-in-IP or GRE tunnel between IPv4 nodes) by a
   * table of its own keyed by five numbers, so the per-packet cost is a short hash and compare.
   */
  private internOneIpv4Tunnel(p: DecodedPacket, captureInterface: number): number {
    const ip = p.ip[p.tunnelIp[0]];
    const s = ip.source[0];
    const d = ip.destination[0];
    const low = s <= d ? s : d;
    const high = s <= d ? d : s;
    const link = p.linkInterface + 1;
    const typeAndPort = (p.tunnelType[0] << 16) | p.tunnelPort[0];
    this.orientation = s > d ? 1 : 0;
    const h = finishHash(
      mix(mix(mix(mix(mix(0x1b873593, captureInterface), link), typeAndPort), low), high),
      5,
    );
    const keys = this.fastKeys;
    const mask = this.fastSlots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = this.fastSlots[i] - 1;
      if (entry < 0) break;
      const k = entry * FAST_STRIDE;
      if (
        keys[k + 3] === low &&
        keys[k + 4] === high &&
        keys[k + 2] === typeAndPort &&
        keys[k] === captureInterface &&
        keys[k + 1] === link
      ) {
        return keys[k + 5];
      }
    }
    const orientation = this.orientation;
    const id = this.internAny(p, captureInterface, 1);
    this.orientation = orientation;
    this.addFast(h, [captureInterface, link, typeAndPort, low, high, id]);
    return id;
  }

  private addFast(hash: number, words: number[]): void {
    const entry = this.fastCount++;
    if ((entry + 1) * FAST_STRIDE > this.fastKeys.length) {
      const grown = new Uint32Array(this.fastKeys.length * 2);
      grown.set(this.fastKeys);
      this.fastKeys = grown;
    }
    this.fastKeys.set(words, entry * FAST_STRIDE);
    this.fastHashes.push(hash);
    if (this.fastCount * 2 > this.fastSlots.length) {
      const slots = new Int32Array(this.fastSlots.length * 2);
      const mask = slots.length - 1;
      for (let e = 0; e < this.fastCount; e++) {
        let i = this.fastHashes[e] & mask;
        while (slots[i] !== 0) i = (i + 1) & mask;
        slots[i] = e + 1;
      }
      this.fastSlots = slots;
      return;
    }
    const mask = this.fastSlots.length - 1;
    let i = hash & mask;
    while (this.fastSlots[i] !== 0) i = (i + 1) & mask;
    this.fastSlots[i] = entry + 1;
  }

  private internAny(p: DecodedPacket, captureInterface: number, tunnelCount: number): number {
    const w = this.scratch;
    w[0] = captureInterface;
    w[1] = p.linkInterface + 1;
    w[2] = tunnelCount;
    let h = mixWord(mixWord(mixWord(0x3c6ef372, w[0]), w[1]), w[2]);
    let length = HEAD_WORDS;
    let orientation = 0;
    for (let t = 0; t < tunnelCount; t++) {
      const ip = p.ip[p.tunnelIp[t]];
      const s = ip.source;
      const d = ip.destination;
      const version = ip.version;
      w[length] = p.tunnelType[t];
      w[length + 1] = p.tunnelPort[t];
      w[length + 2] = version;
      // Order the endpoints so both directions of a tunnel are one context.
      let cmp = 0;
      for (let i = 0; i < 4 && cmp === 0; i++) cmp = s[i] < d[i] ? -1 : s[i] > d[i] ? 1 : 0;
      const low = cmp <= 0 ? s : d;
      const high = cmp <= 0 ? d : s;
      if (cmp > 0) orientation |= 1 << t;
      for (let i = 0; i < 4; i++) {
        w[length + 3 + i] = low[i];
        w[length + 7 + i] = high[i];
      }
      // IPv4 endpoints leave words 1-3 zero: hash only the words that can differ.
      h = mixWord(h, (p.tunnelType[t] << 24) ^ (version << 20) ^ p.tunnelPort[t]);
      h = mixWord(mixWord(h, low[0]), high[0]);
      if (version === 6) {
        for (let i = 1; i < 4; i++) h = mixWord(mixWord(h, low[i]), high[i]);
      }
      length += TUNNEL_WORDS;
    }
    this.orientation = orientation;
    return this.remember(
      this.probe(length, finishHash(h, length), true),
      tunnelCount,
      captureInterface,
      p.linkInterface,
    );
  }

  /**
   * The id of a context another table made (the same words as internAny builds from a
   * packet): interned when `add`, else -1 when this table does not have it.
   */
  idOf(c: FlowContext, add: boolean): number {
    const w = this.scratch;
    w[0] = c.captureInterface;
    w[1] = c.linkInterface + 1;
    w[2] = c.tunnels.length;
    let h = mixWord(mixWord(mixWord(0x3c6ef372, w[0]), w[1]), w[2]);
    let length = HEAD_WORDS;
    for (const tunnel of c.tunnels) {
      w[length] = tunnel.type;
      w[length + 1] = tunnel.udpPort;
      w[length + 2] = tunnel.ipVersion;
      w.set(tunnel.low, length + 3);
      w.set(tunnel.high, length + 7);
      h = mixWord(h, (tunnel.type << 24) ^ (tunnel.ipVersion << 20) ^ tunnel.udpPort);
      h = mixWord(mixWord(h, tunnel.low[0]), tunnel.high[0]);
      if (tunnel.ipVersion === 6) {
        for (let i = 1; i < 4; i++) h = mixWord(mixWord(h, tunnel.low[i]), tunnel.high[i]);
      }
      length += TUNNEL_WORDS;
    }
    return this.probe(length, finishHash(h, length), add);
  }

  /** The context whose words are in `scratch`: found, added (when `add`) or -1. */
  private probe(length: number, h: number, add: boolean): number {
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = this.slots[i] - 1;
      if (id < 0) return add ? this.add(i, length, h) : -1;
      if (this.hashes[id] === h && this.keyLength[id] === length && this.equals(id, length)) return id;
    }
  }

  private remember(id: number, tunnelCount: number, captureInterface: number, linkInterface: number): number {
    if (tunnelCount === 0) {
      this.plainInterface = captureInterface;
      this.plainLink = linkInterface;
      this.plainId = id;
    }
    return id;
  }

  private equals(id: number, length: number): boolean {
    const start = this.keyStart[id];
    const k = this.keys;
    const w = this.scratch;
    for (let i = 0; i < length; i++) if (k[start + i] !== w[i]) return false;
    return true;
  }

  private add(slot: number, length: number, hash: number): number {
    const id = this.contexts.length;
    if (this.keyUsed + length > this.keys.length) {
      const grown = new Uint32Array(powerOfTwoAtLeast((this.keyUsed + length) * 2));
      grown.set(this.keys);
      this.keys = grown;
    }
    const w = this.scratch;
    this.keys.set(w.subarray(0, length), this.keyUsed);
    this.keyStart.push(this.keyUsed);
    this.keyLength.push(length);
    this.hashes.push(hash);
    this.keyUsed += length;
    this.slots[slot] = id + 1;
    const tunnels: ContextTunnel[] = [];
    for (let t = 0, at = HEAD_WORDS; t < w[2]; t++, at += TUNNEL_WORDS) {
      tunnels.push({
        type: w[at],
        udpPort: w[at + 1],
        ipVersion: w[at + 2],
        low: w.slice(at + 3, at + 7),
        high: w.slice(at + 7, at + 11),
      });
    }
    this.contexts.push({ id, captureInterface: w[0], linkInterface: w[1] - 1, tunnels });
    if (this.contexts.length * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.contexts.length; id++) {
      let i = this.hashes[id] & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    this.slots = slots;
  }
}
