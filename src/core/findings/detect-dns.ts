import { formatIp } from '../decode/index.js';
import { type Draft, type FindingsContext, ms, type PacketRef, tupleKey } from './context.js';
import type { FragmentEvent } from './observer.js';

/** A query with no answer this long before the capture ended (or re-sent) timed out. */
const TIMEOUT_SECONDS = 2;
/** Queries of one search-list walk follow each other within this many seconds. */
const WALK_GAP_SECONDS = 10;
/** The cluster domain when no query names one. */
const DEFAULT_DOMAIN = 'cluster.local';
/** NodeLocal DNSCache's usual link-local address. */
const NODE_LOCAL_DNS = '169.254.20.10';
/** Names listed in one finding's text. */
const NAMES_LISTED = 3;

const NXDOMAIN = 3;
const SERVFAIL = 2;
const REFUSED = 5;

/** One question and its answer (if any), as one capture saw them. */
interface Resolution {
  capture: number;
  flow: number;
  /** The flow's endpoint that asked (0 = A, 1 = B). */
  client: number;
  version: number;
  clientIp: string;
  serverIp: string;
  clientPort: number;
  serverPort: number;
  /** IP protocol: 17 (UDP) or 6 (TCP). */
  protocol: number;
  id: number;
  name: string | null;
  questionType: number;
  queries: number[];
  firstTime: number;
  lastQueryTime: number;
  answer: { record: number; time: number; rcode: number; answers: number } | null;
  /** The same question across captures: see logicalKey. */
  logical: string;
}

/** The same question seen at several points (the client pod, its node, the DNS pod). */
interface Logical {
  observations: Resolution[];
  answered: Resolution | null;
  /** Part of a search-list walk (reported there). */
  inWalk: boolean;
}

/** Where a name sits in the search list: `<ns>.svc.<domain>`, `svc.<domain>`, `<domain>`, or as is. */
const enum Form {
  NAMESPACE = 0,
  SVC = 1,
  DOMAIN = 2,
  BARE = 3,
}

interface Walk {
  clientIp: string;
  base: string;
  capture: number;
  members: { r: Resolution; form: Form }[];
}

/**
 * DNS: the ndots:5 search-list walk (a name tried with each cluster suffix before itself),
 * NXDOMAIN, SERVFAIL and REFUSED answers, queries never answered, and pods asking a server
 * that is not the cluster's DNS Service.
 */
export function detectDns(ctx: FindingsContext, out: Draft[]): void {
  const resolutions = ctx.captures.flatMap((_, c) => resolutionsOf(ctx, c));
  if (resolutions.length === 0) return;
  const logical = new Map<string, Logical>();
  for (const r of resolutions) {
    let l = logical.get(r.logical);
    if (l === undefined) logical.set(r.logical, (l = { observations: [], answered: null, inWalk: false }));
    l.observations.push(r);
    if (r.answer !== null && l.answered === null) l.answered = r;
  }
  searchWalks(ctx, resolutions, logical, out);
  failures(ctx, logical, out);
  timeouts(ctx, logical, out);
  wrongServer(ctx, logical, out);
}

function resolutionsOf(ctx: FindingsContext, c: number): Resolution[] {
  const o = ctx.captures[c].observer;
  const table = ctx.table(c);
  const words = new Uint32Array(4);
  const pending = new Map<string, Resolution>();
  const out: Resolution[] = [];
  for (const m of o.dns) {
    if (m.flow < 0) continue;
    const key = `${m.flow}/${m.id}/${m.questionType}/${m.name}`;
    if (!m.isResponse) {
      const known = pending.get(key);
      if (known !== undefined && known.answer === null && known.client === m.direction) {
        // Sent again with the same id: a retry after a timeout.
        known.queries.push(m.record);
        known.lastQueryTime = m.time;
        continue;
      }
      const version = table.ipVersion(m.flow);
      const r: Resolution = {
        capture: c,
        flow: m.flow,
        client: m.direction,
        version,
        clientIp: formatIp(version, table.address(m.flow, m.direction, words)),
        serverIp: formatIp(version, table.address(m.flow, 1 - m.direction, words)),
        clientPort: table.port(m.flow, m.direction),
        serverPort: table.port(m.flow, 1 - m.direction),
        protocol: table.ipProtocol(m.flow),
        id: m.id,
        name: m.name,
        questionType: m.questionType,
        queries: [m.record],
        firstTime: m.time,
        lastQueryTime: m.time,
        answer: null,
        logical: `${ctx.connectionKey(c, m.flow)}|${m.id}|${m.questionType}|${m.name}`,
      };
      pending.set(key, r);
      out.push(r);
      continue;
    }
    const r = pending.get(key);
    if (r === undefined || r.answer !== null || r.client === m.direction) continue;
    r.answer = { record: m.record, time: m.time, rcode: m.rcode, answers: m.answers };
  }
  fragmentedAnswers(o.fragments, out);
  return out;
}

