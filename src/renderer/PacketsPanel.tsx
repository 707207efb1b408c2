import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PacketRow } from '../api/index.js';
import { getApi } from './api.js';
import { saveBlob } from './download.js';
import { PageCache, pagesOf, SCROLL_REST_MS } from './page-cache.js';
import { tallList } from './tall-list.js';

/** Saves a flow's packets as a pcap file Wireshark opens. */
export async function saveFlowPcap(flowId: string): Promise<void> {
  const file = await getApi().exportPackets(flowId);
  const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
  saveBlob(file.name, new Blob([bytes], { type: 'application/vnd.tcpdump.pcap' }));
}

/** Packets fetched at a time (each page reads the capture again; the list draws only what shows). */
const PAGE = 200;
const ROW_HEIGHT = 20;

/** A byte range of the packet, to highlight in the hex view. */
interface Range {
  start: number;
  length: number;
}

function HexView({ hex, range }: { hex: string; range: Range | null }): React.JSX.Element {
  const rows: React.JSX.Element[] = [];
  const bytes = hex.length / 2;
  for (let row = 0; row < bytes; row += 16) {
    const cells: React.JSX.Element[] = [];
    for (let i = row; i < Math.min(bytes, row + 16); i++) {
      const lit = range !== null && i >= range.start && i < range.start + range.length;
      cells.push(
        <span key={i} className={lit ? 'byte lit' : 'byte'}>
          {hex.slice(i * 2, i * 2 + 2)}
        </span>,
      );
    }
    rows.push(
      <div key={row} className="hex-row">
        <span className="offset">{row.toString(16).padStart(4, '0')}</span>
        {cells}
      </div>,
    );
  }
  return (
    <div className="hex" role="region" aria-label="hex">
      {rows}
    </div>
  );
}

/**
 * What the list draws of a packet. Only these are kept of the pages on hand: a whole row (its
 * layers, fields and hex) is kept only for the selected packet's page.
 */
interface PacketLine {
  index: number;
  fromSrc: boolean;
  length: number;
  summary: string;
}

function toLine(p: PacketRow): PacketLine {
  const top = p.layers[p.layers.length - 1];
  const summary = top
    ? `${top.name} ${top.fields
        .slice(0, 3)
        .map((f) => f.value)
        .join(' ')}`
    : '';
  return { index: p.index, fromSrc: p.fromSrc, length: p.length, summary };
}

/**
 * The selected flow's packets: a list, the chosen packet's layers and fields, its bytes. `at`
 * opens it at one packet (its place in the list; for a capture's packets, "<capture id>:*", its
 * record number), as a finding's evidence does.
 */
