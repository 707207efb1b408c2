import { spawn } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SessionEvent, type SessionState, validateArguments, ApiInputError } from '../src/api/index.js';
import { DEMO_DIR, Session } from '../src/node/session.js';
import { type RunningServer, startServer, tokenMatches, uploadName } from '../src/server/index.js';
import { CaptureAnalysis, ChartAggregator } from '../src/core/analysis/index.js';
import { pcapLayout } from './support/capture-bytes.js';
import { FIXTURES, ROOT } from './support/files.js';

/*
 * The handler table behind the app (src/node/session.ts) and web mode's guard (src/server/):
 * real lab captures opened, filtered, traced and compared through the same calls the page makes,
 * and every request without the run's token, from a foreign Host or Origin, or with arguments
 * the contract does not allow, refused.
 */

const LAB = join(FIXTURES, 'lab');
const pcapParser = createRequire(import.meta.url)('pcap-parser') as {
  parse(input: NodeJS.ReadableStream): NodeJS.EventEmitter;
};

describe('the API contract checks what a page sends', () => {
  it('takes what each method declares and refuses the rest with a reason', () => {
    expect(validateArguments('openCaptures', [['a.pcap', 'b.pcap']])).toEqual([['a.pcap', 'b.pcap']]);
    expect(
      validateArguments('flows', [
        { offset: 0, limit: 50, filter: 'svc:web', sort: { key: 'bytes', descending: true } },
      ]),
    ).toEqual([{ offset: 0, limit: 50, filter: 'svc:web', sort: { key: 'bytes', descending: true } }]);
    const refused: [Parameters<typeof validateArguments>[0], unknown[], RegExp][] = [
      ['version', [1], /takes 0 arguments/],
      ['openCaptures', ['a.pcap'], /paths must be a list/],
      ['openCaptures', [[]], /paths must be a list/],
      ['openCaptures', [['a\0b']], /non-empty string/],
      ['openSnapshot', [{}], /path must be a non-empty string/],
      ['flows', [{ offset: -1, limit: 10 }], /offset must be a whole number/],
      ['flows', [{ offset: 0, limit: 1e9 }], /limit must be a whole number from 0 to 5000/],
      ['flows', [{ offset: 0, limit: 10, sort: { key: 'rm -rf', descending: true } }], /sort must be/],
      ['flows', [{ offset: 0, limit: 10, evil: 1 }], /unknown query field 'evil'/],
      ['compare', ['c1'], /takes 2 arguments/],
    ];
    for (const [method, args, message] of refused) {
      expect(() => validateArguments(method, args)).toThrow(ApiInputError);
      expect(() => validateArguments(method, args)).toThrow(message);
    }
  });
});