/**
 * An answer too long for one packet comes in IP fragments, and only a first fragment holds the
 * DNS header (podpath decodes no reassembled datagrams): a first fragment from the server to the
 * client after the query is taken as its answer, its code unknown (-1).
 */
function fragmentedAnswers(fragments: readonly FragmentEvent[], resolutions: Resolution[]): void {
  if (fragments.length === 0) return;
  // First fragments by sender and receiver, in capture order; each answers one query.
  const firsts = new Map<string, FragmentEvent[]>();
  for (const x of fragments) {
    if (!x.isFirst) continue;
    const key = `${formatIp(x.version, x.source)}|${formatIp(x.version, x.destination)}`;
    firsts.set(key, [...(firsts.get(key) ?? []), x]);
  }
  const used = new Set<FragmentEvent>();
  for (const r of resolutions) {
    if (r.answer !== null) continue;
    const last = r.queries[r.queries.length - 1];
    const f = firsts.get(`${r.serverIp}|${r.clientIp}`)?.find((x) => x.record > last && !used.has(x));
    if (f === undefined) continue;
    used.add(f);
    r.answer = { record: f.record, time: f.time, rcode: -1, answers: 1 };
  }
}

/** The cluster domains the queries show (the part after ".svc."), else cluster.local. */
function clusterDomains(resolutions: readonly Resolution[]): string[] {
  const domains = new Set<string>([DEFAULT_DOMAIN]);
  for (const r of resolutions) {
    const at = r.name?.indexOf('.svc.') ?? -1;
    if (at > 0) domains.add(r.name!.slice(at + 5));
  }
  return [...domains];
}

/** The names a query may be a search-list expansion of, with where in the list it sits. */
function bases(name: string, domains: readonly string[]): [string, Form][] {
  const out: [string, Form][] = [[name, Form.BARE]];
  for (const domain of domains) {
    const svc = `.svc.${domain}`;
    if (name.endsWith(svc)) {
      const rest = name.slice(0, -svc.length);
      out.push([rest, Form.SVC]);
      const dot = rest.lastIndexOf('.');
      if (dot > 0) out.push([rest.slice(0, dot), Form.NAMESPACE]);
    } else if (name.endsWith(`.${domain}`)) {
      out.push([name.slice(0, -domain.length - 1), Form.DOMAIN]);
    }
  }
  return out;
}

const failed = (r: Resolution): boolean =>
  r.answer !== null && (r.answer.rcode === NXDOMAIN || (r.answer.rcode === 0 && r.answer.answers === 0));
/** Answered with records (a fragmented answer, its code unknown, is taken as one). */
const resolved = (r: Resolution): boolean =>
  r.answer !== null && ((r.answer.rcode === 0 && r.answer.answers > 0) || r.answer.rcode === -1);

