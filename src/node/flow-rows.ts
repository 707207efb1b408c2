// Sorting flow rows the way the flows table asks (FlowQuery.sort), for the session (rows of
// several captures) and for a capture's own thread (capture-job.ts), which sorts by the flow
// table's numbers where it can, without making a row per flow.
import type { FlowQuery, FlowRow } from '../api/index.js';
import type { FlowSummary } from '../core/analysis/index.js';

const endText = (e: FlowSummary['src']): string => `${e.name ?? ''} ${e.ip ?? e.mac ?? ''}`;

export function sortRows(
  rows: FlowRow[],
  key: NonNullable<FlowQuery['sort']>['key'],
  descending: boolean,
): FlowRow[] {
  const value = (r: FlowRow): number | string => {
    switch (key) {
      case 'src':
        return endText(r.src);
      case 'dst':
        return endText(r.dst);
      case 'protocol':
        return r.protocol;
      case 'packets':
        return r.packets;
      case 'bytes':
        return r.bytes;
      case 'start':
        return r.start ?? '';
      case 'duration':
        return r.start && r.end ? Date.parse(r.end) - Date.parse(r.start) : 0;
    }
  };
  const sign = descending ? -1 : 1;
  return rows
    .map((r) => ({ r, v: value(r) }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : 0))
    .map((x) => x.r);
}

/**
 * Flow ids 0..count-1 ordered by `value`, as sortRows orders their rows: ties keep the flows'
 * order, in either direction.
 */
export function sortFlowIds(count: number, value: (id: number) => number, descending: boolean): Uint32Array {
  const values = new Float64Array(count);
  for (let id = 0; id < count; id++) values[id] = value(id);
  const sign = descending ? -1 : 1;
  const ids = new Uint32Array(count);
  for (let id = 0; id < count; id++) ids[id] = id;
  return ids.sort((a, b) => (values[a] < values[b] ? -sign : values[a] > values[b] ? sign : a - b));
}