describe('the overview charts', () => {
  it('widen their time buckets to keep a long capture in a fixed number of them', async () => {
    // A real capture whose packets are re-stamped ten seconds apart: about 17 minutes.
    const bytes = new Uint8Array(readFileSync(join(LAB, 'clusterip', 'client.pcap')));
    const layout = pcapLayout(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    layout.records.forEach((r, i) => {
      view.setUint32(r.offset, 1_700_000_000 + i * 10, layout.littleEndian);
      view.setUint32(r.offset + 4, 0, layout.littleEndian);
    });
    const charts = new ChartAggregator();
    const analysis = new CaptureAnalysis({ observer: charts });
    analysis.push(bytes);
    analysis.end();
    const result = charts.result();
    expect(result.start).toBe(1_700_000_000);
    expect(result.bucketSeconds).toBe(8); // 1030 s over at most 240 buckets, doubling from 1 s
    expect(result.buckets.length).toBeLessThanOrEqual(240);
    expect(result.buckets.reduce((n, b) => n + b.packets.none, 0)).toBe(layout.records.length);
    expect(result.buckets.every((b, i) => b.t === 1_700_000_000 + i * 8)).toBe(true);
  });
});

describe('a session over the lab captures', () => {
  const session = new Session({ version: '9.9.9' });
  let state: SessionState;
  beforeAll(async () => {
    await session.openDemo();
    state = await session.settled();
  });

  it('opens the demo: the ClusterIP scenario and its snapshot', () => {
    expect(state.cluster).toMatchObject({ nodes: 2, services: expect.any(Number) });
    expect(state.captures.map((c) => [c.name, c.state])).toEqual([
      ['client.pcap', 'done'],
      ['node1-eth0.pcap', 'done'],
      ['node2-eth0.pcap', 'done'],
      ['web-node1.pcap', 'done'],
      ['web-node2.pcap', 'done'],
    ]);
    for (const c of state.captures) {
      expect(c.progress.bytesRead).toBe(c.progress.bytesTotal);
      expect(c.progress.packets).toBe(c.summary?.packets);
    }
  });

  it('lists flows by name, filtered and sorted the way the filter box asks', async () => {
    const all = await session.flows({ offset: 0, limit: 5000 });
    const vxlan = await session.flows({ offset: 0, limit: 5000, filter: 'encap:vxlan' });
    expect(vxlan.total).toBeGreaterThan(0);
    expect(vxlan.total).toBeLessThan(all.total);
    for (const row of vxlan.rows) {
      expect(row.encapsulation[0]).toMatchObject({ type: 'vxlan', vni: 1 });
      expect(row.capture).toMatch(/^node[12]-eth0\.pcap$/);
    }
    const web = await session.flows({ offset: 0, limit: 5000, filter: 'svc:default/web proto:tcp' });
    expect(web.rows.length).toBeGreaterThan(0);
    for (const row of web.rows) expect(row.service?.name ?? row.endpointOf?.[0].service).toBe('default/web');
    // The ClusterIP side (client.pcap) and the endpoint side are both found by the Service.
    expect(new Set(web.rows.map((r) => r.capture))).toContain('client.pcap');
    expect(new Set(web.rows.map((r) => r.capture))).toContain('web-node2.pcap');
    const notWeb = await session.flows({ offset: 0, limit: 5000, filter: '-svc:web' });
    expect(notWeb.total + (await session.flows({ offset: 0, limit: 5000, filter: 'svc:web' })).total).toBe(
      all.total,
    );
    const byBytes = await session.flows({ offset: 0, limit: 3, sort: { key: 'bytes', descending: true } });
    expect(byBytes.rows.map((r) => r.bytes)).toEqual(
      [...byBytes.rows.map((r) => r.bytes)].sort((a, b) => b - a),
    );
    expect(byBytes.rows[0].bytes).toBe(Math.max(...all.rows.map((r) => r.bytes)));
    const pods = await session.flows({ offset: 0, limit: 5000, filter: 'pod:client ns:default port:8080' });
    for (const row of pods.rows) expect([row.src.port, row.dst.port]).toContain(8080);
    // One capture's pages come from its own thread, ordered by the flow table's numbers: the
    // same rows, in the same order, as its rows within the list of every capture.
    for (const sort of [
      undefined,
      { key: 'bytes' as const, descending: true },
      { key: 'packets' as const, descending: false },
      { key: 'dst' as const, descending: true },
    ]) {
      for (const filter of ['', 'proto:tcp']) {
        const everywhere = await session.flows({ offset: 0, limit: 5000, filter, ...(sort ? { sort } : {}) });
        const alone = await session.flows({
          captures: ['c2'],
          offset: 0,
          limit: 5000,
          filter,
          ...(sort ? { sort } : {}),
        });
        expect(alone.rows).toEqual(everywhere.rows.filter((r) => r.id.startsWith('c2:')));
        const middle = await session.flows({
          captures: ['c2'],
          offset: 3,
          limit: 4,
          filter,
          ...(sort ? { sort } : {}),
        });
        expect(middle.rows).toEqual(alone.rows.slice(3, 7));
        expect(middle.total).toBe(alone.total);
      }
    }
    expect((await session.flows({ offset: 0, limit: 10, filter: 'colour:red port:http' })).problems).toEqual([
      "unknown filter 'colour:' (pod, ns, svc, node, port, proto, encap)",
      'port:http is not a port number',
    ]);
  });

  it('adds up the overview charts while reading: every packet counted once in each', async () => {
    for (const capture of state.captures) {
      const charts = await session.charts(capture.id);
      const packets = capture.summary!.packets;
      const inBuckets = charts.buckets.reduce(
        (n, b) => n + Object.values(b.packets).reduce((a, x) => a + x, 0),
        0,
      );
      expect(inBuckets).toBe(packets);
      expect(Object.values(charts.protocols).reduce((a, x) => a + x, 0)).toBe(packets);
      expect(charts.sizes.reduce((a, x) => a + x.packets, 0)).toBe(packets);
      const bytes = charts.buckets.reduce((n, b) => n + Object.values(b.bytes).reduce((a, x) => a + x, 0), 0);
      expect(bytes).toBe(capture.summary!.wireBytes);
      // Tunnelled packets are those the capture's layer counts call VXLAN.
      expect(charts.buckets.reduce((n, b) => n + b.packets.vxlan, 0)).toBe(capture.summary!.layers.vxlan);
      expect(charts.tunnelOverhead).toBe(capture.summary!.datapath?.overheadBytes ?? null);
      expect(charts.topPods[0].name).toMatch(/^default\/(client|web)-/);
    }
    const node1 = await session.charts(state.captures[1].id);
    expect(node1.tunnelOverhead).toBe(50);
    expect(node1.topServices.map((s) => s.name)).toEqual(['default/web']);
  });

  it("decodes a flow's packets layer by layer, field for field as Wireshark does", async () => {
    const node1 = state.captures[1];
    const vxlan = (
      await session.flows({ captures: [node1.id], offset: 0, limit: 100, filter: 'encap:vxlan proto:tcp' })
    ).rows[0];
    const page = await session.packets(vxlan.id, 0, 1000);
    expect(page.total).toBe(vxlan.packets);
    expect(page.packets).toHaveLength(vxlan.packets);
    const golden = (
      JSON.parse(readFileSync(join(DEMO_DIR, 'node1-eth0.pcap.golden.json'), 'utf8')) as {
        packets: {
          n: number;
          len: number;
          caplen: number;
          ip: string[][];
          udp: number[][];
          tcp: number[][];
          vxlanVni: number[];
        }[];
      }
    ).packets;
    const value = (
      layers: { name: string; fields: { name: string; value: string }[] }[],
      layer: string,
      field: string,
      nth = 0,
    ): string | undefined =>
      layers.filter((l) => l.name === layer)[nth]?.fields.find((f) => f.name === field)?.value;
    for (const packet of page.packets) {
      const g = golden[packet.index];
      expect(g.n).toBe(packet.index + 1);
      expect([packet.length, packet.captured]).toEqual([g.len, g.caplen]);
      expect(packet.layers.map((l) => l.name)).toEqual([
        'ethernet',
        'ipv4',
        'udp',
        'vxlan',
        'ethernet',
        'ipv4',
        'tcp',
      ]);
      const ips = [0, 1].map((i) => [
        value(packet.layers, 'ipv4', 'source', i),
        value(packet.layers, 'ipv4', 'destination', i),
      ]);
      expect(ips).toEqual(g.ip);
      expect([
        [
          Number(value(packet.layers, 'udp', 'source port')),
          Number(value(packet.layers, 'udp', 'destination port')),
        ],
      ]).toEqual(g.udp);
      expect([
        [
          Number(value(packet.layers, 'tcp', 'source port')),
          Number(value(packet.layers, 'tcp', 'destination port')),
        ],
      ]).toEqual(g.tcp);
      expect([Number(value(packet.layers, 'vxlan', 'vni'))]).toEqual(g.vxlanVni);
      // The hex view's bytes, and each field's bytes inside them.
      expect(packet.hex.length).toBe(packet.captured * 2);
      const ttl = packet.layers[5].fields.find((f) => f.name === 'ttl')!;
      expect(parseInt(packet.hex.slice(ttl.start * 2, ttl.start * 2 + 2), 16)).toBe(Number(ttl.value));
    }
    expect(value(page.packets[0].layers, 'tcp', 'flags')).toBe('SYN');
    await expect(session.packets(`${node1.id}:999999`, 0, 10)).rejects.toThrow("no flow 'c2:999999'");
  });

  it("exports a flow's packets as a pcap another reader takes, byte for byte", async () => {
    const node1 = state.captures[1];
    const flow = (
      await session.flows({ captures: [node1.id], offset: 0, limit: 100, filter: 'encap:vxlan proto:tcp' })
    ).rows[0];
    const file = await session.exportPackets(flow.id);
    expect(file.name).toBe(`node1-eth0-flow-${flow.id.split(':')[1]}.pcap`);
    expect(file.packets).toBe(flow.packets);
    const dir = mkdtempSync(join(tmpdir(), 'podpath-export-'));
    const path = join(dir, file.name);
    writeFileSync(path, Buffer.from(file.base64, 'base64'));
    // pcap-parser (npm), a reader that is not ours.
    const parsed = await new Promise<{ data: string; len: number }[]>((resolve, reject) => {
      const out: { data: string; len: number }[] = [];
      const parser = pcapParser.parse(createReadStream(path));
      parser.on('packet', (p: { header: Record<string, number>; data: Buffer }) =>
        out.push({ data: p.data.toString('hex'), len: p.header.originalLength }),
      );
      parser.on('end', () => resolve(out));
      parser.on('error', reject);
    });
    const page = await session.packets(flow.id, 0, 1000);
    expect(parsed.map((p) => p.data)).toEqual(page.packets.map((p) => p.hex));
    expect(parsed.map((p) => p.len)).toEqual(page.packets.map((p) => p.length));
  });

  it('pages through every packet of a capture, at random through the index or again from the start of a gzip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-all-'));
    const plain = join(DEMO_DIR, 'node1-eth0.pcap');
    const zipped = join(dir, 'node1-eth0.pcap.gz');
    writeFileSync(zipped, gzipSync(readFileSync(plain)));
    const s = new Session({ version: '0' });
    await s.openCaptures([plain, zipped]);
    const state = await s.settled();
    const packets = state.captures[0].summary!.packets;
    const indexed = await s.packets('c1:*', 20, 30);
    const reread = await s.packets('c2:*', 20, 30);
    expect(indexed.total).toBe(packets);
    expect(reread.total).toBe(packets);
    expect(indexed.packets.map((p) => p.index)).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
    expect(indexed).toEqual(reread);
    // One flow's packets the same way, and its pcap.
    const flow = (await s.flows({ offset: 0, limit: 1, filter: 'encap:vxlan', captures: ['c1'] })).rows[0];
    const number = flow.id.split(':')[1];
    expect(await s.packets(`c1:${number}`, 0, 100)).toEqual(await s.packets(`c2:${number}`, 0, 100));
    const [a, b] = [await s.exportPackets(`c1:${number}`), await s.exportPackets(`c2:${number}`)];
    expect(a.base64).toBe(b.base64);
    expect(a.packets).toBe(flow.packets);
    await expect(s.packets('c1:x', 0, 1)).rejects.toThrow("no flow 'c1:x'");
  });

  it('traces and compares the open captures', async () => {
    const ids = state.captures.map((c) => c.id);
    const trace = await session.trace(ids);
    expect(trace.schema).toBe('podpath.trace/v1');
    const viaNode2 = trace.connections.filter((c) => c.hops.some((h) => h.capture === 'web-node2.pcap'));
    expect(viaNode2.length).toBeGreaterThan(0);
    for (const c of viaNode2) {
      expect(c.service).toBe('default/web');
      expect(c.hops.map((h) => h.capture)).toEqual([
        'client.pcap',
        'node1-eth0.pcap',
        'node2-eth0.pcap',
        'web-node2.pcap',
      ]);
    }
    const compare = await session.compare(ids[0], ids[4]);
    expect(compare.translations.length).toBe(
      viaNode2.filter((c) => c.protocol === 'tcp' || c.protocol === 'udp').length,
    );
    expect(compare.translations.every((t) => t.kind === 'dnat' && t.service === 'default/web')).toBe(true);
  });

  it('reports a file it cannot read, keeps the others, and closes captures', async () => {
    const s = new Session({ version: '0' });
    await s.openCaptures([
      join(LAB, 'dns', 'dns-client.pcap'),
      join(LAB, 'no-such.pcap'),
      join(ROOT, 'package.json'),
    ]);
    const after = await s.settled();
    expect(after.captures.map((c) => c.state)).toEqual(['done', 'failed', 'failed']);
    expect(after.captures[1].error).toMatch(/no-such\.pcap: no such file/);
    expect(after.captures[2].error).toBeTruthy();
    expect((await s.flows({ offset: 0, limit: 100 })).total).toBeGreaterThan(0);
    await expect(s.trace(['c2'])).rejects.toThrow(/unreadable/);
    const closed = await s.closeCapture('c2');
    expect(closed.captures.map((c) => c.id)).toEqual(['c1', 'c3']);
    await expect(s.closeCapture('c2')).rejects.toThrow("no open capture 'c2'");
    const bad = await s.openSnapshot(join(LAB, 'dns', 'dns-client.pcap'));
    expect(bad.errors[0]).toMatch(/dns-client\.pcap/);
    expect(bad.cluster).toBeNull();
  });

  it('lists the flows found so far while a file is still being read', async () => {
    const s = new Session({ version: '0', chunkSize: 256 });
    await s.openCaptures([join(LAB, 'flannel-vxlan', 'node1-any.pcap')]);
    const seen: number[] = [];
    const elapsed: number[] = [];
    for (;;) {
      const [capture] = (await s.session()).captures;
      if (capture.state !== 'reading') break;
      if (capture.progress.elapsedMs !== undefined) elapsed.push(capture.progress.elapsedMs);
      seen.push((await s.flows({ offset: 0, limit: 5000 })).total);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const final = (await s.flows({ offset: 0, limit: 5000 })).total;
    // Partial lists came first, growing, and never past the final one.
    expect(seen.some((n) => n > 0 && n < final)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(Math.max(...seen)).toBeLessThanOrEqual(final);
    // The time reading has taken so far, for the card's rate and time left.
    expect(elapsed.length).toBeGreaterThan(0);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
  });

  it('streams session changes while files are read', async () => {
    const s = new Session({ version: '0' });
    const events: SessionEvent[] = [];
    s.subscribe((e) => events.push(e));
    await s.openCaptures([join(LAB, 'flannel-vxlan', 'node1-any.pcap')]);
    await s.settled();
    await new Promise((r) => setTimeout(r, 150));
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)?.session.captures[0]).toMatchObject({ state: 'done', progress: { packets: 104 } });
  });
});

