import { Suspense, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionState } from '../api/index.js';
import { getApi, openLocalFiles, SNAPSHOT_NAME } from './api.js';
import { runCommand } from './commands.js';
import type { PathFocus } from './finding-model.js';
import { findingsBadge, type FindingsState, useFindings } from './findings-state.js';
import { FlowsView } from './FlowsView.js';
import { LANGUAGES, setLanguage } from './i18n.js';
import { lazyView } from './lazy-view.js';
import { OverviewView } from './OverviewView.js';
import { rememberFiles, setShowNames, useShowNames } from './prefs.js';
import { WelcomeView } from './WelcomeView.js';

// The first screen is Overview or Flows: Findings, Path and Compare load when first opened.
const FindingsView = lazyView(() => import('./FindingsView.js').then((m) => m.FindingsView));
const PathView = lazyView(() => import('./PathView.js').then((m) => m.PathView));
const CompareView = lazyView(() => import('./CompareView.js').then((m) => m.CompareView));

type Tab = 'overview' | 'flows' | 'findings' | 'path' | 'compare';
const TABS: Tab[] = ['overview', 'flows', 'findings', 'path', 'compare'];

/** The Findings tab's count of errors and warnings, in the worst one's colour; a spinner while looking. */
function FindingsBadge({ state }: { state: FindingsState }): React.JSX.Element | null {
  const { t } = useTranslation();
  const badge = findingsBadge(state);
  if (badge === null) return null;
  if ('busy' in badge)
    return <span className="tab-badge busy" title={t('findings.badgeBusy')} aria-hidden="true" />;
  const counts = state.status === 'ready' ? state.doc.counts : { error: 0, warning: 0, info: 0 };
  return (
    <span
      className={`tab-badge ${badge.worst}`}
      data-count={badge.count}
      title={t('findings.badgeTitle', { errors: counts.error, warnings: counts.warning, info: counts.info })}
    >
      {badge.count}
    </span>
  );
}

