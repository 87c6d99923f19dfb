import { TRAIL_ACTION_LABELS, type TrailAction } from '@/lib/trail/actions';
import type { JsonValue } from '@/lib/trail/hash';
import type { TrailEntryView } from '@/lib/trail/read';
import { utcTime } from '@/lib/format';

const show = (v: JsonValue | undefined) =>
  v === undefined ? '—' : v === null ? 'null' : typeof v === 'string' ? v : JSON.stringify(v);

/** What changed between before and after: one line per field that differs (the whole value when not objects). */
export function diffLines(before: JsonValue | null, after: JsonValue | null): { key: string; before: string; after: string }[] {
  const isObject = (v: JsonValue | null): v is Record<string, JsonValue> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(before) && !isObject(after))
    return before === null && after === null ? [] : [{ key: '', before: show(before), after: show(after) }];
  const b = isObject(before) ? before : {};
  const a = isObject(after) ? after : {};
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .sort()
    .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => ({ key: k, before: before === null ? '—' : show(b[k]), after: after === null ? '—' : show(a[k]) }));
}

/** The trail's entries with who, what, on what, when, and what changed. */
export function TrailTable({ entries }: { entries: TrailEntryView[] }) {
  return (
    <table className="data" data-testid="trail-table">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">When (UTC)</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Target</th>
          <th scope="col">Change</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.seq} data-action={e.action}>
            <td className="num">{e.seq}</td>
            <td className="nowrap">{utcTime(e.at, 'second')}</td>
            <td>
              {e.actor}
              {e.ip && <div className="muted small">{e.ip}</div>}
            </td>
            <td>
              {TRAIL_ACTION_LABELS[e.action as TrailAction] ?? e.action} <div className="muted small">{e.action}</div>
            </td>
            <td>
              <code>{e.target ?? '—'}</code>
            </td>
            <td>
              <ul className="trail-diff" data-testid="trail-diff" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
                {diffLines(e.before, e.after).map((d) => (
                  <li key={d.key}>
                    {d.key && <strong>{d.key}: </strong>}
                    <del>{d.before}</del> → <ins>{d.after}</ins>
                  </li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
