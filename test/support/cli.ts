// Runs the built CLI (bin/podpath.js, after `npm run build:cli`) as a user would, and checks
// what every run must keep: whatever happened, no stack trace on either stream (readable
// warnings say "    at byte N:", which is no stack frame).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './files.js';

export const BIN = join(ROOT, 'bin/podpath.js');

/** A V8 stack frame line: "    at fn (file:line:col)" or "    at file:line:col". */
export const STACK_FRAME = /^ {4}at (?!byte \d+: ).*:\d+:\d+\)?$/m;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { timeout?: number; maxBuffer?: number } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: options.timeout ?? 30_000,
    maxBuffer: options.maxBuffer ?? 64 << 20,
  });
  if (r.error) throw r.error;
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stdout).not.toMatch(STACK_FRAME);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
