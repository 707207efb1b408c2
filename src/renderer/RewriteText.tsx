import { useTranslation } from 'react-i18next';
import type { Rewrite } from '../core/trace/index.js';

/** Who rewrote a tuple, worded from the catalog (the engine gives the facts, not the sentence). */
export function RewriteText({ rewrite }: { rewrite: Rewrite | null }): React.JSX.Element | null {
  const { t } = useTranslation();
  if (rewrite === null) return null;
  const parts: string[] = [];
  const d = rewrite.dnat;
  if (d !== undefined) {
    const to = d.toName ? `${d.toName} ${d.to}` : d.to;
    if (d.service === null) parts.push(t('rewrite.dnat', { from: d.from, to }));
    else if (d.via === 'NodePort')
      parts.push(
        t('rewrite.dnatNodePort', { service: d.service, port: d.from.split(':').pop(), node: d.node, to }),
      );
    else parts.push(t('rewrite.dnatService', { service: d.service, via: d.via, from: d.from, to }));
  }
  const n = rewrite.snat;
  if (n !== undefined) {
    if (n.node === null) parts.push(t('rewrite.snat', { from: n.from, to: n.to }));
    else if (n.role === null) parts.push(t('rewrite.masquerade', { node: n.node, to: n.to }));
    else
      parts.push(
        t('rewrite.masqueradeRole', {
          node: n.node,
          to: n.to,
          role: t(`rewrite.role.${n.role}`, { defaultValue: n.role }),
        }),
      );
  }
  return <>{parts.join('; ')}</>;
}
