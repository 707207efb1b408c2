// The Electron shell: one locked-down window around the renderer. Decisions live in core; main only
// wires the window, the security policy and the IPC handlers together.
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, session, type WebFrameMain } from 'electron';
import { Session } from '../node/session.js';
import { forwardSessionEvents, registerIpcHandlers } from './ipc.js';
import { launchFiles, userArguments } from './launch-args.js';
import { installMenu } from './menu.js';
import { CONTENT_SECURITY_POLICY, devContentSecurityPolicy, lockDownContents } from './security.js';

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

let podpathSession: Session | null = null;

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
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
  window.once('ready-to-show', () => window.show());
  if (podpathSession !== null) forwardSessionEvents(podpathSession, window.webContents);
  if (devServerUrl !== undefined) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndex);
}

/** Opens what a command line named: captures, and a snapshot first so they are named. */
async function openLaunchFiles(argv: readonly string[], cwd: string): Promise<void> {
  if (podpathSession === null) return;
  const files = launchFiles(userArguments(argv, app.isPackaged), cwd);
  if (files.cluster !== null) await podpathSession.openSnapshot(files.cluster);
  if (files.captures.length > 0) await podpathSession.openCaptures(files.captures);
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
// macOS hands files opened from Finder to the running app this way.
app.on('open-file', (event, path) => {
  event.preventDefault();
  void podpathSession?.openCaptures([path]);
});

app.on('web-contents-created', (_event, contents) => lockDownContents(contents));

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

void app.whenReady().then(() => {
  const policy =
    devServerUrl === undefined ? CONTENT_SECURITY_POLICY : devContentSecurityPolicy(devServerUrl);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
  // Capture analysis needs no camera, notifications or geolocation.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  podpathSession = new Session({ version: app.getVersion() });
  registerIpcHandlers(podpathSession, isOwnPage);
  installMenu(podpathSession);
  void openLaunchFiles(process.argv, process.cwd());
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});
