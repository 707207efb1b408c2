// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/*
 * Layers, one direction (STYLE.md). Each folder under src/ may import only the layers listed here.
 * `typeOnly` layers may be imported with `import type` only. `packages` says which npm packages a
 * layer may use: an allow list, or a deny list when `deny` is set. `nodeBuiltins` allows node:* and
 * bare built-ins such as `fs`.
 *
 * no-restricted-imports only sees the specifier text, so a relative import is judged by how many
 * `../` it climbs: from a file `depth` folders below src/<layer>/, `depth + 1` of them reach src/,
 * and the next segment names the layer imported. One config block per depth spells that out.
 */
const LAYERS = {
  core: { layers: [], packages: { allow: ['ip-num'] }, nodeBuiltins: false },
  api: { layers: [], typeOnly: ['core'], packages: { allow: [] }, nodeBuiltins: false },
  node: {
    layers: ['core', 'api'],
    packages: { deny: ['electron', 'react', 'react-dom'] },
    nodeBuiltins: true,
  },
  main: { layers: ['core', 'api', 'node'], packages: { deny: ['react', 'react-dom'] }, nodeBuiltins: true },
  server: {
    layers: ['core', 'api', 'node'],
    packages: { deny: ['electron', 'react', 'react-dom'] },
    nodeBuiltins: true,
  },
  // `podpath serve` starts web mode: the CLI may reach the server, never the other way.
  cli: {
    layers: ['core', 'api', 'node', 'server'],
    packages: { deny: ['electron', 'react', 'react-dom'] },
    nodeBuiltins: true,
  },
  // A sandboxed preload can require `electron` and nothing else.
  preload: { layers: ['api'], packages: { allow: ['electron'] }, nodeBuiltins: false },
  renderer: { layers: ['api', 'core'], packages: { deny: ['electron'] }, nodeBuiltins: false },
};

// Files deeper than this fall back to a catch-all block judged at MAX_DEPTH, which errs towards
// reporting. It comes first so the exact-depth blocks after it win.
const MAX_DEPTH = 5;
const DEPTHS = [MAX_DEPTH, ...Array.from({ length: MAX_DEPTH }, (_, depth) => depth)];

const SOURCE = '{ts,tsx,mts,cts,js,mjs,cjs}';
const TEST = `{test,spec}.${SOURCE}`;

const builtinNames = builtinModules.filter((name) => !name.includes('/') && !name.startsWith('_'));
const builtinRegex = `^(?:node:|(?:${builtinNames.join('|')})(?:/|$))`;
const packageList = (names) => names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

/** Patterns for bare specifiers (packages and Node built-ins). Tests are exempt from these. */
function bareSpecifierPatterns(layer, { packages, nodeBuiltins }) {
  const patterns = [];
  if (!nodeBuiltins) {
    patterns.push({
      regex: builtinRegex,
      message: `src/${layer}/ may not use Node built-ins (STYLE.md layers).`,
    });
  }
  if ('allow' in packages) {
    const allowed = packages.allow.length > 0 ? `|(?:${packageList(packages.allow)})(?:/|$)` : '';
    patterns.push({
      regex: `^(?![./]|node:|(?:${builtinNames.join('|')})(?:/|$)${allowed})`,
      message:
        packages.allow.length > 0
          ? `src/${layer}/ may import only these packages: ${packages.allow.join(', ')} (STYLE.md layers).`
          : `src/${layer}/ may not import packages (STYLE.md layers).`,
    });
  } else if (packages.deny.length > 0) {
    patterns.push({
      regex: `^(?:${packageList(packages.deny)})(?:/|$)`,
      message: `src/${layer}/ may not import ${packages.deny.join(', ')} (STYLE.md layers).`,
    });
  }
  return patterns;
}

/** Patterns for relative specifiers that climb out of the layer, for a file `depth` folders down. */
function relativePatterns(layer, { layers, typeOnly = [] }, depth, { forTests = false } = {}) {
  const toSrc = `^(?:\\.\\./){${depth + 1}}`;
  // Tests may also use the shared test helpers (real packets, fixtures) in test/support.
  const reachable = [layer, ...layers, ...typeOnly, ...(forTests ? ['\\.\\./test/support'] : [])];
  const allowedText = [
    ...layers.map((name) => `src/${name}/`),
    ...typeOnly.map((name) => `types from src/${name}/`),
  ];
  const patterns = [
    {
      regex: `${toSrc}(?!(?:${reachable.join('|')})(?:/|$))`,
      message:
        allowedText.length > 0
          ? `src/${layer}/ may import only src/${layer}/ and ${allowedText.join(', ')} (STYLE.md layers).`
          : `src/${layer}/ may import only src/${layer}/ (STYLE.md layers).`,
    },
  ];
  for (const name of typeOnly) {
    patterns.push({
      regex: `${toSrc}${name}(?:/|$)`,
      allowTypeImports: true,
      message: `src/${layer}/ may import only types from src/${name}/ (STYLE.md layers).`,
    });
  }
  return patterns;
}

function layeringBlocks() {
  const blocks = [];
  for (const [layer, rule] of Object.entries(LAYERS)) {
    for (const depth of DEPTHS) {
      const folder = `src/${layer}/${depth === MAX_DEPTH ? '**/' : '*/'.repeat(depth)}`;
      const relative = relativePatterns(layer, rule, depth);
      blocks.push(
        {
          name: `podpath/layers/${layer}/depth-${depth}`,
          files: [`${folder}*.${SOURCE}`],
          rules: {
            'no-restricted-imports': [
              'error',
              { patterns: [...bareSpecifierPatterns(layer, rule), ...relative] },
            ],
          },
        },
        {
          // Tests next to the code may use Node, vitest and fast-check, but still respect the layers.
          name: `podpath/layers/${layer}/depth-${depth}/tests`,
          files: [`${folder}*.${TEST}`],
          rules: {
            'no-restricted-imports': [
              'error',
              { patterns: relativePatterns(layer, rule, depth, { forTests: true }) },
            ],
          },
        },
      );
    }
  }
  return blocks;
}

export default defineConfig(
  globalIgnores([
    'out/',
    'dist/',
    'release/',
    'coverage/',
    'bench/.cache/',
    'test/fixtures/',
    'test/golden/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: 'podpath/node-globals',
    files: [`**/*.${SOURCE}`],
    ignores: ['src/renderer/**', 'src/preload/**', 'src/core/**', 'src/api/**'],
    languageOptions: { globals: globals.node },
  },
  {
    name: 'podpath/browser-globals',
    files: [`src/renderer/**/*.${SOURCE}`, `src/preload/**/*.${SOURCE}`],
    languageOptions: { globals: globals.browser },
  },
  {
    name: 'podpath/unused',
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  ...layeringBlocks(),
  {
    name: 'podpath/core-has-no-buffer',
    files: [`src/core/**/*.${SOURCE}`],
    ignores: [`src/core/**/*.${TEST}`],
    rules: {
      'no-restricted-globals': [
        'error',
        {
          name: 'Buffer',
          message: 'src/core works on Uint8Array; Buffer exists only in Node (STYLE.md layers).',
        },
      ],
    },
  },
  prettier,
);
