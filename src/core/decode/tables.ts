import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_RARP,
  ETHERTYPE_TRANSPARENT_ETHERNET,
  ETHERTYPE_VLAN,
} from './ethernet.js';
import {
  IP_PROTOCOL_GRE,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPIP,
  IP_PROTOCOL_IPV6,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
} from './ip.js';
import { Layer } from './layers.js';

/** UDP ports VXLAN runs on: IANA's 4789, Linux's (Flannel's, Cilium's) 8472, Weave's 6784. */
export const DEFAULT_VXLAN_PORTS: readonly number[] = [4789, 8472, 6784];
export const GENEVE_PORT = 6081;
export const DNS_PORT = 53;
/** GRE-in-UDP, RFC 8086. */
export const GRE_IN_UDP_PORT = 4754;

/**
 * Which decoder handles the next layer, as data: EtherType, IP protocol and port tables, as
 * Wireshark's dissector tables and gopacket's LayerType maps do. Extend them for a cluster
 * that runs VXLAN on its own port (`--vxlan-port`).
 */
export class DecodeTables {
  readonly etherType = new Uint8Array(65536);
  readonly ipProtocol = new Uint8Array(256);
  readonly udpPort = new Uint8Array(65536);
  readonly tcpPort = new Uint8Array(65536);

  constructor(options: { vxlanPorts?: readonly number[] } = {}) {
    this.etherType[ETHERTYPE_IPV4] = Layer.IPV4;
    this.etherType[ETHERTYPE_IPV6] = Layer.IPV6;
    this.etherType[ETHERTYPE_ARP] = Layer.ARP;
    this.etherType[ETHERTYPE_RARP] = Layer.ARP;
    this.etherType[ETHERTYPE_VLAN] = Layer.VLAN;
    this.etherType[ETHERTYPE_QINQ] = Layer.VLAN;
    this.etherType[ETHERTYPE_QINQ_OLD] = Layer.VLAN;
    this.etherType[ETHERTYPE_TRANSPARENT_ETHERNET] = Layer.ETHERNET;
    this.ipProtocol[IP_PROTOCOL_ICMP] = Layer.ICMP;
    this.ipProtocol[IP_PROTOCOL_IPIP] = Layer.IPV4;
    this.ipProtocol[IP_PROTOCOL_TCP] = Layer.TCP;
    this.ipProtocol[IP_PROTOCOL_UDP] = Layer.UDP;
    this.ipProtocol[IP_PROTOCOL_IPV6] = Layer.IPV6;
    this.ipProtocol[IP_PROTOCOL_GRE] = Layer.GRE;
    this.ipProtocol[IP_PROTOCOL_ICMPV6] = Layer.ICMPV6;
    for (const port of options.vxlanPorts ?? DEFAULT_VXLAN_PORTS) this.addUdpPort(port, Layer.VXLAN);
    this.udpPort[GENEVE_PORT] = Layer.GENEVE;
    this.udpPort[GRE_IN_UDP_PORT] = Layer.GRE;
    this.udpPort[DNS_PORT] = Layer.DNS;
    this.tcpPort[DNS_PORT] = Layer.DNS;
  }

  /** Decodes UDP traffic to or from `port` with the decoder for `layer` (e.g. Layer.VXLAN). */
  addUdpPort(port: number, layer: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a UDP port: ${port}`);
    this.udpPort[port] = layer;
  }

  addVxlanPort(port: number): void {
    this.addUdpPort(port, Layer.VXLAN);
  }
}
