import { type DecodedPacket, formatIp, Layer, LAYER_NAMES } from '../decode/index.js';

/** One field of a layer as the packets view shows it: its bytes are [start, start + length). */
export interface PacketField {
  name: string;
  value: string;
  start: number;
  length: number;
}

export interface PacketLayer {
  name: string;
  /** The layer's first byte and the end of its header, relative to the packet. */
  start: number;
  end: number;
  fields: PacketField[];
}

const hex = (b: Uint8Array, at: number, n: number): string =>
  Array.from(b.subarray(at, at + n), (x) => x.toString(16).padStart(2, '0')).join(':');
const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number): number =>
  ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

/**
 * The decoded layers of a packet with their fields and where their bytes are, outermost first:
 * the packets view's tree and the bytes its hex view highlights. Read from the packet's own
 * bytes at the offsets the decoders found, so it is only made for packets on screen.
 */
export function describePacket(p: DecodedPacket, b: Uint8Array): PacketLayer[] {
  const base = p.start;
  const out: PacketLayer[] = [];
  const counters = new Map<number, number>();
  for (let i = 0; i < p.layerCount; i++) {
    const kind = p.kinds[i];
    const at = p.starts[i];
    const next = i + 1 < p.layerCount ? p.starts[i + 1] : p.end;
    const nth = counters.get(kind) ?? 0;
    counters.set(kind, nth + 1);
    const fields: PacketField[] = [];
    const field = (name: string, value: string | number, offset: number, length: number): void =>
      void fields.push({ name, value: String(value), start: at + offset - base, length });
    switch (kind) {
      case Layer.ETHERNET:
        field('destination', hex(b, at, 6), 0, 6);
        field('source', hex(b, at + 6, 6), 6, 6);
        field(
          'type',
          `0x${u16(b, at + 12)
            .toString(16)
            .padStart(4, '0')}`,
          12,
          2,
        );
        break;
      case Layer.VLAN:
        field('priority', b[at] >> 5, 0, 2);
        field('id', u16(b, at) & 0x0fff, 0, 2);
        field(
          'type',
          `0x${u16(b, at + 2)
            .toString(16)
            .padStart(4, '0')}`,
          2,
          2,
        );
        break;
      case Layer.SLL2:
        field('protocol', `0x${u16(b, at).toString(16).padStart(4, '0')}`, 0, 2);
        field('interface index', u32(b, at + 4), 4, 4);
        field('packet type', b[at + 10], 10, 1);
        break;
      case Layer.SLL:
        field('packet type', u16(b, at), 0, 2);
        field(
          'protocol',
          `0x${u16(b, at + 14)
            .toString(16)
            .padStart(4, '0')}`,
          14,
          2,
        );
        break;
      case Layer.ARP:
        field(
          'operation',
          u16(b, at + 6) === 1 ? 'request' : u16(b, at + 6) === 2 ? 'reply' : u16(b, at + 6),
          6,
          2,
        );
        field('sender', `${b[at + 14]}.${b[at + 15]}.${b[at + 16]}.${b[at + 17]}`, 14, 4);
        field('target', `${b[at + 24]}.${b[at + 25]}.${b[at + 26]}.${b[at + 27]}`, 24, 4);
        break;
      case Layer.IPV4:
      case Layer.IPV6: {
        const ip = p.ip[p.slots[i]];
        if (ip.version === 4) {
          field('version', 4, 0, 1);
          field('header length', ip.headerLength, 0, 1);
          field('total length', ip.lengthField, 2, 2);
          field('identification', `0x${ip.identification.toString(16).padStart(4, '0')}`, 4, 2);
          field(
            'flags',
            `${ip.isDontFragment ? 'DF ' : ''}${ip.isMoreFragments ? 'MF' : ''}`.trim() || 'none',
            6,
            1,
          );
          field('fragment offset', ip.fragmentOffset, 6, 2);
          field('ttl', ip.ttl, 8, 1);
          field('protocol', ip.headerProtocol, 9, 1);
          field('source', formatIp(4, ip.source), 12, 4);
          field('destination', formatIp(4, ip.destination), 16, 4);
        } else {
          field('version', 6, 0, 1);
          field('flow label', `0x${ip.flowLabel.toString(16)}`, 1, 3);
          field('payload length', ip.lengthField, 4, 2);
          field('next header', ip.headerProtocol, 6, 1);
          field('hop limit', ip.ttl, 7, 1);
          field('source', formatIp(6, ip.source), 8, 16);
          field('destination', formatIp(6, ip.destination), 24, 16);
        }
        break;
      }
      case Layer.UDP: {
        const u = p.udp[p.slots[i]];
        field('source port', u.sourcePort, 0, 2);
        field('destination port', u.destinationPort, 2, 2);
        field('length', u.length, 4, 2);
        field(
          'checksum',
          `0x${u16(b, at + 6)
            .toString(16)
            .padStart(4, '0')}`,
          6,
          2,
        );
        break;
      }
      case Layer.TCP: {
        const t = p.tcp;
        field('source port', t.sourcePort, 0, 2);
        field('destination port', t.destinationPort, 2, 2);
        field('sequence', t.sequence, 4, 4);
        field('acknowledgment', t.acknowledgment, 8, 4);
        field('header length', t.headerLength, 12, 1);
        field('flags', TCP_FLAG_NAMES.filter((_, bit) => (t.flags >> bit) & 1).join(' ') || 'none', 13, 1);
        field('window', t.window, 14, 2);
        field(
          'payload',
          `${Math.max(0, t.payloadEnd - t.payloadStart)} bytes`,
          t.headerLength,
          Math.max(0, t.payloadEnd - t.payloadStart),
        );
        break;
      }
      case Layer.ICMP:
      case Layer.ICMPV6: {
        const c = p.icmp;
        field('type', c.type, 0, 1);
        field('code', c.code, 1, 1);
        if (c.isEcho) {
          field('identifier', c.identifier, 4, 2);
          field('sequence', c.sequence, 6, 2);
        }
        break;
      }
      case Layer.DNS: {
        const d = p.dns;
        const o = d.isTcp ? 2 : 0;
        field('id', `0x${d.id.toString(16).padStart(4, '0')}`, o, 2);
        field('kind', d.isResponse ? `response, rcode ${d.rcode}` : 'query', o + 2, 2);
        field('questions', d.questionCount, o + 4, 2);
        field('answers', d.answerCount, o + 6, 2);
        break;
      }
      case Layer.VXLAN:
        field('flags', `0x${b[at].toString(16).padStart(2, '0')}`, 0, 1);
        field('vni', p.vxlan[p.slots[i]].vni, 4, 3);
        break;
      case Layer.GENEVE:
        field('options length', p.geneve[p.slots[i]].optionsLength, 0, 1);
        field('protocol', `0x${p.geneve[p.slots[i]].protocolType.toString(16)}`, 2, 2);
        field('vni', p.geneve[p.slots[i]].vni, 4, 3);
        break;
      case Layer.GRE: {
        const g = p.gre[p.slots[i]];
        field('protocol', `0x${g.protocolType.toString(16)}`, 2, 2);
        if (g.hasKey) field('key', g.key, 4, 4);
        break;
      }
      default:
        break;
    }
    out.push({ name: LAYER_NAMES[kind] ?? `layer ${kind}`, start: at - base, end: next - base, fields });
  }
  return out;
}
