import { useState } from 'react';
import type { i18n as I18n, TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { OpenedCapture, SessionState } from '../api/index.js';
import { ChartsPanel } from './ChartsPanel.js';
import { PacketsPanel } from './PacketsPanel.js';

interface Props {
  session: SessionState;
  onCancel: (id: string) => void;
  onClose: (id: string) => void;
  onError: (error: unknown) => void;
}

/**
 * A sentence the engine wrote, worded from the catalog's "evidence" or "warning" section when
 * it came with a code the catalog knows; else the engine's English. Values go in `replace`, so
 * none of them can be taken for an option of t() (count, context...), and as a copy: i18next
 * writes into it when a template nests another.
 */
function engineText(
  t: TFunction,
  i18n: I18n,
  section: 'evidence' | 'warning',
  english: string,
  fact: { code?: string; params?: Record<string, string | number> } | undefined,
): string {
  if (fact?.code === undefined) return english;
  const key = `${section}.${fact.code}`;
  return i18n.exists(key) ? t(key, { replace: { ...fact.params } }) : english;
}

/** How fast the file is read, and how long the rest will take (not for gzip: sizes differ). */
function ReadingRate({ capture }: { capture: OpenedCapture }): React.JSX.Element | null {
  const { t } = useTranslation();
  const p = capture.progress;
  const seconds = (p.elapsedMs ?? 0) / 1000;
  if (seconds < 0.2 || p.bytesRead === 0) return null;
  const gzip = /\.gz$/i.test(capture.path);
  const left =
    gzip || p.bytesTotal <= p.bytesRead ? null : ((p.bytesTotal - p.bytesRead) * seconds) / p.bytesRead;
  return (
    <p className="rate muted">
      {t('capture.rate', {
        read: (p.bytesRead / 1e6).toFixed(0),
        total: gzip ? '?' : (p.bytesTotal / 1e6).toFixed(0),
        perSecond: Math.round(p.packets / seconds),
      })}
      {left !== null ? ` · ${t('capture.left', { seconds: Math.max(1, Math.ceil(left)) })}` : ''}
    </p>
  );
}

function CaptureCard({
  capture,
  onCancel,
  onClose,
  onPackets,
}: { capture: OpenedCapture; onPackets: (id: string) => void } & Pick<
  Props,
  'onCancel' | 'onClose'
>): React.JSX.Element {
  const { t, i18n } = useTranslation();
  const s = capture.summary;
  const p = capture.progress;
  const percent = p.bytesTotal > 0 ? Math.min(100, Math.floor((p.bytesRead / p.bytesTotal) * 100)) : 0;
  return (
    <article className={`card state-${capture.state}`} aria-label={capture.name}>
      <header>
        <h3 title={capture.path}>{capture.name}</h3>
        <span className="state">
          {capture.state === 'reading' ? t('capture.reading', { percent }) : t(`capture.${capture.state}`)}
        </span>
        {capture.state === 'reading' ? (
          <button onClick={() => onCancel(capture.id)}>{t('capture.cancel')}</button>
        ) : (
          <>
            {(capture.state === 'done' || capture.state === 'cancelled') && (
              <button
                onClick={() => onPackets(capture.id)}
                aria-label={`${t('capture.allPackets')} ${capture.name}`}
              >
                {t('capture.allPackets')}
              </button>
            )}
            <button onClick={() => onClose(capture.id)} aria-label={`${t('capture.close')} ${capture.name}`}>
              {t('capture.close')}
            </button>
          </>
        )}
      </header>
      {capture.state === 'reading' && (
        <>
          <progress max={100} value={percent} />
          <ReadingRate capture={capture} />
        </>
      )}
      {capture.error !== null && (
        <p className="error">{engineText(t, i18n, 'warning', capture.error, capture.errorFact)}</p>
      )}
      <p className="counts" data-packets={p.packets}>
        {t('capture.packets', { count: p.packets })} · {t('capture.flows', { count: p.flows })}
      </p>
      {s !== null && s.format !== null && (
        <>
          <p className="format">
            {s.format}
            {s.compressed ? ' (gzip)' : ''} · {s.linkTypes.join(', ')}
          </p>
          {s.start !== null && s.end !== null && (
            <p className="span">{t('capture.span', { start: s.start, end: s.end })}</p>
          )}
          {s.datapath !== undefined && (
            <div className="datapath">
              <strong>{t('capture.datapath')}</strong> <span className="badge">{s.datapath.kind}</span>
              <p className="evidence">
                {engineText(t, i18n, 'evidence', s.datapath.evidence[0], s.datapath.facts[0])}
              </p>
            </div>
          )}
          <div className="warnings">
            {s.warnings.length === 0 ? (
              <span className="muted">{t('capture.noWarnings')}</span>
            ) : (
              <>
                <strong>{t('capture.warnings')}</strong>
                <ul>
                  {s.warnings.map((w, i) => (
                    <li key={i}>
                      {t('capture.atByte', { offset: w.offset })}:{' '}
                      {engineText(t, i18n, 'warning', w.message, w)}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        </>
      )}
    </article>
  );
}

/** One card per capture: what it is, how far it was read, its data path, its warnings. */
export function OverviewView({ session, onCancel, onClose, onError }: Props): React.JSX.Element {
  // Every packet of one capture, in the packets panel ("<capture id>:*").
  const [packetsOf, setPacketsOf] = useState<string | null>(null);
  const open = packetsOf !== null && session.captures.some((c) => c.id === packetsOf);
  return (
    <>
      <section className="overview">
        {session.captures.map((c) => (
          <CaptureCard
            key={c.id}
            capture={c}
            onCancel={onCancel}
            onClose={onClose}
            onPackets={setPacketsOf}
          />
        ))}
      </section>
      {open && (
        <PacketsPanel flowId={`${packetsOf}:*`} onClose={() => setPacketsOf(null)} onError={onError} />
      )}
      <ChartsPanel captures={session.captures} onError={onError} />
    </>
  );
}
