/**
 * `podpath export --flows`: the flows of many captures as one table file, Parquet or CSV, so
 * DuckDB or Spark can query them together. A row per flow, taken from the same JSON text
 * `analyze --json` writes (so the two cannot disagree), written as each capture's flows are
 * made: a Parquet row group or a megabyte of CSV at a time, never the whole table in memory.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { ParquetWriter } from 'hyparquet-writer';
import { type FlowSummary, JsonBytes } from '../core/analysis/index.js';
import { type AnalyzedFile, flowWriter } from './analyze-file.js';

export type FlowTableFormat = 'parquet' | 'csv';

/** The format a table file's name asks for (.parquet or .csv, any case); null for others. */
export function flowTableFormat(path: string): FlowTableFormat | null {
  const match = /\.(parquet|csv)$/i.exec(path);
  return match === null ? null : (match[1].toLowerCase() as FlowTableFormat);
}

type ColumnType = 'string' | 'int32' | 'int64' | 'timestamp' | 'double';

/**
 * The table's columns, in order. Names are snake_case and match the app's CSV export where
 * they overlap (capture, protocol, src_name, service, tunnel, vni, outer_src, ...); the app's
 * `src` ("ip:port") is split into src_ip and src_port here so both can be grouped on.
 */
export const FLOW_COLUMNS = [
  { name: 'capture', type: 'string', required: true },
  { name: 'protocol', type: 'string', required: true },
  { name: 'src_ip', type: 'string', required: false },
  { name: 'src_port', type: 'int32', required: false },
  { name: 'src_name', type: 'string', required: false },
  { name: 'src_kind', type: 'string', required: false },
  { name: 'dst_ip', type: 'string', required: false },
  { name: 'dst_port', type: 'int32', required: false },
  { name: 'dst_name', type: 'string', required: false },
  { name: 'dst_kind', type: 'string', required: false },
  { name: 'service', type: 'string', required: false },
  { name: 'tunnel', type: 'string', required: false },
  // A GRE key is 32 bits unsigned: more than INT32 holds.
  { name: 'vni', type: 'int64', required: false },
  { name: 'outer_src', type: 'string', required: false },
  { name: 'outer_dst', type: 'string', required: false },
  { name: 'packets', type: 'int64', required: true },
  { name: 'bytes', type: 'int64', required: true },
  { name: 'start', type: 'timestamp', required: false },
  { name: 'end', type: 'timestamp', required: false },
  { name: 'duration_ms', type: 'double', required: false },
] as const satisfies readonly { name: string; type: ColumnType; required: boolean }[];

export type FlowColumn = (typeof FLOW_COLUMNS)[number]['name'];

/** One row: timestamps as the flow's ISO-8601 text (Parquet stores them as microseconds). */
export type FlowRecord = Record<FlowColumn, string | number | null>;

/** The row of one flow of `analyze --json`. */
export function flowRecord(f: FlowSummary): FlowRecord {
  const start = f.start === null ? null : flowTime(f.start);
  const end = f.end === null ? null : flowTime(f.end);
  return record(f, start, end);
}

function record(f: FlowSummary, start: FlowTime | null, end: FlowTime | null): FlowRecord {
  // The outermost tunnel, as the app's CSV: the one the underlay sees.
  const tunnel = f.encapsulation[0];
  return {
    capture: f.capture,
    protocol: f.protocol,
    // A non-IP Ethernet flow (LLDP, ...) has MAC addresses for ends: they go in the address column.
    src_ip: f.src.ip ?? f.src.mac ?? null,
    src_port: f.src.port ?? null,
    src_name: f.src.name ?? null,
    src_kind: f.src.kind ?? null,
    dst_ip: f.dst.ip ?? f.dst.mac ?? null,
    dst_port: f.dst.port ?? null,
    dst_name: f.dst.name ?? null,
    dst_kind: f.dst.kind ?? null,
    service: f.service?.name ?? f.endpointOf?.[0]?.service ?? null,
    tunnel: tunnel?.type ?? null,
    vni: tunnel?.vni ?? null,
    outer_src: tunnel?.outer.src ?? null,
    outer_dst: tunnel?.outer.dst ?? null,
    packets: f.packets,
    bytes: f.bytes,
    start: start === null ? null : f.start,
    end: end === null ? null : f.end,
    duration_ms: start === null || end === null ? null : durationMs(start, end),
  };
}

/** A flow's time: its whole second (milliseconds since 1970) and the nanoseconds after it. */
interface FlowTime {
  millis: number;
  nanos: number;
}

