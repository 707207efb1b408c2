import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Document } from 'yaml';
// From snapshot.js, not the cluster index: that one loads ip-num (0.1-0.2 s), which a run
// without a snapshot never needs.
import {
  buildClusterSnapshot,
  type ClusterSnapshot,
  SnapshotError,
  type SnapshotDocument,
} from '../core/cluster/snapshot.js';
import type { ClusterIndex } from '../core/cluster/cluster-index.js';

/** The yaml package, loaded on the first YAML snapshot: its import costs about 70 ms of every run. */
let yamlModule: typeof import('yaml') | null = null;
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

/** One parsed JSON value or YAML document; `source` is the file, or `<file> (document N)`. */
export type { SnapshotDocument };

/** A snapshot that could not be read or is not a Kubernetes snapshot, with a message for users. */
export class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const SNAPSHOT_FILE = /\.(?:json|ya?ml)$/i;

/**
 * Reads a file, or a folder's `*.json`, `*.yaml` and `*.yml` files (sorted by name, not
 * recursive), into parsed documents: what `kubectl get ... -o json` or `-o yaml` printed.
 * Throws SnapshotFileError.
 */
export async function readSnapshotDocuments(path: string): Promise<SnapshotDocument[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new SnapshotFileError(path, `cannot read ${path}: ${describeError(error)}`);
  }
  if (!isDirectory) return parseSnapshotText(path, await readText(path));

  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    throw new SnapshotFileError(path, `cannot read ${path}: ${describeError(error)}`);
  }
  const files: string[] = [];
  for (const name of names.filter((n) => SNAPSHOT_FILE.test(n)).sort()) {
    const file = join(path, name);
    if (await isFile(file)) files.push(file);
  }
  if (files.length === 0) {
    throw new SnapshotFileError(
      path,
      `cannot read ${path}: it is a directory with no .json, .yaml or .yml files`,
    );
  }
  const documents: SnapshotDocument[] = [];
  for (const file of files) documents.push(...parseSnapshotText(file, await readText(file)));
  return documents;
}

/** readSnapshotDocuments, then the core's cluster model: what `--cluster` loads. */
export async function loadClusterSnapshot(path: string): Promise<ClusterSnapshot> {
  const documents = await readSnapshotDocuments(path);
  try {
    return buildClusterSnapshot(documents);
  } catch (error) {
    if (error instanceof SnapshotError) throw new SnapshotFileError(path, error.message);
    throw error;
  }
}

/**
 * The cluster index of a snapshot. The index module (and ip-num with it) is imported here, on
 * the first snapshot, so that runs without one do not pay for loading it.
 */
export async function clusterIndexOf(snapshot: ClusterSnapshot): Promise<ClusterIndex> {
  const { ClusterIndex } = await import('../core/cluster/cluster-index.js');
  return new ClusterIndex(snapshot);
}

type WorkerReply =
  | { ok: true; snapshot: ClusterSnapshot }
  | { ok: false; snapshotError: boolean; path: string; message: string };

/**
 * loadClusterSnapshot on a worker thread, so that the snapshot loads while the capture is
 * read: start it first, await it when the flows are named. In place (same result) when the
 * compiled worker is not there, as under the test runner's on-the-fly TypeScript.
 */
