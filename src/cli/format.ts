import type { Endpoint, FlowSummary } from '../core/analysis/index.js';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function formatEndpoint(e: Endpoint): string {
  if (e.mac !== undefined) return e.mac;
  const ip = e.ip ?? '?';
  if (e.port === undefined) return ip;
  return ip.includes(':') ? `[${ip}]:${e.port}` : `${ip}:${e.port}`;
}

function describeEncapsulation(f: FlowSummary): string {
  if (f.encapsulation.length === 0) return '';
  return f.encapsulation
    .map((e) => {
      const id =
        e.vni === null
          ? ''
          : e.type === 'gre'
            ? ` key ${e.vni}`
            : ` vni ${e.vni}${e.vniReply !== null && e.vniReply !== e.vni ? `/${e.vniReply}` : ''}`;
      const port = e.udpPort === null ? '' : ` udp/${e.udpPort}`;
      return `${e.type}${id}${port} ${e.outer.src} > ${e.outer.dst}`;
    })
    .join(' | ');
}

function describeProtocol(f: FlowSummary): string {
  if (f.icmp?.type !== undefined) {
    const quote = f.icmp.quotes
      ? ` re ${f.icmp.quotes.protocol} ${f.icmp.quotes.src} > ${f.icmp.quotes.dst}`
      : '';
    return `${f.protocol} ${f.icmp.type}/${f.icmp.code}${quote}`;
  }
  if (f.icmp?.id !== undefined) return `${f.protocol} echo ${f.icmp.id}`;
  return f.protocol;
}

/** A fixed-width table of flows, for terminals. */
export function renderFlowsTable(flows: FlowSummary[], indent: string): string {
  const rows = flows.map((f) => [
    describeProtocol(f),
    formatEndpoint(f.src),
    formatEndpoint(f.dst),
    `${formatCount(f.packets)}`,
    formatBytes(f.bytes),
    f.interface ? `if ${f.interface.index}${f.interface.name ? ` ${f.interface.name}` : ''}` : '',
    describeEncapsulation(f),
  ]);
  const header = ['PROTOCOL', 'SOURCE', 'DESTINATION', 'PACKETS', 'BYTES', 'INTERFACE', 'TUNNEL'];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const rightAligned = new Set([3, 4]);
  return all
    .map(
      (r) =>
        indent +
        r
          .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}
