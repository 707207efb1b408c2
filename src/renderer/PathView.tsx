import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionState } from '../api/index.js';
import { endpointAddress } from '../core/analysis/endpoint-text.js';
import type { Encapsulation, Endpoint } from '../core/analysis/index.js';
import type { TraceConnection, TraceDocument, TraceHop } from '../core/trace/index.js';
import { getApi } from './api.js';
import { useCommand } from './commands.js';
import { saveBlob } from './download.js';
import { connectionFor, type PathFocus } from './finding-model.js';
import { elementToPng, pngName } from './png.js';
import { RewriteText } from './RewriteText.js';

interface Props {
  session: SessionState;
  onError: (error: unknown) => void;
  /** A finding's flows: the connection they are hops of is selected once the paths are in. */
  focus?: PathFocus | null;
}

const address = endpointAddress;

const who = (e: Endpoint): string => (e.name ? `${e.name} ${address(e)}` : address(e));

function HeaderBoxes({ hop, protocol }: { hop: TraceHop; protocol: string }): React.JSX.Element {
  const { t } = useTranslation();
  const inner = (
    <div className="hdr inner">
      <div className="hdr-line">
        IP {address({ ip: hop.src.ip })} → {address({ ip: hop.dst.ip })}
        {hop.ttl !== null ? ` · TTL ${hop.ttl}` : ''}
      </div>
      <div className="hdr-line">
        {protocol.toUpperCase()} {hop.src.port ?? ''} → {hop.dst.port ?? ''}
      </div>
    </div>
  );
  return hop.encapsulation.reduceRight<React.JSX.Element>(
    (content, e: Encapsulation, i) => (
      <div key={i} className={`hdr outer ${e.type}`}>
        <div className="hdr-line">
          {t('path.outerIp', { src: e.outer.srcNode ?? e.outer.src, dst: e.outer.dstNode ?? e.outer.dst })}
        </div>
        <div className="hdr-line">
          {e.udpPort !== null ? `UDP ${e.udpPort} · ` : ''}
          {e.type.toUpperCase()}
          {e.vni !== null ? ` VNI ${e.vni}` : ''}
        </div>
        {content}
      </div>
    ),
    inner,
  );
}

function Station({ hop, protocol }: { hop: TraceHop; protocol: string }): React.JSX.Element {
  const { t } = useTranslation();
  const nat = hop.change === 'dnat' || hop.change === 'snat' || hop.change === 'dnat+snat';
  return (
    <div className={nat ? 'station nat' : 'station'} data-change={hop.change}>
      <div className="station-name">{hop.capture}</div>
      {hop.interface !== null && (
        <div className="station-if">
          {hop.interface.name ?? `if ${hop.interface.index}`}
          {hop.interface.role
            ? ` · ${t(`roles.${hop.interface.role}`, { defaultValue: hop.interface.role })}`
            : ''}
        </div>
      )}
      <div className="station-tuple">
        <div>{who(hop.src)}</div>
        <div>→ {who(hop.dst)}</div>
      </div>
      <HeaderBoxes hop={hop} protocol={protocol} />
      {hop.rewrite !== null && (
        <div className="rewrite">
          <RewriteText rewrite={hop.rewrite} />
        </div>
      )}
    </div>
  );
}

function Arrow({ hop }: { hop: TraceHop }): React.JSX.Element {
  const { t } = useTranslation();
  return (
    <div className="arrow">
      <span className="change">{hop.changes.map((c) => t(`change.${c}`)).join(' + ')}</span>
      <span className="line">→</span>
      <span className="latency">
        {hop.fromPreviousMs !== null ? `${hop.fromPreviousMs.toFixed(3)} ms` : ''}
      </span>
    </div>
  );
}

/** The hop a loss was last seen at: its capture and interface, the last such in path order. */
function lostIndex(c: TraceConnection): number {
  const lost = c.lost[0];
  if (lost === undefined) return -1;
  let at = -1;
  c.hops.forEach((h, i) => {
    if (h.capture === lost.after && (h.interface?.index ?? null) === (lost.interface?.index ?? null)) at = i;
  });
  return at;
}

