/**
 * Layer kinds: small numbers, so protocol tables can be typed arrays and the decode loop a
 * switch. 0 means "nothing to decode".
 */
export const enum Layer {
  NONE = 0,
  ETHERNET = 1,
  VLAN = 2,
  SLL = 3,
  SLL2 = 4,
  LOOPBACK = 5,
  RAW_IP = 6,
  ARP = 7,
  IPV4 = 8,
  IPV6 = 9,
  ICMP = 10,
  ICMPV6 = 11,
  UDP = 12,
  TCP = 13,
  DNS = 14,
  VXLAN = 15,
  GENEVE = 16,
  GRE = 17,
  LOOPBACK_BE = 18,
  NFLOG = 19,
}

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
export const enum LayerBit {
  ETHERNET = 1 << 0,
  VLAN = 1 << 1,
  SLL = 1 << 2,
  ARP = 1 << 3,
  IPV4 = 1 << 4,
  IPV6 = 1 << 5,
  ICMP = 1 << 6,
  ICMPV6 = 1 << 7,
  UDP = 1 << 8,
  TCP = 1 << 9,
  DNS = 1 << 10,
  VXLAN = 1 << 11,
  GENEVE = 1 << 12,
  IPIP = 1 << 13,
  GRE = 1 << 14,
  LOOPBACK = 1 << 15,
}
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
export const enum Tunnel {
  VXLAN = 1,
  GENEVE = 2,
  IPIP = 3,
  GRE = 4,
}
export const TUNNEL_NAMES: readonly string[] = ['none', 'vxlan', 'geneve', 'ipip', 'gre'];