// ---- web mode ------------------------------------------------------------------------------

function raw(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string | Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('podpath serve guards its API', () => {
  let server: RunningServer;
  const session = new Session({ version: '1.2.3' });
  beforeAll(async () => {
    server = await startServer({ session, staticDir: join(ROOT, 'no-page-here') });
  });
  afterAll(() => server.close());
  const host = (): Record<string, string> => ({ Host: `127.0.0.1:${server.port}` });
  const call = (method: string, args: unknown[], headers: Record<string, string> = {}) =>
    raw(
      server.port,
      `/api/${method}`,
      { ...host(), Authorization: `Bearer ${server.token}`, ...headers },
      'POST',
      JSON.stringify(args),
    );

  it('listens on loopback with a fresh token in its URL', () => {
    expect(server.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{43}$`),
    );
    expect(tokenMatches(server.token, server.token)).toBe(true);
    expect(tokenMatches(server.token, server.token.slice(1))).toBe(false);
    expect(tokenMatches(server.token, undefined)).toBe(false);
  });

  it('refuses requests without the token, or with a wrong one', async () => {
    expect((await raw(server.port, '/', host())).status).toBe(401);
    expect((await raw(server.port, '/?token=nope', host())).status).toBe(401);
    expect((await call('version', [], { Authorization: 'Bearer nope' })).status).toBe(401);
    expect(
      (await raw(server.port, '/api/version', { ...host(), Cookie: 'podpath_token=nope' }, 'POST', '[]'))
        .status,
    ).toBe(401);
  });

  it('trades the URL token for an HttpOnly cookie, then serves the page with a strict CSP', async () => {
    const first = await raw(server.port, `/?token=${server.token}`, host());
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/podpath_token=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const page = await raw(server.port, '/', { ...host(), Cookie: cookie.split(';')[0] });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('npm run build');
  });

  it("lets the browser keep the build's hashed scripts, never the page or the API", async () => {
    const page = mkdtempSync(join(tmpdir(), 'podpath-page-'));
    mkdirSync(join(page, 'assets'));
    writeFileSync(join(page, 'index.html'), '<!doctype html><script src="./assets/index-Ab12.js"></script>');
    writeFileSync(join(page, 'assets', 'index-Ab12.js'), 'export {};');
    const own = await startServer({ session, staticDir: page });
    try {
      const headers = { Host: `127.0.0.1:${own.port}`, Authorization: `Bearer ${own.token}` };
      const html = await raw(own.port, '/', headers);
      expect(html.headers['cache-control']).toBe('no-store');
      const script = await raw(own.port, '/assets/index-Ab12.js', headers);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['cache-control']).toBe('private, max-age=31536000, immutable');
      expect(script.headers['content-security-policy']).toContain("script-src 'self'");
      const api = await raw(own.port, '/api/version', headers, 'POST', '[]');
      expect(api.headers['cache-control']).toBe('no-store');
      expect((await raw(own.port, '/assets', headers)).status).toBe(404);
      // Rebuilt while it serves: the new page, not the one it kept.
      writeFileSync(join(page, 'index.html'), '<!doctype html><p>rebuilt</p>');
      utimesSync(join(page, 'index.html'), new Date(), new Date(Date.now() + 5000));
      expect((await raw(own.port, '/', headers)).body).toContain('rebuilt');
    } finally {
      await own.close();
      rmSync(page, { recursive: true, force: true });
    }
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    const rebound = await raw(server.port, `/?token=${server.token}`, {
      Host: `evil.example:${server.port}`,
    });
    expect(rebound.status).toBe(421);
    const foreign = await call('version', [], { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await call('version', [], { Origin: `http://localhost:${server.port}` })).status).toBe(200);
  });

  it('answers the contract, and says what is wrong with a bad call', async () => {
    expect(JSON.parse((await call('version', [])).body)).toEqual({ ok: true, value: '1.2.3' });
    const bad = await call('openCaptures', ['not-a-list']);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      ok: false,
      error: 'openCaptures: paths must be a list of 1 to 256 strings',
    });
    expect((await call('rmrf', [])).status).toBe(404);
    expect(
      (await raw(server.port, '/api/version', { ...host(), Authorization: `Bearer ${server.token}` })).status,
    ).toBe(405);
    const notJson = await raw(
      server.port,
      '/api/version',
      { ...host(), Authorization: `Bearer ${server.token}` },
      'POST',
      '{',
    );
    expect(JSON.parse(notJson.body).error).toBe('the body must be a JSON array of arguments');
  });

  it('opens captures over HTTP and streams the session as server-sent events', async () => {
    const received: SessionEvent[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/events',
          headers: { ...host(), Authorization: `Bearer ${server.token}` },
        },
        (res) => {
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
              received.push(JSON.parse(buffer.slice(6, at)) as SessionEvent);
              buffer = buffer.slice(at + 2);
              if (received.at(-1)?.session.captures[0]?.state === 'done') {
                req.destroy();
                resolve();
              }
            }
          });
        },
      );
      req.on('error', (e) => (received.length > 0 ? resolve() : reject(e)));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 50));
    const opened = await call('openCaptures', [[join(DEMO_DIR, 'client.pcap')]]);
    expect(JSON.parse(opened.body).value.captures[0]).toMatchObject({ name: 'client.pcap' });
    await done;
    expect(received[0].session.captures).toEqual([]);
    expect(received.at(-1)?.session.captures[0].summary?.packets).toBe(103);
  });
});

