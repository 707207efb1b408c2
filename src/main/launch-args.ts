// What the app was asked to open on its command line (`podpath-app a.pcap b.pcapng --cluster
// snap.json`), by a file manager's "Open with", or by a second launch handing its files over.
// Kept free of Electron so it can be tested on its own.
import { isAbsolute, resolve } from 'node:path';

export interface LaunchFiles {
  captures: string[];
  cluster: string | null;
}

/**
 * The captures and snapshot named in `args` (the user's arguments only: without the
 * executable, and in development without the app folder). Relative paths are taken from `cwd`;
 * Chromium's and Electron's own switches (`--no-sandbox`, `--inspect=...`) are passed over.
 */
export function launchFiles(args: readonly string[], cwd: string): LaunchFiles {
  const out: LaunchFiles = { captures: [], cluster: null };
  const absolute = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--cluster' && i + 1 < args.length) out.cluster = absolute(args[++i]);
    else if (arg.startsWith('--cluster=')) out.cluster = absolute(arg.slice('--cluster='.length));
    else if (!arg.startsWith('-') && arg !== '') out.captures.push(absolute(arg));
  }
  return out;
}

/** The user's arguments in `argv`: after the executable, and after the app folder when not packaged. */
export function userArguments(argv: readonly string[], packaged: boolean): string[] {
  return argv.slice(packaged ? 1 : 2);
}
