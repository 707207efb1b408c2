/** A command line that cannot be run: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  command: 'analyze' | 'trace' | 'compare' | 'serve' | 'help' | 'version';
  files: string[];
  json: boolean;
  vxlanPorts: number[];
  top: number;
  /** A cluster snapshot file or folder (--cluster). */
  cluster: string | null;
  /** serve: the port (0: any free one) and whether to open the demo. */
  port: number;
  demo: boolean;
}

const COMMANDS = ['analyze', 'trace', 'compare', 'serve'] as const;

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
  if (args.files.length === 0 && args.command !== 'serve')
    throw new UsageError(`${command} needs at least one capture file`);
  if (args.command === 'compare' && args.files.length !== 2)
    throw new UsageError(`compare needs two captures, before and after (got ${args.files.length})`);
  return args;
}
