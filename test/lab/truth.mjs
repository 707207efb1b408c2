// Ground truth for the lab's captures: what each scenario configured, written as
// truth.json, and checked against tshark's decode of the same files when the lab runs.
//
// A flow in the truth, as it is seen at one capture point:
//   { protocol, src: { ip, port?, name }, dst: { ip, port?, name },
//     encapsulation: [ { type, vni?, vniReply?, udpPort?, outer: { src, dst } } ],
//     interface?: "eth0" (SLL2 captures: the interface the packets crossed),
//     icmp?: { type, code, quotes: { src, dst, protocol } }   (ICMP errors only)
//     nat?: { kind: 'dnat'|'snat'|'dnat+snat', service?, before: { src, dst }, after: { src, dst } } }
//     (src/dst in `nat` are { ip, port? } of the connection's first packet before and after
//     translation; a flow seen before translation has no `nat`, only the translated one does)
// `src` is the initiator (the connecting side), as podpath reports it.
import { spawnSync } from 'node:child_process';

export const TRUTH_SCHEMA = 'podpath.lab-truth/v1';

/** Protocols of background chatter (address resolution, multicast membership), not traffic. */
export const NOISE = new Set(['arp', 'icmpv6-nd', 'igmp', 'mld']);

const FIELDS = [
  'frame.number',
  'frame.len',
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'vxlan.vni',
  'geneve.vni',
  'icmp.type',
  'icmpv6.type',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  'sll.ifindex',
  'frame.interface_id',
];

/** tshark's per-packet decode (VXLAN also on 8472 and 6784, no reassembly). */
export function tsharkPackets(path) {
  const args = [
    '-n',
    '-r',
    path,
    '-d',
    'udp.port==8472,vxlan',
    '-d',
    'udp.port==6784,vxlan',
    '-o',
    'tcp.desegment_tcp_streams:FALSE',
    '-o',
    'ip.defragment:FALSE',
    '-o',
    'ipv6.defragment:FALSE',
    '-T',
    'json',
  ];
  for (const f of FIELDS) args.push('-e', f);
  const result = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`tshark failed on ${path}: ${result.stderr}`);
  return JSON.parse(result.stdout).map((p) => {
    const l = p._source.layers;
    const get = (f) => l[f] ?? [];
    return {
      number: Number(get('frame.number')[0]),
      ip: get('ip.src').map((s, i) => [s, get('ip.dst')[i]]),
      ipProto: get('ip.proto').map(Number),
      ipv6: get('ipv6.src').map((s, i) => [s, get('ipv6.dst')[i]]),
      tcp: get('tcp.srcport').map((s, i) => [Number(s), Number(get('tcp.dstport')[i])]),
      udp: get('udp.srcport').map((s, i) => [Number(s), Number(get('udp.dstport')[i])]),
      vxlan: get('vxlan.vni').map(Number),
      geneve: get('geneve.vni').map((v) => Number(v)),
      icmp: get('icmp.type').map(Number),
      icmpv6: get('icmpv6.type').map(Number),
      arp: get('arp.src.proto_ipv4').map((s, i) => [s, get('arp.dst.proto_ipv4')[i]]),
      ifindex: get('sll.ifindex').length > 0 ? Number(get('sll.ifindex')[0]) : null,
    };
  });
}

const pairKey = (a, b) => [a, b].sort().join(' ');

/**
 * The conversation a tshark packet belongs to, in the same terms as a truth flow's `key`:
 * innermost addresses and ports, the tunnels around them, and the SLL2 interface.
 */
export function packetKey(p) {
  if (p.arp.length > 0) return null; // noise
  const v6 = p.ipv6.length > 0 && p.ip.length === 0;
  if (p.icmpv6.some((t) => t >= 130 && t <= 143)) return null; // ND, MLD: noise
  if (p.ipProto.includes(2)) return null; // IGMP
  const ips = v6 ? p.ipv6 : p.ip;
  if (ips.length === 0) return null;
  const tunnels = [];
  // VXLAN/Geneve: each tunnel's outer pair is the IP pair before it; the rest is inner.
  let level = 0;
  for (const vni of p.vxlan) tunnels.push({ type: 'vxlan', outer: ips[level++], vni });
  for (const vni of p.geneve) tunnels.push({ type: 'geneve', outer: ips[level++], vni });
  // IP-in-IP: outer IPv4 headers with protocol 4 (tshark lists them first).
  while (level < ips.length - 1 && !v6 && p.ipProto[level] === 4)
    tunnels.push({ type: 'ipip', outer: ips[level++] });
  const inner = ips[level];
  const isErrorIcmp = p.icmp.some((t) => t === 3 || t === 11) || p.icmpv6.some((t) => t >= 1 && t <= 4);
  let protocol;
  let ends;
  if (isErrorIcmp) {
    // An ICMP error is a flow of its own (podpath keeps it apart from echo): its type, and the
    // outer addresses of the error packet (tshark lists the quoted header after them).
    const type = v6 ? p.icmpv6.find((t) => t >= 1 && t <= 4) : p.icmp.find((t) => t === 3 || t === 11);
    protocol = `${v6 ? 'icmpv6' : 'icmp'}-error:${type}`;
    ends = pairKey(inner[0], inner[1]);
  } else if (p.tcp.length > 0) {
    protocol = 'tcp';
    const t = p.tcp[p.tcp.length - 1];
    ends = pairKey(`${inner[0]}:${t[0]}`, `${inner[1]}:${t[1]}`);
  } else if (p.udp.length > tunnels.filter((t) => t.type !== 'ipip').length) {
    protocol = 'udp';
    const u = p.udp[p.udp.length - 1];
    ends = pairKey(`${inner[0]}:${u[0]}`, `${inner[1]}:${u[1]}`);
  } else if (p.icmp.length > 0 || p.icmpv6.length > 0) {
    protocol = p.icmp.length > 0 ? 'icmp' : 'icmpv6';
    ends = pairKey(inner[0], inner[1]);
  } else {
    protocol = 'ip';
    ends = pairKey(inner[0], inner[1]);
  }
  const encapsulation = tunnels.map((t) => `${t.type}:${pairKey(t.outer[0], t.outer[1])}`).join('/');
  return `${protocol}|${ends}|${encapsulation}|${p.ifindex ?? ''}`;
}

