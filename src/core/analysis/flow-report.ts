import { formatTimestamp, type InterfaceInfo } from '../capture/index.js';
import { formatIp, MAX_TUNNELS, tcpFlagLetters, TUNNEL_NAMES, formatMac } from '../decode/index.js';
import {
  FLOW_ARP,
  FLOW_ECHO,
  FLOW_ETHERNET,
  FLOW_ICMP_ERROR,
  FLOW_PORTS,
  type FlowTable,
} from '../flow/index.js';
import type { FlowSummary } from './types.js';

const IP_PROTOCOL_NAMES: Record<number, string> = {
  1: 'icmp',
  2: 'igmp',
  4: 'ipip',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  89: 'ospf',
  103: 'pim',
  112: 'vrrp',
  132: 'sctp',
};

const ETHERTYPE_NAMES: Record<number, string> = {
  0: 'llc',
  0x0800: 'ipv4',
  0x0806: 'arp',
  0x8035: 'rarp',
  0x86dd: 'ipv6',
  0x8100: 'vlan',
  0x88a8: 'vlan',
  0x888e: 'eapol',
  0x88cc: 'lldp',
  0x8847: 'mpls',
  0x8863: 'pppoe',
  0x8864: 'pppoe',
};

export function ipProtocolName(protocol: number): string {
  return IP_PROTOCOL_NAMES[protocol] ?? `ip-${protocol}`;
}

export function etherTypeName(etherType: number): string {
  return ETHERTYPE_NAMES[etherType] ?? `ethertype-0x${etherType.toString(16).padStart(4, '0')}`;
}

export interface FlowReportOptions {
  capture: string;
  interfaces: InterfaceInfo[];
  /** Fractional digits of timestamps (6 for µs captures, 9 for ns). */
  precisionDigits: number;
  /** Whether flows name their interface: a capture with several interfaces, or SLL2. */
  withInterfaces: boolean;
}

/**
 * Writes flows as the JSON contract's text directly: a capture can hold a million flows, and
 * building an object per flow to stringify it cost more than reading the capture. Strings
 * that repeat (the capture name, each context's interface and tunnel endpoints) are made once.
 * `flowSummary` parses this same text, so the objects and the JSON cannot disagree.
 */
export class FlowJsonWriter {
  private readonly captureJson: string;
  private readonly contextCache = new Map<number, { interfaceJson: string; low: string[]; high: string[] }>();
  private readonly words = new Uint32Array(4);

  constructor(
    private readonly table: FlowTable,
    private readonly options: FlowReportOptions,
  ) {
    this.captureJson = JSON.stringify(options.capture);
  }

  /** The JSON text of flow `id`, oriented by initiator: `src` started the conversation. */
  flow(id: number): string {
    const table = this.table;
    const kind = table.kind(id);
    const protocol = table.ipProtocol(id);
    const src = table.initiator(id);
    const dst = 1 - src;
    let name: string;
    if (kind === FLOW_ETHERNET) name = etherTypeName(table.port(id, 1));
    else if (kind === FLOW_ARP) name = 'arp';
    else name = ipProtocolName(protocol);
    // The table counts by sender: packets to src are those dst sent.
    const packetsFromSrc = table.packetsFrom(id, src);
    const packetsToSrc = table.packetsFrom(id, dst);
    const bytesFromSrc = table.bytesFrom(id, src);
    const bytesToSrc = table.bytesFrom(id, dst);
    const digits = this.options.precisionDigits;
    const first = table.firstSeconds(id);
    const last = table.lastSeconds(id);
    const context = this.context(table.contextOf(id));
    let json =
      `{"capture":${this.captureJson},"protocol":"${name}","src":${this.endpoint(id, src, kind)},"dst":${this.endpoint(id, dst, kind)}` +
      `,"packets":${packetsFromSrc + packetsToSrc},"bytes":${bytesFromSrc + bytesToSrc},"packetsToSrc":${packetsToSrc},"bytesToSrc":${bytesToSrc}` +
      `,"start":${Number.isFinite(first) ? `"${formatTimestamp(first, table.firstNanos(id), digits)}"` : 'null'}` +
      `,"end":${Number.isFinite(last) ? `"${formatTimestamp(last, table.lastNanos(id), digits)}"` : 'null'}` +
      `,"interface":${context.interfaceJson},"encapsulation":${this.encapsulation(id, src, context)}`;
    if (kind === FLOW_ECHO) json += `,"icmp":{"id":${table.port(id, 0)}}`;
    else if (kind === FLOW_ICMP_ERROR) json += this.icmpError(id);
    if (kind === FLOW_PORTS && protocol === 6) {
      json += `,"tcpFlags":{"src":"${tcpFlagLetters(table.tcpFlagsFrom(id, src))}","dst":"${tcpFlagLetters(table.tcpFlagsFrom(id, dst))}"}`;
    }
    return `${json}}`;
  }

