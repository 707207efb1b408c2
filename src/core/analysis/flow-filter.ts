import type { Endpoint, FlowSummary } from './types.js';

/**
 * The flows view's filter box: free text and simple terms, all of which must hold.
 *
 *   pod:web        either end is a pod whose name contains "web"
 *   ns:default     either end is in namespace "default"
 *   svc:kube-dns   the flow went to that Service (its address, a NodePort, or one of its endpoints)
 *   node:node2     either end is on, or is, node2, or the flow's tunnel starts or ends there
 *   port:53        either port is 53
 *   proto:udp      the protocol is udp
 *   encap:vxlan    the flow crossed a VXLAN tunnel (encap:none: no tunnel)
 *   anything else  text found in an address, a name or the protocol
 *
 * A term starting with `-` must not hold. Matching ignores case.
 */
export interface FlowFilter {
  terms: FilterTerm[];
  /** Words that looked like terms but are not: `foo:bar` with an unknown key, `port:abc`. */
  problems: string[];
}

export type FilterKey = 'pod' | 'ns' | 'svc' | 'node' | 'port' | 'proto' | 'encap' | 'text';

export interface FilterTerm {
  key: FilterKey;
  value: string;
  negated: boolean;
}

const KEYS = new Set<FilterKey>(['pod', 'ns', 'svc', 'node', 'port', 'proto', 'encap']);

export function parseFlowFilter(text: string): FlowFilter {
  const terms: FilterTerm[] = [];
  const problems: string[] = [];
  for (const word of text.trim().split(/\s+/)) {
    if (word === '' || word === '-') continue;
    const negated = word.startsWith('-');
    const body = negated ? word.slice(1) : word;
    const colon = body.indexOf(':');
    // An IPv6 address has colons too: only a known key before the first one makes a term.
    const key = colon > 0 ? body.slice(0, colon).toLowerCase() : '';
    if (KEYS.has(key as FilterKey)) {
      const value = body.slice(colon + 1).toLowerCase();
      if (value === '') problems.push(`${key}: needs a value`);
      else if (key === 'port' && !/^\d{1,5}$/.test(value))
        problems.push(`port:${value} is not a port number`);
      else terms.push({ key: key as FilterKey, value, negated });
      continue;
    }
    if (colon > 0 && /^[a-z]+$/i.test(key) && !/^[0-9a-f:.]+$/i.test(body))
      problems.push(`unknown filter '${key}:' (pod, ns, svc, node, port, proto, encap)`);
    terms.push({ key: 'text', value: body.toLowerCase(), negated });
  }
  return { terms, problems };
}

const has = (text: string | null | undefined, part: string): boolean =>
  text != null && text.toLowerCase().includes(part);

function endHolds(key: FilterKey, value: string, e: Endpoint): boolean {
  switch (key) {
    case 'pod':
      return (e.kind === 'pod' || e.kind === 'unknown-pod') && has(e.name, value);
    case 'ns':
      return e.namespace?.toLowerCase() === value;
    case 'node':
      return e.node?.toLowerCase() === value || (e.kind === 'node' && e.name?.toLowerCase() === value);
    case 'port':
      return e.port === Number(value);
    default:
      return false;
  }
}

function holds(term: FilterTerm, f: FlowSummary): boolean {
  const { key, value } = term;
  switch (key) {
    case 'pod':
    case 'ns':
    case 'port':
      return endHolds(key, value, f.src) || endHolds(key, value, f.dst);
    case 'node':
      return (
        endHolds(key, value, f.src) ||
        endHolds(key, value, f.dst) ||
        f.encapsulation.some(
          (e) => e.outer.srcNode?.toLowerCase() === value || e.outer.dstNode?.toLowerCase() === value,
        )
      );
    case 'svc':
      return (
        has(f.service?.name, value) ||
        (f.endpointOf ?? []).some((e) => has(e.service, value)) ||
        (f.dst.kind === 'service' && has(f.dst.name, value))
      );
    case 'proto':
      return f.protocol.toLowerCase() === value;
    case 'encap':
      return value === 'none'
        ? f.encapsulation.length === 0
        : f.encapsulation.some((e) => e.type.toLowerCase() === value);
    case 'text':
      return (
        [f.src, f.dst].some((e) => has(e.ip, value) || has(e.name, value) || has(e.mac, value)) ||
        has(f.protocol, value)
      );
  }
}

export function matchesFlow(filter: FlowFilter, flow: FlowSummary): boolean {
  for (const term of filter.terms) if (holds(term, flow) === term.negated) return false;
  return true;
}