/** The same key for a truth flow (ifindex from the capture's interface map). */
export function flowKey(flow, interfaces = {}) {
  const end = (e) => (e.port === undefined ? e.ip : `${e.ip}:${e.port}`);
  const protocol = flow.icmp?.type !== undefined ? `${flow.protocol}-error:${flow.icmp.type}` : flow.protocol;
  const encapsulation = (flow.encapsulation ?? [])
    .map((t) => `${t.type}:${pairKey(t.outer.src, t.outer.dst)}`)
    .join('/');
  let ifindex = '';
  if (flow.interface !== undefined) {
    const found = Object.entries(interfaces).find(([, name]) => name === flow.interface);
    if (!found) throw new Error(`truth names interface ${flow.interface}, which the capture's map lacks`);
    ifindex = found[0];
  }
  return `${protocol}|${pairKey(end(flow.src), end(flow.dst))}|${encapsulation}|${ifindex}`;
}

/**
 * Checks a capture's truth against tshark's packets: the packet count, and the set of
 * conversations (noise aside) must be exactly the truth's flows. Throws listing every
 * difference.
 */
export function checkFlows(packets, capture) {
  const problems = [];
  if (packets.length !== capture.packets)
    problems.push(`${packets.length} packets, truth says ${capture.packets}`);
  const seen = new Map();
  for (const p of packets) {
    const key = packetKey(p);
    if (key !== null) seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const expected = new Set(capture.flows.map((f) => flowKey(f, capture.interfaces)));
  for (const key of expected) if (!seen.has(key)) problems.push(`truth flow not in the capture: ${key}`);
  for (const [key, n] of seen)
    if (!expected.has(key)) problems.push(`capture has a flow the truth lacks (${n} packets): ${key}`);
  if (problems.length > 0) throw new Error(`${capture.file}:\n  ${problems.join('\n  ')}`);
}

/** Counts of background packets (ARP, ND, IGMP/MLD) in a capture, for the truth's record. */
export function noiseCounts(packets) {
  const counts = {};
  for (const p of packets) {
    let kind = null;
    if (p.arp.length > 0) kind = 'arp';
    else if (p.icmpv6.some((t) => t >= 133 && t <= 137)) kind = 'icmpv6-nd';
    else if (p.icmpv6.some((t) => (t >= 130 && t <= 132) || t === 143)) kind = 'mld';
    else if (p.ipProto.includes(2)) kind = 'igmp';
    if (kind) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * Gives every flow end the `kind` and `name` podpath should report with the scenario's
 * snapshot: "namespace/name" for its pods and Services, the node's name for its nodes, and
 * for anything else kind "external" with name null (the lab's own word for it, such as
 * "outside client", moves to `label`). Derived from the snapshot the lab wrote, not from podpath.
 */
export function nameEnds(truth, snapshot) {
  const items = snapshot.items ?? [];
  const names = new Map();
  for (const o of items) {
    const id =
      o.kind === 'Node' ? o.metadata.name : `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
    if (o.kind === 'Pod') names.set(id, o.spec?.hostNetwork ? 'node' : 'pod');
    else if (o.kind === 'Service') names.set(id, 'service');
    else if (o.kind === 'Node') names.set(id, 'node');
  }
  // A Service's LoadBalancer ingress and external IPs are the Service's own addresses.
  const serviceAddresses = new Map();
  for (const o of items.filter((i) => i.kind === 'Service')) {
    const id = `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
    for (const ip of [
      ...(o.spec?.externalIPs ?? []),
      ...(o.status?.loadBalancer?.ingress ?? []).map((i) => i.ip),
    ])
      serviceAddresses.set(ip, id);
  }
  const hostNetwork = new Map(
    items
      .filter((o) => o.kind === 'Pod' && o.spec?.hostNetwork)
      .map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec.nodeName]),
  );
  for (const capture of truth.captures) {
    for (const flow of capture.flows) {
      for (const end of [flow.src, flow.dst]) {
        if (end.kind !== undefined) continue;
        // Some scenarios spell a Service end "service/<namespace>/<name>".
        if (typeof end.name === 'string' && end.name.startsWith('service/'))
          end.name = end.name.slice('service/'.length);
        if (serviceAddresses.has(end.ip) && !names.has(end.name)) {
          if (end.name !== null && end.name !== undefined) end.label = end.name;
          end.kind = 'service';
          end.name = serviceAddresses.get(end.ip);
          continue;
        }
        const kind = names.get(end.name);
        if (kind === undefined) {
          if (end.name !== null && end.name !== undefined) end.label = end.name;
          end.kind = 'external';
          end.name = null;
        } else if (hostNetwork.has(end.name)) {
          // A hostNetwork pod's address is its node's: podpath names the node.
          end.label = end.name;
          end.kind = 'node';
          end.name = hostNetwork.get(end.name);
        } else {
          end.kind = kind;
        }
      }
    }
  }
  return truth;
}
