import type { PacketObserver } from '../analysis/index.js';
import type { CaptureRecord } from '../capture/index.js';
import type { DecodedPacket } from '../decode/index.js';
import type { FlowTable } from '../flow/index.js';
import { growF64, growI32, growU32, growU8 } from '../flow/grow.js';
import { powerOfTwoAtLeast } from '../flow/hash.js';
import { Fingerprint, fingerprint } from './fingerprint.js';

/**
 * Sightings of one packet in one capture further apart than this are different packets that
 * happen to look alike (identical payloads with IPv4 Identification 0), not one packet crossing
 * the node's interfaces; and after clock correction, weak fingerprints are matched across
 * captures only within this span of time.
 */
export const SAME_PACKET_SECONDS = 0.05;

/** Int32 words per fingerprint: h1, h2, last hop, sightings. */
const FP_STRIDE = 4;
const FP_LAST_HOP = 2;
const FP_SEEN = 3;
/** Packets per connection that go into the clock estimate. */
const CLOCK_PACKETS = 32;
/** Fingerprints looked at past the last match before the hash table. */
const GUESS_WINDOW = 8;

/** One-way clock differences smaller than this are taken as transit time, not clock offset. */
const ONE_WAY_TRUST_SECONDS = 1;

/** What the correlator needs from each capture once it has been read. */
export interface CorrelatedCapture {
  name: string;
  flows: FlowTable;
}

/** A connection's sighting point: one flow of one capture. */
export interface HopModel {
  hop: number;
  capture: number;
  flow: number;
  /** The flow's direction (0 = A to B) that is client to server. */
  toServerDirection: number;
  /** Seconds since the correlator's base, on the first capture's clock. */
  time: number;
  ttl: number;
  toServer: number;
  toClient: number;
  fromPreviousMs: number | null;
}

export interface LostModel {
  /** Index into the connection's hops of the last point the packets were seen. */
  afterHop: number;
  direction: 'toServer' | 'toClient';
  packets: number;
  /** When the first of them was seen there (seconds since base, corrected). */
  firstTime: number;
  /** Record numbers of (at most LOST_EXAMPLES of) them where they were last seen. */
  records: number[];
}

/** Records kept per lost-packets entry, as examples to open. */
const LOST_EXAMPLES = 20;

export interface ConnectionModel {
  hops: HopModel[];
  firstToLastMs: number | null;
  lost: LostModel[];
  answered: boolean;
  matchedPackets: number;
  /** Distinct packets (fingerprints) of the connection. */
  fingerprints: number;
  /**
   * With `pairs`: per pair of captures that both saw the connection (key a * captures + b,
   * a < b), the packets both saw and the median time between their sightings (ms).
   */
  pairs?: Map<number, { packets: number; medianMs: number | null }>;
}

export interface ClockModel {
  offset: number;
  relativeTo: number;
  basis: 'reference' | 'two-way' | 'one-way' | 'unmatched';
  matchedPackets: number;
}

export interface Correlation {
  /** Whole seconds the times are counted from. */
  baseSeconds: number;
  clocks: ClockModel[];
  connections: ConnectionModel[];
  matchedPackets: number;
  fingerprinted: number[];
  /** Each capture's first and last packet time (seconds since base, own clock). */
  spans: [number, number][];
  /** Packets in both captures a and b: [a * captures + b] with a < b. */
  pairPackets: Float64Array;
}

/**
 * The median of `values[0, n)`, sorting them in place: insertion sort for the few dozen
 * packets of a typical connection (TypedArray sort costs more than the work here).
 */
