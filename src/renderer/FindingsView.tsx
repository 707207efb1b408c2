import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionState } from '../api/index.js';
import { endpointAddress } from '../core/analysis/endpoint-text.js';
import type { Endpoint } from '../core/analysis/index.js';
import type {
  Finding,
  FindingFlow,
  FindingPacket,
  FindingSeverity,
  FindingsDocument,
} from '../core/findings/index.js';
import { useFindingCatalog } from './finding-catalog.js';
import {
  bySeverity,
  type Evidence,
  findingKey,
  type FindingPart,
  firstEvidence,
  packetTarget,
  seenAtSeveralPoints,
  SEVERITIES,
} from './finding-model.js';
import type { FindingsState } from './findings-state.js';
import { PacketsPanel } from './PacketsPanel.js';
import { useShowNames } from './prefs.js';

/** Flows a card lists before "Show all": a connection seen at many points has many. */
const FLOWS_SHOWN = 3;

interface Props {
  session: SessionState;
  findings: FindingsState;
  /** Looks for findings (again): large captures wait for it, and a failure is retried by it. */
  onLook: () => void;
  /** Opens the Path view at the connection these flows are hops of. */
  onShowPath: (flows: FindingFlow[]) => void;
  onError: (error: unknown) => void;
}

/** What the packets panel shows: a flow, or a capture's packets at one of them. */
interface Opened {
  flowId: string;
  at?: number;
  /** A new click opens afresh, even on the same packet. */
  serial: number;
}

function End({ e }: { e: Endpoint }): React.JSX.Element {
  const names = useShowNames();
  return (
    <span className="endpoint">
      {names && e.name ? <span className="name">{e.name}</span> : null}
      <span className="address">{endpointAddress(e)}</span>
    </span>
  );
}

/** Counts a spinner's seconds, so a long re-read shows it is still going. */
function Elapsed({ since }: { since: number }): React.JSX.Element {
  const { t } = useTranslation();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return (
    <span className="muted">{t('findings.elapsed', { seconds: Math.floor((now - since) / 1000) })}</span>
  );
}

