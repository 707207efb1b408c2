#!/usr/bin/env node
// `npm run test:lab`: runs the whole lab into a temporary folder (root needed), which checks
// every fresh capture against its fresh truth with tshark, then runs podpath's lab tests
// on that folder. Keeps the lab itself honest; `npm test` uses the committed fixtures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LAB } from './kit.mjs';

const root = resolve(LAB, '../..');
const out = mkdtempSync(join(tmpdir(), 'podpath-test-lab-'));
const extra = process.argv.slice(2);
let status = spawnSync(process.execPath, [join(LAB, 'lab.mjs'), '--out', out, ...extra], {
  stdio: 'inherit',
}).status;
if (status === 0) {
  status = spawnSync('npx', ['vitest', 'run', 'test/lab.test.ts', 'test/trace.test.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PODPATH_LAB_DIR: out },
  }).status;
}
rmSync(out, { recursive: true, force: true });
process.exit(status ?? 1);
