import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { SNAPSHOT_NAME } from './api.js';
import { recentFiles, useRecentFiles } from './prefs.js';

interface Props {
  /** The host's recent list (the desktop app); the page's own when absent. */
  recent: string[] | undefined;
  onDemo: () => void;
  onOpen: (paths: string[]) => void;
  /** Files picked in a file chooser (opened by path in the app, uploaded in web mode). */
  onFiles: (files: File[]) => void;
  onSnapshot: (path: string) => void;
}

/** A button that opens the system's file chooser. */
function ChooseFiles({
  label,
  accept,
  multiple,
  onFiles,
}: {
  label: string;
  accept: string;
  multiple: boolean;
  onFiles: (files: File[]) => void;
}): React.JSX.Element {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button onClick={() => input.current?.click()}>{label}</button>
      <input
        ref={input}
        type="file"
        className="hidden-input"
        accept={accept}
        multiple={multiple}
        aria-label={label}
        onChange={(e) => {
          onFiles([...(e.target.files ?? [])]);
          e.target.value = '';
        }}
      />
    </>
  );
}

/** Nothing open yet: the demo, files from a chooser or by path, and recent files. */
export function WelcomeView({
  recent: hostRecent,
  onDemo,
  onOpen,
  onFiles,
  onSnapshot,
}: Props): React.JSX.Element {
  const { t } = useTranslation();
  const [capture, setCapture] = useState('');
  const [snapshot, setSnapshot] = useState('');
  useRecentFiles();
  const recent = hostRecent ?? recentFiles();
  return (
    <section className="welcome">
      <h2>{t('welcome.heading')}</h2>
      <p className="lead">{t('welcome.lead')}</p>
      <div className="demo">
        <button className="primary" onClick={onDemo} autoFocus>
          {t('welcome.demo')}
        </button>
        <span className="hint">{t('welcome.demoHint')}</span>
      </div>
      <div className="choose">
        <ChooseFiles
          label={t('welcome.chooseCaptures')}
          accept=".pcap,.pcapng,.cap,.gz"
          multiple
          onFiles={onFiles}
        />
        <ChooseFiles
          label={t('welcome.chooseSnapshot')}
          accept=".json,.yaml,.yml"
          multiple={false}
          onFiles={onFiles}
        />
        <span className="hint">{t('welcome.dropHint')}</span>
      </div>
      <form
        className="path-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (capture.trim() !== '') onOpen([capture.trim()]);
        }}
      >
        <label htmlFor="capture-path">{t('welcome.openPath')}</label>
        <input
          id="capture-path"
          value={capture}
          placeholder={t('welcome.pathPlaceholder')}
          onChange={(e) => setCapture(e.target.value)}
        />
        <button type="submit">{t('welcome.open')}</button>
      </form>
      <form
        className="path-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (snapshot.trim() !== '') onSnapshot(snapshot.trim());
        }}
      >
        <label htmlFor="snapshot-path">{t('welcome.snapshotPath')}</label>
        <input
          id="snapshot-path"
          value={snapshot}
          placeholder={t('welcome.snapshotPlaceholder')}
          onChange={(e) => setSnapshot(e.target.value)}
        />
        <button type="submit">{t('welcome.open')}</button>
      </form>
      {recent.length > 0 && (
        <div className="recent">
          <h3>{t('welcome.recent')}</h3>
          <ul>
            {recent.map((path) => (
              <li key={path}>
                <button
                  className="link"
                  onClick={() => (SNAPSHOT_NAME.test(path) ? onSnapshot(path) : onOpen([path]))}
                  title={path}
                >
                  {path}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <p className="hint">
        <code>{t('welcome.cli')}</code>
      </p>
    </section>
  );
}
