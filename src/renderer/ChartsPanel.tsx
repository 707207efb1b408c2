// The overview's charts panel: which capture, its numbers from the engine, File > Export's
// picture. The charts themselves (ChartGrid.tsx, recharts) are a chunk of their own, asked for
// with the numbers, so the page's first screen does not wait for them.
import { Suspense, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChartsView, OpenedCapture } from '../api/index.js';
import { getApi } from './api.js';
import { useCommand } from './commands.js';
import { lazyView } from './lazy-view.js';
import { savePicture } from './png.js';

const loadChartGrid = () => import('./ChartGrid.js');
const ChartGrid = lazyView(() => loadChartGrid().then((m) => m.ChartGrid));

/** The overview's charts for one capture, drawn from numbers the engine added up while reading. */
export function ChartsPanel({
  captures,
  onError,
}: {
  captures: OpenedCapture[];
  onError: (error: unknown) => void;
}): React.JSX.Element | null {
  const { t } = useTranslation();
  const ready = captures.filter((c) => c.state === 'done' || c.state === 'cancelled');
  const [id, setId] = useState(ready[0]?.id ?? '');
  const [charts, setCharts] = useState<ChartsView | null>(null);
  const current = ready.some((c) => c.id === id) ? id : (ready[0]?.id ?? '');
  const panel = useRef<HTMLElement>(null);
  const name = ready.find((c) => c.id === current)?.name ?? '';
  // File > Export > Chart as PNG on the overview: every chart of the capture shown, in one picture.
  useCommand('export-image', () => savePicture(panel.current, `charts ${name}`, onError));

  useEffect(() => {
    if (current === '') return;
    void loadChartGrid().catch(() => undefined); // ChartGrid reports it when it renders
    let live = true;
    getApi()
      .charts(current)
      .then((c) => live && setCharts(c), onError);
    return () => {
      live = false;
    };
  }, [current]);

  if (ready.length === 0 || charts === null) return null;
  return (
    <section className="charts" aria-label={t('charts.heading')} ref={panel}>
      <header>
        <h2>{t('charts.heading')}</h2>
        <select aria-label={t('charts.capture')} value={current} onChange={(e) => setId(e.target.value)}>
          {ready.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </header>
      <Suspense fallback={null}>
        <ChartGrid charts={charts} onError={onError} />
      </Suspense>
    </section>
  );
}
