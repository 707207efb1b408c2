import { type Encapsulation, type Endpoint, endpointAddress } from '../core/analysis/index.js';
import type { CompareDocument, TraceDocument } from '../core/trace/index.js';
import { formatCount, formatEndpoint, renderFlowsTable, renderTable } from './format.js';

const CHANGE_WORDS: Record<string, string> = {
  dnat: 'DNAT',
  snat: 'SNAT',
  'dnat+snat': 'DNAT+SNAT',
  encap: 'encapsulated',
  decap: 'decapsulated',
  routed: 'routed',
  none: '',
};

const tuple = (src: Endpoint, dst: Endpoint): string => `${formatEndpoint(src)} -> ${formatEndpoint(dst)}`;

const address = endpointAddress;

const tunnels = (list: readonly Encapsulation[]): string =>
  list
    .map(
      (e) =>
        `${e.type}${e.vni !== null ? ` ${e.vni}` : ''} ${e.outer.srcNode ?? e.outer.src} > ${e.outer.dstNode ?? e.outer.dst}`,
    )
    .join(' | ');

const ms = (x: number | null): string => (x === null ? '-' : `${x < 10 ? x.toFixed(3) : x.toFixed(1)} ms`);

function clockLine(doc: TraceDocument): string {
  return doc.clocks
    .map((c) => {
      if (c.basis === 'reference') return `${c.capture} (reference clock)`;
      if (c.basis === 'unmatched') return `${c.capture} (nothing in common; clock as is)`;
      const sign = c.offsetSeconds >= 0 ? '+' : '';
      return `${c.capture} (${sign}${c.offsetSeconds.toFixed(6)} s, ${c.basis}, ${formatCount(c.matchedPackets)} packets vs ${c.relativeTo})`;
    })
    .join(', ');
}

/** The readable form of `podpath trace`: each connection as a table of hops in path order. */
export function renderTrace(doc: TraceDocument): string {
  const lines: string[] = [];
  lines.push(`captures: ${clockLine(doc)}`);
  for (const w of doc.warnings) lines.push(`warning: ${w}`);
  lines.push(
    `${formatCount(doc.connections.length)} connection${doc.connections.length === 1 ? '' : 's'} seen in more than one place; ${formatCount(doc.matchedPackets)} packets matched`,
  );
  for (const c of doc.connections) {
    const first = c.hops[0];
    lines.push('');
    const service = c.service
      ? `  Service ${c.service}${c.serviceVia === 'endpoint' ? ' (as its endpoint)' : ''}`
      : '';
    lines.push(`${c.protocol} ${tuple(first.src, first.dst)}${service}`);
    const rows = c.hops.map((h, i) => [
      String(i + 1),
      h.capture,
      h.interface
        ? `${h.interface.name ?? `if ${h.interface.index}`}${h.interface.role && h.interface.role !== 'unknown' ? ` ${h.interface.role}` : ''}`
        : '',
      i === 0 ? '0' : `+${h.sinceFirstMs.toFixed(3)}`,
      `${address(h.src)} -> ${address(h.dst)}`,
      tunnels(h.encapsulation),
      h.ttl === null ? '' : String(h.ttl),
      [
        h.changes.map((x) => CHANGE_WORDS[x] ?? x).join(' + '),
        h.packets.toServer === 0 ? '(replies only)' : '',
      ]
        .filter(Boolean)
        .join(' '),
    ]);
    const header = ['#', 'CAPTURE', 'INTERFACE', 'MS', 'SOURCE -> DESTINATION', 'TUNNEL', 'TTL', 'CHANGE'];
    if (rows.every((r) => r[2] === '')) {
      header.splice(2, 1);
      for (const r of rows) r.splice(2, 1);
    }
    lines.push(renderTable(header, rows, '  ', new Set([0, header.indexOf('MS')])));
    c.hops.forEach((h, i) => {
      if (h.rewrittenBy) lines.push(`  at ${i + 1}: ${h.rewrittenBy}`);
    });
    const lost =
      c.lost.length === 0
        ? 'none lost'
        : c.lost
            .map(
              (l) =>
                `${formatCount(l.packets)} packet${l.packets === 1 ? '' : 's'} ${l.direction === 'toServer' ? 'to the server' : 'to the client'} vanished after ${l.after}${l.interface ? ` (${l.interface.name ?? `if ${l.interface.index}`}${l.interface.role ? ` ${l.interface.role}` : ''})` : ''}`,
            )
            .join('; ');
    lines.push(
      `  first to last: ${ms(c.latency.firstToLastMs)}; ${formatCount(c.matchedPackets)} packets matched; ${lost}${c.answered ? '' : '; never answered'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The readable form of `podpath compare`: the NAT table, then the flows seen on one side only. */
export function renderCompare(doc: CompareDocument): string {
  const lines: string[] = [];
  const sign = doc.clockOffset >= 0 ? '+' : '';
  lines.push(
    `before: ${doc.before}   after: ${doc.after}   (after's clock ${sign}${doc.clockOffset.toFixed(6)} s)`,
  );
  for (const w of doc.warnings) lines.push(`warning: ${w}`);
  if (doc.translations.length > 0) {
    lines.push('');
    const rows = doc.translations.map((t) => [
      t.before.protocol,
      `${address(t.before.src)} -> ${address(t.before.dst)}`,
      `${address(t.after.src)} -> ${address(t.after.dst)}`,
      t.kind === 'none' ? 'unchanged' : (t.rewrittenBy ?? t.kind),
      formatCount(t.packets),
      ms(t.latencyMs.median),
    ]);
    lines.push(
      renderTable(
        ['PROTOCOL', 'BEFORE', 'AFTER', 'REWRITTEN BY', 'PACKETS', 'LATENCY'],
        rows,
        '',
        new Set([4, 5]),
      ),
    );
  }
  for (const [label, flows] of [
    [doc.before, doc.onlyBefore],
    [doc.after, doc.onlyAfter],
  ] as const) {
    lines.push('');
    lines.push(`only in ${label}: ${flows.length === 0 ? 'none' : `${formatCount(flows.length)} flows`}`);
    if (flows.length > 0) lines.push(renderFlowsTable(flows, '  '));
  }
  return `${lines.join('\n')}\n`;
}
