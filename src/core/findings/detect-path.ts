import type { HopModel } from '../trace/index.js';
import { type Draft, endText, type FindingsContext } from './context.js';

/** A two-way clock offset this large (seconds) means the nodes' clocks disagree. */
const CLOCK_SKEW_SECONDS = 0.5;
/** One-way offsets under this are taken as transit time (see the correlator): only larger ones are said. */
const ONE_WAY_SECONDS = 1;

/**
 * Across captures (the correlation): packets seen at one point and never at the next,
 * requests and replies that take different captures' paths, and clocks too far apart.
 */
export function detectPath(ctx: FindingsContext, out: Draft[]): void {
  if (ctx.correlation === undefined) return;
  losses(ctx, out);
  asymmetric(ctx, out);
  clocks(ctx, out);
}

/** A capture point in words: the capture, and its interface where it has several. */
function pointOf(ctx: FindingsContext, hop: HopModel): string {
  const capture = ctx.captures[hop.capture];
  const iface = ctx.summary(hop.capture, hop.flow).interface;
  if (iface === null) return capture.name;
  const use = capture.datapath?.interfaces?.find((u) => u.index === iface.index);
  const label = iface.name ?? `if ${iface.index}`;
  return `${capture.name} (${label}${use ? `, ${use.role}` : ''})`;
}

function clientServer(ctx: FindingsContext, hop: HopModel): { client: string; server: string } {
  const s = ctx.summary(hop.capture, hop.flow);
  const clientIsSrc = ctx.table(hop.capture).initiator(hop.flow) === hop.toServerDirection;
  return { client: endText(clientIsSrc ? s.src : s.dst), server: endText(clientIsSrc ? s.dst : s.src) };
}

type ConnectionDraft = Draft & { connections: number };

/** The warning drafted under `key` (one per pair of points), made and listed in `out` on first use. */
function connectionDraft(
  drafts: Map<string, ConnectionDraft>,
  out: Draft[],
  key: string,
  make: () => Pick<Draft, 'kind' | 'code' | 'params'>,
): ConnectionDraft {
  let d = drafts.get(key);
  if (d === undefined) {
    d = { ...make(), severity: 'warning', key, weight: 0, flows: [], packets: [], connections: 0 };
    drafts.set(key, d);
    out.push(d);
  }
  return d;
}

function losses(ctx: FindingsContext, out: Draft[]): void {
  const drafts = new Map<string, ConnectionDraft>();
  for (const model of ctx.correlation!.connections) {
    for (const lost of model.lost) {
      const after = model.hops[lost.afterHop];
      const next = model.hops[lost.direction === 'toServer' ? lost.afterHop + 1 : lost.afterHop - 1];
      if (after === undefined || next === undefined) continue;
      const from = pointOf(ctx, after);
      const to = pointOf(ctx, next);
      const key = `packet-lost-between|${from}|${to}|${lost.direction}`;
      const d = connectionDraft(drafts, out, key, () => ({
        kind: 'packet-lost-between',
        code: lost.direction === 'toServer' ? 'lostTowardServer' : 'lostTowardClient',
        params: { after: from, next: to, ...clientServer(ctx, model.hops[0]), count: 0 },
      }));
      d.connections++;
      d.params.count = Number(d.params.count) + lost.packets;
      d.weight += lost.packets;
      d.flows.push({ capture: after.capture, flow: after.flow }, { capture: next.capture, flow: next.flow });
      for (const record of lost.records) d.packets.push({ capture: after.capture, record, role: 'lost' });
    }
  }
  for (const d of drafts.values()) d.params.connections = d.connections;
}

function asymmetric(ctx: FindingsContext, out: Draft[]): void {
  const correlation = ctx.correlation!;
  const drafts = new Map<string, ConnectionDraft>();
  for (const model of correlation.connections) {
    if (!model.answered) continue;
    const perCapture = new Map<number, { toServer: number; toClient: number; hops: HopModel[] }>();
    for (const h of model.hops) {
      const e = perCapture.get(h.capture) ?? { toServer: 0, toClient: 0, hops: [] };
      e.toServer += h.toServer;
      e.toClient += h.toClient;
      e.hops.push(h);
      perCapture.set(h.capture, e);
    }
    const requestsOnly = [...perCapture].filter(([, e]) => e.toServer > 0 && e.toClient === 0);
    const repliesOnly = [...perCapture].filter(([, e]) => e.toClient > 0 && e.toServer === 0);
    if (requestsOnly.length === 0 || repliesOnly.length === 0) continue;
    // Each capture must have been running while the other direction passed the other one.
    const span = (c: number): [number, number] => {
      const [first, last] = correlation.spans[c];
      const offset = correlation.clocks[c].offset;
      return [first + offset, last + offset];
    };
    const during = (c: number, hops: HopModel[]): boolean => {
      const [first, last] = span(c);
      return hops.some((h) => h.time >= first && h.time <= last);
    };
    const ok = requestsOnly.every(([c]) => repliesOnly.some(([, e]) => during(c, e.hops)));
    if (!ok) continue;
    const requestsAt = requestsOnly.map(([c]) => ctx.captures[c].name).join(', ');
    const repliesAt = repliesOnly.map(([c]) => ctx.captures[c].name).join(', ');
    const key = `asymmetric-path|${requestsAt}|${repliesAt}`;
    const d = connectionDraft(drafts, out, key, () => ({
      kind: 'asymmetric-path',
      code: 'asymmetricPath',
      params: { requestsAt, repliesAt, ...clientServer(ctx, model.hops[0]) },
    }));
    d.connections++;
    d.weight++;
    // Each capture's first packet of the connection: a request where only requests passed,
    // a reply where only replies did.
    for (const [list, role] of [
      [requestsOnly, 'request'],
      [repliesOnly, 'answer'],
    ] as const)
      for (const [, e] of list)
        for (const h of e.hops) {
          d.flows.push({ capture: h.capture, flow: h.flow });
          d.packets.push({ capture: h.capture, record: ctx.table(h.capture).firstRecord(h.flow), role });
        }
  }
  for (const d of drafts.values()) d.params.count = d.connections;
}

function clocks(ctx: FindingsContext, out: Draft[]): void {
  const correlation = ctx.correlation!;
  correlation.clocks.forEach((clock, c) => {
    if (c === 0 || c >= ctx.captures.length) return;
    const seconds = Math.round(clock.offset * 1e6) / 1e6;
    const reference = ctx.captures[clock.relativeTo]?.name ?? ctx.captures[0].name;
    const skewed = clock.basis === 'two-way' && Math.abs(clock.offset) >= CLOCK_SKEW_SECONDS;
    const guessed = clock.basis === 'one-way' && Math.abs(clock.offset) >= ONE_WAY_SECONDS;
    if (!skewed && !guessed) return;
    out.push({
      kind: 'clock-offset',
      severity: 'warning',
      code: skewed ? 'clockSkew' : 'clockOneWay',
      params: { capture: ctx.captures[c].name, reference, seconds, packets: clock.matchedPackets },
      key: `clock-offset|${c}`,
      weight: Math.abs(clock.offset),
      flows: [],
      packets: [],
    });
  });
}
