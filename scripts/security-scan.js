#!/usr/bin/env node
// `npm run security`: @doyensec/electronegativity (a maintained Electron security scanner, pinned)
// over src/, for the Electron version the app ships with. Fails on any finding not accepted
// below, each with the reason it is.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SCANNER = '@doyensec/electronegativity@1.10.3';
const electron = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron;

/** Findings we keep on purpose: "CHECK" for every place, "CHECK@file" for one file. */
const ACCEPTED = {
  PRELOAD_JS_CHECK:
    'the preload exposes the typed src/api contract through contextBridge and nothing else (test/shell.test.ts)',
  'CSP_GLOBAL_CHECK@main/index.ts':
    'the scanner cannot read a policy held in a constant; the same policy is in renderer/index.html, which it does check',
  'CSP_GLOBAL_CHECK@renderer/index.html':
    "the evaluator flags script-src 'self' (a risk where an origin serves JSONP or uploads); the app's origin serves only its own bundle, no inline script, no eval",
};

const out = mkdtempSync(join(tmpdir(), 'podpath-security-'));
const csv = join(out, 'findings.csv');
const run = spawnSync('npx', ['--yes', SCANNER, '-i', join(root, 'src'), '-e', electron, '-r', '-o', csv], {
  encoding: 'utf8',
  timeout: 300_000,
});
let text;
try {
  text = readFileSync(csv, 'utf8');
} catch {
  console.error(`security: ${SCANNER} wrote no findings file (exit ${run.status})\n${run.stderr}`);
  process.exit(1);
} finally {
  rmSync(out, { recursive: true, force: true });
}
const findings = text
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    // CSV with quoted fields that may hold commas.
    const cells = [...line.matchAll(/\s*("(?:[^"]|"")*"|[^,]*)\s*(?:,|$)/g)].map((m) =>
      m[1].replace(/^"|"$/g, ''),
    );
    const [check, severity, confidence, file, location, sample, description] = cells;
    return { check, severity, confidence, file, location, sample, description };
  });
const rejected = findings.filter((f) => !(f.check in ACCEPTED) && !(`${f.check}@${f.file}` in ACCEPTED));
for (const f of findings) {
  const reason = ACCEPTED[f.check] ?? ACCEPTED[`${f.check}@${f.file}`];
  console.log(
    `${reason ? 'accepted' : 'FOUND   '} ${f.check} (${f.severity}) ${f.file}:${f.location}: ${f.description}${reason ? ` -- accepted: ${reason}` : ''}`,
  );
}
console.log(
  `security: ${findings.length} findings from ${SCANNER} (Electron ${electron}), ${rejected.length} not accepted`,
);
process.exit(rejected.length === 0 ? 0 : 1);
