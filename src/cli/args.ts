import { flowTableFormat, type FlowTableFormat } from '../node/flow-export.js';

/** A command line that cannot be run: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  command: 'analyze' | 'trace' | 'compare' | 'findings' | 'serve' | 'export' | 'help' | 'version';
  files: string[];
  json: boolean;
  /** analyze: the capture summaries without flows (--summary-only). */
  summaryOnly: boolean;
  /** analyze: flows as JSON Lines, one flow a line (--jsonl). */
  jsonl: boolean;
  /** analyze: build the packet index while reading, and report its size (--index). */
  index: boolean;
  /** analyze: threads to read on (--threads; null: one per core). */
  threads: number | null;
  /** export: the table file flows go to (--flows), and its format from the extension. */
  flowsFile: string | null;
  flowsFormat: FlowTableFormat | null;
  vxlanPorts: number[];
  top: number;
  /** A cluster snapshot file or folder (--cluster). */
  cluster: string | null;
  /** serve: the port (0: any free one) and whether to open the demo. */
  port: number;
  demo: boolean;
}

const COMMANDS = ['analyze', 'trace', 'compare', 'findings', 'serve', 'export'] as const;

function parsePort(text: string | undefined, flag: string): number[] {
  if (text === undefined || text === '') throw new UsageError(`${flag} needs a UDP port number`);
  return text.split(',').map((part) => {
    const port = Number(part);
    if (!/^\d+$/.test(part) || port < 1 || port > 65535)
      throw new UsageError(`${flag}: '${part}' is not a UDP port (1-65535)`);
    return port;
  });
}

export function parseArgs(argv: string[]): ParsedArgs {
  const args: ParsedArgs = {
    command: 'analyze',
    files: [],
    json: false,
    summaryOnly: false,
    jsonl: false,
    index: false,
    threads: null,
    flowsFile: null,
    flowsFormat: null,
    vxlanPorts: [],
    top: 20,
    cluster: null,
    port: 0,
    demo: false,
  };
  if (argv.length === 0) throw new UsageError('no command given');
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') return { ...args, command: 'help' };
  if (command === '--version' || command === '-v') return { ...args, command: 'version' };
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`unknown command '${command}'`);
  args.command = command as ParsedArgs['command'];
  let onlyFiles = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (onlyFiles || !arg.startsWith('-') || arg === '-') {
      args.files.push(arg);
      continue;
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    switch (flag) {
      case '--':
        onlyFiles = true;
        break;
      case '--json':
        args.json = true;
        break;
      case '--summary-only':
        args.summaryOnly = true;
        break;
      case '--jsonl':
        args.jsonl = true;
        break;
      case '--index':
        args.index = true;
        break;
      case '--threads': {
        const text = inline ?? rest[++i];
        if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 256)
          throw new UsageError('--threads needs a number of threads (1-256)');
        args.threads = Number(text);
        break;
      }
      case '--flows': {
        const path = inline ?? rest[++i];
        if (path === undefined || path === '' || (inline === undefined && path.startsWith('--')))
          throw new UsageError('--flows needs a file name ending in .parquet or .csv');
        args.flowsFile = path;
        break;
      }
      case '--vxlan-port':
        args.vxlanPorts.push(...parsePort(inline ?? rest[++i], flag));
        break;
      case '--cluster': {
        const path = inline ?? rest[++i];
        if (path === undefined || path === '')
          throw new UsageError(
            '--cluster needs a snapshot file or folder (kubectl get nodes,pods,services,endpointslices -A -o json)',
          );
        args.cluster = path;
        break;
      }
      case '--top': {
        const text = inline ?? rest[++i];
        if (text === undefined || !/^\d+$/.test(text))
          throw new UsageError('--top needs a number (0 for all flows)');
        args.top = Number(text);
        break;
      }
      case '--port': {
        const text = inline ?? rest[++i];
        if (text === undefined || !/^\d+$/.test(text) || Number(text) > 65535)
          throw new UsageError('--port needs a TCP port number (0-65535; 0 picks a free one)');
        args.port = Number(text);
        break;
      }
      case '--demo':
        args.demo = true;
        break;
      case '-h':
      case '--help':
        return { ...args, command: 'help' };
      default:
        throw new UsageError(`unknown option '${flag}'`);
    }
  }
  checkOutputs(args);
  if (args.files.length === 0 && args.command !== 'serve')
    throw new UsageError(`${command} needs at least one capture file`);
  if (args.command === 'compare' && args.files.length !== 2)
    throw new UsageError(`compare needs two captures, before and after (got ${args.files.length})`);
  return args;
}

/** Output options that belong to one command, and the combinations that say two things at once. */
function checkOutputs(args: ParsedArgs): void {
  const { command } = args;
  if (args.threads !== null && command !== 'analyze')
    throw new UsageError('--threads is an option of analyze');
  if (args.summaryOnly && command !== 'analyze')
    throw new UsageError('--summary-only is an option of analyze');
  if (args.jsonl && command !== 'analyze') throw new UsageError('--jsonl is an option of analyze');
  if (args.index && command !== 'analyze') throw new UsageError('--index is an option of analyze');
  if (args.flowsFile !== null && command !== 'export')
    throw new UsageError(
      '--flows is an option of export (podpath export --flows <file>.parquet <capture>...)',
    );
  if (args.jsonl && args.summaryOnly)
    throw new UsageError(
      '--jsonl prints only flows and --summary-only no flows: give one (--summary-only --json for the summaries as JSON)',
    );
  if (args.jsonl && args.json)
    throw new UsageError('--json prints one document and --jsonl a flow a line: give one');
  if (command !== 'export') return;
  if (args.json)
    throw new UsageError(
      'export writes a table file (--flows); --json is for analyze, trace, compare and findings',
    );
  if (args.flowsFile === null)
    throw new UsageError('export needs --flows <file>.parquet or --flows <file>.csv');
  args.flowsFormat = flowTableFormat(args.flowsFile);
  if (args.flowsFormat === null)
    throw new UsageError(
      `--flows: '${args.flowsFile}' ends neither in .parquet nor in .csv (the extension chooses the format)`,
    );
}
