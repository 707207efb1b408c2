/** Values for a sentence: names, numbers, and codes of nested sentences. */
export type TextParams = Record<string, string | number>;

/**
 * A sentence the engine says, as data: a catalog code and its values. The engine prints the
 * English (`evidenceText`, `warningText`); the UI words the same code from its own catalogs
 * (src/renderer/locales, section "evidence" or "warning"), in any language.
 */
export interface TextFact {
  code: string;
  params: TextParams;
}

/** Templates by key; an object nests keys ("seen" holds "seen.udp"), as i18next catalogs do. */
export interface TextCatalog {
  readonly [key: string]: string | TextCatalog;
}

const TOKEN = /\$t\(([^)]*)\)|\{\{(\w+)\}\}/g;
const VALUE = /\{\{(\w+)\}\}/g;

/**
 * Fills `root[section][key]` in i18next's syntax, the subset the engine's catalogs use:
 * `{{name}}` takes a value, and `$t(section.key)` (its key may hold `{{name}}` too) takes
 * another template of `root` with the same values; a key written in plural forms (`key_one`,
 * `key_other`, as i18next's JSON v4 has them) is chosen by the `count` value. Values are
 * inserted as they are, never read as templates (i18next's skipOnVariables). The UI's English catalog holds these very
 * strings, so the same fact reads the same in the CLI and the app (test/engine-text.test.ts).
 * A missing key or value is a programmer's mistake and throws.
 */
export function fillTemplate(root: TextCatalog, path: string, params: TextParams): string {
  let node = lookup(root, path);
  if (node === undefined && typeof params.count === 'number')
    node = lookup(root, `${path}_${params.count === 1 ? 'one' : 'other'}`);
  if (typeof node !== 'string') throw new Error(`no engine text "${path}"`);
  return node.replace(TOKEN, (_, nested: string | undefined, name: string | undefined) =>
    nested !== undefined
      ? fillTemplate(
          root,
          nested.replace(VALUE, (__, inner: string) => value(params, inner, path)),
          params,
        )
      : value(params, name!, path),
  );
}

function lookup(root: TextCatalog, path: string): string | TextCatalog | undefined {
  let node: string | TextCatalog | undefined = root;
  for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return node;
}

function value(params: TextParams, name: string, path: string): string {
  const v = params[name];
  if (v === undefined) throw new Error(`engine text "${path}" needs a value for {{${name}}}`);
  return String(v);
}