export function loadClusterSnapshotInBackground(path: string): Promise<ClusterSnapshot> {
  const url = new URL('./snapshot-worker.js', import.meta.url);
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) return loadClusterSnapshot(path);
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: { path } });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.snapshot);
      else if (reply.snapshotError) reject(new SnapshotFileError(reply.path, reply.message));
      else reject(new Error(reply.message));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the snapshot loader stopped (exit code ${code}) before it answered`));
    });
  });
}

/** stat, not the directory entry: a symlink to a file counts, a folder named x.json does not. */
async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function readText(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SnapshotFileError(path, `cannot read ${path}: ${describeError(error)}`);
  }
  let text: string;
  // Windows PowerShell 5 writes `kubectl ... > file` as UTF-16 with a byte order mark.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le').decode(bytes);
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder('utf-16be').decode(bytes);
  else text = new TextDecoder('utf-8').decode(bytes); // drops a UTF-8 byte order mark
  // JSON and YAML have no NUL: this is a capture or an archive passed by mistake.
  if (text.includes('\0'))
    throw new SnapshotFileError(path, `${path} is not a text file (expected JSON or YAML)`);
  return text;
}

/** Parses one file's text, JSON or YAML by its content (a .yaml file may hold JSON). */
export function parseSnapshotText(path: string, text: string): SnapshotDocument[] {
  const first = /\S/.exec(text);
  if (first === null) throw new SnapshotFileError(path, `${path} is empty`);
  // The first non-blank character decides. A file that opens with a `#` comment is YAML even if
  // a `{` follows: JSON has no comments, and YAML's flow style reads the JSON after them.
  if (first[0] === '{' || first[0] === '[') return [{ source: path, value: parseJson(path, text) }];
  return parseYaml(path, text);
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const found = findJsonSyntaxError(text) ?? engineJsonError(text, error);
    const at = found.offset === null ? '' : ` at ${lineAndColumn(text, found.offset)}`;
    throw new SnapshotFileError(path, `${path} is not valid JSON: ${found.reason}${at}`);
  }
}

function parseYaml(path: string, text: string): SnapshotDocument[] {
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  // prettyErrors off: the message is then the bare reason, and lineCounter gives the same
  // line and column prettyErrors would put in `linePos`, without the source excerpt.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const errors = 'empty' in documents ? documents.errors : documents.flatMap((d) => d.errors);
  if (errors.length > 0) {
    const [error] = errors;
    const at = linePosition(lineCounter.linePos(error.pos[0]));
    throw new SnapshotFileError(path, `${path} is not valid YAML: ${error.message} at ${at}`);
  }
  const out: SnapshotDocument[] = [];
  documents.forEach((document, index) => {
    const source = documents.length > 1 ? `${path} (document ${index + 1})` : path;
    let value: unknown;
    try {
      value = document.toJS();
    } catch (error) {
      // toJS refuses an alias to no earlier anchor, and alias bombs ("Excessive alias count").
      const offset = unresolvedAlias(document);
      const at = offset === null ? '' : ` at ${linePosition(lineCounter.linePos(offset))}`;
      throw new SnapshotFileError(path, `${source} is not valid YAML: ${describeError(error)}${at}`);
    }
    // null: an empty document, as a trailing `---` or one holding only comments leaves.
    if (value !== null) out.push({ source, value });
  });
  if (out.length === 0) {
    throw new SnapshotFileError(path, `${path} is empty: it holds only YAML comments or document markers`);
  }
  return out;
}

function unresolvedAlias(document: Document.Parsed): number | null {
  let offset: number | null = null;
  const { visit } = yaml();
  visit(document, {
    Alias(_, alias) {
      if (alias.resolve(document) !== undefined) return undefined;
      offset = alias.range?.[0] ?? null;
      return visit.BREAK;
    },
  });
  return offset;
}

function linePosition({ line, col }: { line: number; col: number }): string {
  return `line ${line}, column ${col}`;
}

function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return linePosition({ line, col: offset - lineStart + 1 });
}

interface JsonSyntaxError {
  /** Offset into the text, or null when unknown. */
  offset: number | null;
  reason: string;
}

/** V8's own message, when the scanner below found nothing (a bug there, or a stack too deep). */
function engineJsonError(text: string, error: unknown): JsonSyntaxError {
  const message = describeError(error);
  const position = / in JSON at position (\d+)/.exec(message);
  if (position !== null) return { offset: Number(position[1]), reason: message.slice(0, position.index) };
  if (message.startsWith('Unexpected end of JSON input')) return { offset: text.length, reason: message };
  return { offset: null, reason: message };
}

/*
 * Where and why JSON.parse failed. V8's messages give no position for some errors ("Unexpected
 * token ',', "[1,,2]" is not valid JSON"), report a trailing comma at the `}` after it, and change
 * wording between Node versions, so the position and reason come from this strict RFC 8259 scan,
 * run only after JSON.parse has failed. Returns null if it finds no error.
 */
