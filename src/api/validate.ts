// Arguments arrive from a page: over IPC from the renderer, over HTTP from a browser. Each
// method's are checked here, once for both transports, before any handler sees them.
import type { ApiMethod, FlowQuery, FlowSortKey } from './index.js';

/** A request the contract does not allow: the transport answers it with this message. */
export class ApiInputError extends Error {
  override readonly name = 'ApiInputError';
}

const SORT_KEYS: readonly FlowSortKey[] = ['src', 'dst', 'protocol', 'packets', 'bytes', 'start', 'duration'];
/** Longest path, id or filter text taken (a page has no reason to send more). */
const MAX_TEXT = 4096;
const MAX_PATHS = 256;
/** Rows a flows page may ask for at once. */
export const MAX_PAGE = 5000;
/** Packets a packets page may ask for at once (each carries its bytes). */
export const MAX_PACKETS = 1000;

function text(method: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT || value.includes('\0'))
    throw new ApiInputError(`${method}: ${what} must be a non-empty string`);
  return value;
}

function texts(method: string, what: string, value: unknown, max: number): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > max)
    throw new ApiInputError(`${method}: ${what} must be a list of 1 to ${max} strings`);
  return value.map((v) => text(method, what, v));
}

function count(method: string, what: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new ApiInputError(`${method}: ${what} must be a whole number from 0 to ${max}`);
  return value;
}

function flowQuery(value: unknown): FlowQuery {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiInputError('flows: the query must be an object');
  const q = value as Record<string, unknown>;
  for (const key of Object.keys(q))
    if (!['captures', 'filter', 'sort', 'offset', 'limit'].includes(key))
      throw new ApiInputError(`flows: unknown query field '${key}'`);
  const out: FlowQuery = {
    offset: count('flows', 'offset', q.offset, Number.MAX_SAFE_INTEGER),
    limit: count('flows', 'limit', q.limit, MAX_PAGE),
  };
  if (q.captures !== undefined) out.captures = texts('flows', 'captures', q.captures, MAX_PATHS);
  if (q.filter !== undefined) {
    if (typeof q.filter !== 'string' || q.filter.length > MAX_TEXT)
      throw new ApiInputError('flows: filter must be a string');
    out.filter = q.filter;
  }
  if (q.sort !== undefined) {
    const sort = q.sort as Record<string, unknown> | null;
    if (
      typeof sort !== 'object' ||
      sort === null ||
      !SORT_KEYS.includes(sort.key as FlowSortKey) ||
      typeof sort.descending !== 'boolean'
    )
      throw new ApiInputError(`flows: sort must be { key: ${SORT_KEYS.join('|')}, descending: boolean }`);
    out.sort = { key: sort.key as FlowSortKey, descending: sort.descending };
  }
  return out;
}

/**
 * The arguments of `method` checked against the contract, in the handler's order; throws
 * ApiInputError saying what is wrong.
 */
export function validateArguments(method: ApiMethod, args: readonly unknown[]): unknown[] {
  const expect = (n: number): void => {
    if (args.length !== n)
      throw new ApiInputError(`${method} takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
  };
  switch (method) {
    case 'version':
    case 'session':
    case 'openDemo':
    case 'findings':
      expect(0);
      return [];
    case 'openCaptures':
      expect(1);
      return [texts(method, 'paths', args[0], MAX_PATHS)];
    case 'openSnapshot':
      expect(1);
      return [text(method, 'path', args[0])];
    case 'closeCapture':
    case 'cancel':
    case 'charts':
    case 'exportPackets':
      expect(1);
      return [text(method, 'id', args[0])];
    case 'flows':
      expect(1);
      return [flowQuery(args[0])];
    case 'trace':
      expect(1);
      return [texts(method, 'ids', args[0], MAX_PATHS)];
    case 'packets':
      expect(3);
      return [
        text(method, 'flow id', args[0]),
        count(method, 'offset', args[1], Number.MAX_SAFE_INTEGER),
        count(method, 'limit', args[2], MAX_PACKETS),
      ];
    case 'compare':
      expect(2);
      return [text(method, 'before', args[0]), text(method, 'after', args[1])];
  }
}
