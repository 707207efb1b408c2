import type { CaptureRecord } from '../capture/index.js';
import { type DecodedPacket, Layer, Network, TUNNEL_NAMES } from '../decode/index.js';
import type { PacketObserver } from './capture-analysis.js';

/** Time buckets kept while reading; when full, neighbours merge and each spans twice as long. */
const MAX_BUCKETS = 240;
/** Values per bucket: packets and bytes for each tunnel type (none, vxlan, geneve, ipip, gre). */
const KINDS = TUNNEL_NAMES.length;
const STRIDE = KINDS * 2;
/** Packet sizes in 100-byte bins up to 9,000 (jumbo frames), the last bin taking the rest. */
const SIZE_BIN = 100;
const SIZE_BINS = 91;

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', 'arp', 'other'] as const;

/** What the overview draws, added up while the capture is read: never a point per packet. */
export interface CaptureCharts {
  /** Seconds each bucket spans, and the first bucket's start (Unix seconds). */
  bucketSeconds: number;
  start: number | null;
  /** Per bucket, packets and bytes by tunnel type. */
  buckets: { t: number; packets: Record<string, number>; bytes: Record<string, number> }[];
  protocols: Record<(typeof PROTOCOLS)[number], number>;
  /** Packets by the size of their innermost IP packet (frames without IP: their wire size). */
  sizes: { from: number; packets: number }[];
}

/**
 * A PacketObserver that adds each packet into time buckets by tunnel type, a protocol mix and
 * a size histogram. Memory is fixed: the buckets widen (merging neighbours) instead of growing.
 */
export class ChartAggregator implements PacketObserver {
  private readonly values = new Float64Array(MAX_BUCKETS * STRIDE);
  private readonly sizes = new Float64Array(SIZE_BINS);
  private readonly protocols = new Float64Array(PROTOCOLS.length);
  private width = 1;
  private start = NaN;
  private used = 0;

  packet(p: DecodedPacket, r: CaptureRecord): void {
    const length = r.originalLength;
    // Sizes of the innermost IP packet (what must fit inside a tunnel), else of the frame.
    let size = length;
    if (p.innerNetwork === Network.IP) {
      const ip = p.ip[p.innerIp];
      size = ip.version === 4 ? ip.lengthField : 40 + ip.lengthField;
    }
    this.sizes[Math.min(SIZE_BINS - 1, Math.floor(size / SIZE_BIN))]++;
    this.protocols[protocolIndex(p)]++;
    if (!r.hasTimestamp) return;
    const time = r.tsSeconds + r.tsNanos * 1e-9;
    if (this.start !== this.start) this.start = Math.floor(time);
    // Packets slightly out of order before the first one go into the first bucket.
    let bucket = Math.max(0, Math.floor((time - this.start) / this.width));
    while (bucket >= MAX_BUCKETS) {
      this.widen();
      bucket = Math.floor((time - this.start) / this.width);
    }
    if (bucket >= this.used) this.used = bucket + 1;
    const kind = p.enclosingTunnels > 0 ? p.tunnelType[0] : 0;
    const at = bucket * STRIDE + kind * 2;
    this.values[at]++;
    this.values[at + 1] += length;
  }

  private widen(): void {
    const v = this.values;
    for (let b = 0; b < MAX_BUCKETS / 2; b++) {
      for (let i = 0; i < STRIDE; i++)
        v[b * STRIDE + i] = v[2 * b * STRIDE + i] + v[(2 * b + 1) * STRIDE + i];
    }
    v.fill(0, (MAX_BUCKETS / 2) * STRIDE);
    this.width *= 2;
    this.used = Math.ceil(this.used / 2);
  }

  result(): CaptureCharts {
    const buckets: CaptureCharts['buckets'] = [];
    for (let b = 0; b < this.used; b++) {
      const packets: Record<string, number> = {};
      const bytes: Record<string, number> = {};
      for (let k = 0; k < KINDS; k++) {
        packets[TUNNEL_NAMES[k]] = this.values[b * STRIDE + k * 2];
        bytes[TUNNEL_NAMES[k]] = this.values[b * STRIDE + k * 2 + 1];
      }
      buckets.push({ t: this.start + b * this.width, packets, bytes });
    }
    const protocols = Object.fromEntries(
      PROTOCOLS.map((name, i) => [name, this.protocols[i]]),
    ) as CaptureCharts['protocols'];
    const sizes: CaptureCharts['sizes'] = [];
    this.sizes.forEach((packets, i) => {
      if (packets > 0) sizes.push({ from: i * SIZE_BIN, packets });
    });
    return {
      bucketSeconds: this.width,
      start: this.start === this.start ? this.start : null,
      buckets,
      protocols,
      sizes,
    };
  }
}

function protocolIndex(p: DecodedPacket): number {
  if (p.innerNetwork === Network.ARP) return 4;
  switch (p.transport) {
    case Layer.TCP:
      return 0;
    case Layer.UDP:
      return 1;
    case Layer.ICMP:
      return 2;
    case Layer.ICMPV6:
      return 3;
    default:
      return 5;
  }
}
