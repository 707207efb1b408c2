import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CaptureReader } from '../../src/core/capture/index.js';
import {
  DecodedPacket,
  DecodeTables,
  dnsQuestionName,
  formatIpv4,
  formatIpv6,
  type IpFields,
  Layer,
} from '../../src/core/decode/index.js';

/** One packet as tshark decoded it (scripts/golden.js writes these). */
export interface GoldenPacket {
  n: number;
  len: number;
  caplen: number;
  time: string | null;
  interface: number | null;
  ip: [string, string][];
  ipProto: number[];
  ipv6: [string, string][];
  tcp: [number, number][];
  udp: [number, number][];
  vxlanVni: number[];
  geneveVni: number[];
  dnsId: number[];
  dnsQueryName: string[];
  icmpType: number[];
  icmpv6Type: number[];
  arp: [string, string][];
  protocolColumn: string;
}

export interface Golden {
  schema: string;
  file: string;
  sha256: string;
  tsharkError: string | null;
  packets: GoldenPacket[];
}

export const DECODED_FIELDS = [
  'ip',
  'ipProto',
  'ipv6',
  'tcp',
  'udp',
  'vxlanVni',
  'geneveVni',
  'dnsId',
  'dnsQueryName',
  'icmpType',
  'icmpv6Type',
  'arp',
] as const;
export type DecodedField = (typeof DECODED_FIELDS)[number];

export type OurPacket = Pick<GoldenPacket, 'n' | 'len' | 'caplen' | 'time' | 'interface' | DecodedField>;

export function loadGolden(path: string): Golden | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Golden) : null;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function address(ip: IpFields, which: 'source' | 'destination'): string {
  return ip.version === 4 ? formatIpv4(ip[which][0]) : formatIpv6(ip[which]);
}

function addIp(out: OurPacket, ip: IpFields): void {
  if (ip.version === 4) {
    out.ip.push([address(ip, 'source'), address(ip, 'destination')]);
    out.ipProto.push(ip.headerProtocol);
  } else {
    out.ipv6.push([address(ip, 'source'), address(ip, 'destination')]);
  }
}

/** Our decode of a packet, in the golden's field lists (outermost first, ICMP quotes last). */
export function ourFields(p: DecodedPacket, bytes: Uint8Array): Pick<OurPacket, DecodedField> {
  const out: OurPacket = {
    n: 0,
    len: 0,
    caplen: 0,
    time: '',
    interface: null,
    ip: [],
    ipProto: [],
    ipv6: [],
    tcp: [],
    udp: [],
    vxlanVni: [],
    geneveVni: [],
    dnsId: [],
    dnsQueryName: [],
    icmpType: [],
    icmpv6Type: [],
    arp: [],
  };
  for (let i = 0; i < p.layerCount; i++) {
    const slot = p.slots[i];
    switch (p.kinds[i]) {
      case Layer.IPV4:
      case Layer.IPV6:
        addIp(out, p.ip[slot]);
        break;
      case Layer.TCP:
        out.tcp.push([p.tcp.sourcePort, p.tcp.destinationPort]);
        break;
      case Layer.UDP:
        out.udp.push([p.udp[slot].sourcePort, p.udp[slot].destinationPort]);
        break;
      case Layer.VXLAN:
        out.vxlanVni.push(p.vxlan[slot].vni);
        break;
      case Layer.GENEVE:
        out.geneveVni.push(p.geneve[slot].vni);
        break;
      case Layer.DNS: {
        out.dnsId.push(p.dns.id);
        const name = dnsQuestionName(bytes, p.dns);
        if (name !== null) out.dnsQueryName.push(name);
        break;
      }
      case Layer.ARP:
        if (p.arp.isEthernetIpv4)
          out.arp.push([formatIpv4(p.arp.senderProtocolAddress), formatIpv4(p.arp.targetProtocolAddress)]);
        break;
      case Layer.ICMP:
      case Layer.ICMPV6: {
        const icmp = p.icmp;
        (icmp.version === 4 ? out.icmpType : out.icmpv6Type).push(icmp.type);
        if (icmp.hasQuote) {
          addIp(out, icmp.quoted);
          if (icmp.hasQuotedPorts) {
            const pair: [number, number] = [icmp.quotedSourcePort, icmp.quotedDestinationPort];
            (icmp.quoted.protocol === 6 ? out.tcp : out.udp).push(pair);
          }
          if (icmp.quotedIcmpType >= 0)
            (icmp.quoted.protocol === 1 ? out.icmpType : out.icmpv6Type).push(icmp.quotedIcmpType);
        }
        break;
      }
    }
  }
  const { n: _n, len: _l, caplen: _c, time: _t, interface: _i, ...fields } = out;
  return fields;
}

export interface OurCapture {
  packets: OurPacket[];
  decoded: { stop: string; layers: string }[];
  fatal: string | null;
  /** Records whose timestamp the reader had to repair (a fraction of a second out of range). */
  badTimestamps: Set<number>;
}

