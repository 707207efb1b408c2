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
import type { Encapsulation, Endpoint, FlowSummary } from './types.js';

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
 * The flows of one capture in the JSON contract's shape, oriented by initiator: `src` is
 * whoever started the conversation (the SYN sender for TCP, else the first packet's sender).
 */
export function flowSummaries(table: FlowTable, options: FlowReportOptions): FlowSummary[] {
  const out: FlowSummary[] = new Array(table.count);
  for (let id = 0; id < table.count; id++) out[id] = flowSummary(table, id, options);
  return out;
}

export function flowSummary(table: FlowTable, id: number, options: FlowReportOptions): FlowSummary {
  const kind = table.kind(id);
  const version = table.ipVersion(id);
  const protocol = table.ipProtocol(id);
  // Side indexes: the initiator is src.
  const src = table.initiator(id);
  const dst = 1 - src;
  const words = new Uint32Array(4);
  const endpoint = (side: number): Endpoint => {
    table.address(id, side, words);
    if (kind === FLOW_ETHERNET) return { mac: formatMac(words[0], words[1]) };
    const e: Endpoint = { ip: formatIp(kind === FLOW_ARP ? 4 : version, words) };
    if (kind === FLOW_PORTS) e.port = table.port(id, side);
    return e;
  };
  let name: string;
  if (kind === FLOW_ETHERNET) name = etherTypeName(table.port(id, 1));
  else if (kind === FLOW_ARP) name = 'arp';
  else name = ipProtocolName(protocol);
  // Direction d in the table is "from side d"; packets to src are those sent by dst.
  const packetsFromSrc = table.packetsFrom(id, src);
  const packetsToSrc = table.packetsFrom(id, dst);
  const bytesFromSrc = table.bytesFrom(id, src);
  const bytesToSrc = table.bytesFrom(id, dst);
  const digits = options.precisionDigits;
  const flow: FlowSummary = {
    capture: options.capture,
    protocol: name,
    src: endpoint(src),
    dst: endpoint(dst),
    packets: packetsFromSrc + packetsToSrc,
    bytes: bytesFromSrc + bytesToSrc,
    packetsToSrc,
    bytesToSrc,
    start: Number.isFinite(table.firstSeconds(id))
      ? formatTimestamp(table.firstSeconds(id), table.firstNanos(id), digits)
      : null,
    end: Number.isFinite(table.lastSeconds(id))
      ? formatTimestamp(table.lastSeconds(id), table.lastNanos(id), digits)
      : null,
    interface: null,
    encapsulation: encapsulation(table, id, src),
  };
  const context = table.contexts.contexts[table.contextOf(id)];
  if (options.withInterfaces) {
    if (context.linkInterface >= 0) flow.interface = { index: context.linkInterface, name: null };
    else {
      const iface = options.interfaces[context.captureInterface];
      flow.interface = { index: context.captureInterface, name: iface?.name ?? null };
    }
  }
  if (kind === FLOW_ECHO) flow.icmp = { id: table.port(id, 0) };
  if (kind === FLOW_ICMP_ERROR) {
    const detail = table.icmpErrors.get(id);
    if (detail !== undefined) {
      flow.icmp = { type: detail.type, code: detail.code };
      if (detail.quotedVersion !== 0) {
        const quotes: NonNullable<FlowSummary['icmp']>['quotes'] = {
          src: formatIp(detail.quotedVersion, detail.quotedSource),
          dst: formatIp(detail.quotedVersion, detail.quotedDestination),
          protocol: ipProtocolName(detail.quotedProtocol),
        };
        if (detail.hasQuotedPorts) {
          quotes.srcPort = detail.quotedSourcePort;
          quotes.dstPort = detail.quotedDestinationPort;
        }
        flow.icmp.quotes = quotes;
      }
    }
  }
  if (kind === FLOW_PORTS && protocol === 6) {
    flow.tcpFlags = {
      src: tcpFlagLetters(table.tcpFlagsFrom(id, src)),
      dst: tcpFlagLetters(table.tcpFlagsFrom(id, dst)),
    };
  }
  return flow;
}

function encapsulation(table: FlowTable, id: number, src: number): Encapsulation[] {
  const context = table.contexts.contexts[table.contextOf(id)];
  const out: Encapsulation[] = [];
  const orientation = table.outerOrientation(id);
  for (let t = 0; t < context.tunnels.length && t < MAX_TUNNELS; t++) {
    const tunnel = context.tunnels[t];
    // Bit t: A-to-B packets leave from `high`. The initiator's packets go A-to-B when src is A.
    const fromHigh = ((orientation >>> t) & 1) === 1;
    const initiatorFromHigh = src === 0 ? fromHigh : !fromHigh;
    const low = formatIp(tunnel.ipVersion, tunnel.low);
    const high = formatIp(tunnel.ipVersion, tunnel.high);
    const vniForward = table.vni(id, t, src);
    const vniReply = table.vni(id, t, 1 - src);
    out.push({
      type: TUNNEL_NAMES[tunnel.type],
      vni: vniForward >= 0 ? vniForward : null,
      vniReply: vniReply >= 0 ? vniReply : null,
      udpPort: tunnel.udpPort > 0 ? tunnel.udpPort : null,
      outer: initiatorFromHigh ? { src: high, dst: low } : { src: low, dst: high },
    });
  }
  return out;
}
