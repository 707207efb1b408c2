// Web mode (`podpath serve`): the app's page and the src/api contract over HTTP, for a browser on
// this machine only. Bound to 127.0.0.1; every request needs the per-run token (in the URL the
// CLI prints, then an HttpOnly cookie) and a Host header naming this server (so a page on another
// site that rebinds its DNS to 127.0.0.1 gets nothing). Requests go to the same handler table as
// Electron's IPC, after the same argument checks.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CONTENT_SECURITY_POLICY } from '../api/csp.js';
import { API_METHODS, ApiInputError, type ApiMethod } from '../api/index.js';
import type { SessionHost } from '../node/session-host.js';

/** The page's Content-Security-Policy, as the Electron shell sends it, and no framing by other pages. */
export const WEB_CONTENT_SECURITY_POLICY = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

const COOKIE = 'podpath_token';
/** Largest request body taken (a request carries paths and a query, never a file). */
const MAX_BODY = 1 << 20;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface ServeOptions {
  /** The session the API calls go to (src/node/session-host.ts). */
  session: Pick<SessionHost, 'call' | 'subscribe'>;
  /** The built page (out/renderer); without it the server answers the API and a note. */
  staticDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Fixed only by tests; otherwise 32 random bytes a run. */
  token?: string;
  /** Where files dropped on the page are kept while the server runs (default: a new temp folder). */
  uploadDir?: string;
}

export interface RunningServer {
  /** The URL to open: it carries the token. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `given` is the token, compared in constant time. */
export function tokenMatches(token: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(token);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(request: IncomingMessage): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return null;
}

function bearerToken(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : null;
}

/**
 * The build names each script and style sheet in assets/ by a hash of its content, so a browser
 * may keep them (and Chromium its compiled code for the scripts); index.html, which names them,
 * and every answer of the API are never kept.
 */
const ASSET_CACHE = 'private, max-age=31536000, immutable';

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  cache = 'no-store',
): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Security-Policy': WEB_CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': cache,
  });
  response.end(body);
}

const sendJson = (response: ServerResponse, status: number, value: unknown): void =>
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));

/** A snapshot is JSON or YAML; anything else dropped on the page is taken for a capture. */
const SNAPSHOT_NAME = /\.(json|ya?ml)$/i;

