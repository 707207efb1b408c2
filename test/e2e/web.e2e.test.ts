import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/node/session.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { ROOT } from '../support/files.js';

/*
 * The app's page in Debian's Chromium against web mode (`npm run test:e2e`, after `npm run build`
 * made out/renderer). Each test saves a screenshot under test/e2e/screenshots/ to look at.
 */

const CHROMIUM = process.env.PODPATH_CHROMIUM ?? '/usr/bin/chromium';
const PAGE_DIR = join(ROOT, 'out/renderer');
const SHOTS = join(ROOT, 'test/e2e/screenshots');

let server: RunningServer;
let browser: Browser;

async function freshPage(locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({
    locale,
    viewport: { width: 1400, height: 860 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  await page.goto(server.url);
  return page;
}

beforeAll(async () => {
  if (!existsSync(join(PAGE_DIR, 'index.html')))
    throw new Error('out/renderer is not built: run npm run build first');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ session: new Session({ version: 'e2e' }), staticDir: PAGE_DIR });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('web mode in Chromium', () => {
  it('opens the demo: one card per capture with its data path', async () => {
    const page = await freshPage();
    await page.getByRole('heading', { name: 'See where your packets went' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'welcome.png') });
    await page.getByRole('button', { name: 'Open Demo' }).click();
    try {
      await page.waitForFunction(
        () => document.querySelectorAll('.card.state-done').length === 5,
        undefined,
        {
          timeout: 20_000,
        },
      );
    } finally {
      await page.screenshot({ path: join(SHOTS, 'overview.png') });
    }
    const names = await page.locator('.card h3').allTextContents();
    expect(names).toEqual([
      'client.pcap',
      'node1-eth0.pcap',
      'node2-eth0.pcap',
      'web-node1.pcap',
      'web-node2.pcap',
    ]);
    await expect(
      page.locator('.card', { hasText: 'node1-eth0.pcap' }).locator('.badge').textContent(),
    ).resolves.toBe('flannel-vxlan');
    await page.getByRole('region', { name: 'Charts' }).locator('figure').first().waitFor();
    await expect(page.locator('.chart figcaption').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['Protocol mix', 'Top pods by bytes']),
    );
    await expect(page.locator('.cluster-line').textContent()).resolves.toMatch(
      /Snapshot clusterip\/snapshot\.json: 2 nodes/,
    );
    await page.screenshot({ path: join(SHOTS, 'overview.png') });
    await page.context().close();
  });

  it('lists flows by pod name with VXLAN badges, and the filter narrows them', async () => {
    const page = await freshPage();
    await page.getByRole('tab', { name: 'Flows' }).click();
    const count = page.locator('.filter-bar .count');
    await page.waitForFunction(() => document.querySelectorAll('.tr .name').length > 0);
    const all = Number((await count.textContent())?.match(/^([\d,]+) of/)?.[1].replace(/,/g, ''));
    expect(all).toBeGreaterThan(20);
    await expect(page.locator('.tr .name', { hasText: 'default/client-' }).first().isVisible()).resolves.toBe(
      true,
    );
    await expect(
      page.locator('.badge.tunnel', { hasText: 'VXLAN VNI 1 · node1 → node2' }).first().isVisible(),
    ).resolves.toBe(true);
    await page.getByLabel('Filter').fill('svc:kube-dns');
    await page.waitForFunction(() => document.querySelector('.empty') !== null);
    await page.getByLabel('Filter').fill('svc:default/web encap:vxlan');
    await page.waitForFunction((before) => {
      const text = document.querySelector('.filter-bar .count')?.textContent ?? '';
      const shown = Number(text.match(/^([\d,]+) of/)?.[1].replace(/,/g, ''));
      return shown > 0 && shown < before && document.querySelector('.tr .name') !== null;
    }, all);
    const rows = await page.locator('.tr').count();
    expect(rows).toBeGreaterThan(0);
    for (const text of await page.locator('.tr').allTextContents()) expect(text).toContain('VXLAN VNI 1');
    await page.screenshot({ path: join(SHOTS, 'flows.png') });
    // Export what the filter keeps, as CSV.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe(
      'capture,protocol,src,src_name,dst,dst_name,service,tunnel,vni,outer_src,outer_dst,packets,bytes,start,end',
    );
    expect(csv.length - 1).toBe(rows);
    for (const line of csv.slice(1))
      expect(line).toMatch(/,default\/web,vxlan,1,192\.168\.10\.101,192\.168\.10\.102,/);
    // Addresses only, then names again.
    await page.getByLabel('Names').uncheck();
    await expect(page.locator('.tr .name').count()).resolves.toBe(0);
    await page.getByLabel('Names').check();
    await page.locator('.tr .name').first().waitFor();
    await page.context().close();
  });

  it('draws a ClusterIP connection path: the VXLAN hop and the DNAT step named for its Service', async () => {
    const page = await freshPage();
    await page.getByRole('tab', { name: 'Path' }).click();
    const list = page.getByRole('listbox', { name: 'Connections seen in more than one place' });
    await list.waitFor();
    // A connection the client sent to the ClusterIP that reached the endpoint on node2.
    await list.getByRole('option').filter({ hasText: '4 hops' }).filter({ hasText: ':80' }).first().click();
    const path = page.getByLabel('The connection\u2019s path');
    const stations = path.locator('.station');
    await expect(stations.locator('.station-name').allTextContents()).resolves.toEqual([
      'client.pcap',
      'node1-eth0.pcap',
      'node2-eth0.pcap',
      'web-node2.pcap',
    ]);
    const dnat = path.locator('.station.nat');
    await expect(dnat.locator('.rewrite').textContent()).resolves.toMatch(
      /^kube-proxy DNAT for default\/web \(ClusterIP 10\.96\.45\.10:80 -> default\/web-\S+ 10\.244\.2\.2:8080\)$/,
    );
    await expect(dnat.locator('.hdr.outer.vxlan > .hdr-line').allTextContents()).resolves.toEqual([
      'Outer IP node1 → node2',
      'UDP 8472 · VXLAN VNI 1',
    ]);
    await expect(path.locator('.arrow .change').first().textContent()).resolves.toBe(
      'DNAT + encapsulated + routed',
    );
    await page.screenshot({ path: join(SHOTS, 'path.png') });
    await page.context().close();
  });

  it('lists the NAT table between the client pod and the endpoint pod', async () => {
    const page = await freshPage();
    await page.getByRole('tab', { name: 'Compare' }).click();
    await page.getByLabel('Before NAT').selectOption({ label: 'client.pcap' });
    await page.getByLabel('After NAT').selectOption({ label: 'web-node2.pcap' });
    const rows = page.locator('.nat-table tbody tr');
    await rows.first().waitFor();
    const texts = await rows.allTextContents();
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) {
      expect(text).toContain('10.96.45.10');
      expect(text).toContain('10.244.2.2');
      expect(text).toContain('kube-proxy DNAT for default/web');
    }
    await page.screenshot({ path: join(SHOTS, 'compare.png') });
    await page.context().close();
  });

  it('speaks Korean when the system does', async () => {
    const page = await freshPage('ko-KR');
    await page.getByRole('tab', { name: '플로우' }).waitFor();
    await page.getByRole('tab', { name: '개요' }).click();
    await page.screenshot({ path: join(SHOTS, 'overview-ko.png') });
    await page.context().close();
  });

  it('shows a readable error for a file that is no capture, a warning for a cut one, and carries on', async () => {
    // tcpdump killed mid-write: a real capture cut in the middle of a record.
    const cut = join(mkdtempSync(join(tmpdir(), 'podpath-e2e-')), 'cut.pcap');
    const whole = readFileSync(join(ROOT, 'test/fixtures/lab/clusterip/client.pcap'));
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 7));
    const page = await freshPage();
    const open = page.getByLabel('Open a capture or snapshot by path');
    await open.fill(join(ROOT, 'README.md'));
    await open.press('Enter');
    const bad = page.locator('.card', { hasText: 'README.md' });
    try {
      await bad.locator('.error').waitFor({ timeout: 15_000 });
    } catch (error) {
      await page.screenshot({ path: join(SHOTS, 'errors-failed.png') });
      throw error;
    }
    await expect(bad.locator('.error').textContent()).resolves.toMatch(/^not a pcap or pcapng capture/);
    await open.fill(cut);
    await open.press('Enter');
    const partial = page.locator('.card', { hasText: 'cut.pcap' });
    try {
      await partial.locator('.warnings li').first().waitFor({ timeout: 15_000 });
    } finally {
      await page.screenshot({ path: join(SHOTS, 'errors.png') });
    }
    await expect(partial.locator('.warnings li').first().textContent()).resolves.toMatch(/^at byte \d+: /);
    await expect(partial.locator('.counts').textContent()).resolves.toMatch(/^[1-9]\d* packets/);
    // The rest of the UI still works.
    await page.getByRole('tab', { name: 'Flows' }).click();
    await page.locator('.tr .name').first().waitFor();
    await page.context().close();
  });
});