function OpenByPath({
  onCapture,
  onSnapshot,
}: {
  onCapture: (path: string) => void;
  onSnapshot: (path: string) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  const [path, setPath] = useState('');
  return (
    <form
      className="open-path"
      onSubmit={(e) => {
        e.preventDefault();
        const p = path.trim();
        if (p === '') return;
        if (SNAPSHOT_NAME.test(p)) onSnapshot(p);
        else onCapture(p);
        setPath('');
      }}
    >
      <input
        aria-label={t('open.label')}
        placeholder={t('open.placeholder')}
        value={path}
        onChange={(e) => setPath(e.target.value)}
      />
      <button type="submit">{t('welcome.open')}</button>
    </form>
  );
}

const EMPTY: SessionState = { revision: -1, captures: [], cluster: null, errors: [] };

/** The newer of two states: replies and events may arrive out of order. */
const newer = (a: SessionState, b: SessionState): SessionState => (b.revision >= a.revision ? b : a);

/** `firstSession`: the state main.tsx asked for before the first render, when it came in time. */
export function App({ firstSession }: { firstSession?: SessionState | undefined }): React.JSX.Element {
  const { t, i18n } = useTranslation();
  const names = useShowNames();
  const [session, setSession] = useState<SessionState>(firstSession ?? EMPTY);
  const [tab, setTab] = useState<Tab>('overview');
  const [problem, setProblem] = useState<string | null>(null);
  const findings = useFindings(session);
  /** The connection a finding's "Show path" asked the Path view for (until another tab is chosen). */
  const [pathFocus, setPathFocus] = useState<PathFocus | null>(null);
  const api = getApi();

  function choose(name: Tab): void {
    setTab(name);
    setPathFocus(null);
  }

  useEffect(() => {
    let live = true;
    if (firstSession === undefined)
      api.session().then((s) => live && setSession((old) => newer(old, s)), report);
    const stop = api.onEvent((event) => {
      if (event.type === 'session') setSession((old) => newer(old, event.session));
      else if (!runCommand(event.command)) setProblem(t('commands.unavailable'));
    });
    return () => {
      live = false;
      stop();
    };
  }, []);

  function report(error: unknown): void {
    setProblem(error instanceof Error ? error.message : String(error));
  }

  const run = useCallback(
    (work: Promise<SessionState>) =>
      work.then((s) => {
        setSession((old) => newer(old, s));
        setProblem(null);
      }, report),
    [],
  );

  function open(paths: string[]): void {
    // The desktop app's session keeps the recent list itself (SessionState.recent).
    if (session.recent === undefined) rememberFiles(paths);
    void run(api.openCaptures(paths));
  }

  const [upload, setUpload] = useState<{ name: string; sent: number; total: number } | null>(null);
  const openFiles = useCallback((files: File[]) => {
    if (files.length === 0) return;
    void run(
      openLocalFiles(files, (name, sent, total) => setUpload({ name, sent, total })).finally(() =>
        setUpload(null),
      ),
    );
  }, []);

  // Files dropped anywhere on the window open (the browser must not navigate to them).
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent): boolean => e.dataTransfer?.types.includes('Files') ?? false;
    const enter = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const drop = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      openFiles([...(e.dataTransfer?.files ?? [])]);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [openFiles]);

  // Ctrl/Cmd+1 to 5 switch views.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const n = Number(e.key);
      if (!(n >= 1 && n <= TABS.length)) return;
      setTab(TABS[n - 1]);
      setPathFocus(null);
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const hasCaptures = session.captures.length > 0;
  const c = session.cluster;
  return (
    <div className="app">
      <header className="topbar">
        <h1>{t('app.title')}</h1>
        {hasCaptures && (
          <nav className="tabs" role="tablist">
            {TABS.map((name) => (
              <button
                key={name}
                role="tab"
                aria-selected={tab === name}
                className={tab === name ? 'tab active' : 'tab'}
                onClick={() => choose(name)}
              >
                {t(`tabs.${name}`)}
                {name === 'findings' && <FindingsBadge state={findings.state} />}
              </button>
            ))}
          </nav>
        )}
        <OpenByPath onCapture={(path) => open([path])} onSnapshot={(path) => run(api.openSnapshot(path))} />
        <span className="cluster-line">
          {c
            ? t('cluster.loaded', { ...c, source: c.source.split(/[\\/]/).slice(-2).join('/') })
            : hasCaptures
              ? t('cluster.none')
              : ''}
        </span>
        <label className="names-toggle">
          <input type="checkbox" checked={names} onChange={(e) => setShowNames(e.target.checked)} />{' '}
          {t('app.names')}
        </label>
        <label className="language">
          {t('app.language')}{' '}
          <select value={i18n.language} onChange={(e) => setLanguage(e.target.value)}>
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
      </header>
      {(problem !== null || session.errors.length > 0) && (
        <section className="problems" role="alert">
          <strong>{t('errors.heading')}</strong>
          <ul>
            {[...session.errors, ...(problem !== null ? [problem] : [])].map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </section>
      )}
      {upload !== null && (
        <p className="upload" role="status">
          <progress max={upload.total} value={upload.sent} />{' '}
          {t('upload.progress', {
            name: upload.name,
            percent: upload.total > 0 ? Math.floor((100 * upload.sent) / upload.total) : 0,
          })}
        </p>
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>{t('drop.hint')}</p>
        </div>
      )}
      <main>
        {!hasCaptures ? (
          <WelcomeView
            recent={session.recent}
            onDemo={() => run(api.openDemo())}
            onOpen={(paths) => open(paths)}
            onFiles={openFiles}
            onSnapshot={(path) => run(api.openSnapshot(path))}
          />
        ) : tab === 'overview' ? (
          <OverviewView
            session={session}
            onCancel={(id) => run(api.cancel(id))}
            onClose={(id) => run(api.closeCapture(id))}
            onError={report}
          />
        ) : tab === 'flows' ? (
          <FlowsView session={session} onError={report} />
        ) : (
          <Suspense fallback={null}>
            {tab === 'findings' ? (
              <FindingsView
                session={session}
                findings={findings.state}
                onLook={findings.look}
                onShowPath={(flows) => {
                  setTab('path');
                  setPathFocus({ flows });
                }}
                onError={report}
              />
            ) : tab === 'path' ? (
              <PathView session={session} onError={report} focus={pathFocus} />
            ) : (
              <CompareView session={session} onError={report} />
            )}
          </Suspense>
        )}
      </main>
    </div>
  );
}
