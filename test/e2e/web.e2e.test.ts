import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/node/session.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import type { Finding } from '../../src/core/findings/index.js';
import { FINDING_TEXT } from '../../src/core/text/findings.js';
import en from '../../src/renderer/locales/en.json' with { type: 'json' };
import koFindings from '../../src/renderer/locales/findings/ko.json' with { type: 'json' };
import ko from '../../src/renderer/locales/ko.json' with { type: 'json' };
import { ROOT } from '../support/files.js';
import { pngFacts } from '../support/png.js';

/*
 * The app's page in Debian's Chromium against web mode (`npm run test:e2e`, after `npm run build`
 * made out/renderer), once in English and once in Korean: the browser's locale picks the
 * language, and every label the tests look for comes from that language's catalog. Each test
 * saves a screenshot under test/e2e/screenshots/ to look at.
 */

const CHROMIUM = process.env.PODPATH_CHROMIUM ?? '/usr/bin/chromium';
const PAGE_DIR = join(ROOT, 'out/renderer');
const SHOTS = join(ROOT, 'test/e2e/screenshots');
/** The web Service's endpoint pod on node2, as the lab named it. */
const ENDPOINT_ON_NODE2 = (
  JSON.parse(readFileSync(join(ROOT, 'test/fixtures/lab/clusterip/truth.json'), 'utf8')) as {
    translations: { endpoint: string; after: { dst: { ip: string } } }[];
  }
).translations.find((t) => t.after.dst.ip === '10.244.2.2')!.endpoint;
const LANGUAGES = [
  { code: 'en', locale: 'en-US', catalog: en, findingCatalog: FINDING_TEXT },
  { code: 'ko', locale: 'ko-KR', catalog: ko, findingCatalog: koFindings },
] as const;
/** The lab's scenario with two broken Services: one without ready endpoints, one whose endpoint does not listen. */
const NO_ENDPOINTS = join(ROOT, 'test/fixtures/lab/no-endpoints');

let browser: Browser;
/** Console messages about the Content-Security-Policy: the page must never trip it. */
const policyViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(PAGE_DIR, 'index.html')))
    throw new Error('out/renderer is not built: run npm run build first');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  mkdirSync(SHOTS, { recursive: true });
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
  expect(policyViolations).toEqual([]);
});

