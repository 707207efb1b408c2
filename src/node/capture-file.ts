import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** Read size for uncompressed files: one reused buffer small enough to stay in the L2 cache while it is framed and decoded. */
export const DEFAULT_CHUNK_SIZE = 512 * 1024;
const GZIP_CHUNK_SIZE = 1024 * 1024;

export interface CaptureFileInfo {
  path: string;
  /** Size on disk (compressed size for gzip). */
  size: number;
  compressed: boolean;
  /** Bytes handed to onChunk (the uncompressed size). */
  bytesRead: number;
  /** Set when the gzip stream was cut or damaged; the bytes before it were delivered. */
  /** Where a damaged or cut gzip stream stopped, and why (the system's words). */
  decompressError: { bytes: number; reason: string } | null;
  /** When the file was read in two parts at once (split-read.ts): where the second began, and whether it was taken on. */
  split?: { at: number; absorbed: boolean };
}

export interface ReadOptions {
  chunkSize?: number;
  signal?: AbortSignal;
  /** Uncompressed files only: read from this byte offset (default 0) up to `end` (default: all). */
  start?: number;
  end?: number;
}

/** A file that could not be opened or read at all, with a message naming it. */
export class CaptureFileError extends Error {
  override readonly name = 'CaptureFileError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Streams a capture file's bytes to `onChunk`, decompressing gzip (recognised by its magic
 * number, not its name). Each chunk is valid only during the call: the buffer is reused.
 */
export async function readCaptureFile(
  path: string,
  onChunk: (chunk: Uint8Array) => void,
  options: ReadOptions = {},
): Promise<CaptureFileInfo> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CaptureFileError(path, `cannot open ${path}: ${describeError(error)}`);
  }
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(2);
    const { bytesRead: headLength } = await handle.read(head, 0, 2, 0);
    if (headLength === 2 && head[0] === 0x1f && head[1] === 0x8b) {
      await handle.close();
      handle = undefined;
      return await readGzip(path, size, onChunk, options);
    }
    const start = options.start ?? 0;
    const end = Math.min(options.end ?? size, size);
    const chunkSize = Math.max(
      1,
      Math.min(options.chunkSize ?? DEFAULT_CHUNK_SIZE, Math.max(end - start, 1)),
    );
    // Two buffers: the next read runs on libuv's thread pool while this one is decoded, so
    // reading and decoding overlap on two cores.
    const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
    let which = 0;
    let position = start;
    let total = 0;
    const file = handle;
    const readAt = (buffer: Uint8Array, at: number): Promise<{ bytesRead: number }> =>
      at >= end ? Promise.resolve({ bytesRead: 0 }) : file.read(buffer, 0, Math.min(chunkSize, end - at), at);
    let pending: Promise<{ bytesRead: number }> | null = readAt(buffers[0], position);
    try {
      for (;;) {
        const { bytesRead }: { bytesRead: number } = await pending;
        pending = null;
        if (bytesRead === 0) break;
        const current = buffers[which];
        position += bytesRead;
        total += bytesRead;
        which ^= 1;
        options.signal?.throwIfAborted();
        pending = readAt(buffers[which], position);
        onChunk(bytesRead === chunkSize ? current : current.subarray(0, bytesRead));
      }
    } finally {
      // Never close the file under a read still in flight (after an error or abort).
      if (pending !== null) await pending.catch(() => undefined);
    }
    return { path, size, compressed: false, bytesRead: total, decompressError: null };
  } catch (error) {
    if (error instanceof CaptureFileError || isAbort(error)) throw error;
    throw new CaptureFileError(path, `cannot read ${path}: ${describeError(error)}`);
  } finally {
    await handle?.close();
  }
}

async function readGzip(
  path: string,
  size: number,
  onChunk: (chunk: Uint8Array) => void,
  options: ReadOptions,
): Promise<CaptureFileInfo> {
  const gunzip = createGunzip({ chunkSize: Math.min(options.chunkSize ?? GZIP_CHUNK_SIZE, GZIP_CHUNK_SIZE) });
  const source = createReadStream(path, { highWaterMark: GZIP_CHUNK_SIZE });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  let total = 0;
  let decompressError: CaptureFileInfo['decompressError'] = null;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      options.signal?.throwIfAborted();
      total += chunk.length;
      onChunk(chunk);
    }
  } catch (error) {
    if (isAbort(error)) throw error;
    // A gzip cut short (the capture was copied while still being written) is like a cut capture.
    decompressError = { bytes: total, reason: describeError(error) };
  } finally {
    source.destroy();
  }
  return { path, size, compressed: true, bytesRead: total, decompressError };
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function describeError(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EISDIR') return 'it is a directory';
    if (code === 'EACCES') return 'permission denied';
  }
  return error instanceof Error ? error.message : String(error);
}