/** Reads and decodes a capture (gunzipping when needed) into the golden's shape. */
export function decodeCapture(path: string, tables = new DecodeTables()): OurCapture {
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const reader = new CaptureReader();
  reader.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const p = new DecodedPacket();
  const packets: OurPacket[] = [];
  const decoded: OurCapture['decoded'] = [];
  while (reader.next()) {
    const r = reader.record;
    p.decode(r.bytes, r.start, r.capturedLength, r.originalLength, r.linkType, r.fcsLength, tables);
    packets.push({
      n: r.index + 1,
      len: r.originalLength,
      caplen: r.capturedLength,
      time: r.hasTimestamp ? `${r.tsSeconds}.${String(r.tsNanos).padStart(9, '0')}` : null,
      // tshark numbers interfaces within their pcapng section.
      interface: reader.interfaces[r.interfaceIndex].idInSection,
      ...ourFields(p, r.bytes),
    });
    decoded.push({
      stop: `${p.stop.reason} ${p.stop.layer}`,
      layers: Array.from(p.kinds.subarray(0, p.layerCount)).join(','),
    });
  }
  reader.end();
  const badTimestamps = new Set(
    reader.issues.filter((i) => i.kind === 'bad-timestamp').map((i) => i.recordIndex),
  );
  return { packets, decoded, fatal: reader.fatal?.message ?? null, badTimestamps };
}

/*
 * Where podpath and tshark differ on purpose, the difference is listed here with its reason
 * and its kind: 'prefix' means tshark decodes a protocol podpath does not (so our fields must
 * be a prefix of its), 'deeper' that podpath decodes further than tshark (so its fields must
 * be a prefix of ours), 'skip' names fields not compared at all.
 */
export interface Divergence {
  fields: readonly string[];
  kind: 'prefix' | 'deeper' | 'skip';
  why: string;
  /** Packet numbers (1-based) it applies to; all packets when absent. */
  packets?: readonly number[];
}

const ALL = DECODED_FIELDS;

export const DIVERGENCES: Record<string, Divergence[]> = {
  'bad-pcap-huge-incl-len.pcap': [
    {
      fields: [...ALL, 'count'],
      kind: 'skip',
      why: 'Wireshark guesses a non-standard pcap variant for this fuzzed file and frames it differently; podpath reads the standard layout and stops at record 1, whose length is impossible',
    },
  ],
  'bad-pcap-usec-over-1e6.pcap': [
    { fields: ['len'], kind: 'skip', why: 'tshark clamps the fuzzed original length 4093509168 to 2^31-1' },
  ],
  'fmt-pcap-ext-is-pcapng.pcap': [
    { fields: ALL, kind: 'prefix', why: 'GTP-U (UDP 2152, mobile core) is not decoded' },
  ],
  'fmt-pcap-nsec-vntag.pcap': [
    { fields: ALL, kind: 'prefix', why: 'Cisco VN-Tag (EtherType 0x8926) is not decoded' },
  ],
  'l3-ipv4-frag-tcp-syn.pcap': [
    {
      fields: ['tcp'],
      kind: 'prefix',
      why: 'the first fragment carries 8 bytes of the TCP header; tshark shows its ports, podpath stops at the cut header',
    },
  ],
  'ng-nine-idbs-gre-ppp-sip.pcapng': [{ fields: ALL, kind: 'prefix', why: 'PPP inside GRE is not decoded' }],
  'overlay-gre-various.pcap': [
    {
      fields: ALL,
      kind: 'prefix',
      why: 'Cisco MetaData (0x8909) and GRE keepalives inside GRE are not decoded',
    },
  ],
  'overlay-gre-pptp.pcap': [
    { fields: ALL, kind: 'prefix', why: 'PPP inside PPTP’s enhanced GRE is not decoded' },
  ],
  'overlay-vxlan-gpe-nsh.pcap': [
    { fields: ALL, kind: 'prefix', why: 'VXLAN-GPE (UDP 4790) with NSH is not decoded' },
  ],
  'overlay-vxlan-mixed-ports.pcap': [
    {
      fields: ['dnsId', 'dnsQueryName'],
      kind: 'prefix',
      why: 'tshark’s heuristics find DNS on UDP 12345/32021; podpath decodes DNS on port 53',
    },
  ],
  'overlay-gre-sample.pcap': [
    {
      fields: ['dnsId', 'dnsQueryName'],
      kind: 'prefix',
      why: 'tshark decodes the DNS query an ICMP error quotes; podpath reads quotes to the ports',
    },
  ],
  'overlay-geneve-bigtcp-ipv6.pcap': [
    {
      fields: ALL,
      kind: 'deeper',
      why: 'BIG TCP: the outer IPv6 payload length is 0; tshark stops there, podpath uses the captured length',
    },
  ],
  'overlay-vxlan-bigtcp-ipv4.pcap': [
    {
      fields: ALL,
      kind: 'deeper',
      why: 'BIG TCP: the inner IPv4 total length is 0; tshark stops there, podpath uses the captured length',
    },
  ],
};
