import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../../test/support/analyze.js';
import {
  fixtureFiles,
  GOLDEN_PUBLIC,
  HAVE_PUBLIC,
  PUBLIC,
  publicFiles,
  FIXTURES,
} from '../../../test/support/files.js';
import { DIVERGENCES, loadGolden } from '../../../test/support/golden.js';

const goldenOf = (path: string) =>
  loadGolden(
    path.startsWith(FIXTURES) ? `${path}.golden.json` : join(GOLDEN_PUBLIC, `${basename(path)}.golden.json`),
  )!;

const files = [...fixtureFiles(), ...publicFiles({ capturesOnly: true })].filter(
  (f) => DIVERGENCES[basename(f)] === undefined,
);

describe('CaptureAnalysis layer counts match tshark', () => {
  it.each(files.map((f) => [basename(f), f]))('%s', (_name, path) => {
    const golden = goldenOf(path).packets.filter((g) => g.protocolColumn !== 'PCAPNG');
    const { summary } = analyze(path);
    expect(summary.packets).toBe(golden.length);
    const count = (has: (g: (typeof golden)[number]) => boolean): number => golden.filter(has).length;
    expect(summary.layers.vxlan).toBe(count((g) => g.vxlanVni.length > 0));
    expect(summary.layers.geneve).toBe(count((g) => g.geneveVni.length > 0));
    expect(summary.layers.arp).toBe(count((g) => g.arp.length > 0));
    // A DNS question quoted inside an ICMP error is not a DNS packet.
    expect(summary.layers.dns).toBe(
      count((g) => g.dnsId.length > 0 && g.icmpType.length === 0 && g.icmpv6Type.length === 0),
    );
    expect(summary.layers.icmp).toBe(count((g) => g.icmpType.length > 0));
    expect(summary.layers.icmpv6).toBe(count((g) => g.icmpv6Type.length > 0));
  });
});

describe('CaptureAnalysis summary', () => {
  it('describes a capture: format, link types, span, bytes on the wire', () => {
    const path = fixtureFiles().find((f) => f.endsWith('pcapng-two-interfaces.pcapng'))!;
    const { summary } = analyze(path);
    expect(summary.format).toBe('pcapng');
    expect(summary.linkTypes).toEqual(['ETHERNET', 'LINUX_SLL2']);
    expect(summary.interfaces).toHaveLength(2);
    const golden = goldenOf(path).packets;
    expect(summary.wireBytes).toBe(golden.reduce((n, g) => n + g.len, 0));
    const times = golden.map((g) => Number(g.time));
    const iso = (t: number): string => new Date(Math.floor(t) * 1000).toISOString().slice(0, 19);
    expect(summary.start!.slice(0, 19)).toBe(iso(Math.min(...times)));
    expect(summary.end!.slice(0, 19)).toBe(iso(Math.max(...times)));
    expect(summary.warnings).toEqual([]);
    expect(summary.complete).toBe(true);
  });

  it('prints nanosecond timestamps for nanosecond captures', () => {
    const { summary } = analyze(fixtureFiles().find((f) => f.endsWith('/nsec.pcap'))!);
    expect(summary.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const { summary: micro } = analyze(fixtureFiles().find((f) => f.endsWith('/eth-tcp-udp-icmp.pcap'))!);
    expect(micro.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('gives the same result whatever the chunk size', () => {
    const path = fixtureFiles().find((f) => f.endsWith('vxlan-8472.pcap'))!;
    const a = analyze(path, { chunk: 1 });
    const b = analyze(path, { chunk: 1 << 20 });
    expect(a.summary).toEqual(b.summary);
    expect(a.flows).toEqual(b.flows);
  });

  it.runIf(HAVE_PUBLIC)('reports damage with byte offsets and keeps what came before', () => {
    const cut = analyze(join(PUBLIC, 'bad-pcap-trailing-partial-hdr.pcap'));
    expect(cut.summary.packets).toBe(1);
    expect(cut.summary.complete).toBe(true);
    expect(cut.summary.warnings).toContainEqual(
      expect.objectContaining({
        offset: 359,
        message: expect.stringContaining('ends in the middle of a record'),
      }),
    );
    const huge = analyze(join(PUBLIC, 'bad-pcap-misaligned-record-len.pcap'));
    expect(huge.summary.packets).toBe(6);
    expect(huge.summary.complete).toBe(false);
    expect(huge.summary.warnings.at(-1)).toMatchObject({ offset: 5035 });
    const snap = analyze(join(PUBLIC, 'bad-pcap-ip-truncated-by-snaplen.pcap'));
    expect(snap.summary.damagedPackets).toBe(1);
    expect(snap.summary.warnings[0].message).toMatch(
      /ipv4 header cut short at packet byte 14: needs 20 bytes, \d+ there/,
    );
  });

  it.runIf(HAVE_PUBLIC)('counts link types it does not decode instead of failing', () => {
    const { summary } = analyze(join(PUBLIC, 'ng-vsock-tsresol9.pcapng'));
    expect(summary.packets).toBe(10);
    expect(summary.unknownLinkTypes).toEqual({ VSOCK: 10 });
    expect(summary.warnings.some((w) => w.message.includes('VSOCK'))).toBe(true);
  });
});
