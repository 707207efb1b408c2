import { formatTimestamp, type InterfaceInfo, isIsoSecond, wholeSecond } from '../capture/index.js';
import {
  formatIp,
  formatIpv6,
  formatMac,
  MAX_TUNNELS,
  tcpFlagLetters,
  TUNNEL_NAMES,
} from '../decode/index.js';
import { asciiBytes, JsonBytes } from './json-bytes.js';
import { FlowKind, type FlowTable } from '../flow/index.js';
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

const F_CAPTURE = asciiBytes('{"capture":');
const F_PROTOCOL = asciiBytes(',"protocol":"');
const F_SRC = asciiBytes('","src":');
const F_DST = asciiBytes(',"dst":');
const F_PACKETS = asciiBytes(',"packets":');
const F_BYTES = asciiBytes(',"bytes":');
const F_PACKETS_TO_SRC = asciiBytes(',"packetsToSrc":');
const F_BYTES_TO_SRC = asciiBytes(',"bytesToSrc":');
const F_START = asciiBytes(',"start":');
const F_END = asciiBytes(',"end":');
const F_INTERFACE = asciiBytes(',"interface":');
const F_ENCAPSULATION = asciiBytes(',"encapsulation":');
const F_IP = asciiBytes('{"ip":"');
const F_PORT = asciiBytes('","port":');
const F_NULL = asciiBytes('null');
const T0 = asciiBytes('","dst":"');
const T1 = asciiBytes('","protocol":"');
const T2 = asciiBytes('","vni":');
const T3 = asciiBytes('"}');
const T4 = asciiBytes('"}}');
const T5 = asciiBytes(',"code":');
const T6 = asciiBytes(',"dstPort":');
const T7 = asciiBytes(',"icmp":{"id":');
const T8 = asciiBytes(',"icmp":{"type":');
const T9 = asciiBytes(',"outer":{"src":"');
const T10 = asciiBytes(',"quotes":{"src":"');
const T11 = asciiBytes(',"srcPort":');
const T12 = asciiBytes(',"tcpFlags":{"src":"');
const T13 = asciiBytes(',"udpPort":');
const T14 = asciiBytes(',"vniReply":');
const T15 = asciiBytes('[]');
const T16 = asciiBytes('arp');
const T17 = asciiBytes('{"mac":"');
const T18 = asciiBytes('{"type":"');

const SECOND_CACHE = 256;
const ISO_SECOND_LENGTH = 19;

interface ContextText {
  interfaceJson: Uint8Array;
  low: string[];
  high: string[];
}

/**
 * Writes flows as the JSON contract's text, straight into bytes: a capture can hold a
 * million flows, and building an object, or even a string, per flow made more garbage than
 * reading the capture. Text that repeats (the capture name, each context's interface and
 * tunnel endpoints) is made once. `flowSummary` parses this same text, so the objects and
 * the JSON cannot disagree.
 */
export class FlowJsonWriter {
  private readonly captureJson: Uint8Array;
  private readonly contextCache = new Map<number, ContextText>();
  private readonly words = new Uint32Array(4);
  private readonly scratch = new JsonBytes(1024);
  private readonly secondKeys = new Float64Array(SECOND_CACHE).fill(NaN);
  private readonly secondText = new Uint8Array(SECOND_CACHE * ISO_SECOND_LENGTH);

  constructor(
    private readonly table: FlowTable,
    private readonly options: FlowReportOptions,
  ) {
    const name = new JsonBytes(64);
    name.string(options.capture);
    this.captureJson = name.view().slice();
  }

