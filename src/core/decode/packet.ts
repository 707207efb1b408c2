import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NFLOG,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_BSDOS,
  LINKTYPE_RAW_OPENBSD,
} from '../capture/link-types.js';
import { ArpFields, decodeArp } from './arp.js';
import { decodeDns, DnsFields } from './dns.js';
import {
  decodeEthernet,
  decodeVlan,
  ETHERTYPE_MIN,
  ETHERTYPE_TRANSPARENT_ETHERNET,
  EthernetFields,
  VlanFields,
} from './ethernet.js';
import { decodeGeneve, GeneveFields } from './geneve.js';
import { decodeGre, GreFields } from './gre.js';
import { decodeIcmp, IcmpFields } from './icmp.js';
import { decodeIpv4, decodeIpv6, IpFields } from './ip.js';
import {
  BIT_ARP,
  BIT_DNS,
  BIT_ETHERNET,
  BIT_GENEVE,
  BIT_GRE,
  BIT_ICMP,
  BIT_ICMPV6,
  BIT_IPIP,
  BIT_IPV4,
  BIT_IPV6,
  BIT_LOOPBACK,
  BIT_SLL,
  BIT_TCP,
  BIT_UDP,
  BIT_VLAN,
  BIT_VXLAN,
  LAYER_ARP,
  LAYER_DNS,
  LAYER_ETHERNET,
  LAYER_GENEVE,
  LAYER_GRE,
  LAYER_ICMP,
  LAYER_ICMPV6,
  LAYER_IPV4,
  LAYER_IPV6,
  LAYER_LOOPBACK,
  LAYER_LOOPBACK_BE,
  LAYER_NFLOG,
  LAYER_NONE,
  LAYER_RAW_IP,
  LAYER_SLL,
  LAYER_SLL2,
  LAYER_TCP,
  LAYER_UDP,
  LAYER_VLAN,
  LAYER_VXLAN,
  TUNNEL_GENEVE,
  TUNNEL_GRE,
  TUNNEL_IPIP,
  TUNNEL_VXLAN,
} from './layers.js';
import { decodeLoopback, LoopbackFields } from './loopback.js';
import { decodeNflog, NflogFields } from './nflog.js';
import {
  ARPHRD_NETLINK,
  decodeSll,
  decodeSll2,
  SLL_PROTOCOL_802_2,
  SLL_PROTOCOL_802_3,
  SllFields,
} from './sll.js';
import { DECODE_OK, DecodeStop, malformed } from './stop.js';
import type { DecodeTables } from './tables.js';
import { decodeTcp, TcpFields } from './tcp.js';
import { decodeUdp, UdpFields } from './udp.js';
import { decodeVxlan, VxlanFields } from './vxlan.js';

/** Layers one packet may have; deeper nesting stops with 'too-deep'. */
export const MAX_LAYERS = 32;
/** Instances of one kind of layer (IP headers, Ethernet headers...) one packet may have. */
export const MAX_PER_KIND = 8;
export const MAX_TUNNELS = MAX_PER_KIND;

export const NETWORK_NONE = 0;
export const NETWORK_IP = 1;
export const NETWORK_ARP = 2;
export const NETWORK_ETHERNET = 3;

function pool<T>(make: () => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < MAX_PER_KIND; i++) out.push(make());
  return out;
}

/** The first decoder for a link type, or LAYER_NONE when we have none. */
export function linkLayerKind(linkType: number): number {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return LAYER_ETHERNET;
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_OPENBSD:
    case LINKTYPE_RAW_BSDOS:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      // tshark, too, goes by the version nibble even for LINKTYPE_IPV4/IPV6.
      return LAYER_RAW_IP;
    case LINKTYPE_LINUX_SLL:
      return LAYER_SLL;
    case LINKTYPE_LINUX_SLL2:
      return LAYER_SLL2;
    case LINKTYPE_NULL:
      return LAYER_LOOPBACK;
    case LINKTYPE_LOOP:
      return LAYER_LOOPBACK_BE;
    case LINKTYPE_NFLOG:
      return LAYER_NFLOG;
    default:
      return LAYER_NONE;
  }
}

/**
 * One decoded packet: the stack of layers, outermost first, each recorded as its kind, its
 * byte offset and its slot in the pool of field objects for that kind. Everything is
 * preallocated and reused packet after packet (gopacket's DecodingLayerParser), so decoding
 * allocates nothing; offsets point into the record's bytes, valid as long as the record is.
 */