function ConnectionPath({ c }: { c: TraceConnection }): React.JSX.Element {
  const { t } = useTranslation();
  const lostAt = lostIndex(c);
  return (
    <div className="path" aria-label={t('path.diagram')}>
      {c.hops.map((hop, i) => (
        <div key={i} className="path-step">
          {i > 0 && <Arrow hop={hop} />}
          <Station hop={hop} protocol={c.protocol} />
          {i === lostAt && (
            <div className="lost" role="note">
              {t('path.lost', { count: c.lost[0].packets })}
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

/** Every connection seen in more than one place, and the selected one's path, left to right. */
export function PathView({ session, onError, focus = null }: Props): React.JSX.Element {
  const { t } = useTranslation();
  const [doc, setDoc] = useState<TraceDocument | null>(null);
  const [selected, setSelected] = useState(0);
  /** The focused finding's connection is not among the paths (the first is shown). */
  const [focusMissing, setFocusMissing] = useState(false);
  const list = useRef<HTMLUListElement>(null);
  const ids = session.captures.filter((c) => c.state === 'done' || c.state === 'cancelled').map((c) => c.id);
  const key = ids.join(',');
  const detail = useRef<HTMLDivElement>(null);
  const connection = doc?.connections[Math.min(selected, doc.connections.length - 1)];
  function savePicture(): void {
    if (detail.current === null || connection === undefined) return;
    const words = `path ${connection.protocol} ${who(connection.hops[0].src)} ${who(connection.hops[0].dst)}`;
    elementToPng(detail.current).then((png) => saveBlob(pngName(words), png), onError);
  }
  useCommand('export-image', savePicture);

  useEffect(() => {
    if (ids.length === 0) return;
    let live = true;
    getApi()
      .trace(ids)
      .then((d) => {
        if (!live) return;
        setDoc(d);
        setSelected(0);
      }, onError);
    return () => {
      live = false;
    };
  }, [key]);

  useEffect(() => {
    if (doc === null || focus === null) return;
    const found = connectionFor(doc.connections, focus.flows);
    setSelected(Math.max(0, found));
    setFocusMissing(found < 0);
  }, [doc, focus]);

  // The selected connection stays in sight (one chosen from a finding may be far down the list).
  useEffect(() => {
    list.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [selected, doc]);

  if (doc === null) return <p className="empty">{t('path.loading')}</p>;
  if (doc.connections.length === 0) return <p className="empty">{t('path.none')}</p>;
  const c = doc.connections[Math.min(selected, doc.connections.length - 1)];
  return (
    <section className="path-view">
      <ul className="connections" role="listbox" aria-label={t('path.connections')} ref={list}>
        {doc.connections.map((x, i) => (
          <li
            key={i}
            role="option"
            aria-selected={i === selected}
            className={i === selected ? 'selected' : ''}
            onClick={() => {
              setSelected(i);
              setFocusMissing(false);
            }}
          >
            <span className="proto">{x.protocol}</span> {who(x.hops[0].src)} → {who(x.hops[0].dst)}
            <span className="meta">
              {t('path.hops', { count: x.hops.length })}
              {x.service ? ` · ${x.service}` : ''}
              {x.lostAfter !== null ? ` · ${t('path.lostShort')}` : ''}
            </span>
          </li>
        ))}
      </ul>
      <div className="path-detail" ref={detail}>
        {focusMissing && (
          <p className="focus-missing" role="status">
            {t('path.focusMissing')}
          </p>
        )}
        <h2>
          {c.protocol} {who(c.hops[0].src)} → {who(c.hops[0].dst)}
          <button
            className="link png"
            title={t('image.save')}
            aria-label={t('image.savePath')}
            onClick={savePicture}
          >
            PNG
          </button>
        </h2>
        <p className="muted">
          {c.service ? `${t('path.service', { name: c.service })} · ` : ''}
          {c.latency.firstToLastMs !== null
            ? t('path.firstToLast', { ms: c.latency.firstToLastMs.toFixed(3) })
            : ''}
        </p>
        <ConnectionPath c={c} />
      </div>
    </section>
  );
}
