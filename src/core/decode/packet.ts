import { LinkType } from '../capture/link-types.js';
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
import { LayerBit, Layer, Tunnel } from './layers.js';
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
import { Status, DecodeStop, malformed } from './stop.js';
import type { DecodeTables } from './tables.js';
import { decodeTcp, TcpFields } from './tcp.js';
import { decodeUdp, UdpFields } from './udp.js';
import { decodeVxlan, VxlanFields } from './vxlan.js';

/** Layers one packet may have; deeper nesting stops with 'too-deep'. */
export const MAX_LAYERS = 32;
/** Instances of one kind of layer (IP headers, Ethernet headers...) one packet may have. */
export const MAX_PER_KIND = 8;
export const MAX_TUNNELS = MAX_PER_KIND;

export const enum Network {
  NONE = 0,
  IP = 1,
  ARP = 2,
  ETHERNET = 3,
}

function pool<T>(make: () => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < MAX_PER_KIND; i++) out.push(make());
  return out;
}

/** The first decoder for a link type, or Layer.NONE when we have none. */
export function linkLayerKind(linkType: number): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      return Layer.ETHERNET;
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
    case LinkType.IPV4:
    case LinkType.IPV6:
      // tshark, too, goes by the version nibble even for LinkType.IPV4/IPV6.
      return Layer.RAW_IP;
    case LinkType.LINUX_SLL:
      return Layer.SLL;
    case LinkType.LINUX_SLL2:
      return Layer.SLL2;
    case LinkType.NULL:
      return Layer.LOOPBACK;
    case LinkType.LOOP:
      return Layer.LOOPBACK_BE;
    case LinkType.NFLOG:
      return Layer.NFLOG;
    default:
      return Layer.NONE;
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
  /** Layer.TCP/UDP/ICMP/ICMPV6 when the innermost IP's payload decoded, else Layer.NONE. */
  transport = Layer.NONE;
  /** Slot in `udp` of the transport when it is UDP. */
  transportSlot = 0;
  hasArp = false;
  hasDns = false;
  /** SLL2's interface index, or -1. */
  linkInterface = -1;
  /**
   * What the innermost addressing layer is: Network.IP (see innerIp), Network.ARP, or
   * Network.ETHERNET (a frame whose payload is neither, addressed by its MACs; see innerEthernet).
   */
  innerNetwork = Network.NONE;
  innerEthernet = -1;
  /** How many of the tunnels enclose the innermost addressing layer (the rest are inside it). */
  enclosingTunnels = 0;
  private pendingPort = 0;
  private lastLinkType = -1;
  private lastLinkKind: number = Layer.NONE;

  /** Tunnels, outermost first: their type, the IP slot carrying them, VNI (or GRE key, -1 if none), UDP port. */
  tunnelCount = 0;
  readonly tunnelType = new Uint8Array(MAX_TUNNELS);
  readonly tunnelIp = new Int8Array(MAX_TUNNELS);
  readonly tunnelVni = new Int32Array(MAX_TUNNELS);
  readonly tunnelPort = new Int32Array(MAX_TUNNELS);

  reset(): void {
    this.layerCount = 0;
    this.mask = 0;
    // Most packets decode to the end: only a packet that stopped early dirtied `stop`.
    if (this.stop.reason !== 'end') this.stop.reset();
    this.ethernetCount = 0;
    this.vlanCount = 0;
    this.ipCount = 0;
    this.udpCount = 0;
    this.vxlanCount = 0;
    this.geneveCount = 0;
    this.greCount = 0;
    this.innerIp = -1;
    this.transport = Layer.NONE;
    this.transportSlot = 0;
    this.hasArp = false;
    this.hasDns = false;
    this.linkInterface = -1;
    this.innerNetwork = Network.NONE;
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
    // A capture has one or a few link types: look the first decoder up only when it changes.
    if (linkType !== this.lastLinkType) {
      this.lastLinkType = linkType;
      this.lastLinkKind = linkLayerKind(linkType);
    }
    let kind = this.lastLinkKind;
    if (kind === Layer.NONE) {
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
        case Layer.ETHERNET: {
          if (this.ethernetCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.ethernetCount;
          const f = this.ethernet[slot];
          if (decodeEthernet(b, at, end, f, stop) !== Status.OK) return;
          this.ethernetCount++;
          if (!this.push(Layer.ETHERNET, at, slot)) return;
          this.mask |= LayerBit.ETHERNET;
          this.innerNetwork = Network.ETHERNET;
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
          if (kind === Layer.NONE) return this.unsupported('ethernet', at, 'ethertype', etherType);
          break;
        }
        case Layer.VLAN: {
          if (this.vlanCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.vlanCount;
          const f = this.vlan[slot];
          if (decodeVlan(b, at, end, f, stop) !== Status.OK) return;
          f.tpid = (b[at - 2] << 8) | b[at - 1];
          this.vlanCount++;
          if (!this.push(Layer.VLAN, at, slot)) return;
          this.mask |= LayerBit.VLAN;
          at = f.payloadStart;
          if (f.etherType < ETHERTYPE_MIN)
            return this.unsupported('vlan', at, 'an 802.3 length field: LLC payload', f.etherType);
          kind = tables.etherType[f.etherType];
          if (kind === Layer.NONE) return this.unsupported('vlan', at, 'ethertype', f.etherType);
          break;
        }
        case Layer.SLL:
        case Layer.SLL2: {
          const f = this.sll;
          const status =
            kind === Layer.SLL ? decodeSll(b, at, end, f, stop) : decodeSll2(b, at, end, f, stop);
          if (status !== Status.OK) return;
          if (!this.push(kind, at, 0)) return;
          this.mask |= LayerBit.SLL;
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
          if (kind === Layer.NONE) return this.unsupported('sll', at, 'ethertype', f.protocol);
          break;
        }
        case Layer.LOOPBACK:
        case Layer.LOOPBACK_BE: {
          const f = this.loopback;
          if (decodeLoopback(b, at, end, f, stop, kind === Layer.LOOPBACK_BE) !== Status.OK) return;
          if (!this.push(Layer.LOOPBACK, at, 0)) return;
          this.mask |= LayerBit.LOOPBACK;
          at = f.payloadStart;
          if (f.ipVersion === 0) return this.unsupported('loopback', at, 'address family', f.family);
          kind = f.ipVersion === 4 ? Layer.IPV4 : Layer.IPV6;
          break;
        }
        case Layer.NFLOG: {
          const f = this.nflog;
          if (decodeNflog(b, at, end, f, stop) !== Status.OK) return;
          if (!this.push(Layer.NFLOG, at, 0)) return;
          at = f.payloadStart;
          end = f.payloadEnd;
          kind = Layer.RAW_IP;
          break;
        }
        case Layer.RAW_IP: {
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
          if (version === 4) kind = Layer.IPV4;
          else if (version === 6) kind = Layer.IPV6;
          else {
            malformed(stop, 'raw', at, 'IP version is neither 4 nor 6', version);
            return;
          }
          break;
        }
        case Layer.ARP: {
          if (decodeArp(b, at, end, this.arp, stop) !== Status.OK) return;
          if (!this.push(Layer.ARP, at, 0)) return;
          this.mask |= LayerBit.ARP;
          this.hasArp = true;
          this.innerNetwork = Network.ARP;
          this.enclosingTunnels = this.tunnelCount;
          return;
        }
        case Layer.IPV4:
        case Layer.IPV6: {
          if (this.ipCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.ipCount;
          const f = this.ip[slot];
          const status =
            kind === Layer.IPV4 ? decodeIpv4(b, at, end, f, stop) : decodeIpv6(b, at, end, f, stop);
          if (status !== Status.OK) return;
          this.ipCount++;
          if (!this.push(kind, at, slot)) return;
          this.mask |= kind === Layer.IPV4 ? LayerBit.IPV4 : LayerBit.IPV6;
          if (
            slot > 0 &&
            this.kinds[this.layerCount - 2] >= Layer.IPV4 &&
            this.kinds[this.layerCount - 2] <= Layer.IPV6
          ) {
            // IP directly inside IP: the outer one is an IP-in-IP tunnel.
            this.mask |= LayerBit.IPIP;
            this.addTunnel(Tunnel.IPIP, slot - 1, -1, 0);
          }
          this.innerIp = slot;
          this.innerNetwork = Network.IP;
          this.enclosingTunnels = this.tunnelCount;
          this.transport = Layer.NONE;
          at = f.payloadStart;
          end = f.payloadEnd;
          endFrom = f.lengthFrom;
          if (f.fragmentOffset !== 0) {
            // A later fragment: its bytes continue the first fragment's payload.
            stop.reason = 'fragment';
            stop.layer = kind === Layer.IPV4 ? 'ipv4' : 'ipv6';
            stop.offset = at;
            return;
          }
          const layer = kind === Layer.IPV4 ? 'ipv4' : 'ipv6';
          kind = tables.ipProtocol[f.protocol];
          if (kind === Layer.NONE) {
            if (f.protocol === 59) return; // IPv6 "no next header"
            return this.unsupported(layer, at, 'IP protocol', f.protocol);
          }
          break;
        }
        case Layer.UDP: {
          if (this.udpCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.udpCount;
          const f = this.udp[slot];
          if (decodeUdp(b, at, end, f, stop, endFrom) !== Status.OK) return;
          this.udpCount++;
          if (!this.push(Layer.UDP, at, slot)) return;
          this.mask |= LayerBit.UDP;
          this.transport = Layer.UDP;
          this.transportSlot = slot;
          at = f.payloadStart;
          end = f.payloadEnd;
          endFrom = f.lengthFrom;
          let port = f.destinationPort;
          kind = tables.udpPort[port];
          if (kind === Layer.NONE) {
            port = f.sourcePort;
            kind = tables.udpPort[port];
          }
          if (kind === Layer.NONE) return;
          this.pendingPort = port;
          break;
        }
        case Layer.TCP: {
          const f = this.tcp;
          if (decodeTcp(b, at, end, f, stop, endFrom) !== Status.OK) return;
          if (!this.push(Layer.TCP, at, 0)) return;
          this.mask |= LayerBit.TCP;
          this.transport = Layer.TCP;
          if (f.payloadEnd <= f.payloadStart) return;
          kind = tables.tcpPort[f.destinationPort];
          if (kind === Layer.NONE) kind = tables.tcpPort[f.sourcePort];
          if (kind !== Layer.DNS) return;
          // A segment may start anywhere in a DNS-over-TCP stream: a failed decode is no fault.
          if (decodeDns(b, f.payloadStart, f.payloadEnd, this.dns, stop, true, endFrom) !== Status.OK) {
            stop.reset();
            return;
          }
          if (!this.push(Layer.DNS, f.payloadStart, 0)) return;
          this.mask |= LayerBit.DNS;
          this.hasDns = true;
          return;
        }
        case Layer.ICMP:
        case Layer.ICMPV6: {
          const version = kind === Layer.ICMP ? 4 : 6;
          if (decodeIcmp(b, at, end, this.icmp, stop, version, endFrom) !== Status.OK) return;
          if (!this.push(kind, at, 0)) return;
          this.mask |= version === 4 ? LayerBit.ICMP : LayerBit.ICMPV6;
          this.transport = kind;
          return;
        }
        case Layer.DNS: {
          if (decodeDns(b, at, end, this.dns, stop, false, endFrom) !== Status.OK) return;
          if (!this.push(Layer.DNS, at, 0)) return;
          this.mask |= LayerBit.DNS;
          this.hasDns = true;
          return;
        }
        case Layer.VXLAN: {
          if (this.vxlanCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.vxlanCount;
          const f = this.vxlan[slot];
          if (decodeVxlan(b, at, end, f, stop) !== Status.OK) return;
          this.vxlanCount++;
          if (!this.push(Layer.VXLAN, at, slot)) return;
          this.mask |= LayerBit.VXLAN;
          this.addTunnel(Tunnel.VXLAN, this.innerIp, f.vni, this.pendingPort);
          at = f.payloadStart;
          endFrom = 'captured';
          kind = Layer.ETHERNET;
          break;
        }
        case Layer.GENEVE: {
          if (this.geneveCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.geneveCount;
          const f = this.geneve[slot];
          if (decodeGeneve(b, at, end, f, stop) !== Status.OK) return;
          this.geneveCount++;
          if (!this.push(Layer.GENEVE, at, slot)) return;
          this.mask |= LayerBit.GENEVE;
          this.addTunnel(Tunnel.GENEVE, this.innerIp, f.vni, this.pendingPort);
          at = f.payloadStart;
          kind =
            f.protocolType === ETHERTYPE_TRANSPARENT_ETHERNET
              ? Layer.ETHERNET
              : tables.etherType[f.protocolType];
          if (kind === Layer.NONE) return this.unsupported('geneve', at, 'protocol type', f.protocolType);
          break;
        }
        case Layer.GRE: {
          if (this.greCount === MAX_PER_KIND) return this.tooDeep(at);
          const slot = this.greCount;
          const f = this.gre[slot];
          if (decodeGre(b, at, end, f, stop, endFrom) !== Status.OK) return;
          this.greCount++;
          if (!this.push(Layer.GRE, at, slot)) return;
          this.mask |= LayerBit.GRE;
          // GRE straight in IP has no port; GRE-in-UDP (RFC 8086) came through the UDP case.
          const overUdp = this.kinds[this.layerCount - 2] === Layer.UDP;
          this.addTunnel(Tunnel.GRE, this.innerIp, f.hasKey ? f.key : -1, overUdp ? this.pendingPort : 0);
          at = f.payloadStart;
          kind = tables.etherType[f.payloadType];
          if (kind === Layer.NONE) return this.unsupported('gre', at, 'protocol type', f.payloadType);
          break;
        }
        default:
          return;
      }
    }
  }
}
