import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PacketPage, PacketRow } from '../api/index.js';
import { getApi } from './api.js';
import { saveBlob } from './download.js';

/** Saves a flow's packets as a pcap file Wireshark opens. */
export async function saveFlowPcap(flowId: string): Promise<void> {
  const file = await getApi().exportPackets(flowId);
  const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
  saveBlob(file.name, new Blob([bytes], { type: 'application/vnd.tcpdump.pcap' }));
}

const PAGE = 500;

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

const summary = (p: PacketRow): string => {
  const top = p.layers[p.layers.length - 1];
  return top
    ? `${top.name} ${top.fields
        .slice(0, 3)
        .map((f) => f.value)
        .join(' ')}`
    : '';
};

/** The selected flow's packets: a list, the chosen packet's layers and fields, its bytes. */
export function PacketsPanel({
  flowId,
  onClose,
  onError,
}: {
  flowId: string;
  onClose: () => void;
  onError: (error: unknown) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  const [page, setPage] = useState<PacketPage | null>(null);
  const [selected, setSelected] = useState(0);
  const [range, setRange] = useState<Range | null>(null);

  useEffect(() => {
    let live = true;
    setPage(null);
    getApi()
      .packets(flowId, 0, PAGE)
      .then((p) => {
        if (!live) return;
        setPage(p);
        setSelected(0);
        setRange(null);
      }, onError);
    return () => {
      live = false;
    };
  }, [flowId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  /** The flow's packets as a pcap file, for Wireshark. */
  function savePcap(): void {
    saveFlowPcap(flowId).catch(onError);
  }

  const packet = page?.packets[selected];
  return (
    <section className="packets" aria-label={t('packets.heading')}>
      <header>
        <h3>{t('packets.heading')}</h3>
        {page !== null && <span className="muted">{t('packets.count', { count: page.total })}</span>}
        <button onClick={() => void savePcap()}>{t('packets.savePcap')}</button>
        <button onClick={onClose} aria-label={t('packets.close')}>
          ×
        </button>
      </header>
      {page === null ? (
        <p className="muted">{t('packets.loading')}</p>
      ) : (
        <div className="packets-body">
          <ol className="packet-list">
            {page.packets.map((p, i) => (
              <li
                key={p.index}
                className={i === selected ? 'selected' : ''}
                onClick={() => {
                  setSelected(i);
                  setRange(null);
                }}
              >
                <span className="num">#{p.index + 1}</span> {p.fromSrc ? '→' : '←'} {p.length} B{' '}
                <span className="muted">{summary(p)}</span>
              </li>
            ))}
          </ol>
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
