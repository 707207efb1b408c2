import type { Finding, FindingsDocument, FindingSeverity } from '../core/findings/index.js';
import { formatEndpoint } from './format.js';

const HEADINGS: Record<FindingSeverity, string> = { error: 'ERRORS', warning: 'WARNINGS', info: 'INFO' };
/** Column text is wrapped at. */
const WIDTH = 100;
/** Flows listed per finding (the JSON has up to 20). */
const FLOWS_SHOWN = 5;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Words of `text` in lines of at most WIDTH columns, the first after `first`, the rest after `rest`. */
function wrap(text: string, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/)) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** "client.pcap #3 syn, #4 rst; node1.pcap #7 syn", capture by capture. */
function packetsText(f: Finding): string {
  const parts: string[] = [];
  let capture: string | null = null;
  let list: string[] = [];
  for (const p of f.packets) {
    if (p.capture !== capture) {
      if (capture !== null) parts.push(`${capture} ${list.join(', ')}`);
      capture = p.capture;
      list = [];
    }
    // Numbered from 1, as the app's packets view and Wireshark number frames (the JSON index counts from 0).
    list.push(`#${p.index + 1} ${p.role}`);
  }
  if (capture !== null) parts.push(`${capture} ${list.join(', ')}`);
  const more = f.morePackets > 0 ? ` (and ${f.morePackets} more)` : '';
  return `${parts.join('; ')}${more}`;
}

function renderFinding(f: Finding, n: number): string[] {
  const lines: string[] = [];
  lines.push(...wrap(f.summary, `${n}. [${f.kind}] `, '   '));
  lines.push(...wrap(f.explanation, '   why: ', '        '));
  lines.push(...wrap(f.suggestion, '   fix: ', '        '));
  if (f.packets.length > 0) lines.push(...wrap(packetsText(f), '   packets: ', '            '));
  for (const flow of f.flows.slice(0, FLOWS_SHOWN)) {
    lines.push(
      `   flow: ${flow.protocol} ${formatEndpoint(flow.src)} -> ${formatEndpoint(flow.dst)} (${flow.capture} flow ${flow.flow})`,
    );
  }
  const moreFlows = f.flows.length - FLOWS_SHOWN + f.moreFlows;
  if (moreFlows > 0) lines.push(`   (and ${plural(moreFlows, 'more flow')})`);
  return lines;
}

/** The readable form of `podpath findings`: the findings grouped by severity, worst first. */
export function renderFindings(doc: FindingsDocument): string {
  const lines: string[] = [];
  const files = doc.captures.map((c) => c.file).join(', ');
  const { error, warning, info } = doc.counts;
  lines.push(
    `${plural(doc.captures.length, 'capture')} (${files}): ${plural(error, 'error')}, ${plural(warning, 'warning')}, ${info} info`,
  );
  if (!doc.cluster)
    lines.push('(no --cluster snapshot: findings about Services, pods and DNS policy need one)');
  if (doc.findings.length === 0) lines.push('', 'No problem found.');
  let n = 0;
  for (const severity of ['error', 'warning', 'info'] as const) {
    const list = doc.findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    lines.push('', HEADINGS[severity]);
    for (const [i, f] of list.entries()) {
      if (i > 0) lines.push('');
      lines.push(...renderFinding(f, ++n));
    }
  }
  const omitted = Object.entries(doc.omitted);
  if (omitted.length > 0)
    lines.push('', `Left out: ${omitted.map(([kind, count]) => `${count} more ${kind}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
