// The engine's sentences and the UI's catalogs agree: every evidence and warning code core can
// produce is in en.json and ko.json with the same values, and the English catalog, filled by
// i18next as the app fills it, gives back exactly the English core printed, on real captures.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import {
  CaptureAnalysis,
  type CaptureSummary,
  type Datapath,
  explainDatapath,
} from '../src/core/analysis/index.js';
import { buildClusterSnapshot, ClusterIndex } from '../src/core/cluster/index.js';
import {
  EVIDENCE_CODES,
  EVIDENCE_TEXT,
  type TextFact,
  type TextParams,
  WARNING_CODES,
  WARNING_TEXT,
} from '../src/core/text/index.js';
import en from '../src/renderer/locales/en.json' with { type: 'json' };
import ko from '../src/renderer/locales/ko.json' with { type: 'json' };
import { FIXTURES, fixtureFiles, publicFiles, readBytes } from './support/files.js';

type Catalog = { [key: string]: string | Catalog };
type Section = 'evidence' | 'warning';
const CATALOGS: Record<'en' | 'ko', Catalog> = { en: en as Catalog, ko: ko as Catalog };

const i18n = i18next.createInstance();
await i18n.init({
  resources: { en: { translation: en }, ko: { translation: ko } },
  lng: 'en',
  fallbackLng: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** A fact worded as OverviewView words it (i18next writes into `replace` when nesting: a copy). */
function render(lng: 'en' | 'ko', section: Section, fact: TextFact): string {
  return i18n.getFixedT(lng)(`${section}.${fact.code}`, { replace: { ...fact.params } });
}

function lookup(catalog: Catalog, path: string): string | Catalog | undefined {
  let node: string | Catalog | undefined = catalog;
  for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return node;
}

const TOKEN = /\$t\(([^)]*)\)|\{\{(\w+)\}\}/g;

/** `{{name}}`s a template names, its own and those inside `$t(...)` keys. */
function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]))].sort();
}

/** The values a template reads for these params, following its `$t(...)` nestings. */
function valuesRead(catalog: Catalog, template: string, params: TextParams): Set<string> {
  const out = new Set<string>();
  for (const m of template.matchAll(TOKEN)) {
    if (m[2] !== undefined) {
      out.add(m[2]);
      continue;
    }
    const key = m[1].replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      out.add(name);
      return String(params[name]);
    });
    const nested = lookup(catalog, key);
    expect(typeof nested, `nested key ${key}`).toBe('string');
    for (const name of valuesRead(catalog, nested as string, params)) out.add(name);
  }
  return out;
}

/** Keys of a catalog section with their templates, nested keys joined by dots. */
function leaves(node: Catalog, prefix = ''): [string, string][] {
  return Object.entries(node).flatMap(([key, value]) =>
    typeof value === 'string'
      ? [[`${prefix}${key}`, value] as [string, string]]
      : leaves(value, `${prefix}${key}.`),
  );
}