function searchWalks(
  ctx: FindingsContext,
  resolutions: readonly Resolution[],
  logical: Map<string, Logical>,
  out: Draft[],
): void {
  const domains = clusterDomains(resolutions);
  const walks: Walk[] = [];
  ctx.captures.forEach((_, c) => {
    const open = new Map<string, Walk>();
    const mine = resolutions.filter((r) => r.capture === c && r.name !== null);
    mine.sort((a, b) => a.firstTime - b.firstTime);
    for (const r of mine) {
      for (const [base, form] of bases(r.name!, domains)) {
        const key = `${r.clientIp}|${base}`;
        let walk = open.get(key);
        const last = walk?.members[walk.members.length - 1];
        if (walk === undefined || r.firstTime - last!.r.firstTime > WALK_GAP_SECONDS) {
          walk = { clientIp: r.clientIp, base, capture: c, members: [] };
          open.set(key, walk);
          walks.push(walk);
        }
        walk.members.push({ r, form });
      }
    }
  });
  // A walk tries expansions (at least one failing) before the next name; the largest walks win
  // their queries (a name is a candidate expansion of several shorter ones).
  // An expansion that failed for every type asked (A and AAAA go in parallel: an AAAA with no
  // records beside an answered A is no miss), and another name tried after it.
  const qualifies = (w: Walk): boolean => {
    const names = new Set(w.members.map((m) => m.r.name));
    if (names.size < 2) return false;
    return w.members.some(
      (m) =>
        m.form !== Form.BARE &&
        w.members.every((x) => x.r.name !== m.r.name || failed(x.r)) &&
        w.members.some((x) => x.r.name !== m.r.name && x.r.firstTime >= m.r.firstTime),
    );
  };
  const chosen: Walk[] = [];
  const taken = new Set<Resolution>();
  for (const w of walks.filter(qualifies).sort((a, b) => b.members.length - a.members.length)) {
    if (w.members.some((m) => taken.has(m.r))) continue;
    for (const m of w.members) taken.add(m.r);
    chosen.push(w);
  }
  // The same walk seen at several points is one finding: its numbers from the capture that saw most.
  const byKey = new Map<string, Walk[]>();
  for (const w of chosen) {
    const key = `${w.clientIp}|${w.base}`;
    byKey.set(key, [...(byKey.get(key) ?? []), w]);
  }
  for (const [key, list] of byKey) {
    const best = list.reduce((a, b) => (b.members.length > a.members.length ? b : a));
    const members = best.members;
    const success = members.find((m) => resolved(m.r));
    const names: string[] = [];
    for (const m of members) if (!names.includes(m.r.name!)) names.push(m.r.name!);
    const queries = members.reduce((n, m) => n + m.r.queries.length, 0);
    const nx = members.filter((m) => failed(m.r)).length;
    const first = members[0].r;
    const end = success?.r.answer ?? members[members.length - 1].r.answer;
    const client = ctx.nameIp(best.clientIp);
    const dots = best.base.split('.').length - 1;
    const packets: PacketRef[] = [];
    for (const w of list)
      for (const m of w.members) {
        for (const record of m.r.queries) packets.push({ capture: w.capture, record, role: 'query' });
        if (m.r.answer !== null)
          packets.push({ capture: w.capture, record: m.r.answer.record, role: 'answer' });
        const l = logical.get(m.r.logical);
        if (l !== undefined) l.inWalk = true;
      }
    const params = {
      name: best.base,
      client,
      count: queries,
      failed: nx,
      names: names.join(', '),
      dots,
      costMs: end === null ? 0 : ms(end.time - first.firstTime),
      server: ctx.nameIp(first.serverIp),
    };
    out.push({
      kind: success !== undefined ? 'dns-search-expansion' : 'dns-nxdomain',
      severity: 'warning',
      code: success !== undefined ? 'dnsSearchExpansion' : 'dnsNxdomainAfterSearch',
      params: success !== undefined ? { ...params, answeredAs: success.r.name! } : params,
      key: `dns-walk|${key}`,
      weight: queries,
      flows: list.flatMap((w) => w.members.map((m) => ({ capture: w.capture, flow: m.r.flow }))),
      packets,
      ...podsOf(ctx, best.clientIp),
    });
  }
}

function podsOf(ctx: FindingsContext, ip: string): { pods?: string[] } {
  const id = ctx.cluster?.identifyText(ip);
  return id?.kind === 'pod' && id.name !== null ? { pods: [id.name] } : {};
}

/** Evidence of a logical resolution: every capture's query and answer packets. */
function evidence(l: Logical): { flows: { capture: number; flow: number }[]; packets: PacketRef[] } {
  const packets: PacketRef[] = [];
  for (const r of l.observations) {
    for (const record of r.queries) packets.push({ capture: r.capture, record, role: 'query' });
    if (r.answer !== null) packets.push({ capture: r.capture, record: r.answer.record, role: 'answer' });
  }
  return { flows: l.observations.map((r) => ({ capture: r.capture, flow: r.flow })), packets };
}

/** Groups logical resolutions into one draft per key, with names listed and counts. */
function grouped(
  list: { key: string; l: Logical }[],
  make: (first: Resolution) => Omit<Draft, 'weight' | 'flows' | 'packets' | 'key'>,
  out: Draft[],
): void {
  const groups = new Map<string, Logical[]>();
  for (const { key, l } of list) groups.set(key, [...(groups.get(key) ?? []), l]);
  for (const [key, ls] of groups) {
    const first = ls[0].answered ?? ls[0].observations[0];
    const base = make(first);
    const names = [...new Set(ls.map((l) => l.observations[0].name ?? '?'))];
    const more = names.length - NAMES_LISTED;
    const flows: { capture: number; flow: number }[] = [];
    const packets: PacketRef[] = [];
    for (const l of ls) {
      const e = evidence(l);
      flows.push(...e.flows);
      packets.push(...e.packets);
    }
    // Questions, not packets: a query sent again, or seen at several points, is one question.
    const queries = ls.length;
    out.push({
      ...base,
      params: {
        ...base.params,
        count: queries,
        names: `${names.slice(0, NAMES_LISTED).join(', ')}${more > 0 ? ` (+${more})` : ''}`,
      },
      key,
      weight: queries,
      flows,
      packets,
    });
  }
}

