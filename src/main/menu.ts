// The application menu: File (open captures, a snapshot, the demo), Edit, View and Help with
// the platform's usual roles. Every action goes through the same Session the page talks to.
import { app, BrowserWindow, dialog, Menu, type MenuItemConstructorOptions } from 'electron';
import type { Session } from '../node/session.js';

const CAPTURE_FILTERS = [
  { name: 'Packet captures', extensions: ['pcap', 'pcapng', 'cap', 'gz'] },
  { name: 'All files', extensions: ['*'] },
];
const SNAPSHOT_FILTERS = [
  { name: 'Cluster snapshots (kubectl get ... -o json or -o yaml)', extensions: ['json', 'yaml', 'yml'] },
  { name: 'All files', extensions: ['*'] },
];

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

export function installMenu(session: Session): void {
  const isMac = process.platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      {
        label: 'Open Captures…',
        accelerator: 'CmdOrCtrl+O',
        click: async () => {
          const paths = await chooseFiles('Open captures', CAPTURE_FILTERS, true);
          if (paths.length > 0) await session.openCaptures(paths);
        },
      },
      {
        label: 'Open Cluster Snapshot…',
        accelerator: 'CmdOrCtrl+Shift+O',
        click: async () => {
          const [path] = await chooseFiles('Open a cluster snapshot', SNAPSHOT_FILTERS, false);
          if (path !== undefined) await session.openSnapshot(path);
        },
      },
      { label: 'Open Demo', click: () => void session.openDemo() },
      { type: 'separator' },
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
      submenu: [{ label: `podpath ${app.getVersion()}`, enabled: false }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
