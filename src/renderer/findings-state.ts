// The findings of the open captures (`api.findings()`), asked for by the app itself so that the
// Findings tab's badge shows without opening the view: once every capture is read, and again
// whenever the set of read captures or the snapshot changes. The engine reads the captures
// again to find them, so a large set waits until the user asks (the view has the button).
import { useEffect, useRef, useState } from 'react';
import type { SessionState } from '../api/index.js';
import type { FindingsDocument } from '../core/findings/index.js';
import { getApi } from './api.js';

/**
 * Above this many bytes of captures, findings are looked for only when asked: reading a
 * gigabyte again competes with the flows and packets the user is looking at.
 */
export const AUTO_FINDINGS_BYTES = 256e6;

/** Captures closed or opened in quick succession make one request, not one each. */
const SETTLE_MS = 150;

export type FindingsState =
  /** No capture has been read. */
  | { status: 'none' }
  /** Captures are still being read: findings come once they are. */
  | { status: 'waiting'; read: number; total: number }
  /** The captures are large: findings wait until asked for. */
  | { status: 'deferred'; bytes: number }
  | { status: 'loading'; since: number; captures: number; bytes: number }
  | { status: 'ready'; doc: FindingsDocument }
  | { status: 'failed'; message: string };

const isRead = (state: string): boolean => state === 'done' || state === 'cancelled';

/** What the findings depend on: the captures read and the snapshot (null while any is being read). */
export function findingsKey(session: SessionState): string | null {
  if (session.captures.some((c) => c.state === 'reading')) return null;
  const read = session.captures.filter((c) => isRead(c.state));
  if (read.length === 0) return null;
  const c = session.cluster;
  const cluster = c ? `${c.source}:${c.nodes}:${c.pods}:${c.services}` : '';
  return `${read.map((x) => x.id).join(',')}|${cluster}`;
}

/** The badge: errors and warnings, coloured by the worst (nothing for none). */
export function findingsBadge(
  state: FindingsState,
): { count: number; worst: 'error' | 'warning' } | { busy: true } | null {
  if (state.status === 'loading') return { busy: true };
  if (state.status !== 'ready') return null;
  const { error, warning } = state.doc.counts;
  if (error + warning === 0) return null;
  return { count: error + warning, worst: error > 0 ? 'error' : 'warning' };
}

/** The findings for the session's captures, and `look()` to ask for them (again). */
export function useFindings(session: SessionState): { state: FindingsState; look: () => void } {
  const key = findingsKey(session);
  const read = session.captures.filter((c) => isRead(c.state));
  const bytes = read.reduce((n, c) => n + c.progress.bytesTotal, 0);
  /** The last answer (or the request on its way), for the key and the ask it was made for. */
  const [result, setResult] = useState<{ key: string; asked: number; state: FindingsState } | null>(null);
  const latest = useRef(result);
  latest.current = result;
  /** Bumped by `look()`: the user asked (large captures, or again after a failure). */
  const [asked, setAsked] = useState<{ key: string | null; count: number }>({ key: null, count: 0 });
  const askedCount = asked.key === key ? asked.count : 0;
  const wanted = key !== null && (bytes <= AUTO_FINDINGS_BYTES || askedCount > 0);

  useEffect(() => {
    if (key === null || !wanted) return;
    // A capture that failed to open leaves the captures read as they were: nothing to ask.
    const last = latest.current;
    if (last !== null && last.key === key && last.asked === askedCount && last.state.status !== 'loading')
      return;
    let live = true;
    const timer = window.setTimeout(() => {
      const done = (state: FindingsState): void => {
        if (live) setResult({ key, asked: askedCount, state });
      };
      done({ status: 'loading', since: Date.now(), captures: read.length, bytes });
      getApi()
        .findings()
        .then(
          (doc) => done({ status: 'ready', doc }),
          (error: unknown) =>
            done({ status: 'failed', message: error instanceof Error ? error.message : String(error) }),
        );
    }, SETTLE_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [key, wanted, askedCount]);

  let state: FindingsState;
  if (session.captures.some((c) => c.state === 'reading'))
    state = {
      status: 'waiting',
      read: read.length,
      total: session.captures.filter((c) => c.state !== 'failed').length,
    };
  else if (key === null) state = { status: 'none' };
  else if (!wanted) state = { status: 'deferred', bytes };
  else if (result !== null && result.key === key && result.asked === askedCount) state = result.state;
  else state = { status: 'loading', since: Date.now(), captures: read.length, bytes };

  return { state, look: () => setAsked((a) => ({ key, count: a.key === key ? a.count + 1 : 1 })) };
}
