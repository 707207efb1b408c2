import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FlowRow, FlowSortKey, SessionState } from '../api/index.js';
import { endpointAddress } from '../core/analysis/endpoint-text.js';
import type { Encapsulation, Endpoint } from '../core/analysis/index.js';
import { getApi } from './api.js';
import { useCommand } from './commands.js';
import { saveText } from './download.js';
import { MAX_PAGES, pagesOf, SCROLL_REST_MS } from './page-cache.js';
import { PacketsPanel, saveFlowPcap } from './PacketsPanel.js';
import { useShowNames } from './prefs.js';

const ROW_HEIGHT = 30;
/** Rows fetched at a time; pages are fetched as they scroll into view. */
const PAGE = 200;
/** Longest wait between refreshes while a file is read. */
const REFRESH_MS = 1000;

/** `pages` without the ones farthest from page `near`, when there are too many. */
function keepNear(pages: Map<number, FlowRow[]>, near: number): Map<number, FlowRow[]> {
  if (pages.size <= MAX_PAGES) return pages;
  const keep = [...pages.keys()].sort((a, b) => Math.abs(a - near) - Math.abs(b - near)).slice(0, MAX_PAGES);
  return new Map(keep.map((k) => [k, pages.get(k)!]));
}
const FILTER_DELAY_MS = 150;

interface Props {
  session: SessionState;
  onError: (error: unknown) => void;
}

function EndpointCell({ e }: { e: Endpoint }): React.JSX.Element {
  const names = useShowNames();
  const address = endpointAddress(e);
  return (
    <span className="endpoint">
      {names && e.name ? <span className="name">{e.name}</span> : null}
      <span className="address">{address}</span>
    </span>
  );
}

const endText = (e: Endpoint): string =>
  e.ip === undefined && e.mac === undefined ? '' : endpointAddress(e);