export class DecodedPacket {
  layerCount = 0;
  readonly kinds = new Uint8Array(MAX_LAYERS);
  readonly slots = new Uint8Array(MAX_LAYERS);
  readonly starts = new Int32Array(MAX_LAYERS);
  /** BIT_* of each layer name present. */
  mask = 0;
  readonly stop = new DecodeStop();
  /** The byte range decoded: the record's packet, less any FCS. */
  start = 0;
  end = 0;

  readonly ethernet = pool(() => new EthernetFields());
  ethernetCount = 0;
  readonly vlan = pool(() => new VlanFields());
  vlanCount = 0;
  readonly sll = new SllFields();
  readonly loopback = new LoopbackFields();
  readonly nflog = new NflogFields();
  readonly arp = new ArpFields();
  readonly ip = pool(() => new IpFields());
  ipCount = 0;
  readonly udp = pool(() => new UdpFields());
  udpCount = 0;
  readonly tcp = new TcpFields();
  readonly icmp = new IcmpFields();
  readonly dns = new DnsFields();
  readonly vxlan = pool(() => new VxlanFields());
  vxlanCount = 0;
  readonly geneve = pool(() => new GeneveFields());
  geneveCount = 0;
  readonly gre = pool(() => new GreFields());
  greCount = 0;

  /** The last layer decoded that ends the packet's addressing: an IP slot, or -1. */
  innerIp = -1;
  /** LAYER_TCP/UDP/ICMP/ICMPV6 when the innermost IP's payload decoded, else LAYER_NONE. */
  transport = LAYER_NONE;
  /** Slot in `udp` of the transport when it is UDP. */
  transportSlot = 0;
  hasArp = false;
  hasDns = false;
  /** SLL2's interface index, or -1. */
  linkInterface = -1;
  /**
   * What the innermost addressing layer is: NETWORK_IP (see innerIp), NETWORK_ARP, or
   * NETWORK_ETHERNET (a frame whose payload is neither, addressed by its MACs; see innerEthernet).
   */
  innerNetwork = NETWORK_NONE;
  innerEthernet = -1;
  /** How many of the tunnels enclose the innermost addressing layer (the rest are inside it). */
  enclosingTunnels = 0;
  private pendingPort = 0;

  /** Tunnels, outermost first: their type, the IP slot carrying them, VNI (or GRE key, -1 if none), UDP port. */
  tunnelCount = 0;
  readonly tunnelType = new Uint8Array(MAX_TUNNELS);
  readonly tunnelIp = new Int8Array(MAX_TUNNELS);
  readonly tunnelVni = new Int32Array(MAX_TUNNELS);
  readonly tunnelPort = new Int32Array(MAX_TUNNELS);

  reset(): void {
    this.layerCount = 0;
    this.mask = 0;
    this.stop.reset();
    this.ethernetCount = 0;
    this.vlanCount = 0;
    this.ipCount = 0;
    this.udpCount = 0;
    this.vxlanCount = 0;
    this.geneveCount = 0;
    this.greCount = 0;
    this.innerIp = -1;
    this.transport = LAYER_NONE;
    this.transportSlot = 0;
    this.hasArp = false;
    this.hasDns = false;
    this.linkInterface = -1;
    this.innerNetwork = NETWORK_NONE;
    this.innerEthernet = -1;
    this.enclosingTunnels = 0;
    this.tunnelCount = 0;
  }

  /** The innermost IP header, or null. */
  innermostIp(): IpFields | null {
    return this.innerIp < 0 ? null : this.ip[this.innerIp];
  }

  /** True when decoding stopped on bad bytes (not merely on a protocol we do not decode). */
  isDamaged(): boolean {
    const reason = this.stop.reason;
    return reason === 'truncated' || reason === 'malformed' || reason === 'too-deep';
  }

  private push(kind: number, start: number, slot: number): boolean {
    if (this.layerCount === MAX_LAYERS) {
      this.tooDeep(start);
      return false;
    }
    const i = this.layerCount++;
    this.kinds[i] = kind;
    this.starts[i] = start;
    this.slots[i] = slot;
    return true;
  }

  private tooDeep(at: number): void {
    this.stop.reason = 'too-deep';
    this.stop.offset = at;
    this.stop.detail = 'more nested layers than podpath keeps';
  }