for (const { code, locale, catalog, findingCatalog } of LANGUAGES) {
  /** A catalog message with its {{values}} filled in, as the page shows it. */
  const m = (key: string, values: Record<string, string | number> = {}): string => {
    let node: unknown = catalog;
    for (const part of key.split('.')) node = (node as Record<string, unknown>)[part];
    if (typeof node !== 'string') throw new Error(`no message ${key} in ${code}`);
    return node.replace(/\{\{(\w+)(, number)?\}\}/g, (_all, name: string) => String(values[name]));
  };
  const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  /** A pattern for a catalog sentence whose `values` are filled in by the engine. */
  const sentence = (key: string, values: string[]): string =>
    escaped(m(key, Object.fromEntries(values.map((v) => [v, 'VALUE'])))).replace(/VALUE/g, '.+?');
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}-${code}.png`) });
  /** A finding's sentence in this language, as the view words it from its code and values. */
  const findingSentence = (f: Finding, part: 'summary' | 'explanation' | 'suggestion'): string => {
    const forms = (findingCatalog as Record<string, Record<string, string>>)[f.code];
    const template =
      forms[part] ??
      forms[`${part}_${typeof f.params.count === 'number' && f.params.count === 1 ? 'one' : 'other'}`];
    return template.replace(/\{\{(\w+)\}\}/g, (_all, name: string) => String(f.params[name]));
  };

  describe(`web mode in Chromium (${code})`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer({ session: new Session({ version: 'e2e' }), staticDir: PAGE_DIR });
    });
    afterAll(() => server.close());

    async function freshPage(): Promise<Page> {
      const context = await browser.newContext({
        locale,
        viewport: { width: 1400, height: 860 },
        acceptDownloads: true,
      });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
      });
      await page.goto(server.url);
      return page;
    }

    it('opens the demo: one card per capture with its data path and charts', async () => {
      const page = await freshPage();
      await page.getByRole('heading', { name: m('welcome.heading') }).waitFor();
      await shot(page, 'welcome');
      await page.getByRole('button', { name: m('welcome.demo') }).click();
      await page.waitForFunction(
        () => document.querySelectorAll('.card.state-done').length === 5,
        undefined,
        {
          timeout: 20_000,
        },
      );
      expect(await page.locator('.card h3').allTextContents()).toEqual([
        'client.pcap',
        'node1-eth0.pcap',
        'node2-eth0.pcap',
        'web-node1.pcap',
        'web-node2.pcap',
      ]);
      expect(
        await page.locator('.card', { hasText: 'node1-eth0.pcap' }).locator('.badge').textContent(),
      ).toBe('flannel-vxlan');
      expect(await page.locator('.card', { hasText: 'client.pcap' }).locator('.counts').textContent()).toBe(
        `${m('capture.packets', { count: 103 })} · ${m('capture.flows', { count: 14 })}`,
      );
      await page
        .getByRole('region', { name: m('charts.heading') })
        .locator('figure')
        .first()
        .waitFor();
      expect(await page.locator('.chart figcaption .chart-title').allTextContents()).toEqual(
        expect.arrayContaining([m('charts.protocols'), m('charts.topPods')]),
      );
      expect(await page.locator('.cluster-line').textContent()).toBe(
        m('cluster.loaded', { source: 'clusterip/snapshot.json', nodes: 2, pods: 4, services: 2 }),
      );
      await shot(page, 'overview');
      const [png] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: m('image.saveChart', { title: m('charts.protocols') }) }).click(),
      ]);
      await png.saveAs(join(SHOTS, `chart-export-${code}.png`));
      const facts = pngFacts(readFileSync(await png.path()));
      expect(facts.width).toBeGreaterThan(300);
      expect(facts.distinctBytes).toBeGreaterThan(50);
      await page.context().close();
    });

    it('lists flows by pod name with VXLAN badges; the filter narrows them; export and names toggle', async () => {
      const page = await freshPage();
      await page.getByRole('tab', { name: m('tabs.flows') }).click();
      await page.locator('.tr .name').first().waitFor();
      const shown = async (): Promise<number> =>
        Number(await page.locator('.filter-bar .count').getAttribute('data-shown'));
      const all = await shown();
      expect(all).toBeGreaterThan(20);
      expect(await page.locator('.tr .name', { hasText: 'default/client-' }).first().isVisible()).toBe(true);
      expect(
        await page.locator('.badge.tunnel', { hasText: 'VXLAN VNI 1 · node1 → node2' }).first().isVisible(),
      ).toBe(true);
      const filter = page.getByLabel(m('flows.filter'));
      await filter.fill('svc:kube-dns');
      await page.getByText(m('flows.empty')).waitFor();
      await filter.fill('svc:default/web encap:vxlan');
      await page.waitForFunction((before) => {
        const n = Number(document.querySelector('.filter-bar .count')?.getAttribute('data-shown'));
        return n > 0 && n < before && document.querySelector('.tr .name') !== null;
      }, all);
      const rows = await page.locator('.tr').count();
      expect(rows).toBe(await shown());
      for (const text of await page.locator('.tr').allTextContents()) expect(text).toContain('VXLAN VNI 1');
      await shot(page, 'flows');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: m('flows.exportCsv') }).click(),
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
      await page.getByLabel(m('app.names')).uncheck();
      expect(await page.locator('.tr .name').count()).toBe(0);
      await page.getByLabel(m('app.names')).check();
      await page.locator('.tr .name').first().waitFor();
      // A flow's packets: the list, the layer tree, and the bytes of the field picked.
      const first = page.locator('.tr').first();
      const packets = Number((await first.locator('.num').first().textContent())?.replace(/\D/g, ''));
      await first.dblclick();
      const panel = page.getByRole('region', { name: m('packets.heading') });
      await panel.locator('.packet-list li').first().waitFor();
      expect(await panel.locator('.packet-list li').count()).toBe(packets);
      expect(await panel.locator('.layer-name').allTextContents()).toEqual([
        'ethernet',
        'ipv4',
        'udp',
        'vxlan',
        'ethernet',
        'ipv4',
        'tcp',
      ]);
      await panel.locator('.field', { hasText: 'vni: 1' }).click();
      expect(await panel.locator('.hex .byte.lit').allTextContents()).toEqual(['00', '00', '01']);
      await shot(page, 'packets');
      const [pcap] = await Promise.all([
        page.waitForEvent('download'),
        panel.getByRole('button', { name: m('packets.savePcap') }).click(),
      ]);
      expect(pcap.suggestedFilename()).toMatch(/^node[12]-eth0-flow-\d+\.pcap$/);
      const saved = readFileSync(await pcap.path());
      expect(saved.readUInt32LE(0)).toBe(0xa1b2c3d4);
      expect(saved.readUInt32LE(20)).toBe(1); // Ethernet
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
      await page.context().close();
    });

    it('finds nothing wrong in the demo: no badge, and says how many captures it looked at', async () => {
      const page = await freshPage();
      await page.getByRole('tab', { name: m('tabs.findings') }).click();
      await page.getByText(m('findings.empty_other', { count: 5 })).waitFor({ timeout: 20_000 });
      expect(await page.locator('.tab-badge').count()).toBe(0);
      await shot(page, 'findings-empty');
      await page.context().close();
    });

    it('draws a ClusterIP connection path: the VXLAN hop and the DNAT step named for its Service', async () => {
      const page = await freshPage();
      await page.getByRole('tab', { name: m('tabs.path') }).click();
      const list = page.getByRole('listbox', { name: m('path.connections') });
      await list.waitFor();
      // A connection the client sent to the ClusterIP that reached the endpoint on node2.
      await list
        .getByRole('option')
        .filter({ hasText: m('path.hops_other', { count: 4 }) })
        .filter({ hasText: ':80' })
        .first()
        .click();
      const path = page.getByLabel(m('path.diagram'));
      expect(await path.locator('.station .station-name').allTextContents()).toEqual([
        'client.pcap',
        'node1-eth0.pcap',
        'node2-eth0.pcap',
        'web-node2.pcap',
      ]);
      const dnat = path.locator('.station.nat');
      expect(await dnat.locator('.rewrite').textContent()).toBe(
        m('rewrite.dnatService', {
          service: 'default/web',
          via: 'ClusterIP',
          from: '10.96.45.10:80',
          to: `${ENDPOINT_ON_NODE2} 10.244.2.2:8080`,
        }),
      );
      expect(await dnat.locator('.hdr.outer.vxlan > .hdr-line').allTextContents()).toEqual([
        m('path.outerIp', { src: 'node1', dst: 'node2' }),
        'UDP 8472 · VXLAN VNI 1',
      ]);
      expect(await path.locator('.arrow .change').first().textContent()).toBe(
        [m('change.dnat'), m('change.encap'), m('change.routed')].join(' + '),
      );
      await shot(page, 'path');
      // The diagram as a PNG: twice its CSS size, and a drawing, not a blank.
      // Everything of the diagram, hops scrolled out of view too.
      const box = await page.locator('.path-detail').evaluate((detail) => {
        const path = detail.querySelector('.path')!;
        return {
          w: path.scrollWidth,
          h: path.getBoundingClientRect().bottom - detail.getBoundingClientRect().top,
        };
      });
      const [png] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: m('image.savePath') }).click(),
      ]);
      expect(png.suggestedFilename()).toMatch(/^podpath-path-tcp-.*\.png$/);
      await png.saveAs(join(SHOTS, `path-export-${code}.png`));
      const facts = pngFacts(readFileSync(await png.path()));
      expect(facts.width).toBeGreaterThanOrEqual(2 * box.w);
      expect(facts.height).toBeGreaterThanOrEqual(2 * box.h);
      expect(facts.distinctBytes).toBeGreaterThan(100);
      await page.context().close();
    });

    it('lists the NAT table between the client pod and the endpoint pod', async () => {
      const page = await freshPage();
      await page.getByRole('tab', { name: m('tabs.compare') }).click();
      await page.getByLabel(m('compare.before')).selectOption({ label: 'client.pcap' });
      await page.getByLabel(m('compare.after')).selectOption({ label: 'web-node2.pcap' });
      const rows = page.locator('.nat-table tbody tr');
      await rows.first().waitFor();
      const texts = await rows.allTextContents();
      expect(texts.length).toBeGreaterThan(0);
      const befores = await page.locator('.nat-table tbody tr td:nth-child(2)').allTextContents();
      for (const [i, text] of texts.entries()) {
        const port = /10\.96\.45\.10:(\d+)$/.exec(befores[i])?.[1];
        const target = port === '80' ? '8080' : port;
        expect(text).toContain(
          m('rewrite.dnatService', {
            service: 'default/web',
            via: 'ClusterIP',
            from: `10.96.45.10:${port}`,
            to: `${ENDPOINT_ON_NODE2} 10.244.2.2:${target}`,
          }),
        );
      }
      await shot(page, 'compare');
      await page.context().close();
    });

    it('follows the system between light and dark', async () => {
      const background = async (colorScheme: 'light' | 'dark'): Promise<string> => {
        const context = await browser.newContext({
          locale,
          colorScheme,
          viewport: { width: 1400, height: 860 },
        });
        const page = await context.newPage();
        await page.goto(server.url);
        await page.locator('.card').first().waitFor();
        await page.getByRole('tab', { name: m('tabs.path') }).click();
        await page.getByLabel(m('path.diagram')).waitFor();
        if (colorScheme === 'dark') await shot(page, 'path-dark');
        const color = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
        await context.close();
        return color;
      };
      expect(await background('light')).toBe('rgb(248, 250, 252)');
      expect(await background('dark')).toBe('rgb(11, 18, 32)');
    });

    it('opens a snapshot from the file chooser and captures dropped on the window (uploaded in web mode)', async () => {
      const context = await browser.newContext({ locale, viewport: { width: 1400, height: 860 } });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
      });
      // A server of its own: the other tests' captures stay out of this one's view.
      const own = await startServer({ session: new Session({ version: 'e2e' }), staticDir: PAGE_DIR });
      try {
        await page.goto(own.url);
        await page.getByRole('heading', { name: m('welcome.heading') }).waitFor();
        await page
          .getByLabel(m('welcome.chooseSnapshot'))
          .setInputFiles(join(ROOT, 'test/fixtures/lab/clusterip/snapshot.json'));
        await page.locator('.cluster-line', { hasText: 'snapshot.json' }).waitFor();
        const bytes = readFileSync(join(ROOT, 'test/fixtures/lab/clusterip/client.pcap')).toString('base64');
        await page.evaluate((base64) => {
          const file = new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'client.pcap');
          const data = new DataTransfer();
          data.items.add(file);
          for (const type of ['dragenter', 'dragover', 'drop'])
            document.body.dispatchEvent(
              new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }),
            );
        }, bytes);
        const card = page.locator('.card.state-done', { hasText: 'client.pcap' });
        await card.waitFor({ timeout: 20_000 });
        expect(Number(await card.locator('.counts').getAttribute('data-packets'))).toBe(103);
        // Named from the snapshot that came through the chooser.
        await page.getByRole('tab', { name: m('tabs.flows') }).click();
        expect(await page.locator('.tr .name', { hasText: 'default/client-' }).first().textContent()).toMatch(
          /^default\/client-/,
        );
        await shot(page, 'dropped');
      } finally {
        await context.close();
        await own.close();
      }
    });

    it('shows a readable error for a file that is no capture, a warning for a cut one, and carries on', async () => {
      // tcpdump killed mid-write: a real capture cut in the middle of a record.
      const cut = join(mkdtempSync(join(tmpdir(), 'podpath-e2e-')), 'cut.pcap');
      const whole = readFileSync(join(ROOT, 'test/fixtures/lab/clusterip/client.pcap'));
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 7));
      const page = await freshPage();
      const open = page.getByLabel(m('open.label'));
      await open.fill(join(ROOT, 'README.md'));
      await open.press('Enter');
      const bad = page.locator('.card', { hasText: 'README.md' });
      await bad.locator('.error').waitFor({ timeout: 15_000 });
      expect(await bad.locator('.error').textContent()).toMatch(
        new RegExp(`^${sentence('warning.notACapture', ['start'])}$`),
      );
      await open.fill(cut);
      await open.press('Enter');
      const partial = page.locator('.card', { hasText: 'cut.pcap' });
      await partial.locator('.warnings li').first().waitFor({ timeout: 15_000 });
      const warning = await partial.locator('.warnings li').first().textContent();
      const offset = /(\d+)/.exec(warning ?? '')?.[1] ?? 'none';
      // Worded from this language's catalog, with the engine's numbers in it.
      expect(warning).toMatch(
        new RegExp(
          `^${escaped(m('capture.atByte', { offset }))}: ${sentence('warning.cutRecord', ['offset', 'have', 'need'])}$`,
        ),
      );
      expect(Number(await partial.locator('.counts').getAttribute('data-packets'))).toBeGreaterThan(0);
      await shot(page, 'errors');
      // The rest of the UI still works.
      await page.getByRole('tab', { name: m('tabs.flows') }).click();
      await page.locator('.tr .name').first().waitFor();
      await page.context().close();
    });

    it('finds the broken Services: a badge, a card each, a packet opened from its evidence, the path', async () => {
      // A server of its own, with the lab's no-endpoints captures and snapshot.
      const session = new Session({ version: 'e2e' });
      const own = await startServer({ session, staticDir: PAGE_DIR });
      try {
        let page = await (
          await browser.newContext({ locale, viewport: { width: 1400, height: 860 } })
        ).newPage();
        page.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
        });
        await page.goto(own.url);
        const open = page.getByLabel(m('open.label'));
        for (const file of ['snapshot.json', 'client.pcap', 'node1-any.pcap', 'broken.pcap']) {
          await open.fill(join(NO_ENDPOINTS, file));
          await open.press('Enter');
          if (file === 'snapshot.json')
            await page.locator('.cluster-line', { hasText: 'snapshot.json' }).waitFor();
        }
        // The badge: once the three captures are read, their errors and warnings, in red.
        const tab = page.getByRole('tab', { name: m('tabs.findings') });
        const badge = tab.locator('.tab-badge.error');
        await badge.waitFor({ timeout: 30_000 });
        const doc = await session.findings();
        const count = doc.counts.error + doc.counts.warning;
        expect(count).toBeGreaterThan(0);
        expect(Number(await badge.getAttribute('data-count'))).toBe(count);
        expect(await badge.textContent()).toBe(String(count));

        await tab.click();
        const card = page.locator('article.finding[data-kind="endpoint-not-listening"]');
        await card.waitFor();
        expect(await page.locator('article.finding').count()).toBe(doc.findings.length);
        // Errors first, the view's chips counting each severity.
        expect(await page.locator('article.finding').first().getAttribute('class')).toContain('error');
        expect(await page.locator('.chip.error').getAttribute('data-count')).toBe(String(doc.counts.error));
        const finding = doc.findings.find((f) => f.kind === 'endpoint-not-listening')!;
        // Worded from this language's catalog, with the engine's values.
        expect(await card.locator('h3').textContent()).toBe(findingSentence(finding, 'summary'));
        expect(await card.locator('.why p').textContent()).toBe(findingSentence(finding, 'explanation'));
        expect(await card.locator('.fix p').textContent()).toBe(findingSentence(finding, 'suggestion'));
        expect(await card.locator('.why h4').textContent()).toBe(m('findings.why'));
        expect(await card.locator('.fix h4').textContent()).toBe(m('findings.fix'));
        await page
          .getByText(m('findings.seenIn', { names: finding.captures.join(', ') }))
          .first()
          .waitFor();
        await shot(page, 'findings');

        // The RST the client got: its evidence opens the packets panel on that very packet.
        const rst = finding.packets.find((p) => p.role === 'rst' && p.capture === 'client.pcap')!;
        await card
          .locator('.evidence-packet', { hasText: `client.pcap #${rst.index + 1}` })
          .filter({ hasText: m('findings.role.rst') })
          .click();
        const panel = page.getByRole('region', { name: m('packets.heading') });
        const chosen = panel.locator('.packet-list li.selected');
        await chosen.waitFor();
        expect(await chosen.locator('.num').textContent()).toBe(`#${rst.index + 1}`);
        expect(await chosen.getAttribute('aria-selected')).toBe('true');
        await panel.locator('.layer-name', { hasText: 'tcp' }).waitFor();
        const tcp = panel.locator('.layer-tree > li', {
          has: page.locator('.layer-name', { hasText: /^tcp$/ }),
        });
        expect(await tcp.locator('.field', { hasText: /^flags: / }).textContent()).toMatch(/RST/);
        await shot(page, 'findings-packet');
        await page.keyboard.press('Escape');
        await panel.waitFor({ state: 'detached' });

        // Keyboard: arrows move between findings, Enter opens the selected one's first evidence.
        await card.click({ position: { x: 5, y: 5 } });
        const index = await page
          .locator('article.finding')
          .evaluateAll((cards) =>
            cards.findIndex((c) => c.getAttribute('data-kind') === 'endpoint-not-listening'),
          );
        await page.keyboard.press(index === 0 ? 'ArrowDown' : 'ArrowUp');
        const otherKind = await page
          .locator('article.finding[aria-current="true"]')
          .getAttribute('data-kind');
        expect(otherKind).not.toBe('endpoint-not-listening');
        await page.keyboard.press('Enter');
        await panel.locator('.packet-list li.selected').waitFor();
        const otherFinding = doc.findings.find((f) => f.kind === otherKind)!;
        const first = otherFinding.packets.find((p) => p.captureId !== undefined)!;
        expect(await panel.locator('.packet-list li.selected .num').textContent()).toBe(
          `#${first.index + 1}`,
        );
        await page.keyboard.press('Escape');

        // Seen in three captures: "Show path" draws that connection, DNAT and all.
        await card.getByRole('button', { name: m('findings.showPath') }).click();
        const chosenPath = page
          .getByRole('listbox', { name: m('path.connections') })
          .locator('[aria-selected="true"]');
        await chosenPath.waitFor();
        expect(await chosenPath.textContent()).toContain('10.244.1.2:40002');
        expect(await page.getByRole('tab', { name: m('tabs.path') }).getAttribute('aria-selected')).toBe(
          'true',
        );
        await page.context().close();

        // The same view in the dark theme.
        page = await (
          await browser.newContext({ locale, colorScheme: 'dark', viewport: { width: 1400, height: 860 } })
        ).newPage();
        await page.goto(own.url);
        await page.getByRole('tab', { name: m('tabs.findings') }).click();
        await page.locator('article.finding').first().waitFor({ timeout: 20_000 });
        await shot(page, 'findings-dark');
        await page.context().close();
      } finally {
        await own.close();
        for (const c of (await session.session()).captures) await session.closeCapture(c.id);
      }
    });
  });
}