  /** Appends the JSON text of flow `id` to `out`, oriented by initiator: `src` started the conversation. */
  write(id: number, out: JsonBytes): void {
    const table = this.table;
    const kind = table.kind(id);
    const protocol = table.ipProtocol(id);
    const src = table.initiator(id);
    const dst = 1 - src;
    // The table counts by sender: packets to src are those dst sent.
    const packetsFromSrc = table.packetsFrom(id, src);
    const packetsToSrc = table.packetsFrom(id, dst);
    const bytesFromSrc = table.bytesFrom(id, src);
    const bytesToSrc = table.bytesFrom(id, dst);
    const context = this.context(table.contextOf(id));
    out.raw(F_CAPTURE);
    out.raw(this.captureJson);
    out.raw(F_PROTOCOL);
    if (kind === FlowKind.ETHERNET) out.ascii(etherTypeName(table.port(id, 1)));
    else if (kind === FlowKind.ARP) out.raw(T16);
    else out.ascii(ipProtocolName(protocol));
    out.raw(F_SRC);
    this.endpoint(id, src, kind, out);
    out.raw(F_DST);
    this.endpoint(id, dst, kind, out);
    out.raw(F_PACKETS);
    out.uint(packetsFromSrc + packetsToSrc);
    out.raw(F_BYTES);
    out.uint(bytesFromSrc + bytesToSrc);
    out.raw(F_PACKETS_TO_SRC);
    out.uint(packetsToSrc);
    out.raw(F_BYTES_TO_SRC);
    out.uint(bytesToSrc);
    out.raw(F_START);
    this.timestamp(table.firstSeconds(id), table.firstNanos(id), out);
    out.raw(F_END);
    this.timestamp(table.lastSeconds(id), table.lastNanos(id), out);
    out.raw(F_INTERFACE);
    out.raw(context.interfaceJson);
    out.raw(F_ENCAPSULATION);
    this.encapsulation(id, src, context, out);
    if (kind === FlowKind.ECHO) {
      out.raw(T7);
      out.uint(table.port(id, 0));
      out.byte(125);
    } else if (kind === FlowKind.ICMP_ERROR) this.icmpError(id, out);
    if (kind === FlowKind.PORTS && protocol === 6) {
      out.raw(T12);
      out.ascii(tcpFlagLetters(table.tcpFlagsFrom(id, src)));
      out.raw(T0);
      out.ascii(tcpFlagLetters(table.tcpFlagsFrom(id, dst)));
      out.raw(T3);
    }
    out.byte(125);
  }

  /** The JSON text of one flow. */
  flow(id: number): string {
    const scratch = this.scratch;
    scratch.clear();
    this.write(id, scratch);
    return scratch.toString();
  }

  private timestamp(seconds: number, nanos: number, out: JsonBytes): void {
    if (seconds === Infinity || seconds === -Infinity) {
      out.raw(F_NULL);
      return;
    }
    const digits = this.options.precisionDigits;
    out.byte(34);
    if (!isIsoSecond(seconds)) {
      out.ascii(formatTimestamp(seconds, nanos, digits));
    } else {
      this.isoSecond(Math.floor(seconds), out);
      if (digits > 0) {
        out.byte(46);
        out.padded(digits >= 9 ? nanos : Math.floor(nanos / 10 ** (9 - digits)), Math.min(digits, 9));
      }
      out.byte(90);
    }
    out.byte(34);
  }

  /** "YYYY-MM-DDTHH:MM:SS", from a small cache: flows start and end in a few seconds each. */
  private isoSecond(second: number, out: JsonBytes): void {
    const slot = second & (SECOND_CACHE - 1);
    const at = slot * ISO_SECOND_LENGTH;
    const cache = this.secondText;
    if (this.secondKeys[slot] !== second) {
      const text = wholeSecond(second);
      if (text.length !== ISO_SECOND_LENGTH) {
        out.ascii(text);
        return;
      }
      for (let i = 0; i < ISO_SECOND_LENGTH; i++) cache[at + i] = text.charCodeAt(i);
      this.secondKeys[slot] = second;
    }
    out.reserve(ISO_SECOND_LENGTH);
    const b = out.bytes;
    let to = out.length;
    for (let i = 0; i < ISO_SECOND_LENGTH; i++) b[to++] = cache[at + i];
    out.length = to;
  }

  private endpoint(id: number, side: number, kind: number, out: JsonBytes): void {
    const table = this.table;
    const words = table.address(id, side, this.words);
    if (kind === FlowKind.ETHERNET) {
      out.raw(T17);
      out.ascii(formatMac(words[0], words[1]));
      out.raw(T3);
      return;
    }
    out.raw(F_IP);
    if (kind === FlowKind.ARP || table.ipVersion(id) === 4) out.ipv4(words[0]);
    else out.ascii(formatIpv6(words));
    if (kind === FlowKind.PORTS) {
      out.raw(F_PORT);
      out.uint(table.port(id, side));
      out.byte(125);
    } else {
      out.raw(T3);
    }
  }

