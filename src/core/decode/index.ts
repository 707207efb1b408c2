export * from './layers.js';
export { DecodeStop, type StopReason, DECODE_OK, DECODE_TRUNCATED, DECODE_MALFORMED } from './stop.js';
export {
  DecodedPacket,
  linkLayerKind,
  MAX_LAYERS,
  MAX_PER_KIND,
  MAX_TUNNELS,
  NETWORK_NONE,
  NETWORK_IP,
  NETWORK_ARP,
  NETWORK_ETHERNET,
} from './packet.js';
export { DecodeTables, DEFAULT_VXLAN_PORTS, GENEVE_PORT, DNS_PORT, GRE_IN_UDP_PORT } from './tables.js';
export * from './ethernet.js';
export * from './sll.js';
export * from './loopback.js';
export * from './nflog.js';
export * from './arp.js';
export * from './ip.js';
export * from './icmp.js';
export * from './udp.js';
export * from './tcp.js';
export * from './dns.js';
export * from './vxlan.js';
export * from './geneve.js';
export * from './gre.js';
