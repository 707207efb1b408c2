// The Electron shell: one locked-down window around the renderer. Decisions live in core; main only
// wires the window, the security policy and the IPC handlers together. The session (capture
// reading and every query) runs on its own thread, so menus and the window never wait on it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, screen, session, type WebFrameMain } from 'electron';
import type { SessionState } from '../api/index.js';
import { type SessionHost, startSession } from '../node/session-host.js';
import { forwardSessionEvents, registerIpcHandlers, sendCommand } from './ipc.js';
import { launchFiles, userArguments } from './launch-args.js';
import { installMenu } from './menu.js';
import { CONTENT_SECURITY_POLICY, devContentSecurityPolicy, lockDownContents } from './security.js';
import { restoreWindowState } from './window-state.js';

// Set by `electron-vite dev` only; a packaged app always loads its own files.
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
// CommonJS on purpose: a sandboxed preload cannot be an ES module.
const preloadScript = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

function isOwnPage(frame: WebFrameMain): boolean {
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return false;
  }
  if (devServerUrl !== undefined) return url.origin === new URL(devServerUrl).origin;
  return url.protocol === 'file:' && fileURLToPath(url) === rendererIndex;
}

let podpathSession: SessionHost | null = null;
const windowStateFile = (): string => join(app.getPath('userData'), 'window-state.json');

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function createWindow(): void {
  const state = restoreWindowState(
    readJson(windowStateFile()),
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const window = new BrowserWindow({
    ...state,
    title: 'podpath',
    show: false,
    webPreferences: {
      preload: preloadScript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      // A middle click must not open a link in a new window (electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  });
  window.once('ready-to-show', () => {
    if (state.maximized) window.maximize();
    window.show();
  });
  window.on('close', () => {
    const bounds = window.getNormalBounds();
    try {
      writeFileSync(windowStateFile(), JSON.stringify({ ...bounds, maximized: window.isMaximized() }));
    } catch {
      // A read-only profile folder: the next run opens with the default size.
    }
  });
  if (podpathSession !== null) forwardSessionEvents(podpathSession, window.webContents);
  if (devServerUrl !== undefined) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndex);
}

/** Opens what a command line named: captures, and a snapshot first so they are named. */
async function openLaunchFiles(argv: readonly string[], cwd: string): Promise<void> {
  if (podpathSession === null) return;
  const files = launchFiles(userArguments(argv, app.isPackaged), cwd);
  if (files.cluster !== null) await podpathSession.call('openSnapshot', [files.cluster]);
  if (files.captures.length > 0) await podpathSession.call('openCaptures', [files.captures]);
}

function focusedContents(): Electron.WebContents | undefined {
  return (BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0])?.webContents;
}

/** The menu, rebuilt whenever the recent list changes (and the OS's recent documents told). */
function keepMenu(host: SessionHost): void {
  let shown: string | null = null;
  const update = (state: SessionState): void => {
    const recent = state.recent ?? [];
    const key = JSON.stringify(recent);
    if (key === shown) return;
    if (shown !== null && recent[0] !== undefined) app.addRecentDocument(recent[0]);
    shown = key;
    installMenu(
      {
        session: host,
        command: (command) => {
          const contents = focusedContents();
          if (contents !== undefined) sendCommand(contents, command);
        },
        report: (error) =>
          console.error(`podpath: ${error instanceof Error ? error.message : String(error)}`),
      },
      recent,
    );
  };
  host.subscribe((event) => update(event.session));
  void (host.call('session', []) as Promise<SessionState>).then(update);
}

// One instance: a second launch (a double-clicked capture) hands its files to the first.
if (!app.requestSingleInstanceLock()) app.quit();
app.on('second-instance', (_event, argv, cwd) => {
  void openLaunchFiles(argv, cwd);
  const window = BrowserWindow.getAllWindows()[0];
  if (window !== undefined) {
    if (window.isMinimized()) window.restore();
    window.focus();
  }
});
// macOS hands files opened from Finder to the running app this way (before ready, too).
const openedBeforeReady: string[] = [];
app.on('open-file', (event, path) => {
  event.preventDefault();
  if (podpathSession === null) openedBeforeReady.push(path);
  else void podpathSession.call('openCaptures', [[path]]);
});

app.on('web-contents-created', (_event, contents) => lockDownContents(contents));

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => void podpathSession?.close());

void app.whenReady().then(() => {
  const policy =
    devServerUrl === undefined ? CONTENT_SECURITY_POLICY : devContentSecurityPolicy(devServerUrl);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
  // Capture analysis needs no camera, notifications or geolocation.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  podpathSession = startSession({
    version: app.getVersion(),
    recentFile: join(app.getPath('userData'), 'recent.json'),
  });
  registerIpcHandlers(podpathSession, isOwnPage);
  keepMenu(podpathSession);
  void openLaunchFiles(process.argv, process.cwd());
  if (openedBeforeReady.length > 0) void podpathSession.call('openCaptures', [openedBeforeReady.splice(0)]);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});
