import { describe, expect, it } from 'vitest';
import type { Finding, FindingFlow, FindingSeverity } from '../core/findings/index.js';
import type { TraceConnection, TraceHop } from '../core/trace/index.js';
import {
  bySeverity,
  connectionFor,
  findingKey,
  firstEvidence,
  packetTarget,
  seenAtSeveralPoints,
} from './finding-model.js';

function flow(capture: string, src: string, dst: string, extra: Partial<FindingFlow> = {}): FindingFlow {
  const end = (text: string) => {
    const [ip, port] = text.split(':');
    return { ip, port: Number(port) };
  };
  return {
    capture,
    protocol: 'tcp',
    src: end(src),
    dst: end(dst),
    packets: 2,
    bytes: 120,
    packetsToSrc: 1,
    bytesToSrc: 60,
    start: null,
    end: null,
    interface: null,
    encapsulation: [],
    flow: 1,
    ...extra,
  };
}

function finding(severity: FindingSeverity, kind: Finding['kind'], extra: Partial<Finding> = {}): Finding {
  return {
    kind,
    severity,
    code: 'tcpRefused',
    params: { server: 's', client: 'c', count: 1 },
    summary: 'summary',
    explanation: 'explanation',
    suggestion: 'suggestion',
    captures: [],
    flows: [],
    packets: [],
    moreFlows: 0,
    morePackets: 0,
    ...extra,
  };
}

function hop(capture: string, src: string, dst: string): TraceHop {
  const f = flow(capture, src, dst);
  return {
    capture,
    interface: null,
    time: '',
    sinceFirstMs: 0,
    src: f.src,
    dst: f.dst,
    encapsulation: [],
    change: 'none',
    changes: [],
    note: null,
    rewrittenBy: null,
    rewrite: null,
    ttl: null,
    packets: { toServer: 1, toClient: 1 },
    fromPreviousMs: null,
  };
}

function connection(hops: TraceHop[], protocol = 'tcp'): TraceConnection {
  return {
    protocol,
    service: null,
    hops,
    latency: { firstToLastMs: null },
    lostAfter: null,
    lost: [],
    answered: true,
    matchedPackets: 2,
  };
}

describe('the findings view’s model', () => {
  it('puts errors first, then warnings, then info, keeping the engine’s order within each', () => {
    const list = [
      finding('info', 'proxy-protocol'),
      finding('warning', 'tcp-retransmissions'),
      finding('error', 'mtu'),
      finding('warning', 'tcp-zero-window'),
      finding('error', 'tcp-reset'),
    ];
    expect(bySeverity(list).map((f) => f.kind)).toEqual([
      'mtu',
      'tcp-reset',
      'tcp-retransmissions',
      'tcp-zero-window',
      'proxy-protocol',
    ]);
  });

  it('words a part by its key, a part in plural forms by English’s rule, and an unknown code not at all', () => {
    const keys = new Set([
      'finding.tcpRefused.summary_one',
      'finding.tcpRefused.summary_other',
      'finding.tcpRefused.explanation',
      'finding.clockSkew.summary',
    ]);
    const exists = (key: string): boolean => keys.has(key);
    const refused = (count: number) => ({ code: 'tcpRefused', params: { count } });
    expect(findingKey(refused(1), 'summary', exists)).toBe('finding.tcpRefused.summary_one');
    expect(findingKey(refused(0), 'summary', exists)).toBe('finding.tcpRefused.summary_other');
    expect(findingKey(refused(3), 'summary', exists)).toBe('finding.tcpRefused.summary_other');
    expect(findingKey(refused(3), 'explanation', exists)).toBe('finding.tcpRefused.explanation');
    expect(findingKey({ code: 'clockSkew', params: {} }, 'summary', exists)).toBe(
      'finding.clockSkew.summary',
    );
    expect(findingKey({ code: 'tcpRefused', params: {} }, 'summary', exists)).toBeNull();
    expect(findingKey({ code: 'somethingNew', params: { count: 1 } }, 'summary', exists)).toBeNull();
  });

  it('opens first the first packet the app can show, else the first flow', () => {
    const f1 = flow('a.pcap', '10.0.0.1:1', '10.0.0.2:80');
    const f2 = flow('a.pcap', '10.0.0.1:2', '10.0.0.2:80', { id: 'c1:2' });
    const noId = { capture: 'a.pcap', index: 4, role: 'syn' as const };
    const withId = { capture: 'a.pcap', index: 5, role: 'rst' as const, captureId: 'c1' };
    expect(firstEvidence(finding('error', 'tcp-reset', { packets: [noId, withId], flows: [f2] }))).toEqual({
      packet: withId,
    });
    expect(firstEvidence(finding('error', 'tcp-reset', { packets: [noId], flows: [f1, f2] }))).toEqual({
      flow: f2,
    });
    expect(firstEvidence(finding('error', 'tcp-reset', { flows: [f1] }))).toBeNull();
    expect(packetTarget(withId)).toEqual({ flowId: 'c1:*', at: 5 });
    expect(packetTarget(noId)).toBeNull();
  });

  it('offers the path for flows seen at several capture points (captures or interfaces)', () => {
    const a = flow('a.pcap', '10.0.0.1:1', '10.0.0.2:80');
    const b = flow('b.pcap', '10.0.0.1:1', '10.0.0.2:80');
    const eth0 = { ...a, interface: { index: 0, name: 'eth0' } };
    const veth = { ...a, interface: { index: 3, name: 'veth1' } };
    expect(seenAtSeveralPoints(finding('error', 'mtu', { flows: [a] }))).toBe(false);
    expect(seenAtSeveralPoints(finding('error', 'mtu', { flows: [a, a] }))).toBe(false);
    expect(seenAtSeveralPoints(finding('error', 'mtu', { flows: [a, b] }))).toBe(true);
    expect(seenAtSeveralPoints(finding('error', 'mtu', { flows: [eth0, veth] }))).toBe(true);
  });

  it('finds the connection most of a finding’s flows are hops of, either way round', () => {
    const connections = [
      connection([hop('client.pcap', '10.244.1.2:40001', '10.96.0.10:53')], 'udp'),
      connection([
        hop('client.pcap', '10.244.1.2:40002', '10.96.77.8:80'),
        hop('node1.pcap', '10.244.1.2:40002', '10.244.2.2:8080'),
      ]),
      connection([hop('client.pcap', '10.244.1.2:40003', '10.96.77.8:80')]),
    ];
    const seen = [
      flow('client.pcap', '10.244.1.2:40002', '10.96.77.8:80'),
      // The reply's flow, started by the other side.
      flow('node1.pcap', '10.244.2.2:8080', '10.244.1.2:40002'),
      flow('elsewhere.pcap', '10.244.1.2:40003', '10.96.77.8:80'),
    ];
    expect(connectionFor(connections, seen)).toBe(1);
    expect(connectionFor(connections, [flow('client.pcap', '10.244.1.2:40001', '10.96.0.10:53')])).toBe(-1);
    expect(
      connectionFor(connections, [
        flow('client.pcap', '10.244.1.2:40001', '10.96.0.10:53', { protocol: 'udp' }),
      ]),
    ).toBe(0);
    expect(connectionFor([], seen)).toBe(-1);
  });
});
