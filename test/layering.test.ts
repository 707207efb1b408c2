// Proves eslint.config.js enforces STYLE.md's layer table: each case lints a snippet as if it lived
// at filePath, without writing the file.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: fileURLToPath(new URL('..', import.meta.url)) });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages
    .filter(
      (message) => message.ruleId === 'no-restricted-imports' || message.ruleId === 'no-restricted-globals',
    )
    .map((message) => message.message);
}

const rejected: [filePath: string, code: string][] = [
  ['src/core/x.ts', "import fs from 'node:fs'; export const a = fs;"],
  ['src/core/x.ts', "import path from 'path'; export const a = path;"],
  ['src/core/x.ts', "import { app } from 'electron'; export const a = app;"],
  ['src/core/flow/x.ts', "import { useState } from 'react'; export const a = useState;"],
  ['src/core/flow/x.ts', "import { a } from '../../node/index.js'; export const b = a;"],
  ['src/core/x.ts', "export { a } from '../api/index.js';"],
  ['src/core/decode/x.ts', 'export const a = Buffer.alloc(1);'],
  ['src/api/index.ts', "import { a } from '../core/index.js'; export const b = a;"],
  ['src/api/index.ts', "import type { A } from '../node/index.js'; export type B = A;"],
  ['src/node/x.ts', "import { app } from 'electron'; export const a = app;"],
  ['src/node/x.ts', "import { a } from '../main/index.js'; export const b = a;"],
  ['src/cli/main.ts', "import { a } from '../renderer/App.js'; export const b = a;"],
  ['src/preload/index.ts', "import fs from 'node:fs'; export const a = fs;"],
  ['src/preload/index.ts', "import { a } from '../core/index.js'; export const b = a;"],
  ['src/renderer/App.tsx', "import { ipcRenderer } from 'electron'; export const a = ipcRenderer;"],
  ['src/renderer/App.tsx', "import fs from 'node:fs'; export const a = fs;"],
  ['src/renderer/views/x.tsx', "import { a } from '../../node/index.js'; export const b = a;"],
];

const accepted: [filePath: string, code: string][] = [
  ['src/core/x.ts', "import { a } from './decode/index.js'; export const b = a;"],
  ['src/core/flow/x.ts', "import { a } from '../decode/index.js'; export const b = a;"],
  [
    'src/core/flow/x.test.ts',
    "import fs from 'node:fs'; import { it } from 'vitest'; export const a = [fs, it]; ",
  ],
  ['src/api/index.ts', "import type { A } from '../core/index.js'; export type B = A;"],
  [
    'src/node/x.ts',
    "import fs from 'node:fs'; import { a } from '../core/index.js'; export const b = [a, fs]; ",
  ],
  [
    'src/main/index.ts',
    "import { app } from 'electron'; import { a } from '../node/x.js'; export const b = [a, app]; ",
  ],
  [
    'src/preload/index.ts',
    "import { ipcRenderer } from 'electron'; import { A } from '../api/index.js'; export const b = [A, ipcRenderer]; ",
  ],
  [
    'src/renderer/App.tsx',
    "import { useState } from 'react'; import { a } from '../core/index.js'; export const b = [a, useState]; ",
  ],
  [
    'test/x.test.ts',
    "import fs from 'node:fs'; import { a } from '../src/main/index.js'; export const b = [a, fs]; ",
  ],
];

describe('layering (STYLE.md)', () => {
  it.each(rejected)('rejects in %s: %s', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).not.toEqual([]);
  });

  it.each(accepted)('accepts in %s: %s', async (filePath, code) => {
    expect(await restrictedImports(filePath, code)).toEqual([]);
  });
});
