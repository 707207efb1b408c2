// First: it asks for the session before the modules below are evaluated.
import './ask-session.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { SessionState } from '../api/index.js';
import { firstSession } from './api.js';
import { App } from './App.js';
import { catalogReady } from './i18n.js';
import './styles.css';

/** The longest the first render waits for the session before it draws without it. */
const SESSION_WAIT_MS = 300;

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');
const root = createRoot(container);

// The first render waits for the session (asked for by ask-session.ts, before the imports),
// so the page opens on the captures' tabs instead of drawing the welcome screen only to
// replace it. Late or failed, App asks again (and reports a failure).
const session = Promise.race([
  firstSession(),
  new Promise<undefined>((resolve) => setTimeout(resolve, SESSION_WAIT_MS)),
]).catch((): SessionState | undefined => undefined);
// English is in this script, so only another language's catalog is waited for.
void Promise.all([session, catalogReady]).then(([state]) =>
  root.render(
    <StrictMode>
      <App firstSession={state} />
    </StrictMode>,
  ),
);
