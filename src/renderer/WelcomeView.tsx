import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { recentFiles } from './prefs.js';

interface Props {
  onDemo: () => void;
  onOpen: (paths: string[]) => void;
  onSnapshot: (path: string) => void;
}

/** Nothing open yet: the demo, or files by path. */
export function WelcomeView({ onDemo, onOpen, onSnapshot }: Props): React.JSX.Element {
  const { t } = useTranslation();
  const [capture, setCapture] = useState('');
  const [snapshot, setSnapshot] = useState('');
  const recent = recentFiles();
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
                <button className="link" onClick={() => onOpen([path])} title={path}>
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
