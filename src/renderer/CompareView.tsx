import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionState } from '../api/index.js';
import { endpointAddress } from '../core/analysis/endpoint-text.js';
import type { CompareDocument } from '../core/trace/index.js';
import { getApi } from './api.js';
import { RewriteText } from './RewriteText.js';

interface Props {
  session: SessionState;
  onError: (error: unknown) => void;
}

const address = endpointAddress;

/** Two captures, before and after NAT: each translation, who made it, and what one side alone saw. */
export function CompareView({ session, onError }: Props): React.JSX.Element {
  const { t } = useTranslation();
  const ready = session.captures.filter((c) => c.state === 'done' || c.state === 'cancelled');
  const [before, setBefore] = useState(ready[0]?.id ?? '');
  const [after, setAfter] = useState(ready[ready.length - 1]?.id ?? '');
  const [doc, setDoc] = useState<CompareDocument | null>(null);

  useEffect(() => {
    if (before === '' || after === '' || before === after) {
      setDoc(null);
      return;
    }
    let live = true;
    getApi()
      .compare(before, after)
      .then((d) => live && setDoc(d), onError);
    return () => {
      live = false;
    };
  }, [before, after]);

  const picker = (label: string, value: string, set: (v: string) => void): React.JSX.Element => (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => set(e.target.value)}>
        {ready.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <section className="compare">
      <div className="compare-pick">
        {picker(t('compare.before'), before, setBefore)}
        {picker(t('compare.after'), after, setAfter)}
      </div>
      {before === after && <p className="empty">{t('compare.same')}</p>}
      {doc !== null && (
        <>
          {doc.warnings.map((w, i) => (
            <p key={i} className="filter-problems">
              {w}
            </p>
          ))}
          {doc.translations.length > 0 && (
            <table className="nat-table">
              <thead>
                <tr>
                  <th>{t('flows.protocol')}</th>
                  <th>{t('compare.beforeTuple')}</th>
                  <th>{t('compare.afterTuple')}</th>
                  <th>{t('compare.rewrittenBy')}</th>
                  <th className="num">{t('flows.packets')}</th>
                  <th className="num">{t('compare.latency')}</th>
                </tr>
              </thead>
              <tbody>
                {doc.translations.map((x, i) => (
                  <tr key={i} className={`kind-${x.kind.replace('+', '-')}`}>
                    <td>{x.before.protocol}</td>
                    <td>
                      {address(x.before.src)} → {address(x.before.dst)}
                    </td>
                    <td>
                      {address(x.after.src)} → {address(x.after.dst)}
                    </td>
                    <td>
                      {x.kind === 'none' ? t('compare.unchanged') : <RewriteText rewrite={x.rewrite} />}
                    </td>
                    <td className="num">{x.packets}</td>
                    <td className="num">
                      {x.latencyMs.median !== null ? `${x.latencyMs.median.toFixed(3)} ms` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted">
            {t('compare.onlyBefore', { count: doc.onlyBefore.length, name: doc.before })} ·{' '}
            {t('compare.onlyAfter', { count: doc.onlyAfter.length, name: doc.after })}
          </p>
        </>
      )}
    </section>
  );
}