function medianOf(values: Float64Array, n: number): number | null {
  if (n === 0) return null;
  if (n > 64) values.subarray(0, n).sort();
  else {
    for (let i = 1; i < n; i++) {
      const v = values[i];
      let j = i - 1;
      while (j >= 0 && values[j] > v) {
        values[j + 1] = values[j];
        j--;
      }
      values[j + 1] = v;
    }
  }
  return n % 2 === 1 ? values[n >> 1] : (values[(n >> 1) - 1] + values[n >> 1]) / 2;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/**
 * Finds the same packets in several captures of the same traffic and rebuilds each
 * connection's path through them. Feed each capture's packets through `observer(i)` (in
 * capture order), then call `correlate` with the captures' flow tables.
 *
 * Storage is flat typed arrays: per sighting (a packet seen in one capture) 30 bytes, per
 * distinct fingerprint 28 bytes, so four captures of 1.7 M packets cost about 250 MB.
 */
export class Correlator {
  // Sightings.
  private sightings = 0;
  private sFp = new Int32Array(1024);
  private sHop = new Int32Array(1024);
  private sTime = new Float64Array(1024);
  private sRec = new Int32Array(1024);
  private sSeq = new Uint32Array(1024);
  private sLen = new Int32Array(1024);
  private sDir = new Uint8Array(1024);
  private sTtl = new Uint8Array(1024);
  // Fingerprints: an open-addressing table of their two hashes, and per fingerprint
  // [h1, h2, the hop it was last seen at, sightings] side by side (one cache line a lookup).
  private fps = 0;
  private slots = new Int32Array(2048);
  private fpRec = new Int32Array(1024 * FP_STRIDE);
  private fpWeak = new Uint8Array(1024);
  // After reading: each fingerprint's sightings side by side (see byFingerprint).
  private fpStart = new Int32Array(0);
  private bS = new Int32Array(0);
  private bHop = new Int32Array(0);
  private bTime = new Float64Array(0);
  private bRec = new Int32Array(0);
  private bDir = new Uint8Array(0);
  private bTtl = new Uint8Array(0);
  // Hops: flows of captures that had a fingerprinted packet.
  private hops = 0;
  private hopCapture = new Int32Array(256);
  private hopFlow = new Int32Array(256);
  private readonly flowToHop: Int32Array[] = [];
  private readonly firstTime: number[] = [];
  private readonly lastTime: number[] = [];
  private readonly fingerprinted: number[] = [];
  private base = NaN;
  private readonly scratch = new Fingerprint();
  private withPairs = false;
  /** Where the next fingerprint probably is (see lookup). */
  private guess = 0;
  private scratchTimes = new Float64Array(256);
  private scratchValues = new Float64Array(64);
  private scratchRecords = new Int32Array(256);
  private scratchTtls = new Uint8Array(256);
  private scratchDirs = new Uint8Array(64);
  private scratchSeen = new Int32Array(64);
  /** Packets that repeat a fingerprint in the same flow (true duplicates): kept once. */
  repeats = 0;

  /** `captures`: how many captures will be fed, when known (to size the tables). */
  constructor(private readonly expected = 0) {}

  /** The packet hook for capture `index` (0, 1, ... in the order the captures are read). */
  observer(index: number): PacketObserver {
    // Later captures of the same traffic hold about as many packets as the first: make room
    // once instead of doubling (and rehashing) all the way.
    if (index > 0 && this.expected > index && this.flowToHop.length === index) {
      const want = Math.ceil((this.sightings / index) * this.expected * 1.05);
      if (want > this.sFp.length) this.growSightings(want);
      const slots = powerOfTwoAtLeast(Math.ceil(this.fps * 2.2));
      if (slots > this.slots.length) this.rehash(slots);
    }
    while (this.flowToHop.length <= index) {
      this.flowToHop.push(new Int32Array(0));
      this.firstTime.push(Infinity);
      this.lastTime.push(-Infinity);
      this.fingerprinted.push(0);
    }
    return {
      packet: (p: DecodedPacket, r: CaptureRecord, flow: number, direction: number): void => {
        if (!r.hasTimestamp) return;
        if (this.base !== this.base) this.base = Math.floor(r.tsSeconds);
        const time = r.tsSeconds - this.base + r.tsNanos * 1e-9;
        if (time < this.firstTime[index]) this.firstTime[index] = time;
        if (time > this.lastTime[index]) this.lastTime[index] = time;
        if (flow < 0 || !fingerprint(p, r.bytes, this.scratch)) return;
        this.fingerprinted[index]++;
        this.add(index, flow, direction, time, r.index);
      },
    };
  }

  private hopOf(capture: number, flow: number): number {
    let map = this.flowToHop[capture];
    if (flow >= map.length) {
      const next = new Int32Array(Math.max(1024, powerOfTwoAtLeast(flow + 1))).fill(-1);
      next.set(map);
      map = this.flowToHop[capture] = next;
    }
    let hop = map[flow];
    if (hop < 0) {
      hop = this.hops++;
      if (hop >= this.hopCapture.length) {
        this.hopCapture = growI32(this.hopCapture, hop * 2);
        this.hopFlow = growI32(this.hopFlow, hop * 2);
      }
      this.hopCapture[hop] = capture;
      this.hopFlow[hop] = flow;
      map[flow] = hop;
    }
    return hop;
  }

  private add(capture: number, flow: number, direction: number, time: number, record: number): void {
    const f = this.scratch;
    const hop = this.hopOf(capture, flow);
    const at = this.lookup(f.h1, f.h2, f.weak) * FP_STRIDE;
    const rec = this.fpRec;
    if (rec[at + FP_LAST_HOP] === hop) {
      this.repeats++;
      return;
    }
    rec[at + FP_LAST_HOP] = hop;
    rec[at + FP_SEEN]++;
    const s = this.sightings++;
    if (s >= this.sFp.length) this.growSightings(s * 2);
    this.sFp[s] = at / FP_STRIDE;
    this.sHop[s] = hop;
    this.sTime[s] = time;
    this.sRec[s] = record;
    this.sSeq[s] = f.sequence;
    this.sLen[s] = f.length;
    this.sDir[s] = direction;
    this.sTtl[s] = f.ttl;
  }

  private growSightings(n: number): void {
    this.sFp = growI32(this.sFp, n);
    this.sHop = growI32(this.sHop, n);
    this.sTime = growF64(this.sTime, n);
    this.sRec = growI32(this.sRec, n);
    this.sSeq = growU32(this.sSeq, n);
    this.sLen = growI32(this.sLen, n);
    this.sDir = growU8(this.sDir, n);
    this.sTtl = growU8(this.sTtl, n);
  }

  private lookup(h1: number, h2: number, weak: boolean): number {
    // A later capture of the same traffic meets its packets in about the order the first
    // did: look just past the last match before probing the table (a cache miss a packet).
    const rec = this.fpRec;
    const guess = this.guess;
    const stop = Math.min(this.fps, guess + GUESS_WINDOW);
    for (let id = guess; id < stop; id++) {
      if (rec[id * FP_STRIDE] === h1 && rec[id * FP_STRIDE + 1] === h2) {
        this.guess = id + 1;
        return id;
      }
    }
    const id = this.probe(h1, h2, weak);
    this.guess = id + 1;
    return id;
  }

  private probe(h1: number, h2: number, weak: boolean): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const id = slots[i] - 1;
      if (id < 0) {
        const fp = this.newFingerprint(h1, h2, weak);
        slots[i] = fp + 1;
        if (this.fps * 2 > slots.length) this.rehash(slots.length * 2);
        return fp;
      }
      if (this.fpRec[id * FP_STRIDE] === h1 && this.fpRec[id * FP_STRIDE + 1] === h2) return id;
    }
  }

  private newFingerprint(h1: number, h2: number, weak: boolean): number {
    const fp = this.fps++;
    if (fp >= this.fpWeak.length) {
      this.fpRec = growI32(this.fpRec, fp * 2 * FP_STRIDE);
      this.fpWeak = growU8(this.fpWeak, fp * 2);
    }
    const at = fp * FP_STRIDE;
    this.fpRec[at] = h1;
    this.fpRec[at + 1] = h2;
    this.fpRec[at + FP_LAST_HOP] = -1;
    this.fpRec[at + FP_SEEN] = 0;
    this.fpWeak[fp] = weak ? 1 : 0;
    return fp;
  }

  /**
   * Lays each fingerprint's sightings side by side (a counting sort by fingerprint, each
   * keeping the order it was read in), so linking walks memory in order.
   */
  private byFingerprint(): void {
    const fps = this.fps;
    const n = this.sightings;
    const start = new Int32Array(fps + 1);
    for (let s = 0; s < n; s++) start[this.sFp[s] + 1]++;
    for (let fp = 0; fp < fps; fp++) start[fp + 1] += start[fp];
    const fill = start.slice(0, fps);
    if (this.bS.length < n) {
      this.bS = new Int32Array(n);
      this.bHop = new Int32Array(n);
      this.bTime = new Float64Array(n);
      this.bRec = new Int32Array(n);
      this.bDir = new Uint8Array(n);
      this.bTtl = new Uint8Array(n);
    }
    const { sFp, sHop, sTime, sRec, sDir, sTtl, bS, bHop, bTime, bRec, bDir, bTtl } = this;
    for (let s = 0; s < n; s++) {
      const i = fill[sFp[s]]++;
      bS[i] = s;
      bHop[i] = sHop[s];
      bTime[i] = sTime[s];
      bRec[i] = sRec[s];
      bDir[i] = sDir[s];
      bTtl[i] = sTtl[s];
    }
    this.fpStart = start;
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let fp = 0; fp < this.fps; fp++) {
      let i = this.fpRec[fp * FP_STRIDE] & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = fp + 1;
    }
    this.slots = slots;
  }

  // ---- linking ---------------------------------------------------------------------------

  private parent = new Int32Array(0);
  private parity = new Uint8Array(0);
  private size = new Int32Array(0);
  private lastParity = 0;

  private find(x: number): number {
    const parent = this.parent;
    const par = this.parity;
    let root = x;
    let p = 0;
    while (parent[root] !== root) {
      p ^= par[root];
      root = parent[root];
    }
    let cur = x;
    let cp = p;
    while (cur !== root) {
      const next = parent[cur];
      const old = par[cur];
      parent[cur] = root;
      par[cur] = cp;
      cp ^= old;
      cur = next;
    }
    this.lastParity = p;
    return root;
  }

  /** Joins hops a and b; `relation` 0 when their A-to-B directions are the same packets' direction. */
  private union(a: number, b: number, relation: number): void {
    let ra = this.find(a);
    const pa = this.lastParity;
    let rb = this.find(b);
    const pb = this.lastParity;
    if (ra === rb) return;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.parity[rb] = pa ^ pb ^ relation;
    this.size[ra] += this.size[rb];
  }

  // Edges between hops, kept per first hop in short lists.
  private edgeHead = new Int32Array(0);
  private edges = 0;
  private eNext = new Int32Array(1024);
  private eA = new Int32Array(1024);
  private eB = new Int32Array(1024);
  private eCount = new Int32Array(1024);
  private eAgree = new Int32Array(1024);

  private addEdge(a: number, b: number, agree: boolean): void {
    let e = this.edgeHead[a];
    while (e >= 0 && this.eB[e] !== b) e = this.eNext[e];
    if (e < 0) {
      e = this.edges++;
      if (e >= this.eA.length) {
        const n = e * 2;
        this.eNext = growI32(this.eNext, n);
        this.eA = growI32(this.eA, n);
        this.eB = growI32(this.eB, n);
        this.eCount = growI32(this.eCount, n);
        this.eAgree = growI32(this.eAgree, n);
      }
      this.eA[e] = a;
      this.eB[e] = b;
      this.eCount[e] = 0;
      this.eAgree[e] = 0;
      this.eNext[e] = this.edgeHead[a];
      this.edgeHead[a] = e;
    }
    this.eCount[e]++;
    if (agree) this.eAgree[e]++;
  }

  /** Unions the edges collected since the last call, best-supported first. */
  private applyEdges(from: number): void {
    const order: number[] = [];
    for (let e = from; e < this.edges; e++) order.push(e);
    order.sort((x, y) => this.eCount[y] - this.eCount[x]);
    for (const e of order) this.union(this.eA[e], this.eB[e], this.eAgree[e] * 2 >= this.eCount[e] ? 0 : 1);
  }

  /** Star-links the sightings of one fingerprint to the hop of its first. */
  private linkRange(from: number, to: number): void {
    const bHop = this.bHop;
    const bDir = this.bDir;
    for (let i = from + 1; i < to; i++)
      if (bHop[i] !== bHop[from]) this.addEdge(bHop[from], bHop[i], bDir[i] === bDir[from]);
  }

  /** Star-links one time instance of a split fingerprint (sighting indexes). */
  private linkList(list: number[]): void {
    const sHop = this.sHop;
    const sDir = this.sDir;
    const first = list[0];
    for (let i = 1; i < list.length; i++) {
      const s = list[i];
      if (sHop[s] !== sHop[first]) this.addEdge(sHop[first], sHop[s], sDir[s] === sDir[first]);
    }
  }

  /** Whether a fingerprint is seen in one capture on different flows too far apart in time. */
  private ambiguous(from: number, to: number): boolean {
    let capture = -1;
    let firstTime = 0;
    let firstHop = -1;
    for (let i = from; i < to; i++) {
      const hop = this.bHop[i];
      const c = this.hopCapture[hop];
      if (c !== capture) {
        capture = c;
        firstTime = this.bTime[i];
        firstHop = hop;
      } else if (hop !== firstHop && Math.abs(this.bTime[i] - firstTime) > SAME_PACKET_SECONDS) {
        return true;
      }
    }
    return false;
  }

  /**
   * Links the captures' packets into connections, estimates the clock offsets and lays out
   * each connection's hops in path order.
   */
  correlate(captures: readonly CorrelatedCapture[], options: { pairs?: boolean } = {}): Correlation {
    this.withPairs = options.pairs === true;
    const captureCount = captures.length;
    while (this.firstTime.length < captureCount) this.observer(this.firstTime.length);
    const hops = this.hops;
    this.parent = new Int32Array(hops);
    for (let h = 0; h < hops; h++) this.parent[h] = h;
    this.parity = new Uint8Array(hops);
    this.size = new Int32Array(hops).fill(1);
    this.edgeHead = new Int32Array(hops).fill(-1);

    // Phase 1: strong, unambiguous fingerprints link flows without looking at time.
    this.byFingerprint();
    const deferred: number[] = [];
    const fpCount = this.fps;
    const fpStart = this.fpStart;
    for (let fp = 0; fp < fpCount; fp++) {
      const from = fpStart[fp];
      const to = fpStart[fp + 1];
      if (to - from < 2) continue;
      if (this.fpWeak[fp] === 1 || this.ambiguous(from, to)) {
        deferred.push(fp);
        continue;
      }
      this.linkRange(from, to);
    }
    this.applyEdges(0);

    // Clocks, from the phase 1 links.
    const spans: [number, number][] = [];
    for (let c = 0; c < captureCount; c++) spans.push([this.firstTime[c], this.lastTime[c]]);
    const pairPackets = new Float64Array(captureCount * captureCount);
    let groups = this.byComponent();
    let c2sRoot = this.clientDirections(captures);
    this.pack(groups.ids);
    const clocks = this.estimateClocks(groups, c2sRoot, captureCount, pairPackets);
    const offsets = clocks.map((c) => c.offset);

    // Phase 2: weak or ambiguous fingerprints, split into instances by corrected time.
    if (deferred.length > 0) {
      const edgesBefore = this.edges;
      for (const fp of deferred) this.splitByTime(fp, offsets);
      this.applyEdges(edgesBefore);
      this.byFingerprint();
      groups = this.byComponent();
      c2sRoot = this.clientDirections(captures);
      this.pack(groups.ids);
    }

    const connections = this.layOut(captures, offsets, groups, c2sRoot);
    let matched = 0;
    for (const c of connections) matched += c.matchedPackets;
    return {
      baseSeconds: this.base === this.base ? this.base : 0,
      clocks,
      connections,
      matchedPackets: matched,
      fingerprinted: this.fingerprinted.slice(0, captureCount),
      spans,
      pairPackets,
    };
  }

  /**
   * Splits a weak or ambiguous fingerprint into the packets it stands for: sightings within
   * SAME_PACKET_SECONDS of each other (on the corrected clocks) are one packet. The first
   * keeps the fingerprint; each later one becomes a fingerprint of its own.
   */
  private splitByTime(fp: number, offsets: number[]): void {
    const list: number[] = [];
    for (let i = this.fpStart[fp]; i < this.fpStart[fp + 1]; i++) list.push(this.bS[i]);
    const at = (s: number): number => this.sTime[s] + offsets[this.hopCapture[this.sHop[s]]];
    list.sort((a, b) => at(a) - at(b));
    let instance: number[] = [];
    let target = fp;
    const flush = (): void => {
      if (instance.length === 0) return;
      if (target < 0)
        target = this.newFingerprint(this.fpRec[fp * FP_STRIDE], this.fpRec[fp * FP_STRIDE + 1], true);
      for (const s of instance) this.sFp[s] = target;
      if (instance.length > 1) this.linkList(instance);
      instance = [];
      target = -1;
    };
    let last = -Infinity;
    for (const s of list) {
      const t = at(s);
      if (t - last > SAME_PACKET_SECONDS) flush();
      instance.push(s);
      last = t;
    }
    flush();
  }

  /** Groups fingerprints by the component of their first sighting's hop: [start, ids]. */
  private byComponent(): { roots: Int32Array; start: Int32Array; ids: Int32Array } {
    const fpCount = this.fps;
    const roots = new Int32Array(fpCount);
    const hops = this.hops;
    const counts = new Int32Array(hops + 1);
    for (let fp = 0; fp < fpCount; fp++) {
      const head = this.fpStart[fp];
      if (head === this.fpStart[fp + 1]) {
        roots[fp] = -1;
        continue;
      }
      const root = this.find(this.bHop[head]);
      roots[fp] = root;
      counts[root + 1]++;
    }
    for (let h = 0; h < hops; h++) counts[h + 1] += counts[h];
    const start = counts.slice();
    const fill = counts.slice();
    const ids = new Int32Array(start[hops]);
    for (let fp = 0; fp < fpCount; fp++) if (roots[fp] >= 0) ids[fill[roots[fp]]++] = fp;
    return { roots, start, ids };
  }

  // Sightings copied out in component, then fingerprint, order (see pack).
  private pOff = new Int32Array(0);
  private pHop = new Int32Array(0);
  private pTime = new Float64Array(0);
  private pRec = new Int32Array(0);
  private pDir = new Uint8Array(0);
  private pTtl = new Uint8Array(0);

  /**
   * Copies each fingerprint's sightings next to each other, fingerprints in the order of
   * `ids` (grouped by connection): the clock estimate and the layout then read memory in
   * order instead of chasing each fingerprint's list across four captures' worth of it.
   */
  private pack(ids: Int32Array): void {
    const n = this.sightings;
    if (this.pHop.length < n) {
      this.pHop = new Int32Array(n);
      this.pTime = new Float64Array(n);
      this.pRec = new Int32Array(n);
      this.pDir = new Uint8Array(n);
      this.pTtl = new Uint8Array(n);
    }
    const off = (this.pOff = new Int32Array(ids.length + 1));
    const { fpStart, bHop, bTime, bRec, bDir, bTtl, pHop, pTime, pRec, pDir, pTtl } = this;
    let p = 0;
    for (let q = 0; q < ids.length; q++) {
      off[q] = p;
      const to = fpStart[ids[q] + 1];
      for (let i = fpStart[ids[q]]; i < to; i++, p++) {
        pHop[p] = bHop[i];
        pTime[p] = bTime[i];
        pRec[p] = bRec[i];
        pDir[p] = bDir[i];
        pTtl[p] = bTtl[i];
      }
    }
    off[ids.length] = p;
  }

  /**
   * The root-direction of client-to-server packets per component root: from the hop with the
   * best evidence of who started (a SYN beats a SYN-ACK beats the first packet).
   */
  private clientDirections(captures: readonly CorrelatedCapture[]): Uint8Array {
    const hops = this.hops;
    const best = new Int32Array(hops).fill(-1);
    const bestScore = new Float64Array(hops).fill(-1);
    for (let h = 0; h < hops; h++) {
      const root = this.find(h);
      const table = captures[this.hopCapture[h]].flows;
      const score = table.initiatorEvidence(this.hopFlow[h]) * 1e6 - this.hopCapture[h];
      if (score > bestScore[root]) {
        bestScore[root] = score;
        best[root] = h;
      }
    }
    const out = new Uint8Array(hops);
    for (let h = 0; h < hops; h++) {
      const b = best[h];
      if (b < 0) continue;
      this.find(b);
      out[h] = captures[this.hopCapture[b]].flows.initiator(this.hopFlow[b]) ^ this.lastParity;
    }
    return out;
  }

  private estimateClocks(
    groups: { start: Int32Array; ids: Int32Array },
    c2sRoot: Uint8Array,
    n: number,
    pairPackets: Float64Array,
  ): ClockModel[] {
    const { start, ids } = groups;
    // Per pair: two-way intervals [lo, hi] where the clock offset must lie, point estimates
    // where the directions overlap, and one-way differences.
    const lows: number[][] = [];
    const highs: number[][] = [];
    const points: number[][] = [];
    const oneWay: number[][] = [];
    for (let i = 0; i < n * n; i++) {
      lows.push([]);
      highs.push([]);
      points.push([]);
      oneWay.push([]);
    }
    const first = new Float64Array(n);
    const last = new Float64Array(n);
    /*
     * Per pair (i, j) of one connection, the bounds on the offset theta = t_j - t_i that
     * causality gives under each hypothesis, and sums for a point estimate:
     *   0 hiA  i upstream: a packet to the server reaches j after it left i:  theta <= first_j - last_i
     *   1 loA             a reply reaches i after it left j:                  theta >= last_j - first_i
     *   2 loB  j upstream: theta >= last_j - first_i (to the server)
     *   3 hiB             theta <= first_j - last_i (replies)
     *   4, 5   sum and count of first_j - first_i, to the server;  6, 7 the same for replies
     */
    const acc = new Float64Array(n * n * 8);
    const touched: number[] = [];
    const hops = this.hops;
    const { pOff, pHop, pTime, pDir, hopCapture } = this;
    for (let root = 0; root < hops; root++) {
      const from = start[root];
      const to = start[root + 1];
      if (to - from < 1 || this.size[root] < 2 || this.parent[root] !== root) continue;
      // The connection's first packets bound the offset as well as all of them would.
      const end = Math.min(to, from + CLOCK_PACKETS);
      for (let k = from; k < end; k++) {
        const fp = ids[k];
        if (this.fpWeak[fp] === 1) continue;
        for (let c = 0; c < n; c++) first[c] = last[c] = NaN;
        let dir = -1;
        for (let p = pOff[k]; p < pOff[k + 1]; p++) {
          const h = pHop[p];
          const c = hopCapture[h];
          const t = pTime[p];
          if (!(first[c] <= t)) first[c] = t;
          if (!(last[c] >= t)) last[c] = t;
          if (dir < 0) {
            this.find(h);
            dir = (pDir[p] ^ this.lastParity) === c2sRoot[root] ? 0 : 1;
          }
        }
        for (let i = 0; i < n; i++) {
          if (first[i] !== first[i]) continue;
          for (let j = i + 1; j < n; j++) {
            if (first[j] !== first[j]) continue;
            const pair = i * n + j;
            const a = pair * 8;
            if (acc[a + 5] === 0 && acc[a + 7] === 0) {
              touched.push(pair);
              acc[a] = Infinity;
              acc[a + 1] = -Infinity;
              acc[a + 2] = -Infinity;
              acc[a + 3] = Infinity;
            }
            const early = first[j] - last[i];
            const late = last[j] - first[i];
            if (dir === 0) {
              if (early < acc[a]) acc[a] = early;
              if (late > acc[a + 2]) acc[a + 2] = late;
              acc[a + 4] += first[j] - first[i];
              acc[a + 5]++;
            } else {
              if (late > acc[a + 1]) acc[a + 1] = late;
              if (early < acc[a + 3]) acc[a + 3] = early;
              acc[a + 6] += first[j] - first[i];
              acc[a + 7]++;
            }
            pairPackets[pair]++;
          }
        }
      }
      for (const pair of touched) {
        const a = pair * 8;
        const n1 = acc[a + 5];
        const n2 = acc[a + 7];
        if (n1 > 0 && n2 > 0) {
          const upstreamI = acc[a + 1] <= acc[a];
          const upstreamJ = acc[a + 2] <= acc[a + 3];
          if (upstreamI && !upstreamJ) {
            lows[pair].push(acc[a + 1]);
            highs[pair].push(acc[a]);
          } else if (upstreamJ && !upstreamI) {
            lows[pair].push(acc[a + 2]);
            highs[pair].push(acc[a + 3]);
          } else {
            points[pair].push((acc[a + 4] / n1 + acc[a + 6] / n2) / 2);
          }
        } else {
          oneWay[pair].push(n1 > 0 ? acc[a + 4] / n1 : acc[a + 6] / n2);
        }
        acc.fill(0, a, a + 8);
      }
      touched.length = 0;
    }
    // theta[pair] = t_j - t_i for one instant; NaN when the pair shares nothing.
    const theta = new Float64Array(n * n).fill(NaN);
    // Where every connection of the pair agrees: the offset lies in [low, high] (NaN: no such range).
    const low = new Float64Array(n * n).fill(NaN);
    const high = new Float64Array(n * n).fill(NaN);
    const basis: ('two-way' | 'one-way')[] = new Array<'two-way' | 'one-way'>(n * n).fill('one-way');
    for (let pair = 0; pair < n * n; pair++) {
      if (lows[pair].length > 0) {
        let lo = -Infinity;
        let hi = Infinity;
        for (const x of lows[pair]) if (x > lo) lo = x;
        for (const x of highs[pair]) if (x < hi) hi = x;
        if (lo <= hi) {
          theta[pair] = (lo + hi) / 2;
          low[pair] = lo;
          high[pair] = hi;
        } else {
          const mids = lows[pair].map((l, i) => (l + highs[pair][i]) / 2).concat(points[pair]);
          theta[pair] = median(mids) ?? NaN;
        }
        basis[pair] = 'two-way';
      } else if (points[pair].length > 0) {
        theta[pair] = median(points[pair]) ?? NaN;
        basis[pair] = 'two-way';
      } else if (oneWay[pair].length > 0) {
        const m = median(oneWay[pair]) ?? 0;
        theta[pair] = Math.abs(m) < ONE_WAY_TRUST_SECONDS ? 0 : m;
      }
    }
    // A spanning tree from capture 0, strongest pairs first (Prim's).
    const clocks: ClockModel[] = [];
    for (let c = 0; c < n; c++)
      clocks.push({
        offset: 0,
        relativeTo: c,
        basis: c === 0 ? 'reference' : 'unmatched',
        matchedPackets: 0,
      });
    const done = new Uint8Array(n);
    for (let seed = 0; seed < n; seed++) {
      if (done[seed] === 1) continue;
      done[seed] = 1;
      if (seed > 0) clocks[seed].basis = 'unmatched';
      for (;;) {
        let bestPair = -1;
        let bestWeight = 0;
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            const pair = i * n + j;
            if (done[i] === done[j] || theta[pair] !== theta[pair]) continue;
            if (pairPackets[pair] > bestWeight) {
              bestWeight = pairPackets[pair];
              bestPair = pair;
            }
          }
        }
        if (bestPair < 0) break;
        const i = Math.floor(bestPair / n);
        const j = bestPair % n;
        const [placed, fresh] = done[i] === 1 ? [i, j] : [j, i];
        // The offset the strongest pair gives; then narrowed to what every capture already
        // placed allows, so no packet arrives before it was sent at any pair of points.
        let offset =
          placed < fresh ? clocks[placed].offset - theta[bestPair] : clocks[placed].offset + theta[bestPair];
        let from = -Infinity;
        let to = Infinity;
        for (let p = 0; p < n; p++) {
          if (done[p] !== 1 || p === fresh) continue;
          const pair = p < fresh ? p * n + fresh : fresh * n + p;
          if (low[pair] !== low[pair]) continue;
          const base = clocks[p].offset;
          const a = p < fresh ? base - high[pair] : base + low[pair];
          const b = p < fresh ? base - low[pair] : base + high[pair];
          if (a > from) from = a;
          if (b < to) to = b;
        }
        if (from <= to && from > -Infinity) offset = (from + to) / 2;
        clocks[fresh] = { offset, relativeTo: placed, basis: basis[bestPair], matchedPackets: bestWeight };
        done[fresh] = 1;
      }
    }
    return clocks;
  }

  /** Each component of two or more hops, laid out as a connection. */
  private layOut(
    captures: readonly CorrelatedCapture[],
    offsets: number[],
    groups: { start: Int32Array; ids: Int32Array },
    c2sRoot: Uint8Array,
  ): ConnectionModel[] {
    const { start, ids } = groups;
    const out: ConnectionModel[] = [];
    const local = new Int32Array(this.hops).fill(-1);
    const hops = this.hops;
    for (let root = 0; root < hops; root++) {
      if (this.parent[root] !== root || this.size[root] < 2) continue;
      const from = start[root];
      const to = start[root + 1];
      if (to - from === 0) continue;
      const model = this.connection(captures, offsets, ids, from, to, c2sRoot[root], local);
      if (model !== null) out.push(model);
    }
    out.sort((a, b) => a.hops[0].time - b.hops[0].time || a.hops[0].hop - b.hops[0].hop);
    return out;
  }

  private connection(
    captures: readonly CorrelatedCapture[],
    offsets: number[],
    ids: Int32Array,
    from: number,
    to: number,
    c2sRoot: number,
    local: Int32Array,
  ): ConnectionModel | null {
    const off = this.pOff;
    const pHop = this.pHop;
    // Local hop indexes.
    const hopIds: number[] = [];
    for (let p = off[from]; p < off[to]; p++) {
      const h = pHop[p];
      if (local[h] < 0) {
        local[h] = hopIds.length;
        hopIds.push(h);
      }
    }
    const k = hopIds.length;
    const reset = (): void => {
      for (const h of hopIds) local[h] = -1;
    };
    if (k < 2) {
      reset();
      return null;
    }
    const m = to - from;
    // Per (fingerprint, hop): corrected time of its first sighting (NaN: not seen) and record.
    // Scratch reused across connections (most are small; allocating per connection was a
    // third of the layout's time).
    if (this.scratchTimes.length < m * k) {
      const n = Math.max(m * k, this.scratchTimes.length * 2);
      this.scratchTimes = new Float64Array(n);
      this.scratchRecords = new Int32Array(n);
      this.scratchTtls = new Uint8Array(n);
    }
    if (this.scratchDirs.length < m) {
      const n = Math.max(m, this.scratchDirs.length * 2);
      this.scratchDirs = new Uint8Array(n);
      this.scratchSeen = new Int32Array(n);
    }
    const times = this.scratchTimes.fill(NaN, 0, m * k);
    const records = this.scratchRecords;
    const ttls = this.scratchTtls;
    const dirs = this.scratchDirs; // 0 to server, 1 to client
    const seenAt = this.scratchSeen.fill(0, 0, m);
    const parities = new Uint8Array(k);
    const shift = new Float64Array(k);
    for (let x = 0; x < k; x++) {
      this.find(hopIds[x]);
      parities[x] = this.lastParity;
      shift[x] = offsets[this.hopCapture[hopIds[x]]];
    }
    // Locals, not fields: V8 reloads a field after every typed-array store in the loop.
    const pTime = this.pTime;
    const pRec = this.pRec;
    const pTtl = this.pTtl;
    const pDir = this.pDir;
    for (let f = 0; f < m; f++) {
      let dir = -1;
      const last = off[from + f + 1];
      for (let p = off[from + f]; p < last; p++) {
        const x = local[pHop[p]];
        if (dir < 0) dir = (pDir[p] ^ parities[x]) === c2sRoot ? 0 : 1;
        const at = f * k + x;
        if (times[at] !== times[at]) {
          times[at] = pTime[p] + shift[x];
          records[at] = pRec[p];
          ttls[at] = pTtl[p];
          seenAt[f]++;
        }
      }
      dirs[f] = dir;
    }
    // Position each hop along the path: by the client-to-server packet seen in most places,
    // then the rest relative to hops already placed.
    let best = -1;
    for (let f = 0; f < m; f++) if (dirs[f] === 0 && (best < 0 || seenAt[f] > seenAt[best])) best = f;
    if (best < 0) for (let f = 0; f < m; f++) if (best < 0 || seenAt[f] > seenAt[best]) best = f;
    const position = new Float64Array(k).fill(NaN);
    const tie = new Float64Array(k);
    const sign = dirs[best] === 0 ? 1 : -1;
    for (let x = 0; x < k; x++) {
      const t = times[best * k + x];
      if (t === t) {
        position[x] = sign * t;
        tie[x] = sign * records[best * k + x];
      }
    }
    let unplaced = 0;
    for (let x = 0; x < k; x++) if (position[x] !== position[x]) unplaced++;
    for (let pass = 0; pass < k && unplaced > 0; pass++) {
      let changed = false;
      for (let f = 0; f < m && !changed; f++) {
        const row = f * k;
        let anchor = -1;
        for (let x = 0; x < k; x++)
          if (position[x] === position[x] && times[row + x] === times[row + x]) anchor = x;
        if (anchor < 0) continue;
        const s = dirs[f] === 0 ? 1 : -1;
        for (let x = 0; x < k; x++) {
          if (position[x] !== position[x] && times[row + x] === times[row + x]) {
            position[x] = position[anchor] + s * (times[row + x] - times[row + anchor]);
            tie[x] = tie[anchor] + s * (records[row + x] - records[row + anchor]);
            changed = true;
            unplaced--;
          }
        }
      }
      if (!changed) break;
    }
    const order = this.pathOrder(captures, hopIds, times, records, dirs, position, tie, m, k);
    const rank = new Int32Array(k);
    for (let i = 0; i < k; i++) rank[order[i]] = i;

    // Per hop: time, TTL and counts.
    const models: HopModel[] = order.map((x) => {
      const h = hopIds[x];
      let time = Infinity;
      let anyTime = Infinity;
      let ttl = -1;
      let toServer = 0;
      let toClient = 0;
      for (let f = 0; f < m; f++) {
        const t = times[f * k + x];
        if (t !== t) continue;
        if (dirs[f] === 0) {
          toServer++;
          if (t < time) {
            time = t;
            ttl = ttls[f * k + x];
          }
        } else toClient++;
        if (t < anyTime) anyTime = t;
      }
      const capture = this.hopCapture[h];
      const flow = this.hopFlow[h];
      this.find(h);
      return {
        hop: h,
        capture,
        flow,
        toServerDirection: c2sRoot ^ this.lastParity,
        time: time === Infinity ? anyTime : time,
        ttl,
        toServer,
        toClient,
        fromPreviousMs: null,
      };
    });
    if (this.scratchValues.length < m)
      this.scratchValues = new Float64Array(Math.max(m, this.scratchValues.length * 2));
    const values = this.scratchValues;
    const between = (a: number, b: number): number | null => {
      let n = 0;
      for (let f = 0; f < m; f++) {
        const ta = times[f * k + a];
        const tb = times[f * k + b];
        if (ta === ta && tb === tb) values[n++] = Math.abs(tb - ta) * 1000;
      }
      return medianOf(values, n);
    };
    for (let i = 1; i < k; i++) models[i].fromPreviousMs = between(order[i - 1], order[i]);
    const firstToLastMs = between(order[0], order[k - 1]);

    // Packets that vanished: seen up to some point, never after, while a sibling sent later
    // was seen further on.
    const lost = this.vanished(ids, from, to, times, records, dirs, rank, order, k);
    let matched = 0;
    let answered = false;
    for (let f = 0; f < m; f++) {
      if (seenAt[f] > 1) matched++;
      if (dirs[f] === 1) answered = true;
    }
    const model: ConnectionModel = {
      hops: models,
      firstToLastMs,
      lost,
      answered,
      matchedPackets: matched,
      fingerprints: m,
    };
    if (this.withPairs) model.pairs = this.pairLatencies(hopIds, times, m, k, captures.length);
    reset();
    return model;
  }

  /**
   * The hops in path order. Each packet two hops both saw says which came first (the earlier
   * sighting, for packets to the server; the later, for replies; record order within one
   * capture); the majority of votes orders each pair. Of the hops the votes leave unordered,
   * one with the same addresses and ports as the hop before it goes first (a NAT happens once
   * on a path, not back and forth), then the one further up the path.
   */
  private pathOrder(
    captures: readonly CorrelatedCapture[],
    hopIds: number[],
    times: Float64Array,
    records: Int32Array,
    dirs: Uint8Array,
    position: Float64Array,
    tie: Float64Array,
    m: number,
    k: number,
  ): number[] {
    const votes = new Int32Array(k * k);
    for (let f = 0; f < m; f++) {
      const row = f * k;
      for (let a = 0; a < k; a++) {
        const ta = times[row + a];
        if (ta !== ta) continue;
        for (let b = a + 1; b < k; b++) {
          const tb = times[row + b];
          if (tb !== tb) continue;
          let aFirst: boolean;
          if (this.hopCapture[hopIds[a]] === this.hopCapture[hopIds[b]])
            aFirst = records[row + a] < records[row + b];
          else if (ta !== tb) aFirst = ta < tb;
          else continue;
          if (dirs[f] === 1) aFirst = !aFirst;
          if (aFirst) votes[a * k + b]++;
          else votes[b * k + a]++;
        }
      }
    }
    const indegree = new Int32Array(k);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) if (votes[a * k + b] > votes[b * k + a]) indegree[b]++;
    const placed = new Uint8Array(k);
    const before = (a: number, b: number): boolean => {
      const pa = position[a] === position[a] ? position[a] : Infinity;
      const pb = position[b] === position[b] ? position[b] : Infinity;
      if (pa !== pb) return pa < pb;
      const ca = this.hopCapture[hopIds[a]];
      const cb = this.hopCapture[hopIds[b]];
      return ca === cb ? tie[a] < tie[b] : ca < cb;
    };
    // Addresses and ports (flow key words 1-10: the key less its context) as a hash.
    const tuples = hopIds.map((h) => {
      const table = captures[this.hopCapture[h]].flows;
      const flow = this.hopFlow[h];
      let hash = 0x811c9dc5;
      for (let w = 1; w <= 10; w++) hash = Math.imul(hash ^ table.keyWord(flow, w), 0x01000193);
      return hash;
    });
    const order: number[] = [];
    while (order.length < k) {
      let pick = -1;
      const previous = order.length > 0 ? tuples[order[order.length - 1]] : null;
      const better = (x: number, y: number): boolean => {
        const same = (tuples[x] === previous) !== (tuples[y] === previous);
        return same ? tuples[x] === previous : before(x, y);
      };
      for (let x = 0; x < k; x++)
        if (placed[x] === 0 && indegree[x] === 0 && (pick < 0 || better(x, pick))) pick = x;
      // A cycle (votes that disagree, clocks not quite right): take the earliest of the rest.
      if (pick < 0)
        for (let x = 0; x < k; x++) if (placed[x] === 0 && (pick < 0 || before(x, pick))) pick = x;
      placed[pick] = 1;
      order.push(pick);
      for (let b = 0; b < k; b++)
        if (votes[pick * k + b] > votes[b * k + pick] && indegree[b] > 0) indegree[b]--;
    }
    return order;
  }

  private pairLatencies(
    hopIds: number[],
    times: Float64Array,
    m: number,
    k: number,
    n: number,
  ): Map<number, { packets: number; medianMs: number | null }> {
    const values = new Map<number, number[]>();
    const first = new Float64Array(n);
    for (let f = 0; f < m; f++) {
      first.fill(NaN);
      for (let x = 0; x < k; x++) {
        const t = times[f * k + x];
        const c = this.hopCapture[hopIds[x]];
        if (t === t && !(first[c] <= t)) first[c] = t;
      }
      for (let a = 0; a < n; a++) {
        if (first[a] !== first[a]) continue;
        for (let b = a + 1; b < n; b++) {
          if (first[b] !== first[b]) continue;
          const key = a * n + b;
          let list = values.get(key);
          if (list === undefined) values.set(key, (list = []));
          list.push(Math.abs(first[b] - first[a]) * 1000);
        }
      }
    }
    const out = new Map<number, { packets: number; medianMs: number | null }>();
    for (const [key, list] of values) out.set(key, { packets: list.length, medianMs: median(list) });
    return out;
  }

  private vanished(
    ids: Int32Array,
    from: number,
    to: number,
    times: Float64Array,
    records: Int32Array,
    dirs: Uint8Array,
    rank: Int32Array,
    order: number[],
    k: number,
  ): LostModel[] {
    const m = to - from;
    // For each fingerprint: the furthest point it reached along its own direction.
    const reach = new Int32Array(m);
    for (let f = 0; f < m; f++) {
      let far = -1;
      for (let x = 0; x < k; x++) {
        if (times[f * k + x] !== times[f * k + x]) continue;
        const r = dirs[f] === 0 ? rank[x] : k - 1 - rank[x];
        if (r > far) far = r;
      }
      reach[f] = far;
    }
    // Per point (in each direction's order): the latest time there of a packet that went further.
    const late = new Float64Array(2 * k).fill(-Infinity);
    for (let f = 0; f < m; f++) {
      const d = dirs[f];
      for (let x = 0; x < k; x++) {
        const t = times[f * k + x];
        if (t !== t) continue;
        const r = d === 0 ? rank[x] : k - 1 - rank[x];
        if (r < reach[f] && t > late[d * k + r]) late[d * k + r] = t;
      }
    }
    const out: LostModel[] = [];
    for (let f = 0; f < m; f++) {
      const d = dirs[f];
      const r = reach[f];
      if (r < 0 || r >= k - 1) continue;
      const x = order[d === 0 ? r : k - 1 - r];
      const t = times[f * k + x];
      if (!(t < late[d * k + r])) continue;
      if (this.coalescedLater(ids, from, to, f, d, r, times, dirs, rank, k)) continue;
      const afterHop = d === 0 ? r : k - 1 - r;
      const direction = d === 0 ? 'toServer' : 'toClient';
      let entry = out.find((e) => e.afterHop === afterHop && e.direction === direction);
      if (entry === undefined) {
        entry = { afterHop, direction, packets: 0, firstTime: t, records: [] };
        out.push(entry);
      }
      entry.packets++;
      if (entry.records.length < LOST_EXAMPLES) entry.records.push(records[f * k + x]);
      if (t < entry.firstTime) entry.firstTime = t;
    }
    out.sort((a, b) => a.firstTime - b.firstTime);
    return out;
  }

  /**
   * Whether a TCP segment that vanished after point r was merged into a bigger segment seen
   * further on (GRO/LRO coalescing), which is not a loss.
   */
  private coalescedLater(
    ids: Int32Array,
    from: number,
    to: number,
    f: number,
    d: number,
    r: number,
    times: Float64Array,
    dirs: Uint8Array,
    rank: Int32Array,
    k: number,
  ): boolean {
    const head = this.bS[this.fpStart[ids[from + f]]];
    const seq = this.sSeq[head];
    const len = this.sLen[head];
    if (len === 0) return false;
    for (let g = 0; g < to - from; g++) {
      if (g === f || dirs[g] !== d) continue;
      const other = this.bS[this.fpStart[ids[from + g]]];
      const olen = this.sLen[other];
      if (olen <= len) continue;
      if ((seq - this.sSeq[other]) >>> 0 > olen - len) continue;
      for (let x = 0; x < k; x++) {
        if (times[g * k + x] !== times[g * k + x]) continue;
        const rx = d === 0 ? rank[x] : k - 1 - rank[x];
        if (rx > r) return true;
      }
    }
    return false;
  }
}
