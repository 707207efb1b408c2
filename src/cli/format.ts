import {
  type Datapath,
  type Encapsulation,
  type Endpoint,
  endpointAddress,
  type FlowSummary,
} from '../core/analysis/index.js';

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

/** With a cluster snapshot, the name first and the address second: "default/web-0 10.244.2.2:8080". */
export function formatEndpoint(e: Endpoint): string {
  const address = endpointAddress(e);
  if (e.name === undefined || e.name === null) return address;
  // A node's own address names the node; its tunnel and bridge addresses say which they are.
  const role = e.kind === 'node' && e.role !== undefined && e.role !== 'address' ? ` ${e.role}` : '';
  return `${e.name}${role} ${address}`;
}

function tunnelEnd(address: string, node: string | null | undefined): string {
  return node ? `${node} (${address})` : address;
}

/** Tunnels as one line: "vxlan vni 1 udp/8472 node1 (192.168.10.101) > node2 (...)". */
export function describeEncapsulation(encapsulation: readonly Encapsulation[]): string {
  if (encapsulation.length === 0) return '';
  return encapsulation
    .map((e) => {
      const id =
        e.vni === null
          ? ''
          : e.type === 'gre'
            ? ` key ${e.vni}`
            : ` vni ${e.vni}${e.vniReply !== null && e.vniReply !== e.vni ? `/${e.vniReply}` : ''}`;
      const port = e.udpPort === null ? '' : ` udp/${e.udpPort}`;
      return `${e.type}${id}${port} ${tunnelEnd(e.outer.src, e.outer.srcNode)} > ${tunnelEnd(e.outer.dst, e.outer.dstNode)}`;
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

/** The Service a flow reached and the client behind a PROXY header, when known. */
function describeNotes(f: FlowSummary): string {
  const notes: string[] = [];
  if (f.service !== undefined) {
    const via = f.service.nodePort !== undefined ? `NodePort ${f.service.nodePort} of ` : '';
    const n = f.service.endpoints.length;
    notes.push(
      `${via}Service ${f.service.name}:${f.service.port} -> ${n === 0 ? 'no ready endpoints' : n <= 2 ? f.service.endpoints.join(', ') : `${n} endpoints`}`,
    );
  }
  for (const e of f.endpointOf ?? [])
    notes.push(`endpoint of Service ${e.service}:${e.port} (seen after DNAT)`);
  if (f.proxyProtocol?.src !== undefined) {
    const client = f.proxyProtocol.src;
    notes.push(`PROXY v${f.proxyProtocol.version} client ${formatEndpoint(client)}`);
  }
  return notes.join('; ');
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
    describeEncapsulation(f.encapsulation),
    describeNotes(f),
  ]);
  const header = ['PROTOCOL', 'SOURCE', 'DESTINATION', 'PACKETS', 'BYTES', 'INTERFACE', 'TUNNEL', 'NOTES'];
  // NOTES only when some flow has one (a Service, a PROXY header): it needs a snapshot or a proxy.
  if (rows.every((r) => r[7] === '')) header.pop();
  return renderTable(header, rows, indent, new Set([3, 4]));
}

/** A fixed-width table: columns as wide as their widest cell, trailing blanks trimmed. */
export function renderTable(
  header: string[],
  rows: string[][],
  indent: string,
  rightAligned: ReadonlySet<number> = new Set(),
): string {
  const all = [header, ...rows.map((r) => r.slice(0, header.length))];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
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

/** The data path lines of a capture: kind, cost, evidence, and what each interface is. */
export function renderDatapath(d: Datapath, indent: string): string[] {
  const lines: string[] = [];
  const kinds = d.kinds !== undefined ? ` (also ${d.kinds.filter((k) => k !== d.kind).join(', ')})` : '';
  lines.push(`${indent}data path: ${d.kind}${kinds}`);
  if (d.overheadBytes !== null) {
    const mtu =
      d.largestInnerPacket !== undefined
        ? `; largest inner packet ${d.largestInnerPacket} B, so the underlay needs an MTU of ${d.underlayMtuNeeded} B or more`
        : '';
    lines.push(`${indent}  tunnel overhead: ${d.overheadBytes} B per packet${mtu}`);
  }
  for (const e of d.evidence) lines.push(`${indent}  - ${e}`);
  if (d.interfaces !== undefined && d.interfaces.length > 0) {
    lines.push(`${indent}  interfaces:`);
    for (const i of d.interfaces) {
      const name = i.name !== null ? ` ${i.name}` : '';
      lines.push(
        `${indent}    if ${i.index}${name}: ${i.role}${i.pod !== undefined ? ` of ${i.pod}` : ''}: ${i.carries}`,
      );
    }
  }
  return lines;
}
