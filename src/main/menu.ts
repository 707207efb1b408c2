// The application menu: File (open captures, a snapshot, recent files, the demo; export; close),
// Edit, View, Window and Help with the platform's usual roles. Opening goes to the session the
// page talks to; exports need what only the page knows, so they go to the page as commands.
import { app, BrowserWindow, dialog, Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand, SessionState } from '../api/index.js';
import type { SessionHost } from '../node/session-host.js';

const CAPTURE_FILTERS = [
  { name: 'Packet captures', extensions: ['pcap', 'pcapng', 'cap', 'gz'] },
  { name: 'All files', extensions: ['*'] },
];
const SNAPSHOT_FILTERS = [
  { name: 'Cluster snapshots (kubectl get ... -o json or -o yaml)', extensions: ['json', 'yaml', 'yml'] },
  { name: 'All files', extensions: ['*'] },
];
/** A snapshot is JSON or YAML; anything else in the recent list is a capture. */
const SNAPSHOT = /\.(json|ya?ml)$/i;

async function chooseFiles(
  title: string,
  filters: typeof CAPTURE_FILTERS,
  multiple: boolean,
): Promise<string[]> {
  const properties: ('openFile' | 'multiSelections')[] = multiple
    ? ['openFile', 'multiSelections']
    : ['openFile'];
  const window = BrowserWindow.getFocusedWindow();
  const result = window
    ? await dialog.showOpenDialog(window, { title, filters, properties })
    : await dialog.showOpenDialog({ title, filters, properties });
  return result.canceled ? [] : result.filePaths;
}

export interface MenuActions {
  session: SessionHost;
  /** Hands an export to the page on screen. */
  command(command: MenuCommand): void;
  /** Shows a failed action (the page has the session's errors; this is for the rest). */
  report(error: unknown): void;
}

/** Opens a recent entry the way it was first opened: a snapshot, or a capture. */
export function openPath(session: SessionHost, path: string): Promise<unknown> {
  return SNAPSHOT.test(path) ? session.call('openSnapshot', [path]) : session.call('openCaptures', [[path]]);
}

/** Builds (and, when the recent list changes, rebuilds) the application menu. */
export function installMenu(actions: MenuActions, recent: readonly string[]): void {
  const { session, command, report } = actions;
  const isMac = process.platform === 'darwin';
  const run = (work: () => Promise<unknown>) => () => void work().catch(report);
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      {
        label: 'Open Captures…',
        accelerator: 'CmdOrCtrl+O',
        click: run(async () => {
          const paths = await chooseFiles('Open captures', CAPTURE_FILTERS, true);
          if (paths.length > 0) await session.call('openCaptures', [paths]);
        }),
      },
      {
        label: 'Open Cluster Snapshot…',
        accelerator: 'CmdOrCtrl+Shift+O',
        click: run(async () => {
          const [path] = await chooseFiles('Open a cluster snapshot', SNAPSHOT_FILTERS, false);
          if (path !== undefined) await session.call('openSnapshot', [path]);
        }),
      },
      {
        label: 'Open Recent',
        submenu:
          recent.length === 0
            ? [{ label: 'No recent files', enabled: false }]
            : [
                ...recent.map((path): MenuItemConstructorOptions => ({
                  label: path,
                  click: run(() => openPath(session, path)),
                })),
              ],
      },
      { label: 'Open Demo', click: run(() => session.call('openDemo', [])) },
      { type: 'separator' },
      {
        label: 'Export',
        submenu: [
          { label: 'Flows as CSV…', accelerator: 'CmdOrCtrl+E', click: () => command('export-flows-csv') },
          { label: 'Flows as JSON…', click: () => command('export-flows-json') },
          {
            label: "Selected Flow's Packets as pcap…",
            accelerator: 'CmdOrCtrl+Shift+S',
            click: () => command('export-packets'),
          },
          { label: 'Chart or Path Diagram as PNG…', click: () => command('export-image') },
        ],
      },
      { type: 'separator' },
      {
        label: 'Close Captures',
        accelerator: 'CmdOrCtrl+W',
        click: run(async () => {
          const state = (await session.call('session', [])) as SessionState;
          for (const capture of state.captures) await session.call('closeCapture', [capture.id]);
        }),
      },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' } as MenuItemConstructorOptions]),
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { role: 'about' },
        { type: 'separator' },
        { label: `podpath ${app.getVersion()}`, enabled: false },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