/** Checks one fact against both catalogs: English as the engine wrote it, Korean complete. */
function checkFact(section: Section, fact: TextFact, english: string): void {
  const codes: readonly string[] = section === 'evidence' ? EVIDENCE_CODES : WARNING_CODES;
  expect(codes).toContain(fact.code);
  expect(render('en', section, fact)).toBe(english);
  for (const lng of ['en', 'ko'] as const) {
    const template = lookup(CATALOGS[lng], `${section}.${fact.code}`) as string;
    const read = valuesRead(CATALOGS[lng], template, fact.params);
    expect([...read].sort(), `${lng} ${section}.${fact.code}`).toEqual(Object.keys(fact.params).sort());
  }
  const korean = render('ko', section, fact);
  expect(korean).not.toMatch(/\{\{|\$t\(|evidence\.|warning\.|roles\./);
  expect(korean).not.toBe(english);
}

interface Checked {
  evidence: Set<string>;
  warnings: Set<string>;
}

function checkSummary(summary: CaptureSummary, datapath: Datapath, seen: Checked): void {
  expect(datapath.facts.length).toBe(datapath.evidence.length);
  datapath.facts.forEach((fact, i) => {
    checkFact('evidence', fact, datapath.evidence[i]);
    seen.evidence.add(fact.code);
  });
  for (const use of datapath.interfaces ?? []) {
    checkFact('evidence', use.carriesFact, use.carries);
    seen.evidence.add(use.carriesFact.code);
  }
  for (const warning of summary.warnings) {
    if (warning.code === undefined) continue;
    checkFact('warning', { code: warning.code, params: warning.params! }, warning.message);
    seen.warnings.add(warning.code);
  }
}

/** Reads bytes the way the app does (in chunks), without a decompressor. */
function analyzeBytes(name: string, bytes: Uint8Array, cluster?: ClusterIndex) {
  const analysis = new CaptureAnalysis();
  for (let at = 0; at < bytes.length; at += 4096) analysis.push(bytes.subarray(at, at + 4096));
  analysis.end();
  const summary = analysis.summary(name, bytes.length, false);
  const datapath = explainDatapath(analysis, cluster);
  return { summary, datapath };
}

describe('engine text codes in the catalogs', () => {
  it('the English catalog holds the engine’s English exactly', () => {
    expect(en.evidence).toEqual(EVIDENCE_TEXT);
    expect(en.warning).toEqual(WARNING_TEXT);
  });

  it.each([
    ['evidence', EVIDENCE_TEXT],
    ['warning', WARNING_TEXT],
  ] as const)('Korean has every %s key with the same values', (section, engine) => {
    const english = leaves(engine as Catalog);
    const korean = new Map(leaves(CATALOGS.ko[section] as Catalog));
    expect([...korean.keys()].sort()).toEqual(english.map(([key]) => key).sort());
    for (const [key, template] of english) {
      expect(placeholders(korean.get(key)!), `${section}.${key}`).toEqual(placeholders(template));
      expect(korean.get(key)).not.toBe(template);
    }
  });

  it.each([
    ...EVIDENCE_CODES.map((code) => ['evidence', code] as const),
    ...WARNING_CODES.map((code) => ['warning', code] as const),
  ])('%s.%s is in both catalogs', (section, code) => {
    const engine = (section === 'evidence' ? EVIDENCE_TEXT : WARNING_TEXT) as Catalog;
    for (const lng of ['en', 'ko'] as const) {
      const template = lookup(CATALOGS[lng], `${section}.${code}`);
      expect(typeof template, `${lng}`).toBe('string');
      expect(i18n.exists(`${section}.${code}`, { lng })).toBe(true);
      expect(placeholders(template as string)).toEqual(placeholders(engine[code] as string));
    }
  });
});

describe('engine text on real captures', () => {
  const seen: Checked = { evidence: new Set(), warnings: new Set() };
  const lab = join(FIXTURES, 'lab');
  const scenarios = existsSync(lab)
    ? readdirSync(lab).filter((d) => existsSync(join(lab, d, 'snapshot.json')))
    : [];

  it.each(scenarios)('lab %s, with and without its snapshot', (scenario) => {
    const snapshot = buildClusterSnapshot([
      {
        source: 'snapshot.json',
        value: JSON.parse(readFileSync(join(lab, scenario, 'snapshot.json'), 'utf8')),
      },
    ]);
    const cluster = new ClusterIndex(snapshot);
    const captures = readdirSync(join(lab, scenario)).filter((f) => /\.pcap(ng)?$/.test(f));
    expect(captures.length).toBeGreaterThan(0);
    for (const file of captures) {
      const bytes = readBytes(join(lab, scenario, file));
      for (const withCluster of [cluster, undefined]) {
        const { summary, datapath } = analyzeBytes(file, bytes, withCluster);
        checkSummary(summary, datapath, seen);
      }
    }
  });

  it.each(fixtureFiles().filter((f) => !f.includes(`${join(FIXTURES, 'lab')}/`)))('fixture %s', (path) => {
    const { summary, datapath } = analyzeBytes(basename(path), readBytes(path));
    checkSummary(summary, datapath, seen);
  });

  // Damage made from a real capture: the cases a user meets most (a capture cut mid-write, a
  // damaged length, a file that is not a capture), whether or not the public corpus is here.
  const pcapPath = join(FIXTURES, 'lab', 'mtu', 'mtu-node1-any.pcap');
  const pcapngPath = join(FIXTURES, 'corpus', 'pcapng-dumpcap.pcapng');
  const damaged: [name: string, code: string, make: () => Uint8Array][] = [
    ['cut mid-record', 'cutRecord', () => readBytes(pcapPath).slice(0, -7)],
    ['cut mid-header', 'cutFileHeader', () => readBytes(pcapPath).slice(0, 10)],
    ['cut mid-block', 'cutBlock', () => readBytes(pcapngPath).slice(0, -5)],
    ['three bytes', 'fileTooShort', () => readBytes(pcapPath).slice(0, 3)],
    ['empty', 'fileEmpty', () => new Uint8Array(0)],
    ['gzip', 'gzipCompressed', () => new Uint8Array(gzipSync(readBytes(pcapPath)))],
    ['a snapshot', 'notACapture', () => readBytes(join(FIXTURES, 'lab', 'mtu', 'snapshot.json'))],
    [
      'a record length past any snaplen',
      'recordTooLong',
      () => {
        const b = readBytes(pcapPath).slice();
        new DataView(b.buffer).setUint32(24 + 8, 0x7fffffff, true);
        return b;
      },
    ],
    [
      'records over the snaplen, more than are listed',
      'moreWarnings',
      () => {
        // snaplen 1: every record exceeds it; ten copies of its 18 records make over 100 warnings.
        const b = readBytes(pcapPath);
        const records = b.subarray(24);
        const out = new Uint8Array(24 + records.length * 10);
        out.set(b.subarray(0, 24), 0);
        for (let i = 0; i < 10; i++) out.set(records, 24 + i * records.length);
        new DataView(out.buffer).setUint32(16, 1, true);
        return out;
      },
    ],
  ];

  it.each(damaged)('%s', (name, code, make) => {
    const { summary, datapath } = analyzeBytes(name, make());
    expect(summary.warnings.map((w) => w.code)).toContain(code);
    checkSummary(summary, datapath, seen);
  });

  it.each(publicFiles())('public corpus %s', (path) => {
    const raw = readBytes(path);
    const { summary, datapath } = analyzeBytes(basename(path), raw);
    checkSummary(summary, datapath, seen);
  });

  it('met the common codes', () => {
    for (const code of ['cutRecord', 'cutBlock', 'recordTooLong', 'recordOverSnaplen', 'notACapture'])
      expect(seen.warnings).toContain(code);
    for (const code of ['tunnelFlannelVxlan', 'tunnelOverhead', 'agreesWithSnapshot', 'noTunnelNoCluster'])
      expect(seen.evidence).toContain(code);
  });
});