/** The flows as CSV: one row each, the columns a spreadsheet or DuckDB wants. */
function toCsv(rows: FlowRow[]): string {
  const quote = (v: unknown): string => {
    const text = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = [
    'capture',
    'protocol',
    'src',
    'src_name',
    'dst',
    'dst_name',
    'service',
    'tunnel',
    'vni',
    'outer_src',
    'outer_dst',
    'packets',
    'bytes',
    'start',
    'end',
  ];
  const lines = rows.map((r) => {
    const e = r.encapsulation[0];
    return [
      r.capture,
      r.protocol,
      endText(r.src),
      r.src.name,
      endText(r.dst),
      r.dst.name,
      r.service?.name ?? r.endpointOf?.[0]?.service,
      e?.type,
      e?.vni,
      e?.outer.src,
      e?.outer.dst,
      r.packets,
      r.bytes,
      r.start,
      r.end,
    ]
      .map(quote)
      .join(',');
  });
  return [header.join(','), ...lines].join('\n') + '\n';
}

function TunnelBadge({ list }: { list: Encapsulation[] }): React.JSX.Element | null {
  if (list.length === 0) return null;
  return (
    <>
      {list.map((e, i) => (
        <span key={i} className={`badge tunnel ${e.type}`}>
          {e.type.toUpperCase()}
          {e.vni !== null ? ` VNI ${e.vni}` : ''} · {e.outer.srcNode ?? e.outer.src} →{' '}
          {e.outer.dstNode ?? e.outer.dst}
        </span>
      ))}
    </>
  );
}

function duration(row: FlowRow): string {
  if (row.start === null || row.end === null) return '';
  const ms = Date.parse(row.end) - Date.parse(row.start);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const COLUMNS: { key: FlowSortKey | null; label: string; width: string }[] = [
  { key: 'protocol', label: 'flows.protocol', width: '7%' },
  { key: 'src', label: 'flows.src', width: '24%' },
  { key: 'dst', label: 'flows.dst', width: '24%' },
  { key: null, label: 'flows.tunnel', width: '17%' },
  { key: 'packets', label: 'flows.packets', width: '7%' },
  { key: 'bytes', label: 'flows.bytes', width: '8%' },
  { key: 'duration', label: 'flows.duration', width: '6%' },
  { key: null, label: 'flows.capture', width: '7%' },
];

/**
 * Every flow of the open captures, by name, in a table that renders only the rows on screen
 * and fetches them a page at a time, so 100,000 flows scroll as smoothly as 100.
 */
export function FlowsView({ session, onError }: Props): React.JSX.Element {
  const { t } = useTranslation();
  const api = getApi();
  const [text, setText] = useState('');
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: FlowSortKey; descending: boolean }>({
    key: 'bytes',
    descending: true,
  });
  const [total, setTotal] = useState(0);
  const [problems, setProblems] = useState<string[]>([]);
  const [pages, setPages] = useState<Map<number, FlowRow[]>>(new Map());
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [selected, setSelected] = useState(0);
  const [openFlow, setOpenFlow] = useState<string | null>(null);
  const body = useRef<HTMLDivElement>(null);
  const filterBox = useRef<HTMLInputElement>(null);
  const done = session.captures.filter((c) => c.state === 'done' || c.state === 'cancelled').length;
  // Flows found so far in files still being read: the table fills in as they grow.
  const growing = session.captures
    .filter((c) => c.state === 'reading')
    .reduce((n, c) => n + c.progress.flows, 0);

  useEffect(() => {
    const timer = setTimeout(() => setFilter(text), FILTER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);

  /**
   * The query the pages on hand belong to, and the pages being fetched for it: a reply for an
   * older query is dropped, and a page is never asked for twice at once.
   */
  const query = useRef({ generation: 0, inFlight: new Set<number>() });

  const fetchPage = (p: number): void => {
    const current = query.current;
    if (current.inFlight.has(p)) return;
    current.inFlight.add(p);
    api.flows({ offset: p * PAGE, limit: PAGE, filter, sort }).then(
      (page) => {
        current.inFlight.delete(p);
        if (query.current !== current) return;
        setTotal(page.total);
        setPages((old) => keepNear(new Map(old).set(p, page.rows), p));
      },
      (error: unknown) => {
        current.inFlight.delete(p);
        onError(error);
      },
    );
  };

  // A new filter, sort or capture: start over from the first page.
  useEffect(() => {
    const current = { generation: query.current.generation + 1, inFlight: new Set<number>([0]) };
    query.current = current;
    api.flows({ offset: 0, limit: PAGE, filter, sort }).then((page) => {
      current.inFlight.delete(0);
      if (query.current !== current) return;
      setTotal(page.total);
      setProblems(page.problems);
      setPages(new Map([[0, page.rows]]));
      setSelected(0);
      body.current?.scrollTo({ top: 0 });
    }, onError);
  }, [filter, sort, done]);

  const first = Math.floor(scrollTop / ROW_HEIGHT);
  const visible = Math.ceil(height / ROW_HEIGHT) + 1;
  const wanted = useMemo(() => pagesOf(first, visible + 1, total, PAGE), [first, visible, total]);

  // While files are read: refresh the total and the pages on screen (keeping the scroll position
  // and the selection), at most once a second and one refresh at a time, so that asking does not
  // slow the reading down.
  const refresh = useRef({ running: false, last: 0, timer: 0 });
  useEffect(() => {
    if (growing === 0) return;
    const state = refresh.current;
    const run = (): void => {
      state.timer = 0;
      if (state.running) return;
      state.running = true;
      state.last = performance.now();
      const current = query.current;
      Promise.all(
        wanted.map((p) =>
          api.flows({ offset: p * PAGE, limit: PAGE, filter, sort }).then((page) => {
            if (query.current !== current) return;
            setTotal(page.total);
            setPages((old) => new Map([...old].filter(([k]) => wanted.includes(k))).set(p, page.rows));
          }),
        ),
      )
        .catch(onError)
        .finally(() => (state.running = false));
    };
    const wait = REFRESH_MS - (performance.now() - state.last);
    if (wait <= 0 && !state.running) run();
    else if (state.timer === 0) state.timer = window.setTimeout(run, Math.max(wait, 50));
  }, [growing]);
  useEffect(() => () => window.clearTimeout(refresh.current.timer), []);

  // The pages on screen, once scrolling slows down (a fast drag past 100 pages asks for none of them).
  useEffect(() => {
    const missing = wanted.filter((p) => !pages.has(p));
    if (missing.length === 0) return;
    const timer = window.setTimeout(() => missing.forEach(fetchPage), SCROLL_REST_MS);
    return () => window.clearTimeout(timer);
  }, [wanted, pages]);

  useEffect(() => {
    const el = body.current;
    if (el === null) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // "/" or Ctrl/Cmd+F focuses the filter; arrows move the selection.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const inFilter = document.activeElement === filterBox.current;
      if ((e.key === '/' && !inFilter) || ((e.ctrlKey || e.metaKey) && e.key === 'f')) {
        e.preventDefault();
        filterBox.current?.focus();
      } else if (e.key === 'Enter' && !inFilter) {
        const row = pages.get(Math.floor(selected / PAGE))?.[selected % PAGE];
        if (row !== undefined) setOpenFlow(row.id);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setSelected((s) => {
          const next = Math.max(0, Math.min(total - 1, s + (e.key === 'ArrowDown' ? 1 : -1)));
          const el = body.current;
          if (el !== null) {
            if (next * ROW_HEIGHT < el.scrollTop) el.scrollTop = next * ROW_HEIGHT;
            else if ((next + 1) * ROW_HEIGHT > el.scrollTop + el.clientHeight)
              el.scrollTop = (next + 1) * ROW_HEIGHT - el.clientHeight;
          }
          return next;
        });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [total, pages, selected]);

  /** Every flow the filter keeps, fetched a page at a time, saved as CSV or JSON. */
  async function exportAs(format: 'csv' | 'json'): Promise<void> {
    try {
      const all: FlowRow[] = [];
      for (let offset = 0; offset < total; offset += 5000) {
        const page = await api.flows({ offset, limit: 5000, filter, sort });
        all.push(...page.rows);
      }
      if (format === 'csv') saveText('podpath-flows.csv', 'text/csv', toCsv(all));
      else
        saveText(
          'podpath-flows.json',
          'application/json',
          JSON.stringify({ schema: 'podpath.flows/v1', filter, flows: all }, null, 1),
        );
    } catch (error) {
      onError(error);
    }
  }

  // File > Export in the desktop app.
  useCommand('export-flows-csv', () => void exportAs('csv'));
  useCommand('export-flows-json', () => void exportAs('json'));
  useCommand('export-packets', () => {
    // The flow whose packets are open, else the selected row's.
    const id = openFlow ?? pages.get(Math.floor(selected / PAGE))?.[selected % PAGE]?.id;
    if (id === undefined) onError(new Error(t('flows.selectFirst')));
    else saveFlowPcap(id).catch(onError);
  });

  const rows: { index: number; row: FlowRow | undefined }[] = [];
  for (let i = first; i < Math.min(total, first + visible); i++)
    rows.push({ index: i, row: pages.get(Math.floor(i / PAGE))?.[i % PAGE] });

  return (
    <section className="flows">
      <div className="filter-bar">
        <label htmlFor="flow-filter">{t('flows.filter')}</label>
        <input
          id="flow-filter"
          ref={filterBox}
          value={text}
          placeholder={t('flows.filterPlaceholder')}
          spellCheck={false}
          onChange={(e) => setText(e.target.value)}
        />
        <button onClick={() => void exportAs('csv')}>{t('flows.exportCsv')}</button>
        <button onClick={() => void exportAs('json')}>{t('flows.exportJson')}</button>
        <span className="count" aria-live="polite" data-shown={total}>
          {t('flows.count', {
            shown: total,
            total: session.captures.reduce((n, c) => n + c.progress.flows, 0),
          })}
        </span>
      </div>
      {problems.length > 0 && <p className="filter-problems">{problems.join('; ')}</p>}
      <div className="table" role="grid" aria-rowcount={total}>
        <div className="thead" role="row">
          {COLUMNS.map((c) => (
            <div
              key={c.label}
              role="columnheader"
              style={{ width: c.width }}
              className={c.key !== null ? 'sortable' : ''}
              aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}
              onClick={() =>
                c.key !== null &&
                setSort((s) => ({
                  key: c.key!,
                  descending: s.key === c.key ? !s.descending : c.key === 'packets' || c.key === 'bytes',
                }))
              }
            >
              {t(c.label)}
              {sort.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
            </div>
          ))}
        </div>
        <div className="tbody" ref={body} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
          {total === 0 && <p className="empty">{t('flows.empty')}</p>}
          <div style={{ height: total * ROW_HEIGHT, position: 'relative' }}>
            {rows.map(({ index, row }) => (
              <div
                key={index}
                role="row"
                aria-rowindex={index + 1}
                aria-selected={index === selected}
                className={index === selected ? 'tr selected' : 'tr'}
                style={{ top: index * ROW_HEIGHT, height: ROW_HEIGHT }}
                onClick={() => setSelected(index)}
                onDoubleClick={() => row !== undefined && setOpenFlow(row.id)}
              >
                {row === undefined ? (
                  <div className="loading">…</div>
                ) : (
                  <>
                    <div style={{ width: COLUMNS[0].width }}>{row.protocol}</div>
                    <div style={{ width: COLUMNS[1].width }}>
                      <EndpointCell e={row.src} />
                    </div>
                    <div style={{ width: COLUMNS[2].width }}>
                      <EndpointCell e={row.dst} />
                      {row.service && (
                        <span className="badge service">
                          {t('flows.service', { name: row.service.name })}
                        </span>
                      )}
                      {row.endpointOf?.map((e) => (
                        <span key={e.service} className="badge service">
                          {t('flows.endpointOf', { name: e.service })}
                        </span>
                      ))}
                    </div>
                    <div style={{ width: COLUMNS[3].width }}>
                      <TunnelBadge list={row.encapsulation} />
                    </div>
                    <div className="num" style={{ width: COLUMNS[4].width }}>
                      {row.packets.toLocaleString()}
                    </div>
                    <div className="num" style={{ width: COLUMNS[5].width }}>
                      {row.bytes.toLocaleString()}
                    </div>
                    <div className="num" style={{ width: COLUMNS[6].width }}>
                      {duration(row)}
                    </div>
                    <div className="muted" style={{ width: COLUMNS[7].width }}>
                      {row.capture}
                    </div>
                  </>
                )}
              </div>
            ))}
          </div>
        </div>
      </div>
      {openFlow !== null && (
        <PacketsPanel flowId={openFlow} onClose={() => setOpenFlow(null)} onError={onError} />
      )}
    </section>
  );
}