/** The state before there is a document: reading, waiting to be asked, looking, failed. */
function Pending({
  findings,
  onLook,
}: {
  findings: Exclude<FindingsState, { status: 'ready' }>;
  onLook: () => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  switch (findings.status) {
    case 'none':
      return <p className="empty">{t('findings.noCaptures')}</p>;
    case 'waiting':
      return (
        <div className="findings-pending" role="status">
          <span className="spinner" aria-hidden="true" />
          <p>{t('findings.waiting', { read: findings.read, total: findings.total })}</p>
        </div>
      );
    case 'deferred':
      return (
        <div className="findings-pending">
          <p>{t('findings.deferred', { size: Math.round(findings.bytes / 1e6) })}</p>
          <button className="primary" onClick={onLook}>
            {t('findings.look')}
          </button>
        </div>
      );
    case 'loading':
      return (
        <div className="findings-pending" role="status" aria-busy="true">
          <span className="spinner" aria-hidden="true" />
          <p>
            {t('findings.loading', {
              count: findings.captures,
              size: Math.max(1, Math.round(findings.bytes / 1e6)),
            })}{' '}
            <Elapsed since={findings.since} />
          </p>
        </div>
      );
    case 'failed':
      return (
        <div className="findings-pending error" role="alert">
          <p>{t('findings.failed', { message: findings.message })}</p>
          <button onClick={onLook}>{t('findings.retry')}</button>
        </div>
      );
  }
}

function PacketButton({
  packet,
  onOpen,
}: {
  packet: FindingPacket;
  onOpen: (packet: FindingPacket) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  return (
    <li>
      <button
        className="evidence-packet"
        disabled={packet.captureId === undefined}
        onClick={() => onOpen(packet)}
        title={t('findings.openPacket')}
      >
        <span className="where">
          {packet.capture} #{packet.index + 1}
        </span>
        <span className="role">{t(`findings.role.${packet.role}`, { defaultValue: packet.role })}</span>
      </button>
    </li>
  );
}

function FlowButton({
  flow,
  onOpen,
}: {
  flow: FindingFlow;
  onOpen: (flow: FindingFlow) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  return (
    <li>
      <button
        className="evidence-flow"
        disabled={flow.id === undefined}
        onClick={() => onOpen(flow)}
        title={t('findings.openFlow')}
      >
        <span className="proto">{flow.protocol}</span>
        <End e={flow.src} /> <span className="arrow-sign">→</span> <End e={flow.dst} />
        <span className="muted capture">
          {flow.capture}
          {flow.interface?.name ? ` · ${flow.interface.name}` : ''}
        </span>
      </button>
    </li>
  );
}

function FindingCard({
  finding,
  selected,
  cardRef,
  onSelect,
  onOpen,
  onShowPath,
}: {
  finding: Finding;
  selected: boolean;
  cardRef: (el: HTMLElement | null) => void;
  onSelect: () => void;
  onOpen: (evidence: Evidence) => void;
  onShowPath: (flows: FindingFlow[]) => void;
}): React.JSX.Element {
  const { t, i18n } = useTranslation();
  const [allFlows, setAllFlows] = useState(false);
  const flows = allFlows ? finding.flows : finding.flows.slice(0, FLOWS_SHOWN);
  const hiddenFlows = finding.flows.length - flows.length;
  // The engine's sentence from the catalog of the page's language, by code; its English else.
  const text = (part: FindingPart): string => {
    const key = findingKey(finding, part, (k) => i18n.exists(k));
    return key === null ? finding[part] : t(key, { replace: { ...finding.params } });
  };
  const headingId = useId();
  return (
    <article
      ref={cardRef}
      className={`finding ${finding.severity}${selected ? ' selected' : ''}`}
      tabIndex={-1}
      aria-labelledby={headingId}
      aria-current={selected ? 'true' : undefined}
      data-kind={finding.kind}
      onFocus={onSelect}
      onClick={onSelect}
    >
      <header>
        <span className={`severity ${finding.severity}`}>{t(`findings.severity.${finding.severity}`)}</span>
        <span className="kind">{t(`findings.kind.${finding.kind}`, { defaultValue: finding.kind })}</span>
        <code className="kind-id">{finding.kind}</code>
        <span className="muted seen">{t('findings.seenIn', { names: finding.captures.join(', ') })}</span>
      </header>
      <h3 id={headingId}>{text('summary')}</h3>
      <div className="why">
        <h4>{t('findings.why')}</h4>
        <p>{text('explanation')}</p>
      </div>
      <div className="fix">
        <h4>{t('findings.fix')}</h4>
        <p>{text('suggestion')}</p>
      </div>
      <div className="evidence">
        {finding.packets.length > 0 && (
          <div>
            <h4>{t('findings.packets')}</h4>
            <ul className="evidence-packets">
              {finding.packets.map((p, i) => (
                <PacketButton key={i} packet={p} onOpen={(packet) => onOpen({ packet })} />
              ))}
              {finding.morePackets > 0 && (
                <li className="muted more">{t('findings.more', { count: finding.morePackets })}</li>
              )}
            </ul>
          </div>
        )}
        {finding.flows.length > 0 && (
          <div>
            <h4>{t('findings.flows')}</h4>
            <ul className="evidence-flows">
              {flows.map((f, i) => (
                <FlowButton key={i} flow={f} onOpen={(flow) => onOpen({ flow })} />
              ))}
              {(hiddenFlows > 0 || allFlows) && finding.flows.length > FLOWS_SHOWN && (
                <li>
                  <button className="link more-flows" onClick={() => setAllFlows(!allFlows)}>
                    {allFlows
                      ? t('findings.fewerFlows')
                      : t('findings.allFlows', { count: finding.flows.length })}
                  </button>
                </li>
              )}
              {finding.moreFlows > 0 && (allFlows || hiddenFlows === 0) && (
                <li className="muted more">{t('findings.more', { count: finding.moreFlows })}</li>
              )}
            </ul>
          </div>
        )}
      </div>
      {seenAtSeveralPoints(finding) && (
        <button className="show-path" onClick={() => onShowPath(finding.flows)}>
          {t('findings.showPath')} →
        </button>
      )}
    </article>
  );
}

/** The severity filter: a chip each, with its count; all on at first. */
function Chips({
  doc,
  shown,
  onToggle,
}: {
  doc: FindingsDocument;
  shown: Record<FindingSeverity, boolean>;
  onToggle: (s: FindingSeverity) => void;
}): React.JSX.Element {
  const { t } = useTranslation();
  return (
    <div className="chips" role="group" aria-label={t('findings.filter')}>
      {SEVERITIES.map((s) => (
        <button
          key={s}
          className={`chip ${s}`}
          aria-pressed={shown[s]}
          onClick={() => onToggle(s)}
          data-count={doc.counts[s]}
        >
          <span className="dot" aria-hidden="true" />
          {t(`findings.chip.${s}`)} <span className="chip-count">{doc.counts[s]}</span>
        </button>
      ))}
    </div>
  );
}

const isTyping = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName));

/**
 * What is wrong in the open captures, worst first: a card per finding with what happened, why,
 * what to change, and its evidence, each opening in the packets panel; "Show path" for a
 * connection seen at several points. Arrows move between findings, Enter opens the first
 * evidence, Esc closes the packets.
 */
export function FindingsView({ session, findings, onLook, onShowPath, onError }: Props): React.JSX.Element {
  const { t } = useTranslation();
  const catalogReady = useFindingCatalog();
  const [shown, setShown] = useState<Record<FindingSeverity, boolean>>({
    error: true,
    warning: true,
    info: true,
  });
  const [selected, setSelected] = useState(0);
  const [opened, setOpened] = useState<Opened | null>(null);
  const cards = useRef<(HTMLElement | null)[]>([]);
  const doc = findings.status === 'ready' ? findings.doc : null;
  const visible = useMemo(
    () => (doc === null ? [] : bySeverity(doc.findings).filter((f) => shown[f.severity])),
    [doc, shown],
  );
  const current = Math.min(selected, Math.max(0, visible.length - 1));

  // A new document: the first finding, nothing open (its flows may be another capture's).
  useEffect(() => {
    setSelected(0);
    setOpened(null);
  }, [doc]);

  function open(evidence: Evidence): void {
    if ('packet' in evidence) {
      const target = packetTarget(evidence.packet);
      if (target !== null) setOpened((o) => ({ ...target, serial: (o?.serial ?? 0) + 1 }));
    } else if (evidence.flow.id !== undefined) {
      const flowId = evidence.flow.id;
      setOpened((o) => ({ flowId, serial: (o?.serial ?? 0) + 1 }));
    }
  }

  function select(index: number): void {
    setSelected(index);
    const card = cards.current[index];
    card?.focus({ preventScroll: true });
    card?.scrollIntoView({ block: 'nearest' });
  }

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      // The packets panel has its own arrows.
      if (e.target instanceof Element && e.target.closest('.packets') !== null) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        if (visible.length === 0) return;
        e.preventDefault();
        select(Math.max(0, Math.min(visible.length - 1, current + (e.key === 'ArrowDown' ? 1 : -1))));
      } else if (e.key === 'Enter') {
        // A button's Enter is the button's.
        if (e.target instanceof HTMLButtonElement) return;
        const f = visible[current];
        const first = f === undefined ? null : firstEvidence(f);
        if (first === null) return;
        e.preventDefault();
        open(first);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [visible, current]);

  if (doc === null || !catalogReady)
    return (
      <section className="findings">
        {doc === null ? (
          <Pending findings={findings as Exclude<FindingsState, { status: 'ready' }>} onLook={onLook} />
        ) : null}
      </section>
    );

  const read = session.captures.filter((c) => c.state === 'done' || c.state === 'cancelled');
  const notRead = read.map((c) => c.name).filter((name) => !doc.captures.some((x) => x.file === name));
  const omitted = Object.entries(doc.omitted)
    .map(([kind, n]) => `${t(`findings.kind.${kind}`, { defaultValue: kind })} ${n}`)
    .join(', ');
  let index = -1;
  return (
    <section className="findings">
      <div className="findings-bar">
        {doc.findings.length > 0 && (
          <Chips doc={doc} shown={shown} onToggle={(s) => setShown((old) => ({ ...old, [s]: !old[s] }))} />
        )}
        <span className="muted">{t('findings.captures', { count: doc.captures.length })}</span>
        <span className="muted keys">{doc.findings.length > 0 ? t('findings.keys') : ''}</span>
        <button onClick={onLook}>{t('findings.again')}</button>
      </div>
      {!doc.cluster && <p className="findings-note">{t('findings.noCluster')}</p>}
      {notRead.length > 0 && (
        <p className="findings-note warn">{t('findings.notRead', { names: notRead.join(', ') })}</p>
      )}
      <div className="findings-list" aria-label={t('findings.list')} role="region">
        {doc.findings.length === 0 ? (
          <div className="findings-empty">
            <span className="check" aria-hidden="true">
              ✓
            </span>
            <p className="big">{t('findings.empty', { count: doc.captures.length })}</p>
            <p className="muted">{t('findings.emptyHint')}</p>
          </div>
        ) : visible.length === 0 ? (
          <p className="empty">{t('findings.noneShown')}</p>
        ) : (
          SEVERITIES.map((s) => {
            const group = visible.filter((f) => f.severity === s);
            if (group.length === 0) return null;
            return (
              <section key={s} className="findings-group" aria-label={t(`findings.chip.${s}`)}>
                <h2 className={s}>
                  {t(`findings.chip.${s}`)} <span className="muted">{group.length}</span>
                </h2>
                {group.map((f) => {
                  const i = ++index;
                  return (
                    <FindingCard
                      key={i}
                      finding={f}
                      selected={i === current}
                      cardRef={(el) => (cards.current[i] = el)}
                      onSelect={() => setSelected(i)}
                      onOpen={open}
                      onShowPath={onShowPath}
                    />
                  );
                })}
              </section>
            );
          })
        )}
        {omitted !== '' && <p className="findings-note">{t('findings.omitted', { list: omitted })}</p>}
      </div>
      {opened !== null && (
        <PacketsPanel
          key={`${opened.flowId}@${opened.at ?? ''}#${opened.serial}`}
          flowId={opened.flowId}
          at={opened.at}
          onClose={() => setOpened(null)}
          onError={onError}
        />
      )}
    </section>
  );
}