function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  try {
    const end = scanValue(text, 0);
    if (typeof end !== 'number') return end;
    const after = skipSpace(text, end);
    return after < text.length
      ? { offset: after, reason: 'unexpected text after the end of the JSON value' }
      : null;
  } catch {
    return null; // RangeError: nested deeper than the stack
  }
}

type Scanned = number | JsonSyntaxError;

function skipSpace(t: string, i: number): number {
  while (i < t.length && (t[i] === ' ' || t[i] === '\n' || t[i] === '\r' || t[i] === '\t')) i++;
  return i;
}

function found(t: string, i: number): string {
  if (i >= t.length) return 'the end of the file';
  const word = /[A-Za-z_$][\w$]*/y;
  word.lastIndex = i;
  const text = word.exec(t)?.[0] ?? String.fromCodePoint(t.codePointAt(i)!);
  return text === "'" ? `"'"` : `'${text}'`;
}

function scanValue(t: string, i: number): Scanned {
  i = skipSpace(t, i);
  const c = t[i];
  if (c === '{') return scanMembers(t, i, '}');
  if (c === '[') return scanMembers(t, i, ']');
  if (c === '"') return scanString(t, i);
  if (c === '-' || (c >= '0' && c <= '9')) return scanNumber(t, i);
  for (const literal of ['true', 'false', 'null']) if (t.startsWith(literal, i)) return i + literal.length;
  return { offset: i, reason: `expected a value, found ${found(t, i)}` };
}

/** An object's `"name": value` members or an array's elements, from the opening bracket. */
function scanMembers(t: string, i: number, close: '}' | ']'): Scanned {
  const isObject = close === '}';
  i = skipSpace(t, i + 1);
  if (t[i] === close) return i + 1;
  for (;;) {
    if (isObject) {
      if (t[i] !== '"')
        return { offset: i, reason: `expected a property name in double quotes, found ${found(t, i)}` };
      const name = scanString(t, i);
      if (typeof name !== 'number') return name;
      i = skipSpace(t, name);
      if (t[i] !== ':')
        return { offset: i, reason: `expected ':' after the property name, found ${found(t, i)}` };
      i++;
    }
    const value = scanValue(t, i);
    if (typeof value !== 'number') return value;
    i = skipSpace(t, value);
    if (t[i] === close) return i + 1;
    if (t[i] !== ',') {
      const what = isObject ? 'a property value' : 'an array element';
      return { offset: i, reason: `expected ',' or '${close}' after ${what}, found ${found(t, i)}` };
    }
    const comma = i;
    i = skipSpace(t, i + 1);
    if (t[i] === close) return { offset: comma, reason: `trailing comma before '${close}'` };
  }
}

function scanString(t: string, start: number): Scanned {
  for (let i = start + 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x0a || c === 0x0d)
      return { offset: start, reason: 'string not closed before the end of its line' };
    if (c < 0x20) {
      const code = c.toString(16).padStart(4, '0');
      return { offset: i, reason: `control character U+${code} in a string (write it as an escape)` };
    }
    if (c === 0x5c) {
      const escape = t[i + 1];
      if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) i += 5;
      else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i++;
      else return { offset: i, reason: `invalid escape '\\${escape ?? ''}' in a string` };
    }
  }
  return { offset: start, reason: 'string not closed before the end of the file' };
}

function scanNumber(t: string, start: number): Scanned {
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  number.lastIndex = start;
  const match = number.exec(t);
  // `01`, `1.`, `-`, `1e`: the longest valid prefix is followed by more of the number.
  if (match === null || /[\d.eE+-]/.test(t[start + match[0].length] ?? '')) {
    return { offset: start, reason: 'invalid number' };
  }
  return start + match[0].length;
}

function describeError(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'EISDIR') return 'it is a directory';
  }
  return error instanceof Error ? error.message : String(error);
}
