import type { PermissionUse } from '@/lib/data/permission-use';
import { utcTime } from '@/lib/format';

/** Covered calls in a few words: `get configmaps in shop × 2`. */
const coveredText = (u: PermissionUse['partial'][number]) =>
  u.covered
    .slice(0, 5)
    .map((c) => `${c.verb} ${c.target}${c.namespace ? ` in ${c.namespace}` : ''} × ${c.calls}`)
    .join('; ') + (u.covered.length > 5 ? `; ${u.covered.length - 5} more` : '');

/** The rules an identity's own bindings grant that its calls never used over the activity window (identity page). */
export function PermissionUsePanel({ use }: { use: PermissionUse }) {
  return (
    <div data-testid="permission-use">
      <p className="muted">
        What a least-privilege Role would drop: the rules of the bindings that name this identity that none of its calls needed
        {use.window ? ` in the ${use.window.days} days up to ${utcTime(use.window.until)}` : ''}.
      </p>
      {!use.window ? (
        <p className="muted">No runtime event recorded for it: there are no calls to compare its permissions with.</p>
      ) : (
        <p data-testid="permission-use-summary">
          {use.used} of {use.granted} granted rules used by {use.actions} distinct action{use.actions === 1 ? '' : 's'};{' '}
          <strong>{use.unused.length} never used</strong>
          {use.partial.length > 0 && `, ${use.partial.length} used only in part`}.
        </p>
      )}
      {(use.groupBindings > 0 || use.missingRoles.length > 0) && (
        <p className="muted small">
          {use.groupBindings > 0 &&
            `${use.groupBindings} binding${use.groupBindings === 1 ? '' : 's'} through a group left out (shared with other identities). `}
          {use.missingRoles.length > 0 && `Granting nothing, their role is missing: ${use.missingRoles.join('; ')}.`}
        </p>
      )}
      {use.window && use.unused.length > 0 && (
        <table className="data" data-testid="unused-rules">
          <thead>
            <tr>
              <th>Never used</th>
              <th>Granted by</th>
            </tr>
          </thead>
          <tbody>
            {use.unused.map((u, i) => (
              <tr key={i}>
                <td>
                  <code>{u.text}</code>
                </td>
                <td>{u.binding}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {use.window && use.partial.length > 0 && (
        <table className="data" data-testid="partial-rules">
          <thead>
            <tr>
              <th>Used in part</th>
              <th>Granted by</th>
              <th>Verbs never used</th>
              <th>What used it</th>
            </tr>
          </thead>
          <tbody>
            {use.partial.map((u, i) => (
              <tr key={i}>
                <td>
                  <code>{u.text}</code>
                </td>
                <td>{u.binding}</td>
                <td>{u.unusedVerbs.join(', ')}</td>
                <td className="small">{coveredText(u)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
