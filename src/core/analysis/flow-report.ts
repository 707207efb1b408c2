import { formatTimestamp, type InterfaceInfo, isIsoSecond, utf8, wholeSecond } from '../capture/index.js';
import type { ClusterIndex, Identity } from '../cluster/index.js';
import { formatIp, formatIpv4, formatIpv6, formatMac, MAX_TUNNELS, TUNNEL_NAMES } from '../decode/index.js';
import {
  asciiBytes,
  JsonBytes,
  putAscii,
  putBytes,
  putIpv4,
  putPadded,
  putTcpFlags,
  putUint,
} from './json-bytes.js';
import { FlowKind, type FlowTable, type ProxyHeader } from '../flow/index.js';
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
  /** A cluster snapshot to name flow ends, Services and tunnel nodes from (--cluster). */
  cluster?: ClusterIndex;
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
const F_TCP_FLAGS = asciiBytes(',"tcpFlags":{"src":"');
const F_TCP_FLAGS_DST = asciiBytes('","dst":"');
const F_CLOSE_STRING_OBJECT = asciiBytes('"}');
/** Room reserved per flow before writing it unchecked (eight IPv6 tunnels need under 2 KiB). */
const MAX_FLOW_BYTES = 4096;

const SECOND_CACHE = 4096;
const ISO_SECOND_LENGTH = 19;

/** A flow's ends and tunnels seen one way round (see FlowJsonWriter.side). */
export interface FlowSide {
  protocol: string;
  src: Endpoint;
  dst: Endpoint;
  encapsulation: Encapsulation[];
  interface: FlowSummary['interface'];
}

