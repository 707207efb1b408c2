#!/usr/bin/env node
// `npm start`: build everything, then open the desktop app on Electron. The Electron runtime is a
// separate download by electron's install script; where it is missing (no network, or the script
// was not allowed to run) say so in one line and point at the CLI instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);
// Long enough for a normal download of the runtime, short enough that a firewall which drops
// packets does not hang `npm start` for minutes.
const INSTALL_TIMEOUT_MS = 60_000;
const MISSING_RUNTIME =
  "podpath: the Electron runtime is not installed (its download failed or is blocked), so the app opens in web mode instead; the desktop app will run once 'node node_modules/electron/install.js' succeeds.";

function npm(args) {
  // Under `npm start`, npm_execpath is npm's own script: running it through node needs no shell.
  const npmScript = process.env.npm_execpath;
  const [command, commandArgs] = npmScript ? [process.execPath, [npmScript, ...args]] : ['npm', args];
  const result = spawnSync(command, commandArgs, {
    cwd: root,
    stdio: 'inherit',
    shell: !npmScript && process.platform === 'win32',
  });
  return result.status ?? 1;
}

/** The Electron executable, or undefined when the package or its downloaded runtime is missing. */
function electronExecutable() {
  try {
    // The electron package exports the executable's path, and throws when path.txt is missing.
    delete require.cache[require.resolve('electron')];
    const executable = require('electron');
    return typeof executable === 'string' && existsSync(executable) ? executable : undefined;
  } catch {
    return undefined;
  }
}

function tryInstallElectron() {
  let installScript;
  try {
    installScript = require.resolve('electron/install.js');
  } catch {
    return; // electron is a devDependency: absent after `npm install --omit=dev`
  }
  spawnSync(process.execPath, [installScript], { cwd: root, stdio: 'ignore', timeout: INSTALL_TIMEOUT_MS });
}

const buildStatus = npm(['run', 'build']);
if (buildStatus !== 0) process.exit(buildStatus);

let executable = electronExecutable();
if (executable === undefined) {
  tryInstallElectron();
  executable = electronExecutable();
}
if (executable === undefined) {
  // The same UI in a browser: `podpath serve` with the demo open, until Ctrl+C.
  console.error(MISSING_RUNTIME);
  const web = spawn(
    process.execPath,
    [resolve(root, 'bin/podpath.js'), 'serve', '--demo', ...process.argv.slice(2)],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => web.kill(signal));
  web.on('exit', (code) => process.exit(code ?? 0));
} else {
  launchElectron(executable);
}

function launchElectron(executable) {
  // Launch the project directory, not out/main/index.js directly, so Electron reads package.json:
  // its `main` is out/main/index.js and its name and version become the app's.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(executable, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (error) => {
    console.error(`podpath: could not start Electron: ${error.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
  });
}