function failures(ctx: FindingsContext, logical: Map<string, Logical>, out: Draft[]): void {
  const nx: { key: string; l: Logical }[] = [];
  const fail: { key: string; l: Logical }[] = [];
  for (const l of logical.values()) {
    const a = l.answered;
    if (a === null || a.answer === null) continue;
    if (a.answer.rcode === NXDOMAIN && !l.inWalk) nx.push({ key: `dns-nxdomain|${a.name}`, l });
    if (a.answer.rcode === SERVFAIL || a.answer.rcode === REFUSED)
      fail.push({ key: `dns-servfail|${a.serverIp}|${a.answer.rcode}`, l });
  }
  grouped(
    nx,
    (r) => ({
      kind: 'dns-nxdomain',
      severity: 'warning',
      code: 'dnsNxdomain',
      params: { client: ctx.nameIp(r.clientIp), server: ctx.nameIp(r.serverIp) },
      ...podsOf(ctx, r.clientIp),
    }),
    out,
  );
  grouped(
    fail,
    (r) => ({
      kind: 'dns-servfail',
      severity: 'error',
      code: r.answer!.rcode === SERVFAIL ? 'dnsServfail' : 'dnsRefused',
      params: { server: ctx.nameIp(r.serverIp) },
    }),
    out,
  );
}

function timeouts(ctx: FindingsContext, logical: Map<string, Logical>, out: Draft[]): void {
  const never: { key: string; l: Logical }[] = [];
  const late: { key: string; l: Logical }[] = [];
  for (const l of logical.values()) {
    const retried = l.observations.some((r) => r.queries.length > 1);
    if (l.answered !== null) {
      if (retried) late.push({ key: `dns-timeout|late|${l.answered.serverIp}`, l });
      continue;
    }
    // Answered by an ICMP error (nothing listens there): that finding says so.
    const first = l.observations[0];
    const { version, clientIp, clientPort, serverIp, serverPort, protocol } = first;
    if (ctx.isQuoted(tupleKey(version, clientIp, clientPort, serverIp, serverPort, protocol))) continue;
    // Unanswered is a timeout only if the capture went on long enough to see the answer.
    const waited = l.observations.some((r) => ctx.after(r.capture, r.lastQueryTime) >= TIMEOUT_SECONDS);
    if (!retried && !waited) continue;
    never.push({ key: `dns-timeout|${l.observations[0].serverIp}`, l });
  }
  grouped(
    never,
    (r) => ({
      kind: 'dns-timeout',
      severity: 'error',
      code: 'dnsTimeout',
      params: { server: ctx.nameIp(r.serverIp), client: ctx.nameIp(r.clientIp) },
    }),
    out,
  );
  grouped(
    late,
    (r) => ({
      kind: 'dns-timeout',
      severity: 'warning',
      code: 'dnsTimeoutRetried',
      params: {
        server: ctx.nameIp(r.serverIp),
        client: ctx.nameIp(r.clientIp),
        waitedMs: r.answer === null ? 0 : ms(r.answer.time - r.firstTime),
      },
    }),
    out,
  );
}

/** Addresses a pod's queries may go to: the cluster DNS Services and their endpoints, NodeLocal DNSCache. */
function clusterDnsAddresses(ctx: FindingsContext): Set<string> | null {
  const cluster = ctx.cluster;
  if (cluster === undefined) return null;
  const services = cluster.snapshot.services.filter(
    (s) => s.ports.some((p) => p.port === 53) && (s.namespace === 'kube-system' || /dns/.test(s.name)),
  );
  if (services.length === 0) return null;
  const out = new Set<string>([NODE_LOCAL_DNS]);
  for (const s of services) {
    for (const ip of s.clusterIPs) out.add(ip);
    for (const e of s.endpoints) out.add(e.ip);
  }
  return out;
}

function wrongServer(ctx: FindingsContext, logical: Map<string, Logical>, out: Draft[]): void {
  const allowed = clusterDnsAddresses(ctx);
  if (allowed === null || ctx.cluster === undefined) return;
  const list: { key: string; l: Logical }[] = [];
  for (const l of logical.values()) {
    const r = l.observations[0];
    if (allowed.has(r.serverIp) || allowed.has(r.clientIp)) continue;
    // A pod's own network namespace: host-network pods share the node's address (kind node).
    if (ctx.cluster.identifyText(r.clientIp).kind !== 'pod') continue;
    list.push({ key: `dns-wrong-server|${r.clientIp}|${r.serverIp}`, l });
  }
  const dnsService = ctx.cluster.snapshot.services.find((s) => s.ports.some((p) => p.port === 53));
  grouped(
    list,
    (r) => ({
      kind: 'dns-wrong-server',
      severity: 'warning',
      code: 'dnsWrongServer',
      params: {
        client: ctx.nameIp(r.clientIp),
        server: ctx.nameIp(r.serverIp),
        clusterDns: dnsService
          ? `${dnsService.namespace}/${dnsService.name} ${dnsService.clusterIPs[0] ?? ''}`.trim()
          : '?',
      },
      ...podsOf(ctx, r.clientIp),
    }),
    out,
  );
}