interface ContextText {
  interfaceJson: Uint8Array;
  /** Each tunnel's outer endpoints as text bytes. */
  low: Uint8Array[];
  high: Uint8Array[];
  /** With a cluster snapshot: `,"srcNode":...` for each endpoint as the source, and `,"dstNode":...` as the destination. */
  lowNode: Uint8Array[];
  highNode: Uint8Array[];
  lowNodeDst: Uint8Array[];
  highNodeDst: Uint8Array[];
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
  private readonly protocolNames = new Map<number, Uint8Array>();
  private readonly serviceTexts = new Map<number | string, Uint8Array | null>();
  private readonly endpointTexts = new Map<string, Uint8Array | null>();
  private readonly identityCache = new Map<number | string, Identity>();
  /** Text per identity: a pod's, or a node block's unknown pods', made once. */
  private readonly identityTexts = new Map<Identity, Uint8Array>();
  private readonly addressTexts = new Map<number | string, Uint8Array>();
  private readonly words = new Uint32Array(4);
  private readonly scratch = new JsonBytes(1024);
  /** For the cached texts made while a flow is being written into `scratch`. */
  private readonly textScratch = new JsonBytes(256);
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
    const packetsToSrc = table.packetsFrom(id, dst);
    const bytesToSrc = table.bytesFrom(id, dst);
    const context = this.context(table.contextOf(id));
    // One flow is far below this even with eight IPv6 tunnels: write unchecked from here.
    out.reserve(MAX_FLOW_BYTES + this.captureJson.length + context.interfaceJson.length);
    const b = out.bytes;
    let at = putBytes(b, out.length, F_CAPTURE);
    at = putBytes(b, at, this.captureJson);
    at = putBytes(b, at, F_PROTOCOL);
    at = putBytes(b, at, this.protocolName(kind, kind === FlowKind.ETHERNET ? table.port(id, 1) : protocol));
    at = putBytes(b, at, F_SRC);
    at = this.endpoint(id, src, kind, b, at);
    at = putBytes(b, at, F_DST);
    at = this.endpoint(id, dst, kind, b, at);
    at = putBytes(b, at, F_PACKETS);
    at = putUint(b, at, table.packetsFrom(id, src) + packetsToSrc);
    at = putBytes(b, at, F_BYTES);
    at = putUint(b, at, table.bytesFrom(id, src) + bytesToSrc);
    at = putBytes(b, at, F_PACKETS_TO_SRC);
    at = putUint(b, at, packetsToSrc);
    at = putBytes(b, at, F_BYTES_TO_SRC);
    at = putUint(b, at, bytesToSrc);
    at = putBytes(b, at, F_START);
    at = this.timestamp(table.firstSeconds(id), table.firstNanos(id), b, at);
    at = putBytes(b, at, F_END);
    at = this.timestamp(table.lastSeconds(id), table.lastNanos(id), b, at);
    at = putBytes(b, at, F_INTERFACE);
    at = putBytes(b, at, context.interfaceJson);
    at = putBytes(b, at, F_ENCAPSULATION);
    at = this.encapsulation(id, src, context, b, at);
    if (this.options.cluster !== undefined) {
      const service = this.serviceText(id, src) ?? this.endpointText(id, src);
      if (service !== null) at = putBytes(b, at, service);
    }
    const proxy = table.proxyHeaders.get(id);
    if (proxy !== undefined) at = putBytes(b, at, this.proxyText(proxy));
    if (kind === FlowKind.ECHO) {
      at = putAscii(b, at, ',"icmp":{"id":');
      at = putUint(b, at, table.port(id, 0));
      b[at++] = 125;
    } else if (kind === FlowKind.ICMP_ERROR) at = this.icmpError(id, b, at);
    if (kind === FlowKind.PORTS && protocol === 6) {
      at = putBytes(b, at, F_TCP_FLAGS);
      at = putTcpFlags(b, at, table.tcpFlagsFrom(id, src));
      at = putBytes(b, at, F_TCP_FLAGS_DST);
      at = putTcpFlags(b, at, table.tcpFlagsFrom(id, dst));
      at = putBytes(b, at, F_CLOSE_STRING_OBJECT);
    }
    b[at++] = 125;
    out.length = at;
  }

  private readonly addressObjects = new Map<number | string, Endpoint>();
  private readonly protocolStrings = new Map<Uint8Array, string>();
  private readonly interfaceObjects = new Map<number, FlowSummary['interface']>();
  private readonly encapsulationObjects = new Map<string, Encapsulation[]>();

  /**
   * The flow's ends and tunnels as objects, oriented with `client` (0 = endpoint A) as src:
   * the same fields `flow()` writes, without writing and parsing the whole flow. Address,
   * interface and tunnel objects are made once and shared (treat them as read-only).
   */
  side(id: number, client: number): FlowSide {
    const table = this.table;
    const kind = table.kind(id);
    const name = this.protocolName(
      kind,
      kind === FlowKind.ETHERNET ? table.port(id, 1) : table.ipProtocol(id),
    );
    const context = this.context(table.contextOf(id));
    let iface = this.interfaceObjects.get(table.contextOf(id));
    if (iface === undefined) {
      iface = JSON.parse(
        utf8(context.interfaceJson, 0, context.interfaceJson.length),
      ) as FlowSummary['interface'];
      this.interfaceObjects.set(table.contextOf(id), iface);
    }
    let protocol = this.protocolStrings.get(name);
    if (protocol === undefined) {
      protocol = utf8(name, 0, name.length);
      this.protocolStrings.set(name, protocol);
    }
    return {
      protocol,
      src: this.endpointObject(id, client, kind),
      dst: this.endpointObject(id, 1 - client, kind),
      encapsulation: this.encapsulationObject(id, client, context),
      interface: iface,
    };
  }

  private endpointObject(id: number, side: number, kind: number): Endpoint {
    const table = this.table;
    const words = table.address(id, side, this.words);
    const version = kind === FlowKind.ARP ? 4 : table.ipVersion(id);
    const key =
      kind === FlowKind.ETHERNET
        ? `mac ${words[0]}:${words[1]}`
        : version === 4
          ? words[0] | 0
          : `${words[0]}:${words[1]}:${words[2]}:${words[3]}`;
    let base = this.addressObjects.get(key);
    if (base === undefined) {
      const out = this.textScratch;
      out.clear();
      if (kind === FlowKind.ETHERNET) base = { mac: formatMac(words[0], words[1]) };
      else {
        const text = this.options.cluster !== undefined ? this.identityText(version, words) : null;
        base = {
          ip: version === 4 ? formatIpv4(words[0]) : formatIpv6(words),
          ...(text !== null ? (JSON.parse(`{${utf8(text, 1, text.length)}}`) as Endpoint) : {}),
        };
      }
      this.addressObjects.set(key, base);
    }
    if (kind !== FlowKind.PORTS) return base;
    // The port goes second, as `flow()` writes it.
    if (this.options.cluster === undefined) return { ip: base.ip, port: table.port(id, side) };
    const { ip, ...identity } = base;
    return { ip, port: table.port(id, side), ...identity };
  }

  private encapsulationObject(id: number, client: number, context: ContextText): Encapsulation[] {
    const table = this.table;
    const tunnels = table.contexts.contexts[table.contextOf(id)].tunnels;
    if (tunnels.length === 0) return [];
    let key = `${table.contextOf(id)} ${table.outerOrientation(id)} ${client}`;
    for (let t = 0; t < tunnels.length && t < MAX_TUNNELS; t++)
      key += ` ${table.vni(id, t, 0)} ${table.vni(id, t, 1)}`;
    let list = this.encapsulationObjects.get(key);
    if (list === undefined) {
      const out = this.textScratch;
      out.clear();
      out.reserve(MAX_FLOW_BYTES);
      out.length = this.encapsulation(id, client, context, out.bytes, 0);
      list = JSON.parse(out.toString()) as Encapsulation[];
      this.encapsulationObjects.set(key, list);
    }
    return list;
  }

  /** A flow's protocol name as bytes, made once per (kind, number). */
  private protocolName(kind: number, value: number): Uint8Array {
    const key = kind * 65536 + value;
    let name = this.protocolNames.get(key);
    if (name === undefined) {
      name = asciiBytes(
        kind === FlowKind.ETHERNET
          ? etherTypeName(value)
          : kind === FlowKind.ARP
            ? 'arp'
            : ipProtocolName(value),
      );
      this.protocolNames.set(key, name);
    }
    return name;
  }

  /** The JSON text of one flow. */
  flow(id: number): string {
    const scratch = this.scratch;
    scratch.clear();
    this.write(id, scratch);
    return scratch.toString();
  }

  private timestamp(seconds: number, nanos: number, b: Uint8Array, at: number): number {
    if (seconds === Infinity || seconds === -Infinity) return putBytes(b, at, F_NULL);
    const digits = this.options.precisionDigits;
    b[at++] = 34;
    if (!isIsoSecond(seconds)) {
      at = putAscii(b, at, formatTimestamp(seconds, nanos, digits));
    } else {
      at = this.isoSecond(Math.floor(seconds), b, at);
      if (digits > 0) {
        b[at++] = 46;
        at = putPadded(
          b,
          at,
          digits >= 9 ? nanos : Math.floor(nanos / 10 ** (9 - digits)),
          Math.min(digits, 9),
        );
      }
      b[at++] = 90;
    }
    b[at++] = 34;
    return at;
  }

  /** "YYYY-MM-DDTHH:MM:SS", from a small cache: flows start and end in a few seconds each. */
  private isoSecond(second: number, b: Uint8Array, at: number): number {
    const slot = second & (SECOND_CACHE - 1);
    const from = slot * ISO_SECOND_LENGTH;
    const cache = this.secondText;
    if (this.secondKeys[slot] !== second) {
      const text = wholeSecond(second);
      // Years beyond 9999 make a longer text: write it uncached.
      if (text.length !== ISO_SECOND_LENGTH) return putAscii(b, at, text);
      for (let i = 0; i < ISO_SECOND_LENGTH; i++) cache[from + i] = text.charCodeAt(i);
      this.secondKeys[slot] = second;
    }
    for (let i = 0; i < ISO_SECOND_LENGTH; i++) b[at + i] = cache[from + i];
    return at + ISO_SECOND_LENGTH;
  }

  private endpoint(id: number, side: number, kind: number, b: Uint8Array, at: number): number {
    const table = this.table;
    const words = table.address(id, side, this.words);
    if (kind === FlowKind.ETHERNET) {
      at = putAscii(b, at, '{"mac":"');
      at = putAscii(b, at, formatMac(words[0], words[1]));
      return putAscii(b, at, '"}');
    }
    at = putBytes(b, at, F_IP);
    const version = kind === FlowKind.ARP ? 4 : table.ipVersion(id);
    if (version === 4) at = putIpv4(b, at, words[0]);
    else at = putAscii(b, at, formatIpv6(words));
    if (kind === FlowKind.PORTS) {
      at = putBytes(b, at, F_PORT);
      at = putUint(b, at, table.port(id, side));
    } else {
      b[at++] = 34;
    }
    if (this.options.cluster !== undefined) at = putBytes(b, at, this.identityText(version, words));
    b[at++] = 125;
    return at;
  }

  /** The snapshot's identity of an address, looked up once per address. */
  private identityOf(version: number, words: Uint32Array): Identity {
    // `| 0`: a small-integer key hashes fast; addresses above 2^31 would be heap numbers.
    const key = version === 4 ? words[0] | 0 : `${words[0]}:${words[1]}:${words[2]}:${words[3]}`;
    let id = this.identityCache.get(key);
    if (id === undefined) {
      id = this.options.cluster!.identify(version, words);
      this.identityCache.set(key, id);
    }
    return id;
  }

  /** `,"kind":...,"name":...` of an address, made once per identity. */
  private identityText(version: number, words: Uint32Array): Uint8Array {
    // Per address first (one small-integer lookup per flow end), then per identity.
    const key = version === 4 ? words[0] | 0 : `${words[0]}:${words[1]}:${words[2]}:${words[3]}`;
    const known = this.addressTexts.get(key);
    if (known !== undefined) return known;
    const id = this.identityOf(version, words);
    let text = this.identityTexts.get(id);
    if (text === undefined) {
      const out = this.textScratch;
      out.clear();
      out.ascii(',"kind":"');
      out.ascii(id.kind);
      out.ascii('","name":');
      if (id.name === null) out.ascii('null');
      else out.string(id.name);
      for (const field of ['namespace', 'node', 'workload', 'role'] as const) {
        const value = id[field];
        if (value === undefined) continue;
        out.ascii(`,"${field}":`);
        out.string(value);
      }
      if (id.hostNetworkPods !== undefined) {
        out.ascii(',"hostNetworkPods":');
        out.utf8(JSON.stringify(id.hostNetworkPods));
      }
      text = out.view().slice();
      this.identityTexts.set(id, text);
    }
    this.addressTexts.set(key, text);
    return text;
  }

  /** `,"service":{...}` when the flow's destination is a Service address and port (or a NodePort). */
  private serviceText(id: number, src: number): Uint8Array | null {
    const table = this.table;
    const kind = table.kind(id);
    if (kind !== FlowKind.PORTS) return null;
    const dst = 1 - src;
    const version = table.ipVersion(id);
    const words = table.address(id, dst, this.words);
    // Only Service and node addresses (NodePorts) can be a Service: most flows stop here.
    const target = this.identityOf(version, words).kind;
    if (target !== 'service' && target !== 'node') return null;
    const port = table.port(id, dst);
    const tcp = table.ipProtocol(id) === 6;
    const key =
      version === 4
        ? words[0] * 131072 + port * 2 + (tcp ? 1 : 0)
        : `${words[0]}:${words[1]}:${words[2]}:${words[3]} ${port} ${tcp ? 1 : 0}`;
    let text = this.serviceTexts.get(key);
    if (text === undefined) {
      const match = this.options.cluster!.serviceAtWords(version, words, port, tcp ? 'tcp' : 'udp');
      if (match === null) text = null;
      else {
        const service = {
          name: `${match.service.namespace}/${match.service.name}`,
          port: match.viaNodePort ? match.port.port : port,
          targetPort: match.targetPort,
          endpoints: match.endpoints,
          ...(match.viaNodePort ? { nodePort: port } : {}),
          ...(match.port.name !== null ? { portName: match.port.name } : {}),
        };
        const out = new JsonBytes(256);
        out.ascii(',"service":');
        out.utf8(JSON.stringify(service));
        text = out.view().slice();
      }
      this.serviceTexts.set(key, text);
    }
    return text;
  }

  /**
   * `,"endpointOf":[...]` when the flow's destination is a ready endpoint of a Service on its
   * target port: a connection seen after DNAT (in the server pod, or past the node), whose
   * Service address this capture never shows.
   */
  private endpointText(id: number, src: number): Uint8Array | null {
    const table = this.table;
    if (table.kind(id) !== FlowKind.PORTS) return null;
    const dst = 1 - src;
    const version = table.ipVersion(id);
    const words = table.address(id, dst, this.words);
    const target = this.identityOf(version, words).kind;
    if (target !== 'pod' && target !== 'node') return null;
    const port = table.port(id, dst);
    const protocol = table.ipProtocol(id) === 6 ? 'tcp' : table.ipProtocol(id) === 17 ? 'udp' : 'sctp';
    const key = `${words[0]}:${words[1]}:${words[2]}:${words[3]} ${port} ${protocol}`;
    let text = this.endpointTexts.get(key);
    if (text === undefined) {
      const address = version === 4 ? formatIpv4(words[0]) : formatIpv6(words);
      const matches = this.options.cluster!.servicesOfEndpoint(address, port, protocol);
      if (matches.length === 0) text = null;
      else {
        const out = new JsonBytes(256);
        out.ascii(',"endpointOf":');
        out.utf8(
          JSON.stringify(
            matches.map((m) => ({
              service: `${m.service.namespace}/${m.service.name}`,
              port: m.port.port,
              targetPort: port,
              ...(m.port.name !== null ? { portName: m.port.name } : {}),
            })),
          ),
        );
        text = out.view().slice();
      }
      this.endpointTexts.set(key, text);
    }
    return text;
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
      low: context.tunnels.map((t) => asciiBytes(formatIp(t.ipVersion, t.low))),
      high: context.tunnels.map((t) => asciiBytes(formatIp(t.ipVersion, t.high))),
      lowNode: context.tunnels.map((t) => this.nodeField('srcNode', t.ipVersion, t.low)),
      highNode: context.tunnels.map((t) => this.nodeField('srcNode', t.ipVersion, t.high)),
      lowNodeDst: context.tunnels.map((t) => this.nodeField('dstNode', t.ipVersion, t.low)),
      highNodeDst: context.tunnels.map((t) => this.nodeField('dstNode', t.ipVersion, t.high)),
    };
    this.contextCache.set(contextId, cached);
    return cached;
  }

  /** `,"proxyProtocol":{...}`: the client a load balancer's PROXY header speaks for. */
  private proxyText(proxy: ProxyHeader): Uint8Array {
    const out = new JsonBytes(256);
    out.ascii(`,"proxyProtocol":{"version":${proxy.version}`);
    if (proxy.family === 4 || proxy.family === 6) {
      for (const [field, words, port] of [
        ['src', proxy.source, proxy.sourcePort],
        ['dst', proxy.destination, proxy.destinationPort],
      ] as const) {
        out.ascii(`,"${field}":{"ip":"`);
        out.ascii(formatIp(proxy.family, words));
        out.ascii(`","port":${port}`);
        if (this.options.cluster !== undefined) out.raw(this.identityText(proxy.family, words));
        out.byte(125);
      }
    }
    out.byte(125);
    return out.view().slice();
  }

  /** `,"srcNode":"node1"` (or null) for a tunnel endpoint; empty without a snapshot. */
  private nodeField(field: string, version: number, words: Uint32Array): Uint8Array {
    const cluster = this.options.cluster;
    if (cluster === undefined) return new Uint8Array(0);
    const id = cluster.identify(version, words);
    const out = new JsonBytes(64);
    out.ascii(`,"${field}":`);
    if (id.kind === 'node' && id.name !== null) out.string(id.name);
    else out.ascii('null');
    return out.view().slice();
  }

  private encapsulation(id: number, src: number, cached: ContextText, b: Uint8Array, at: number): number {
    const table = this.table;
    const tunnels = table.contexts.contexts[table.contextOf(id)].tunnels;
    if (tunnels.length === 0) {
      b[at++] = 91;
      b[at++] = 93;
      return at;
    }
    const orientation = table.outerOrientation(id);
    b[at++] = 91;
    for (let t = 0; t < tunnels.length && t < MAX_TUNNELS; t++) {
      // Bit t: A-to-B packets leave from `high`; the initiator's packets go A-to-B when src is A.
      const fromHigh = ((orientation >>> t) & 1) === 1;
      const initiatorFromHigh = src === 0 ? fromHigh : !fromHigh;
      const vni = table.vni(id, t, src);
      const vniReply = table.vni(id, t, 1 - src);
      const tunnel = tunnels[t];
      if (t > 0) b[at++] = 44;
      at = putAscii(b, at, '{"type":"');
      at = putAscii(b, at, TUNNEL_NAMES[tunnel.type]);
      at = putAscii(b, at, '","vni":');
      at = vni >= 0 ? putUint(b, at, vni) : putBytes(b, at, F_NULL);
      at = putAscii(b, at, ',"vniReply":');
      at = vniReply >= 0 ? putUint(b, at, vniReply) : putBytes(b, at, F_NULL);
      at = putAscii(b, at, ',"udpPort":');
      at = tunnel.udpPort > 0 ? putUint(b, at, tunnel.udpPort) : putBytes(b, at, F_NULL);
      at = putAscii(b, at, ',"outer":{"src":"');
      at = putBytes(b, at, initiatorFromHigh ? cached.high[t] : cached.low[t]);
      at = putAscii(b, at, '","dst":"');
      at = putBytes(b, at, initiatorFromHigh ? cached.low[t] : cached.high[t]);
      b[at++] = 34;
      if (this.options.cluster !== undefined) {
        at = putBytes(b, at, initiatorFromHigh ? cached.highNode[t] : cached.lowNode[t]);
        at = putBytes(b, at, initiatorFromHigh ? cached.lowNodeDst[t] : cached.highNodeDst[t]);
      }
      at = putAscii(b, at, '}}');
    }
    b[at++] = 93;
    return at;
  }

  private icmpError(id: number, b: Uint8Array, at: number): number {
    const detail = this.table.icmpErrors.get(id);
    if (detail === undefined) return at;
    at = putAscii(b, at, ',"icmp":{"type":');
    at = putUint(b, at, detail.type);
    at = putAscii(b, at, ',"code":');
    at = putUint(b, at, detail.code);
    if (detail.quotedVersion !== 0) {
      at = putAscii(b, at, ',"quotes":{"src":"');
      at = putAscii(b, at, formatIp(detail.quotedVersion, detail.quotedSource));
      at = putAscii(b, at, '","dst":"');
      at = putAscii(b, at, formatIp(detail.quotedVersion, detail.quotedDestination));
      at = putAscii(b, at, '","protocol":"');
      at = putAscii(b, at, ipProtocolName(detail.quotedProtocol));
      b[at++] = 34;
      if (detail.hasQuotedPorts) {
        at = putAscii(b, at, ',"srcPort":');
        at = putUint(b, at, detail.quotedSourcePort);
        at = putAscii(b, at, ',"dstPort":');
        at = putUint(b, at, detail.quotedDestinationPort);
      }
      b[at++] = 125;
    }
    b[at++] = 125;
    return at;
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
