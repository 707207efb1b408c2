/**
 * Layer kinds: small numbers, so protocol tables can be typed arrays and the decode loop a
 * switch. 0 means "nothing to decode".
 */
export const LAYER_NONE = 0;
export const LAYER_ETHERNET = 1;
export const LAYER_VLAN = 2;
export const LAYER_SLL = 3;
export const LAYER_SLL2 = 4;
export const LAYER_LOOPBACK = 5;
export const LAYER_RAW_IP = 6;
export const LAYER_ARP = 7;
export const LAYER_IPV4 = 8;
export const LAYER_IPV6 = 9;
export const LAYER_ICMP = 10;
export const LAYER_ICMPV6 = 11;
export const LAYER_UDP = 12;
export const LAYER_TCP = 13;
export const LAYER_DNS = 14;
export const LAYER_VXLAN = 15;
export const LAYER_GENEVE = 16;
export const LAYER_GRE = 17;
export const LAYER_LOOPBACK_BE = 18;
export const LAYER_NFLOG = 19;

/** Name of each kind, as reports and the `layers` counts print them. */
export const LAYER_NAMES: readonly string[] = [
  'none',
  'ethernet',
  'vlan',
  'sll',
  'sll2',
  'loopback',
  'raw',
  'arp',
  'ipv4',
  'ipv6',
  'icmp',
  'icmpv6',
  'udp',
  'tcp',
  'dns',
  'vxlan',
  'geneve',
  'gre',
  'loopback',
  'nflog',
];

/*
 * One bit per reported layer name: a packet's `mask` says which names it contains, each
 * once however often the layer repeats. `ipip` is any IP carried directly in IP.
 */
export const BIT_ETHERNET = 1 << 0;
export const BIT_VLAN = 1 << 1;
export const BIT_SLL = 1 << 2;
export const BIT_ARP = 1 << 3;
export const BIT_IPV4 = 1 << 4;
export const BIT_IPV6 = 1 << 5;
export const BIT_ICMP = 1 << 6;
export const BIT_ICMPV6 = 1 << 7;
export const BIT_UDP = 1 << 8;
export const BIT_TCP = 1 << 9;
export const BIT_DNS = 1 << 10;
export const BIT_VXLAN = 1 << 11;
export const BIT_GENEVE = 1 << 12;
export const BIT_IPIP = 1 << 13;
export const BIT_GRE = 1 << 14;
export const BIT_LOOPBACK = 1 << 15;
export const MASK_BITS = 16;

/** The names of the mask bits, in bit order. */
export const MASK_NAMES: readonly string[] = [
  'ethernet',
  'vlan',
  'sll',
  'arp',
  'ipv4',
  'ipv6',
  'icmp',
  'icmpv6',
  'udp',
  'tcp',
  'dns',
  'vxlan',
  'geneve',
  'ipip',
  'gre',
  'loopback',
  'nflog',
];

/** Tunnel types, as flows and reports name them. */
export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;
export const TUNNEL_IPIP = 3;
export const TUNNEL_GRE = 4;
export const TUNNEL_NAMES: readonly string[] = ['none', 'vxlan', 'geneve', 'ipip', 'gre'];