/** The base name a dropped file is kept under: no folders, no control characters, not too long. */
export function uploadName(given: string | null): string {
  const name = [...basename((given ?? '').replace(/\\/g, '/'))]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '_' : c))
    .join('')
    .slice(-200);
  if (name === '' || name === '.' || name === '..') throw new ApiInputError('upload: the file needs a name');
  return name;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiInputError(`request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const NO_UI = `<!doctype html><meta charset="utf-8"><title>podpath</title>
<p>podpath's web mode is running, but the page is not built: run <code>npm run build</code>.
The API answers at <code>/api/&lt;method&gt;</code>.</p>`;

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const session = options.session;
  const staticRoot = normalize(options.staticDir + sep);
  let port = 0;
  const hosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { ok: false, error: String(error) });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A foreign Host is a browser fooled by DNS rebinding, or not a browser of this machine.
    if (!hosts().includes(request.headers.host ?? '')) {
      send(response, 421, 'text/plain; charset=utf-8', 'podpath: wrong Host\n');
      return;
    }
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const fromQuery = url.searchParams.get('token');
    if (request.method === 'GET' && fromQuery !== null && tokenMatches(token, fromQuery)) {
      // The URL the CLI printed: keep the token in a cookie and drop it from the address bar.
      url.searchParams.delete('token');
      response.writeHead(303, {
        Location: url.pathname + url.search,
        'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        'Cache-Control': 'no-store',
      });
      response.end();
      return;
    }
    if (!tokenMatches(token, cookieToken(request)) && !tokenMatches(token, bearerToken(request))) {
      send(
        response,
        401,
        'text/plain; charset=utf-8',
        'podpath: open the URL podpath serve printed (it carries a token)\n',
      );
      return;
    }
    if (url.pathname === '/api/events' && request.method === 'GET') return events(response);
    if (url.pathname === '/api/upload') return upload(request, response, url.searchParams.get('name'));
    if (url.pathname.startsWith('/api/')) return api(request, response, url.pathname.slice(5));
    if (request.method !== 'GET') {
      send(response, 405, 'text/plain; charset=utf-8', 'podpath: only GET here\n');
      return;
    }
    return page(response, url.pathname);
  }

  /** Refuses what is not a POST from this server's own page; says whether to go on. */
  function ownPost(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST') {
      sendJson(response, 405, { ok: false, error: 'API calls are POSTs' });
      return false;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !hosts().some((h) => origin === `http://${h}`)) {
      sendJson(response, 403, { ok: false, error: `refused a call from ${origin}` });
      return false;
    }
    return true;
  }

  let uploads: Promise<string> | null = null;
  let uploadCount = 0;

  /**
   * A file dropped on the page: a browser cannot tell us its path, so its bytes come in the body
   * and are kept on disk (streamed: a capture may be gigabytes) until the server stops, then
   * opened like a file named on the command line.
   */
  async function upload(
    request: IncomingMessage,
    response: ServerResponse,
    given: string | null,
  ): Promise<void> {
    if (!ownPost(request, response)) return;
    try {
      const name = uploadName(given);
      uploads ??=
        options.uploadDir !== undefined
          ? mkdir(options.uploadDir, { recursive: true }).then(() => options.uploadDir!)
          : mkdtemp(join(tmpdir(), 'podpath-upload-'));
      // One folder per upload: two drops of files with one name both stay.
      const dir = join(await uploads, String(++uploadCount));
      await mkdir(dir);
      const path = join(dir, name);
      await pipeline(request, createWriteStream(path));
      const value = await session.call(SNAPSHOT_NAME.test(name) ? 'openSnapshot' : 'openCaptures', [
        SNAPSHOT_NAME.test(name) ? path : [path],
      ]);
      sendJson(response, 200, { ok: true, value });
    } catch (error) {
      sendJson(response, error instanceof ApiInputError ? 400 : 500, {
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async function api(request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
    if (!ownPost(request, response)) return;
    if (!(API_METHODS as string[]).includes(name)) {
      sendJson(response, 404, { ok: false, error: `no API method '${name}'` });
      return;
    }
    try {
      const body = await readBody(request);
      let args: unknown;
      try {
        args = body === '' ? [] : JSON.parse(body);
      } catch {
        throw new ApiInputError('the body must be a JSON array of arguments');
      }
      if (!Array.isArray(args)) throw new ApiInputError('the body must be a JSON array of arguments');
      const value = await session.call(name as ApiMethod, args);
      sendJson(response, 200, { ok: true, value });
    } catch (error) {
      const input = error instanceof ApiInputError;
      sendJson(response, input ? 400 : 500, {
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async function events(response: ServerResponse): Promise<void> {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    const write = (value: unknown): void => void response.write(`data: ${JSON.stringify(value)}\n\n`);
    write({ type: 'session', session: await session.call('session', []) });
    const unsubscribe = session.subscribe(write);
    response.on('close', unsubscribe);
  }

  /**
   * The page's files, kept once read and read again when their time changes (a rebuild). Read
   * synchronously on purpose: they are small and local, and an async read is four trips through
   * libuv's thread pool, each a wake-up that a machine busy reading a capture delays.
   */
  const pageFiles = new Map<string, { mtimeMs: number; body: Buffer }>();
  function pageFile(file: string): Buffer | null {
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats === undefined || !stats.isFile()) return null;
    const kept = pageFiles.get(file);
    if (kept !== undefined && kept.mtimeMs === stats.mtimeMs) return kept.body;
    const body = readFileSync(file);
    pageFiles.set(file, { mtimeMs: stats.mtimeMs, body });
    return body;
  }

  function page(response: ServerResponse, pathname: string): void {
    if (!existsSync(join(staticRoot, 'index.html'))) {
      send(response, 200, 'text/html; charset=utf-8', NO_UI);
      return;
    }
    const file = normalize(join(staticRoot, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
    const body = file.startsWith(staticRoot) ? pageFile(file) : null;
    if (body === null) {
      send(response, 404, 'text/plain; charset=utf-8', 'podpath: not found\n');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    send(response, 200, type, body, pathname.startsWith('/assets/') ? ASSET_CACHE : 'no-store');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      // Dropped files live as long as the server; a folder the caller named is the caller's.
      if (uploads !== null && options.uploadDir === undefined)
        await rm(await uploads, { recursive: true, force: true });
    },
  };
}