  private endpoint(id: number, side: number, kind: number): string {
    const words = this.table.address(id, side, this.words);
    if (kind === FLOW_ETHERNET) return `{"mac":"${formatMac(words[0], words[1])}"}`;
    const ip = formatIp(kind === FLOW_ARP ? 4 : this.table.ipVersion(id), words);
    return kind === FLOW_PORTS ? `{"ip":"${ip}","port":${this.table.port(id, side)}}` : `{"ip":"${ip}"}`;
  }

  private context(contextId: number): { interfaceJson: string; low: string[]; high: string[] } {
    let cached = this.contextCache.get(contextId);
    if (cached !== undefined) return cached;
    const context = this.table.contexts.contexts[contextId];
    let interfaceJson = 'null';
    if (this.options.withInterfaces) {
      if (context.linkInterface >= 0) interfaceJson = `{"index":${context.linkInterface},"name":null}`;
      else {
        const iface = this.options.interfaces[context.captureInterface];
        interfaceJson = `{"index":${context.captureInterface},"name":${JSON.stringify(iface?.name ?? null)}}`;
      }
    }
    cached = {
      interfaceJson,
      low: context.tunnels.map((t) => formatIp(t.ipVersion, t.low)),
      high: context.tunnels.map((t) => formatIp(t.ipVersion, t.high)),
    };
    this.contextCache.set(contextId, cached);
    return cached;
  }

  private encapsulation(id: number, src: number, cached: { low: string[]; high: string[] }): string {
    const tunnels = this.table.contexts.contexts[this.table.contextOf(id)].tunnels;
    if (tunnels.length === 0) return '[]';
    const orientation = this.table.outerOrientation(id);
    const parts: string[] = [];
    for (let t = 0; t < tunnels.length && t < MAX_TUNNELS; t++) {
      // Bit t: A-to-B packets leave from `high`; the initiator's packets go A-to-B when src is A.
      const fromHigh = ((orientation >>> t) & 1) === 1;
      const initiatorFromHigh = src === 0 ? fromHigh : !fromHigh;
      const vni = this.table.vni(id, t, src);
      const vniReply = this.table.vni(id, t, 1 - src);
      const tunnel = tunnels[t];
      const outerSrc = initiatorFromHigh ? cached.high[t] : cached.low[t];
      const outerDst = initiatorFromHigh ? cached.low[t] : cached.high[t];
      parts.push(
        `{"type":"${TUNNEL_NAMES[tunnel.type]}","vni":${vni >= 0 ? vni : 'null'},"vniReply":${vniReply >= 0 ? vniReply : 'null'}` +
          `,"udpPort":${tunnel.udpPort > 0 ? tunnel.udpPort : 'null'},"outer":{"src":"${outerSrc}","dst":"${outerDst}"}}`,
      );
    }
    return `[${parts.join(',')}]`;
  }

  private icmpError(id: number): string {
    const detail = this.table.icmpErrors.get(id);
    if (detail === undefined) return '';
    let quotes = '';
    if (detail.quotedVersion !== 0) {
      quotes =
        `,"quotes":{"src":"${formatIp(detail.quotedVersion, detail.quotedSource)}","dst":"${formatIp(detail.quotedVersion, detail.quotedDestination)}"` +
        `,"protocol":"${ipProtocolName(detail.quotedProtocol)}"` +
        (detail.hasQuotedPorts
          ? `,"srcPort":${detail.quotedSourcePort},"dstPort":${detail.quotedDestinationPort}`
          : '') +
        '}';
    }
    return `,"icmp":{"type":${detail.type},"code":${detail.code}${quotes}}`;
  }
}

/** All flows of one capture as objects (for the readable output and the app; scripts get the text). */
export function flowSummaries(table: FlowTable, options: FlowReportOptions): FlowSummary[] {
  const writer = new FlowJsonWriter(table, options);
  const out: FlowSummary[] = new Array(table.count);
  for (let id = 0; id < table.count; id++) out[id] = JSON.parse(writer.flow(id)) as FlowSummary;
  return out;
}

export function flowSummary(table: FlowTable, id: number, options: FlowReportOptions): FlowSummary {
  return JSON.parse(new FlowJsonWriter(table, options).flow(id)) as FlowSummary;
}