describe('podpath serve takes files dropped on the page', () => {
  let server: RunningServer;
  const uploads = mkdtempSync(join(tmpdir(), 'podpath-uploads-'));
  const session = new Session({ version: 'drop' });
  beforeAll(async () => {
    server = await startServer({ session, staticDir: join(ROOT, 'no-page-here'), uploadDir: uploads });
  });
  afterAll(() => server.close());
  const upload = (name: string, body: Buffer, headers: Record<string, string> = {}) =>
    raw(
      server.port,
      `/api/upload?name=${encodeURIComponent(name)}`,
      { Host: `127.0.0.1:${server.port}`, Authorization: `Bearer ${server.token}`, ...headers },
      'POST',
      body,
    );

  it('keeps a base name only, never a path or control characters', () => {
    expect(uploadName('client.pcap')).toBe('client.pcap');
    expect(uploadName('../../etc/passwd')).toBe('passwd');
    expect(uploadName('C:\\captures\\node1.pcap')).toBe('node1.pcap');
    expect(uploadName('a\nb.pcap')).toBe('a_b.pcap');
    for (const bad of [null, '', '..', '.']) expect(() => uploadName(bad)).toThrow(ApiInputError);
  });

  it('stores the bytes, opens them as a capture or a snapshot, and refuses strangers', async () => {
    const snapshot = await upload('snapshot.json', readFileSync(join(DEMO_DIR, 'snapshot.json')));
    expect(snapshot.status).toBe(200);
    expect(JSON.parse(snapshot.body).value.cluster).toMatchObject({ nodes: 2, pods: 4, services: 2 });
    const bytes = readFileSync(join(DEMO_DIR, 'client.pcap'));
    const reply = await upload('../client.pcap', bytes);
    expect(reply.status).toBe(200);
    const opened = (JSON.parse(reply.body) as { value: SessionState }).value.captures[0];
    expect(opened.name).toBe('client.pcap');
    expect(opened.path.startsWith(uploads)).toBe(true);
    expect(readFileSync(opened.path).equals(bytes)).toBe(true);
    const state = await session.settled();
    expect(state.captures[0].summary?.packets).toBe(103);
    expect(state.captures[0].progress.flows).toBe(14);
    // The same guard as every API call: token, Origin, POST.
    expect((await upload('x.pcap', bytes, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await upload('x.pcap', bytes, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await upload('', bytes)).status).toBe(400);
    expect(readdirSync(uploads).length).toBe(2);
  });

  it('removes the files it kept when it stops (in its own temp folder)', async () => {
    const own = await startServer({ session: new Session({ version: 'drop' }), staticDir: ROOT });
    const reply = await raw(
      own.port,
      '/api/upload?name=client.pcap',
      { Host: `127.0.0.1:${own.port}`, Authorization: `Bearer ${own.token}` },
      'POST',
      readFileSync(join(DEMO_DIR, 'client.pcap')),
    );
    const path = (JSON.parse(reply.body) as { value: SessionState }).value.captures[0].path;
    expect(existsSync(path)).toBe(true);
    await own.close();
    expect(existsSync(path)).toBe(false);
  });
});

describe('the session on its own thread (the app and podpath serve)', () => {
  it('answers the same calls from a worker thread, passes its events on, and keeps input errors apart', async () => {
    // The compiled host (npm test builds dist/ first): under the test runner's TypeScript the
    // worker script is not there and the session would run in this thread.
    const { startSession } = (await import(
      join(ROOT, 'dist/node/session-host.js')
    )) as typeof import('../src/node/session-host.js');
    const host = startSession({ version: 'threaded' });
    const local = new Session({ version: 'local' });
    try {
      expect(host.threaded).toBe(true);
      const events: SessionState[] = [];
      host.subscribe((e) => events.push(e.session));
      await host.call('openDemo', []);
      await local.openDemo();
      await local.settled();
      for (let i = 0; i < 200 && !events.at(-1)?.captures.every((c) => c.state === 'done'); i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(events.at(-1)?.captures.map((c) => c.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
      const query = {
        offset: 0,
        limit: 100,
        filter: 'svc:default/web',
        sort: { key: 'bytes', descending: true },
      };
      expect(await host.call('flows', [query])).toEqual(await local.flows(query as never));
      const error = await host.call('flows', [{ offset: -1, limit: 1 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('ApiInputError');
      await expect(host.call('charts', ['c99'])).rejects.toThrow("no open capture 'c99'");
    } finally {
      await host.close();
    }
    await expect(host.call('version', [])).rejects.toThrow('the session is closed');
  });
});

describe('each capture on a thread of its own', () => {
  it('reads two captures at once on two threads, answering as one thread does', async () => {
    const { openCapture } = (await import(
      join(ROOT, 'dist/node/capture-client.js')
    )) as typeof import('../src/node/capture-client.js');
    const files = ['node1-eth0.pcap', 'node2-eth0.pcap'].map((f) => join(DEMO_DIR, f));
    const read = async (threaded: boolean) =>
      Promise.all(
        files.map(async (path, i) => {
          let finished!: (state: string) => void;
          const done = new Promise<string>((resolve) => (finished = resolve));
          const client = openCapture(
            { id: `c${i + 1}`, path, name: path.split('/').at(-1)!, threaded },
            (e) => {
              if (e.type === 'finished') finished(e.state);
            },
          );
          expect(client.threaded).toBe(threaded);
          expect(await done).toBe('done');
          const rows = await client.rows();
          const flow = rows.findIndex((r) => r.encapsulation.length > 0);
          const result = {
            rows,
            charts: await client.charts(),
            packets: await client.packets(flow, 1, 3),
            pcap: await client.exportPackets(flow),
          };
          client.close();
          await expect(client.rows()).rejects.toThrow('the capture is closed');
          return result;
        }),
      );
    const [threaded, local] = [await read(true), await read(false)];
    expect(threaded).toEqual(local);
    expect(threaded[0].rows.length).toBeGreaterThan(5);
    expect(threaded[0].packets.packets).toHaveLength(3);
  });
});

describe('podpath serve from the command line', () => {
  it('prints a tokened URL on 127.0.0.1, serves the demo, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/podpath.js'), 'serve', '--demo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /serving on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const { port, searchParams } = new URL(url);
    const auth = { Host: `127.0.0.1:${port}`, Authorization: `Bearer ${searchParams.get('token')}` };
    let session: SessionState | undefined;
    for (let i = 0; i < 100; i++) {
      session = JSON.parse((await raw(Number(port), '/api/session', auth, 'POST', '[]')).body)
        .value as SessionState;
      if (session.captures.every((c) => c.state === 'done')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(session?.captures).toHaveLength(5);
    expect(session?.cluster?.source).toMatch(/clusterip[/\\]snapshot\.json$/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
