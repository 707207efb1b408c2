#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build:cli`, which `npm install` runs through `prepare`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('podpath: the CLI is not built yet; run `npm run build:cli` (npm install does it).\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
