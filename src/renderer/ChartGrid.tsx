// The overview's charts themselves: recharts (with d3 and redux under it) is most of the page's
// script, so this module is its own chunk, loaded only once a capture has charts to draw
// (ChartsPanel.tsx).
import { useRef } from 'react';
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
import type { ChartsView } from '../api/index.js';
import { savePicture } from './png.js';

const COLORS: Record<string, string> = {
  none: '#64748b',
  vxlan: '#7c3aed',
  geneve: '#c2410c',
  ipip: '#047857',
  gre: '#0369a1',
};

/** The Ethernet MTU most underlays have: the histogram marks where tunnelled packets stop fitting. */
const UNDERLAY_MTU = 1500;

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

/** One capture's charts, drawn from numbers the engine added up while reading. */
export function ChartGrid({
  charts,
  onError,
}: {
  charts: ChartsView;
  onError: (error: unknown) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
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
  );
}