  private context(contextId: number): ContextText {
    let cached = this.contextCache.get(contextId);
    if (cached !== undefined) return cached;
    const context = this.table.contexts.contexts[contextId];
    const text = new JsonBytes(64);
    const interfaces = this.options.interfaces;
    if (!this.options.withInterfaces) text.ascii('null');
    else if (interfaces.length > 1) {
      // Several capture interfaces (pcapng): index and name are the file's; an SLL2
      // interface among them adds the Linux ifindex each packet names.
      const iface = interfaces[context.captureInterface];
      text.ascii('{"index":');
      text.uint(context.captureInterface);
      text.ascii(',"name":');
      if (iface?.name == null) text.ascii('null');
      else text.string(iface.name);
      if (context.linkInterface >= 0) {
        text.ascii(',"ifindex":');
        text.uint(context.linkInterface);
      }
      text.byte(125);
    } else if (context.linkInterface >= 0) {
      // One SLL2 interface (`tcpdump -i any`): the Linux ifindex; SLL2 records no names.
      text.ascii('{"index":');
      text.uint(context.linkInterface);
      text.ascii(',"name":null}');
    } else {
      text.ascii('{"index":');
      text.uint(context.captureInterface);
      text.ascii(',"name":');
      if (interfaces[context.captureInterface]?.name == null) text.ascii('null');
      else text.string(interfaces[context.captureInterface].name!);
      text.byte(125);
    }
    cached = {
      interfaceJson: text.view().slice(),
      low: context.tunnels.map((t) => formatIp(t.ipVersion, t.low)),
      high: context.tunnels.map((t) => formatIp(t.ipVersion, t.high)),
    };
    this.contextCache.set(contextId, cached);
    return cached;
  }

  private encapsulation(id: number, src: number, cached: ContextText, out: JsonBytes): void {
    const table = this.table;
    const tunnels = table.contexts.contexts[table.contextOf(id)].tunnels;
    if (tunnels.length === 0) {
      out.raw(T15);
      return;
    }
    const orientation = table.outerOrientation(id);
    out.byte(91);
    for (let t = 0; t < tunnels.length && t < MAX_TUNNELS; t++) {
      // Bit t: A-to-B packets leave from `high`; the initiator's packets go A-to-B when src is A.
      const fromHigh = ((orientation >>> t) & 1) === 1;
      const initiatorFromHigh = src === 0 ? fromHigh : !fromHigh;
      const vni = table.vni(id, t, src);
      const vniReply = table.vni(id, t, 1 - src);
      const tunnel = tunnels[t];
      if (t > 0) out.byte(44);
      out.raw(T18);
      out.ascii(TUNNEL_NAMES[tunnel.type]);
      out.raw(T2);
      if (vni >= 0) out.uint(vni);
      else out.raw(F_NULL);
      out.raw(T14);
      if (vniReply >= 0) out.uint(vniReply);
      else out.raw(F_NULL);
      out.raw(T13);
      if (tunnel.udpPort > 0) out.uint(tunnel.udpPort);
      else out.raw(F_NULL);
      out.raw(T9);
      out.ascii(initiatorFromHigh ? cached.high[t] : cached.low[t]);
      out.raw(T0);
      out.ascii(initiatorFromHigh ? cached.low[t] : cached.high[t]);
      out.raw(T4);
    }
    out.byte(93);
  }

  private icmpError(id: number, out: JsonBytes): void {
    const detail = this.table.icmpErrors.get(id);
    if (detail === undefined) return;
    out.raw(T8);
    out.uint(detail.type);
    out.raw(T5);
    out.uint(detail.code);
    if (detail.quotedVersion !== 0) {
      out.raw(T10);
      out.ascii(formatIp(detail.quotedVersion, detail.quotedSource));
      out.raw(T0);
      out.ascii(formatIp(detail.quotedVersion, detail.quotedDestination));
      out.raw(T1);
      out.ascii(ipProtocolName(detail.quotedProtocol));
      out.byte(34);
      if (detail.hasQuotedPorts) {
        out.raw(T11);
        out.uint(detail.quotedSourcePort);
        out.raw(T6);
        out.uint(detail.quotedDestinationPort);
      }
      out.byte(125);
    }
    out.byte(125);
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