  private addTunnel(type: number, ipSlot: number, vni: number, port: number): void {
    if (this.tunnelCount === MAX_TUNNELS) return;
    const t = this.tunnelCount++;
    this.tunnelType[t] = type;
    this.tunnelIp[t] = ipSlot;
    this.tunnelVni[t] = vni;
    this.tunnelPort[t] = port;
  }

  private unsupported(layer: string, at: number, detail: string, value: number): void {
    const stop = this.stop;
    stop.reason = 'unsupported';
    stop.layer = layer;
    stop.offset = at;
    stop.detail = detail;
    stop.value = value;
  }

  /**
   * Decodes `b[start, start + capturedLength)` of the given link type through every layer
   * it can, into this object. Never throws on bad bytes: `stop` says where and why it ended.
   */
  decode(
    b: Uint8Array,
    start: number,
    capturedLength: number,
    originalLength: number,
    linkType: number,
    fcsLength: number,
    tables: DecodeTables,
  ): void {
    this.reset();
    let end = start + capturedLength;
    // The frame check sequence is only there when the whole frame was captured.
    if (fcsLength > 0 && capturedLength >= originalLength && capturedLength >= fcsLength) end -= fcsLength;
    this.start = start;
    this.end = end;
    const stop = this.stop;
    let kind = linkLayerKind(linkType);
    if (kind === LAYER_NONE) {
      stop.reason = 'unknown-link-type';
      stop.layer = 'link';
      stop.offset = start;
      stop.value = linkType;
      return;
    }
    let at = start;
    // Which length bounded `end` so far, for truncation reports.
    let endFrom = 'captured';
    for (;;) {
      switch (kind) {
        case LAYER_ETHERNET: {
          if (this.ethernetCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.ethernetCount;
          const f = this.ethernet[slot];
          if (decodeEthernet(b, at, end, f, stop) !== DECODE_OK) return;
          this.ethernetCount++;
          if (!this.push(LAYER_ETHERNET, at, slot)) return;
          this.mask |= BIT_ETHERNET;
          this.innerNetwork = NETWORK_ETHERNET;
          this.innerEthernet = slot;
          this.enclosingTunnels = this.tunnelCount;
          at = f.payloadStart;
          let etherType = f.etherType;
          if (etherType < ETHERTYPE_MIN) {
            // 802.3 with an 802.2 SNAP header (AA AA 03, OUI 0) still names an EtherType (RFC 1042).
            if (
              end - at < 8 ||
              b[at] !== 0xaa ||
              b[at + 1] !== 0xaa ||
              b[at + 2] !== 0x03 ||
              (b[at + 3] | b[at + 4] | b[at + 5]) !== 0
            ) {
              return this.unsupported('ethernet', at, 'an 802.3 length field: LLC payload', etherType);
            }
            etherType = (b[at + 6] << 8) | b[at + 7];
            at += 8;
          }
          kind = tables.etherType[etherType];
          if (kind === LAYER_NONE) return this.unsupported('ethernet', at, 'ethertype', etherType);
          break;
        }
        case LAYER_VLAN: {
          if (this.vlanCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.vlanCount;
          const f = this.vlan[slot];
          if (decodeVlan(b, at, end, f, stop) !== DECODE_OK) return;
          f.tpid = (b[at - 2] << 8) | b[at - 1];
          this.vlanCount++;
          if (!this.push(LAYER_VLAN, at, slot)) return;
          this.mask |= BIT_VLAN;
          at = f.payloadStart;
          if (f.etherType < ETHERTYPE_MIN)
            return this.unsupported('vlan', at, 'an 802.3 length field: LLC payload', f.etherType);
          kind = tables.etherType[f.etherType];
          if (kind === LAYER_NONE) return this.unsupported('vlan', at, 'ethertype', f.etherType);
          break;
        }
        case LAYER_SLL:
        case LAYER_SLL2: {
          const f = this.sll;
          const status =
            kind === LAYER_SLL ? decodeSll(b, at, end, f, stop) : decodeSll2(b, at, end, f, stop);
          if (status !== DECODE_OK) return;
          if (!this.push(kind, at, 0)) return;
          this.mask |= BIT_SLL;
          this.linkInterface = f.interfaceIndex;
          at = f.payloadStart;
          if (f.arphrdType === ARPHRD_NETLINK)
            return this.unsupported('sll', at, 'a netlink message', f.arphrdType);
          if (
            f.protocol === SLL_PROTOCOL_802_3 ||
            f.protocol === SLL_PROTOCOL_802_2 ||
            f.protocol < ETHERTYPE_MIN
          ) {
            return this.unsupported('sll', at, 'a non-EtherType protocol', f.protocol);
          }
          kind = tables.etherType[f.protocol];
          // An Ethernet-in-cooked frame (0x6558) never happens; treat the table's answer as is.
          if (kind === LAYER_NONE) return this.unsupported('sll', at, 'ethertype', f.protocol);
          break;
        }
        case LAYER_LOOPBACK:
        case LAYER_LOOPBACK_BE: {
          const f = this.loopback;
          if (decodeLoopback(b, at, end, f, stop, kind === LAYER_LOOPBACK_BE) !== DECODE_OK) return;
          if (!this.push(LAYER_LOOPBACK, at, 0)) return;
          this.mask |= BIT_LOOPBACK;
          at = f.payloadStart;
          if (f.ipVersion === 0) return this.unsupported('loopback', at, 'address family', f.family);
          kind = f.ipVersion === 4 ? LAYER_IPV4 : LAYER_IPV6;
          break;
        }
        case LAYER_NFLOG: {
          const f = this.nflog;
          if (decodeNflog(b, at, end, f, stop) !== DECODE_OK) return;
          if (!this.push(LAYER_NFLOG, at, 0)) return;
          at = f.payloadStart;
          end = f.payloadEnd;
          kind = LAYER_RAW_IP;
          break;
        }
        case LAYER_RAW_IP: {
          if (at >= end) {
            stop.reason = 'truncated';
            stop.layer = 'raw';
            stop.offset = at;
            stop.need = 1;
            stop.have = 0;
            stop.lengthFrom = 'captured';
            return;
          }
          const version = b[at] >>> 4;
          if (version === 4) kind = LAYER_IPV4;
          else if (version === 6) kind = LAYER_IPV6;
          else {
            malformed(stop, 'raw', at, 'IP version is neither 4 nor 6', version);
            return;
          }
          break;
        }
        case LAYER_ARP: {
          if (decodeArp(b, at, end, this.arp, stop) !== DECODE_OK) return;
          if (!this.push(LAYER_ARP, at, 0)) return;
          this.mask |= BIT_ARP;
          this.hasArp = true;
          this.innerNetwork = NETWORK_ARP;
          this.enclosingTunnels = this.tunnelCount;
          return;
        }
        case LAYER_IPV4:
        case LAYER_IPV6: {
          if (this.ipCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.ipCount;
          const f = this.ip[slot];
          const status =
            kind === LAYER_IPV4 ? decodeIpv4(b, at, end, f, stop) : decodeIpv6(b, at, end, f, stop);
          if (status !== DECODE_OK) return;
          this.ipCount++;
          if (!this.push(kind, at, slot)) return;
          this.mask |= kind === LAYER_IPV4 ? BIT_IPV4 : BIT_IPV6;
          if (
            slot > 0 &&
            this.kinds[this.layerCount - 2] >= LAYER_IPV4 &&
            this.kinds[this.layerCount - 2] <= LAYER_IPV6
          ) {
            // IP directly inside IP: the outer one is an IP-in-IP tunnel.
            this.mask |= BIT_IPIP;
            this.addTunnel(TUNNEL_IPIP, slot - 1, -1, 0);
          }
          this.innerIp = slot;
          this.innerNetwork = NETWORK_IP;
          this.enclosingTunnels = this.tunnelCount;
          this.transport = LAYER_NONE;
          at = f.payloadStart;
          end = f.payloadEnd;
          endFrom = f.lengthFrom;
          if (f.fragmentOffset !== 0) {
            // A later fragment: its bytes continue the first fragment's payload.
            stop.reason = 'fragment';
            stop.layer = kind === LAYER_IPV4 ? 'ipv4' : 'ipv6';
            stop.offset = at;
            return;
          }
          const layer = kind === LAYER_IPV4 ? 'ipv4' : 'ipv6';
          kind = tables.ipProtocol[f.protocol];
          if (kind === LAYER_NONE) {
            if (f.protocol === 59) return; // IPv6 "no next header"
            return this.unsupported(layer, at, 'IP protocol', f.protocol);
          }
          break;
        }
        case LAYER_UDP: {
          if (this.udpCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.udpCount;
          const f = this.udp[slot];
          if (decodeUdp(b, at, end, f, stop, endFrom) !== DECODE_OK) return;
          this.udpCount++;
          if (!this.push(LAYER_UDP, at, slot)) return;
          this.mask |= BIT_UDP;
          this.transport = LAYER_UDP;
          this.transportSlot = slot;
          at = f.payloadStart;
          end = f.payloadEnd;
          endFrom = f.lengthFrom;
          let port = f.destinationPort;
          kind = tables.udpPort[port];
          if (kind === LAYER_NONE) {
            port = f.sourcePort;
            kind = tables.udpPort[port];
          }
          if (kind === LAYER_NONE) return;
          this.pendingPort = port;
          break;
        }
        case LAYER_TCP: {
          const f = this.tcp;
          if (decodeTcp(b, at, end, f, stop, endFrom) !== DECODE_OK) return;
          if (!this.push(LAYER_TCP, at, 0)) return;
          this.mask |= BIT_TCP;
          this.transport = LAYER_TCP;
          if (f.payloadEnd <= f.payloadStart) return;
          kind = tables.tcpPort[f.destinationPort];
          if (kind === LAYER_NONE) kind = tables.tcpPort[f.sourcePort];
          if (kind !== LAYER_DNS) return;
          // A segment may start anywhere in a DNS-over-TCP stream: a failed decode is no fault.
          if (decodeDns(b, f.payloadStart, f.payloadEnd, this.dns, stop, true, endFrom) !== DECODE_OK) {
            stop.reset();
            return;
          }
          if (!this.push(LAYER_DNS, f.payloadStart, 0)) return;
          this.mask |= BIT_DNS;
          this.hasDns = true;
          return;
        }
        case LAYER_ICMP:
        case LAYER_ICMPV6: {
          const version = kind === LAYER_ICMP ? 4 : 6;
          if (decodeIcmp(b, at, end, this.icmp, stop, version, endFrom) !== DECODE_OK) return;
          if (!this.push(kind, at, 0)) return;
          this.mask |= version === 4 ? BIT_ICMP : BIT_ICMPV6;
          this.transport = kind;
          return;
        }
        case LAYER_DNS: {
          if (decodeDns(b, at, end, this.dns, stop, false, endFrom) !== DECODE_OK) return;
          if (!this.push(LAYER_DNS, at, 0)) return;
          this.mask |= BIT_DNS;
          this.hasDns = true;
          return;
        }
        case LAYER_VXLAN: {
          if (this.vxlanCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.vxlanCount;
          const f = this.vxlan[slot];
          if (decodeVxlan(b, at, end, f, stop) !== DECODE_OK) return;
          this.vxlanCount++;
          if (!this.push(LAYER_VXLAN, at, slot)) return;
          this.mask |= BIT_VXLAN;
          this.addTunnel(TUNNEL_VXLAN, this.innerIp, f.vni, this.pendingPort);
          at = f.payloadStart;
          endFrom = 'captured';
          kind = LAYER_ETHERNET;
          break;
        }
        case LAYER_GENEVE: {
          if (this.geneveCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.geneveCount;
          const f = this.geneve[slot];
          if (decodeGeneve(b, at, end, f, stop) !== DECODE_OK) return;
          this.geneveCount++;
          if (!this.push(LAYER_GENEVE, at, slot)) return;
          this.mask |= BIT_GENEVE;
          this.addTunnel(TUNNEL_GENEVE, this.innerIp, f.vni, this.pendingPort);
          at = f.payloadStart;
          kind =
            f.protocolType === ETHERTYPE_TRANSPARENT_ETHERNET
              ? LAYER_ETHERNET
              : tables.etherType[f.protocolType];
          if (kind === LAYER_NONE) return this.unsupported('geneve', at, 'protocol type', f.protocolType);
          break;
        }
        case LAYER_GRE: {
          if (this.greCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.greCount;
          const f = this.gre[slot];
          if (decodeGre(b, at, end, f, stop, endFrom) !== DECODE_OK) return;
          this.greCount++;
          if (!this.push(LAYER_GRE, at, slot)) return;
          this.mask |= BIT_GRE;
          // GRE straight in IP has no port; GRE-in-UDP (RFC 8086) came through the UDP case.
          const overUdp = this.kinds[this.layerCount - 2] === LAYER_UDP;
          this.addTunnel(TUNNEL_GRE, this.innerIp, f.hasKey ? f.key : -1, overUdp ? this.pendingPort : 0);
          at = f.payloadStart;
          kind = tables.etherType[f.payloadType];
          if (kind === LAYER_NONE) return this.unsupported('gre', at, 'protocol type', f.payloadType);
          break;
        }
        default:
          return;
      }
    }
  }
}