const ISO_TIME = /^([+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/;
/** Milliseconds of "YYYY-MM-DDTHH:MM:SS" texts: a capture's flows start and end in few seconds. */
const secondCache = new Map<string, number>();

/** The ISO-8601 text flows carry (µs or ns digits) as a time; null if it is none. */
function flowTime(text: string): FlowTime | null {
  const match = ISO_TIME.exec(text);
  if (match === null) return null;
  let millis = secondCache.get(match[1]);
  if (millis === undefined) {
    millis = Date.parse(`${match[1]}Z`);
    if (Number.isNaN(millis)) return null;
    if (secondCache.size >= 1 << 16) secondCache.clear();
    secondCache.set(match[1], millis);
  }
  const fraction = match[2] ?? '';
  return { millis, nanos: fraction === '' ? 0 : Number(fraction) * 10 ** (9 - fraction.length) };
}

/** Microseconds since 1970, as Parquet stores a timestamp. */
function micros(t: FlowTime): bigint {
  const n = t.millis * 1000 + Math.floor(t.nanos / 1000);
  // Past 2255 the sum leaves a double's integers: do it in BigInt.
  return Number.isSafeInteger(n) ? BigInt(n) : BigInt(t.millis) * 1000n + BigInt(Math.floor(t.nanos / 1000));
}

function durationMs(start: FlowTime, end: FlowTime): number {
  const nanos = (end.millis - start.millis) * 1e6 + (end.nanos - start.nanos);
  if (Number.isSafeInteger(nanos)) return nanos / 1e6;
  return Number(BigInt(end.millis - start.millis) * 1_000_000n + BigInt(end.nanos - start.nanos)) / 1e6;
}

/** A table file that could not be written, with a message naming it. */
export class FlowTableError extends Error {
  override readonly name = 'FlowTableError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Rows per Parquet row group: big enough for DuckDB's scans, small enough to keep memory flat. */
export const ROW_GROUP_ROWS = 1 << 16;
/** Flows turned from JSON text into rows at a time. */
const PARSE_BATCH = 1024;
const UTF8 = new TextDecoder();
/** CSV text written at a time. */
const CSV_WRITE_CHARS = 1 << 20;

interface Sink {
  /**
   * Takes a row, with its times parsed (null where the record's are). Resolves when the row
   * may be followed by more (a row group or a batch was written).
   */
  add(row: FlowRecord, start: FlowTime | null, end: FlowTime | null): void | Promise<void>;
  finish(): Promise<void>;
}

/**
 * Writes flows into a table file. The rows go to `<file>.<pid>.partial`, renamed to the file
 * by `finish()`: a reader globbing `flows-*.parquet` never sees half a file.
 */
export class FlowTableWriter {
  /** Rows written so far. */
  rows = 0;
  private readonly json = new JsonBytes(1 << 20);

  private constructor(
    readonly path: string,
    readonly format: FlowTableFormat,
    private readonly partial: string,
    private readonly handle: FileHandle,
    private readonly sink: Sink,
  ) {}

  /** Opens the file (throws FlowTableError when it cannot be made). */
  static async create(path: string, format: FlowTableFormat): Promise<FlowTableWriter> {
    const partial = `${path}.${process.pid}.partial`;
    let handle: FileHandle;
    try {
      handle = await open(partial, 'w');
    } catch (error) {
      throw new FlowTableError(path, `cannot write ${path}: ${describeError(error)}`);
    }
    const sink = format === 'parquet' ? await ParquetSink.create(handle) : new CsvSink(handle);
    return new FlowTableWriter(path, format, partial, handle, sink);
  }

  /** Appends every flow of an analyzed capture, in the order `analyze --json` lists them. */
  async add(file: AnalyzedFile): Promise<void> {
    const writer = flowWriter(file);
    const count = file.analysis.flows.count;
    const json = this.json;
    try {
      for (let from = 0; from < count; from += PARSE_BATCH) {
        const to = Math.min(count, from + PARSE_BATCH);
        // A batch as one JSON array: one decode and one parse instead of one per flow.
        json.clear();
        json.byte(91);
        for (let id = from; id < to; id++) {
          if (id > from) json.byte(44);
          writer.write(id, json);
        }
        json.byte(93);
        // TextDecoder, not JsonBytes.toString: core's decoder builds a string a character at a time.
        for (const flow of JSON.parse(UTF8.decode(json.view())) as FlowSummary[]) {
          const start = flow.start === null ? null : flowTime(flow.start);
          const end = flow.end === null ? null : flowTime(flow.end);
          const pending = this.sink.add(record(flow, start, end), start, end);
          this.rows++;
          if (pending !== undefined) await pending;
        }
      }
    } catch (error) {
      throw this.writeError(error);
    }
  }

  /** Writes what is left and the footer, and puts the file in place. */
  async finish(): Promise<void> {
    try {
      await this.sink.finish();
      await this.handle.close();
      await rename(this.partial, this.path);
    } catch (error) {
      await this.abort();
      throw this.writeError(error);
    }
  }

  /** Leaves no file behind. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.partial, { force: true });
  }

  private writeError(error: unknown): Error {
    if (error instanceof FlowTableError) return error;
    // A full disk or a lost mount: the user's problem to report, not a stack trace.
    if (error && typeof error === 'object' && 'code' in error)
      return new FlowTableError(this.path, `cannot write ${this.path}: ${describeError(error)}`);
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Whatever ParquetWriter wants as its schema (hyparquet's SchemaElement[]). */
type ParquetSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];

function parquetSchema(): ParquetSchema {
  const schema: ParquetSchema = [{ name: 'root', num_children: FLOW_COLUMNS.length }];
  for (const column of FLOW_COLUMNS) {
    const repetition_type = column.required ? 'REQUIRED' : 'OPTIONAL';
    const name = column.name;
    switch (column.type) {
      case 'string':
        schema.push({
          name,
          type: 'BYTE_ARRAY',
          converted_type: 'UTF8',
          logical_type: { type: 'STRING' },
          repetition_type,
        });
        break;
      case 'int32':
        schema.push({ name, type: 'INT32', repetition_type });
        break;
      case 'int64':
        schema.push({ name, type: 'INT64', repetition_type });
        break;
      case 'double':
        schema.push({ name, type: 'DOUBLE', repetition_type });
        break;
      case 'timestamp':
        // Microseconds, not nanoseconds: Spark reads no TIMESTAMP(NANOS). duration_ms keeps
        // a nanosecond capture's precision, and the CSV keeps the text as written.
        schema.push({
          name,
          type: 'INT64',
          converted_type: 'TIMESTAMP_MICROS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
          repetition_type,
        });
        break;
    }
  }
  return schema;
}

class ParquetSink implements Sink {
  private columns: unknown[][] = FLOW_COLUMNS.map(() => []);
  private count = 0;

  private constructor(private readonly writer: ParquetWriter) {}

  static async create(handle: FileHandle): Promise<ParquetSink> {
    // Loaded here, not at start-up: it costs every other command a tenth of a second.
    const { ByteWriter, ParquetWriter } = await import('hyparquet-writer');
    const bytes = new ByteWriter(1 << 20);
    // Emptied into the file after each row group (ParquetWriter waits on `flush` before it
    // encodes the next one into the buffer) and at the end, as the library's own fileWriter does.
    const drain = async (): Promise<void> => {
      const chunk = new Uint8Array(bytes.buffer, 0, bytes.index);
      for (let at = 0; at < chunk.length;) at += (await handle.write(chunk, at)).bytesWritten;
      bytes.index = 0;
    };
    const writer = Object.assign(bytes, { flush: drain, finish: drain });
    return new ParquetSink(new ParquetWriter({ writer, schema: parquetSchema(), createdBy: 'podpath' }));
  }

  add(row: FlowRecord, start: FlowTime | null, end: FlowTime | null): void | Promise<void> {
    const columns = this.columns;
    for (let c = 0; c < FLOW_COLUMNS.length; c++) {
      const column = FLOW_COLUMNS[c];
      const value = row[column.name];
      if (value === null) columns[c].push(null);
      else if (column.type === 'int64') columns[c].push(BigInt(value));
      else if (column.type === 'timestamp') columns[c].push(micros(column.name === 'start' ? start! : end!));
      else columns[c].push(value);
    }
    if (++this.count === ROW_GROUP_ROWS) return this.writeGroup();
  }

  private async writeGroup(): Promise<void> {
    if (this.count === 0) return;
    const columnData = FLOW_COLUMNS.map((column, c) => ({
      name: column.name,
      data: this.columns[c],
      nullable: !column.required,
    }));
    this.columns = FLOW_COLUMNS.map(() => []);
    const rows = this.count;
    this.count = 0;
    await this.writer.write({ columnData, rowGroupSize: rows });
  }

  async finish(): Promise<void> {
    await this.writeGroup();
    await this.writer.finish();
  }
}

class CsvSink implements Sink {
  private text = `${FLOW_COLUMNS.map((c) => c.name).join(',')}\n`;

  constructor(private readonly handle: FileHandle) {}

  add(row: FlowRecord): void | Promise<void> {
    let line = '';
    for (let c = 0; c < FLOW_COLUMNS.length; c++) {
      if (c > 0) line += ',';
      const value = row[FLOW_COLUMNS[c].name];
      if (value !== null) line += typeof value === 'number' ? String(value) : csvText(value);
    }
    this.text += `${line}\n`;
    if (this.text.length >= CSV_WRITE_CHARS) return this.drain();
  }

  private async drain(): Promise<void> {
    const text = this.text;
    this.text = '';
    await this.handle.writeFile(text);
  }

  async finish(): Promise<void> {
    await this.drain();
  }
}

/** RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. */
function csvText(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function describeError(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such folder';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'EISDIR') return 'it is a directory';
    if (code === 'ENOSPC') return 'no space left on the device';
  }
  return error instanceof Error ? error.message : String(error);
}