export function PacketsPanel({
  flowId,
  at,
  onClose,
  onError,
}: {
  flowId: string;
  at?: number | undefined;
  onClose: () => void;
  onError: (error: unknown) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  const [total, setTotal] = useState<number | null>(null);
  /** Bumped when the pages on hand change, to draw them. */
  const [version, setVersion] = useState(0);
  const [lines] = useState(() => new PageCache<PacketLine>(PAGE, () => setVersion((v) => v + 1)));
  /** The selected packet's page, whole: the layer tree and the hex view show it. */
  const [detail, setDetail] = useState<{ page: number; packets: PacketRow[] } | null>(null);
  const [selected, setSelected] = useState(at ?? 0);
  const [range, setRange] = useState<Range | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const list = useRef<HTMLDivElement>(null);
  const selectedPage = Math.floor(selected / PAGE);
  /** `selectedPage` for answers that arrive later. */
  const selectedPageNow = useRef(selectedPage);
  useEffect(() => {
    selectedPageNow.current = selectedPage;
  }, [selectedPage]);

  const fetchPage = (n: number): void =>
    lines.fetch(
      n,
      () => getApi().packets(flowId, n * PAGE, PAGE),
      (page) => {
        setTotal(page.total);
        if (n === selectedPageNow.current) setDetail({ page: n, packets: page.packets });
        return page.packets.map(toLine);
      },
      onError,
    );

  // A new flow: start over from its first page (answers for the old one are dropped).
  useEffect(() => {
    lines.clear();
    setTotal(null);
    setDetail(null);
    setSelected(at ?? 0);
    setRange(null);
    fetchPage(0);
  }, [flowId, at]);

  useEffect(() => {
    const el = list.current;
    if (el === null) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [total !== null]);

  // Opened at a packet: scrolled so that it shows, a few rows down from the top.
  useEffect(() => {
    const el = list.current;
    if (el === null || at === undefined || total === null) return;
    el.scrollTop = tallList(total, ROW_HEIGHT, el.clientHeight).scrollFor(Math.max(0, at - 3));
  }, [total !== null, flowId, at]);

  const layout = tallList(total ?? 0, ROW_HEIGHT, height);
  const first = layout.firstRow(scrollTop);
  const visible = Math.ceil(height / ROW_HEIGHT) + 1;
  const hasDetail = detail?.page === selectedPage;
  // The pages of the rows on screen, and the selected packet's whole, once scrolling rests: a
  // sweep past thousands of pages asks for none of them.
  useEffect(() => {
    if (total === null) return;
    const missing = pagesOf(first, visible, total, PAGE).filter((p) => !lines.has(p));
    if (!hasDetail && !missing.includes(selectedPage)) missing.push(selectedPage);
    if (missing.length === 0) return;
    const timer = window.setTimeout(() => missing.forEach(fetchPage), SCROLL_REST_MS);
    return () => window.clearTimeout(timer);
  }, [first, visible, total, selectedPage, hasDetail, version, flowId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
      if (total === null || !(e.key === 'ArrowDown' || e.key === 'ArrowUp')) return;
      if (!(e.target instanceof Node) || !list.current?.contains(e.target)) return;
      e.preventDefault();
      setRange(null);
      setSelected((old) => {
        const next = Math.max(0, Math.min(total - 1, old + (e.key === 'ArrowDown' ? 1 : -1)));
        const el = list.current;
        if (el !== null) {
          // Scrolled just enough to show the row (by the list's scaled positions when it is tall).
          const place = tallList(total, ROW_HEIGHT, el.clientHeight);
          const shown = place.firstRow(el.scrollTop);
          const rows = Math.max(1, Math.floor(el.clientHeight / ROW_HEIGHT));
          if (next < shown) el.scrollTop = place.scrollFor(next);
          else if (next >= shown + rows) el.scrollTop = place.scrollFor(next - rows + 1);
        }
        return next;
      });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose, total]);

  /** The flow's packets as a pcap file, for Wireshark. */
  function savePcap(): void {
    saveFlowPcap(flowId).catch(onError);
  }

  const packet = hasDetail ? detail.packets[selected % PAGE] : undefined;
  const rows: { index: number; line: PacketLine | undefined }[] = [];
  if (total !== null)
    for (let i = first; i < Math.min(total, first + visible); i++)
      rows.push({ index: i, line: lines.row(i) });
  return (
    <section className="packets" aria-label={t('packets.heading')}>
      <header>
        <h3>{t('packets.heading')}</h3>
        {total !== null && <span className="muted">{t('packets.count', { count: total })}</span>}
        <button onClick={() => void savePcap()}>{t('packets.savePcap')}</button>
        <button onClick={onClose} aria-label={t('packets.close')}>
          ×
        </button>
      </header>
      {total === null ? (
        <p className="muted">{t('packets.loading')}</p>
      ) : (
        <div className="packets-body">
          <div
            className="packet-list"
            ref={list}
            tabIndex={0}
            aria-label={t('packets.list')}
            onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
          >
            <ol className="packet-rows" style={{ height: layout.height }}>
              {rows.map(({ index, line: p }) => (
                <li
                  key={index}
                  className={index === selected ? 'selected' : ''}
                  style={{ top: layout.top(index, scrollTop), height: ROW_HEIGHT }}
                  aria-selected={index === selected}
                  onClick={() => {
                    setSelected(index);
                    setRange(null);
                  }}
                >
                  {p === undefined ? (
                    <span className="muted">…</span>
                  ) : (
                    <>
                      <span className="num">#{p.index + 1}</span> {p.fromSrc ? '→' : '←'} {p.length} B{' '}
                      <span className="muted">{p.summary}</span>
                    </>
                  )}
                </li>
              ))}
            </ol>
          </div>
          {packet !== undefined && (
            <>
              <ul className="layer-tree" aria-label={t('packets.layers')}>
                {packet.layers.map((layer, i) => (
                  <li key={i}>
                    <button
                      className="layer-name"
                      onClick={() => setRange({ start: layer.start, length: layer.end - layer.start })}
                    >
                      {layer.name}
                    </button>
                    <ul>
                      {layer.fields.map((f, j) => (
                        <li key={j}>
                          <button
                            className="field"
                            onClick={() => setRange({ start: f.start, length: f.length })}
                          >
                            {f.name}: <strong>{f.value}</strong>
                          </button>
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
              <HexView hex={packet.hex} range={range} />
            </>
          )}
        </div>
      )}
    </section>
  );
}
