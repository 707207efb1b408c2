import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ChartsView, OpenedCapture } from '../api/index.js';
import { getApi } from './api.js';
import { useCommand } from './commands.js';
import { saveBlob } from './download.js';
import { elementToPng, pngName } from './png.js';

const COLORS: Record<string, string> = {
  none: '#64748b',
  vxlan: '#7c3aed',
  geneve: '#c2410c',
  ipip: '#047857',
  gre: '#0369a1',
};

/** The Ethernet MTU most underlays have: the histogram marks where tunnelled packets stop fitting. */
const UNDERLAY_MTU = 1500;

/** Saves `element` as a PNG named after `title`. */
function savePicture(element: HTMLElement | null, title: string, onError: (error: unknown) => void): void {
  if (element === null) return;
  elementToPng(element).then((png) => saveBlob(pngName(title), png), onError);
}

function Chart({
  title,
  children,
  onError,
}: {
  title: string;
  children: React.ReactElement;
  onError: (error: unknown) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  const figure = useRef<HTMLElement>(null);
  return (
    <figure className="chart" ref={figure}>
      <figcaption>
        <span className="chart-title">{title}</span>
        <button
          className="link png"
          title={t('image.save')}
          aria-label={t('image.saveChart', { title })}
          onClick={() => savePicture(figure.current, title, onError)}
        >
          PNG
        </button>
      </figcaption>
      <ResponsiveContainer width="100%" height={200}>
        {children}
      </ResponsiveContainer>
    </figure>
  );
}

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
    let live = true;
    getApi()
      .charts(current)
      .then((c) => live && setCharts(c), onError);
    return () => {
      live = false;
    };
  }, [current]);

  if (ready.length === 0 || charts === null) return null;
  const kinds = Object.keys(COLORS).filter((k) => charts.buckets.some((b) => b.packets[k] > 0));
  const series = charts.buckets.map((b) => ({
    t: new Date(b.t * 1000).toISOString().slice(11, 19),
    ...Object.fromEntries(kinds.map((k) => [k, b.packets[k]])),
  }));
  const protocols = Object.entries(charts.protocols)
    .filter(([, n]) => n > 0)
    .map(([name, packets]) => ({ name, packets }));
  const limit = charts.tunnelOverhead !== null ? UNDERLAY_MTU - charts.tunnelOverhead : null;
  // Every 100-byte bin up to the largest packet (and the overlay's limit), so the line has a place.
  const top = Math.max(limit ?? 0, ...charts.sizes.map((b) => b.from));
  const sizes = Array.from({ length: Math.floor(top / 100) + 1 }, (_, i) => ({
    from: i * 100,
    packets: charts.sizes.find((b) => b.from === i * 100)?.packets ?? 0,
  }));
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
      <div className="chart-grid">
        <Chart onError={onError} title={t('charts.overTime', { seconds: charts.bucketSeconds })}>
          <AreaChart data={series}>
            <CartesianGrid strokeDasharray="3 3" opacity={0.3} />
            <XAxis dataKey="t" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Legend />
            {kinds.map((k) => (
              <Area
                isAnimationActive={false}
                key={k}
                type="stepAfter"
                dataKey={k}
                stackId="1"
                stroke={COLORS[k]}
                fill={COLORS[k]}
                name={t(`charts.kind.${k}`)}
              />
            ))}
          </AreaChart>
        </Chart>
        <Chart onError={onError} title={t('charts.protocols')}>
          <BarChart data={protocols}>
            <XAxis dataKey="name" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Bar isAnimationActive={false} dataKey="packets" fill="#0e7490" name={t('flows.packets')} />
          </BarChart>
        </Chart>
        <Chart onError={onError} title={t('charts.sizes')}>
          <BarChart data={sizes}>
            <XAxis dataKey="from" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Bar isAnimationActive={false} dataKey="packets" fill="#64748b" name={t('flows.packets')} />
            {limit !== null && (
              <ReferenceLine
                x={Math.floor(limit / 100) * 100}
                stroke="#b91c1c"
                label={t('charts.mtu', { bytes: limit })}
              />
            )}
          </BarChart>
        </Chart>
        <Chart onError={onError} title={t('charts.topPods')}>
          <BarChart data={charts.topPods} layout="vertical">
            <XAxis type="number" fontSize={11} />
            <YAxis type="category" dataKey="name" width={200} fontSize={10} />
            <Tooltip />
            <Bar isAnimationActive={false} dataKey="bytes" fill="#7c3aed" name={t('flows.bytes')} />
          </BarChart>
        </Chart>
        {charts.topServices.length > 0 && (
          <Chart onError={onError} title={t('charts.topServices')}>
            <BarChart data={charts.topServices} layout="vertical">
              <XAxis type="number" fontSize={11} />
              <YAxis type="category" dataKey="name" width={200} fontSize={10} />
              <Tooltip />
              <Bar isAnimationActive={false} dataKey="bytes" fill="#0369a1" name={t('flows.bytes')} />
            </BarChart>
          </Chart>
        )}
      </div>
    </section>
  );
}
