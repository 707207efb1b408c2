/**
 * Link-layer header types as pcap and pcapng record them.
 * https://www.tcpdump.org/linktypes.html
 */
export const enum LinkType {
  NULL = 0,
  ETHERNET = 1,
  RAW_OPENBSD = 12,
  RAW_BSDOS = 14,
  RAW = 101,
  LOOP = 108,
  LINUX_SLL = 113,
  NFLOG = 239,
  IPV4 = 228,
  IPV6 = 229,
  LINUX_SLL2 = 276,
}

const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'ETHERNET',
  6: 'IEEE802_5',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  119: 'IEEE802_11_PRISM',
  127: 'IEEE802_11_RADIOTAP',
  147: 'USER0',
  187: 'BLUETOOTH_HCI_H4',
  189: 'USB_LINUX',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  239: 'NFLOG',
  249: 'NETANALYZER_TRANSPARENT',
  263: 'NETLINK',
  271: 'VSOCK',
  276: 'LINUX_SLL2',
};

/** The LINKTYPE_ name without its prefix, e.g. 'LINUX_SLL2'; unknown types read 'LINKTYPE_<n>'. */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`;
}
