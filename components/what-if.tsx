'use client';

import { useEffect, useId, useState } from 'react';
import { postJson } from '@/components/post-json';
import type { AddedBinding, TargetView, WhatIfSide } from '@/lib/whatif/engine';
import type { WhatIfResponse } from '@/lib/whatif/load';

export interface WhatIfBinding {
  id: string | null;
  kind: string;
  namespace: string;
  name: string;
  role: string;
  roleMissing: boolean;
  group: string | null;
}
export interface WhatIfRole {
  kind: 'Role' | 'ClusterRole';
  namespace: string;
  name: string;
}

const bindingText = (b: { kind: string; namespace: string; name: string }) =>
  `${b.kind} ${b.kind === 'RoleBinding' ? `${b.namespace}/` : ''}${b.name}`;
const roleText = (r: WhatIfRole) => `${r.kind} ${r.kind === 'Role' ? `${r.namespace}/` : ''}${r.name}`;
const addedText = (a: AddedBinding) =>
  `${a.namespace ? `RoleBinding in ${a.namespace}` : 'ClusterRoleBinding'} → ${a.roleKind} ${
    a.roleKind === 'Role' ? `${a.namespace}/` : ''
  }${a.roleName}`;
const steps = (n: number | null) =>
  n === null ? 'no path' : n === 0 ? 'already cluster-admin' : `${n} step${n === 1 ? '' : 's'}`;
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** Changes marked in words (and a pill), never by colour alone. */
function Change({ what, tone }: { what: string; tone: 'better' | 'worse' | 'neutral' }) {
  const cls = tone === 'better' ? 'pill pill-ok' : tone === 'worse' ? 'pill sev-high' : 'pill pill-muted';
  return <span className={cls}>{what}</span>;
}

/** The what-if form and its result (page /identities/[id]/what-if). */
export function WhatIf({ identityId, bindings, roles }: { identityId: string; bindings: WhatIfBinding[]; roles: WhatIfRole[] }) {
  const ids = useId();
  const [remove, setRemove] = useState<Set<string>>(new Set());
  const [adds, setAdds] = useState<AddedBinding[]>([]);
  const [leastPrivilege, setLeastPrivilege] = useState(false);
  const [q, setQ] = useState('');
  const [found, setFound] = useState<WhatIfRole[]>(roles);
  const [searching, setSearching] = useState(false);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [picked, setPicked] = useState('');
  const [namespace, setNamespace] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<WhatIfResponse | null>(null);

  useEffect(() => {
    const term = q.trim();
    const ctrl = new AbortController();
    const t = setTimeout(async () => {
      setSearching(true);
      setSearchError(null);
      try {
        const res = await fetch(`/api/identities/${identityId}/what-if?q=${encodeURIComponent(term)}`, { signal: ctrl.signal });
        const data = (await res.json()) as { roles?: WhatIfRole[]; error?: string };
        if (!res.ok) throw new Error(data.error ?? `the server answered ${res.status}`);
        setFound(data.roles ?? []);
      } catch (e) {
        if (!ctrl.signal.aborted) setSearchError((e as Error).message);
      } finally {
        if (!ctrl.signal.aborted) setSearching(false);
      }
    }, 250);
    return () => {
      ctrl.abort();
      clearTimeout(t);
    };
  }, [q, identityId]);

  const pickedRole = found.find((r) => roleText(r) === picked);
  const addRole = () => {
    if (!pickedRole) return;
    const ns = pickedRole.kind === 'Role' ? pickedRole.namespace : namespace.trim();
    setAdds([...adds, { roleKind: pickedRole.kind, roleName: pickedRole.name, ...(ns ? { namespace: ns } : {}) }]);
    setPicked('');
    setNamespace('');
  };

  const simulate = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(
        await postJson<WhatIfResponse>(`/api/identities/${identityId}/what-if`, {
          removeBindings: [...remove],
          addBindings: adds,
          leastPrivilege,
        }),
      );
    } catch (e) {
      setError((e as Error).message);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form
        className="panel"
        data-testid="what-if-form"
        onSubmit={(e) => {
          e.preventDefault();
          void simulate();
        }}
      >
        <h2>Changes to simulate</h2>
        <fieldset>
          <legend>Remove its bindings</legend>
          {bindings.length === 0 ? (
            <p className="muted">No binding designates it.</p>
          ) : (
            <ul className="compact" data-testid="what-if-bindings">
              {bindings.map((b) => {
                const key = `${b.kind}/${b.namespace}/${b.name}`;
                return (
                  <li key={key}>
                    <label>
                      <input
                        type="checkbox"
                        disabled={!b.id}
                        checked={b.id ? remove.has(b.id) : false}
                        onChange={(e) => {
                          const next = new Set(remove);
                          if (e.target.checked) next.add(b.id!);
                          else next.delete(b.id!);
                          setRemove(next);
                        }}
                      />{' '}
                      Remove {bindingText(b)} → {b.role}
                      {b.group ? <span className="muted"> (through group {b.group}: shared with others)</span> : null}
                      {b.roleMissing ? <span className="muted"> (role missing)</span> : null}
                      {!b.id ? <span className="muted"> (no longer in the cluster)</span> : null}
                    </label>
                  </li>
                );
              })}
            </ul>
          )}
        </fieldset>

        <fieldset>
          <legend>Add a binding to an existing role</legend>
          <div className="filters">
            <label htmlFor={`${ids}-q`}>Find a role</label>
            <input
              id={`${ids}-q`}
              type="search"
              value={q}
              onChange={(e) => setQ(e.target.value)}
              placeholder="name or namespace"
            />
            <label htmlFor={`${ids}-role`}>Role</label>
            <select
              id={`${ids}-role`}
              value={picked}
              onChange={(e) => setPicked(e.target.value)}
              aria-describedby={`${ids}-roles`}
            >
              <option value="">{searching ? 'searching…' : found.length ? 'choose a role' : 'no role matches'}</option>
              {found.map((r) => (
                <option key={roleText(r)} value={roleText(r)}>
                  {roleText(r)}
                </option>
              ))}
            </select>
            {pickedRole?.kind === 'ClusterRole' && (
              <>
                <label htmlFor={`${ids}-ns`}>In namespace</label>
                <input
                  id={`${ids}-ns`}
                  value={namespace}
                  onChange={(e) => setNamespace(e.target.value)}
                  placeholder="empty: cluster-wide"
                  pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                />
              </>
            )}
            <button type="button" onClick={addRole} disabled={!pickedRole}>
              Add binding
            </button>
          </div>
          <p className="muted small" id={`${ids}-roles`}>
            {searchError
              ? `Could not search the roles: ${searchError}`
              : `The cluster's roles${q.trim() ? ` matching “${q.trim()}”` : ''}, at most 50 shown. A Role is bound in its namespace; a ClusterRole cluster-wide (ClusterRoleBinding) or in the namespace given (RoleBinding).`}
          </p>
          {adds.length > 0 && (
            <ul className="compact" data-testid="what-if-adds">
              {adds.map((a, i) => (
                <li key={i}>
                  Add {addedText(a)}{' '}
                  <button type="button" className="link-button" onClick={() => setAdds(adds.filter((_, j) => j !== i))}>
                    Undo
                  </button>
                </li>
              ))}
            </ul>
          )}
        </fieldset>

        <p>
          <label>
            <input type="checkbox" checked={leastPrivilege} onChange={(e) => setLeastPrivilege(e.target.checked)} /> Apply the
            suggested least-privilege Role (replaces the bindings it names; from its runtime activity of the last 7 days)
          </label>
        </p>
        <p>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Simulating…' : 'Simulate'}
          </button>
        </p>
        {error && (
          <p className="error" role="alert">
            Simulation failed: {error}
          </p>
        )}
      </form>
      {result && <WhatIfResult result={result} />}
    </>
  );
}

function TargetRows({
  before,
  after,
}: {
  before: WhatIfSide['escalation']['targets'];
  after: WhatIfSide['escalation']['targets'];
}) {
  const keys = [...new Set([...before, ...after].map((t) => t.key))];
  const b = new Map(before.map((t) => [t.key, t]));
  const a = new Map(after.map((t) => [t.key, t]));
  if (!keys.length) return <p className="muted">No escalation target, before or after.</p>;
  const change = (x: TargetView | undefined, y: TargetView | undefined) =>
    !x ? (
      <Change what="appears" tone="worse" />
    ) : !y ? (
      <Change what="removed" tone="better" />
    ) : y.distance < x.distance ? (
      <Change what="shorter" tone="worse" />
    ) : y.distance > x.distance ? (
      <Change what="longer" tone="better" />
    ) : (
      <span className="muted">unchanged</span>
    );
  return (
    <table className="data" data-testid="what-if-targets">
      <thead>
        <tr>
          <th>Target</th>
          <th>Scope</th>
          <th>Before</th>
          <th>After</th>
          <th>Change</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const x = b.get(k);
          const y = a.get(k);
          const t = (x ?? y)!;
          return (
            <tr key={k}>
              <td>{t.label}</td>
              <td>{t.scope}</td>
              <td>{x ? steps(x.distance) : '—'}</td>
              <td>
                {y ? steps(y.distance) : '—'}
                {y?.via ? <span className="muted small"> (then as {y.via}, its stored path)</span> : null}
              </td>
              <td>{change(x, y)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The before/after tables of one simulation. */
export function WhatIfResult({ result }: { result: WhatIfResponse }) {
  const d = result.delta;
  const adminAfter = result.after.escalation;
  return (
    <section className="panel" data-testid="what-if-result" aria-live="polite">
      <h2>Result</h2>
      {result.applied.length === 0 && result.warnings.length === 0 ? (
        <p className="muted">No change was asked for: before and after are the same.</p>
      ) : (
        <ul className="compact" data-testid="what-if-applied">
          {result.applied.map((a) => (
            <li key={a}>Simulated: {a}</li>
          ))}
          {result.warnings.map((w) => (
            <li key={w} className="error">
              Not applied: {w}
            </li>
          ))}
        </ul>
      )}
      <dl className="facts">
        <dt>Risk score</dt>
        <dd data-testid="what-if-score">
          {d.score.before} → {d.score.after} ({signed(d.score.change)}){' '}
          {d.score.change < 0 ? (
            <Change what="drops" tone="better" />
          ) : d.score.change > 0 ? (
            <Change what="rises" tone="worse" />
          ) : (
            <span className="muted">unchanged</span>
          )}
        </dd>
        <dt>Cluster-admin</dt>
        <dd data-testid="what-if-cluster-admin">
          {steps(d.clusterAdmin.before)} →{' '}
          {d.clusterAdmin.after === null ? 'no path to cluster-admin' : steps(d.clusterAdmin.after)}
        </dd>
        <dt>Findings</dt>
        <dd>
          {d.findings.resolved.length} resolved, {d.findings.appeared.length} would appear
        </dd>
      </dl>

      <h3>Score factors that change</h3>
      {d.score.factors.length === 0 ? (
        <p className="muted">No factor changes.</p>
      ) : (
        <table className="data" data-testid="what-if-factors">
          <thead>
            <tr>
              <th>Factor</th>
              <th>Before</th>
              <th>After</th>
              <th className="num">Points</th>
            </tr>
          </thead>
          <tbody>
            {d.score.factors.map((f) => (
              <tr key={f.factor}>
                <td>{f.factor}</td>
                <td>{f.before ? `${f.before.name} (${f.before.points})` : '—'}</td>
                <td>{f.after ? `${f.after.name} (${f.after.points})` : '—'}</td>
                <td className="num">{signed(f.change)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Path to cluster-admin after the change</h3>
      {adminAfter.reachesClusterAdmin ? (
        <ol className="steps" data-testid="what-if-path">
          {adminAfter.steps.map((s, i) => (
            <li key={i}>{s}</li>
          ))}
        </ol>
      ) : (
        <p data-testid="what-if-path">No path to cluster-admin.</p>
      )}

      <h3>Escalation targets</h3>
      <TargetRows before={result.before.escalation.targets} after={result.after.escalation.targets} />

      <h3>Findings</h3>
      {d.findings.resolved.length + d.findings.appeared.length === 0 ? (
        <p className="muted">No posture finding about it changes.</p>
      ) : (
        <table className="data" data-testid="what-if-findings">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Finding</th>
              <th>Severity</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {d.findings.resolved.map((f) => (
              <tr key={`r-${f.ruleId}-${f.severity}`}>
                <td>{f.ruleId}</td>
                <td>{f.title}</td>
                <td>
                  <span className={`pill sev-${f.severity}`}>{f.severity}</span>
                </td>
                <td>
                  <Change what="resolved" tone="better" />
                </td>
              </tr>
            ))}
            {d.findings.appeared.map((f) => (
              <tr key={`a-${f.ruleId}-${f.severity}`}>
                <td>{f.ruleId}</td>
                <td>{f.title}</td>
                <td>
                  <span className={`pill sev-${f.severity}`}>{f.severity}</span>
                </td>
                <td>
                  <Change what="would appear" tone="worse" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Permissions (reach)</h3>
      {d.permissions.length === 0 ? (
        <p className="muted">Its permissions do not change.</p>
      ) : (
        <table className="data" data-testid="what-if-permissions">
          <thead>
            <tr>
              <th>Scope</th>
              <th>Resource</th>
              <th>Before</th>
              <th>After</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {d.permissions.map((p) => (
              <tr key={`${p.scope}|${p.resource}`}>
                <td>{p.scope}</td>
                <td>
                  <code>{p.resource}</code>
                </td>
                <td>{p.before.join(', ') || '—'}</td>
                <td>{p.after.join(', ') || '—'}</td>
                <td>
                  {p.change === 'added' ? (
                    <Change what="added" tone="worse" />
                  ) : p.change === 'removed' ? (
                    <Change what="removed" tone="better" />
                  ) : (
                    <Change what="changed" tone="neutral" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Sensitive capabilities</h3>
      {d.capabilities.added.length + d.capabilities.removed.length === 0 ? (
        <p className="muted">No sensitive capability changes.</p>
      ) : (
        <table className="data" data-testid="what-if-capabilities">
          <thead>
            <tr>
              <th>Capability</th>
              <th>Scope</th>
              <th>Severity</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {d.capabilities.removed.map((c) => (
              <tr key={`r-${c.key}`}>
                <td>{c.title}</td>
                <td>{c.scope}</td>
                <td>
                  <span className={`pill sev-${c.severity}`}>{c.severity}</span>
                </td>
                <td>
                  <Change what="removed" tone="better" />
                </td>
              </tr>
            ))}
            {d.capabilities.added.map((c) => (
              <tr key={`a-${c.key}`}>
                <td>{c.title}</td>
                <td>{c.scope}</td>
                <td>
                  <span className={`pill sev-${c.severity}`}>{c.severity}</span>
                </td>
                <td>
                  <Change what="added" tone="worse" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Bindings</h3>
      {d.bindings.added.length + d.bindings.removed.length === 0 ? (
        <p className="muted">Its bindings do not change.</p>
      ) : (
        <table className="data" data-testid="what-if-binding-delta">
          <thead>
            <tr>
              <th>Binding</th>
              <th>Role</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {d.bindings.removed.map((b) => (
              <tr key={`r-${b.key}`}>
                <td>{bindingText(b)}</td>
                <td>{b.role}</td>
                <td>
                  <Change what="removed" tone="neutral" />
                </td>
              </tr>
            ))}
            {d.bindings.added.map((b) => (
              <tr key={`a-${b.key}`}>
                <td>{bindingText(b)}</td>
                <td>{b.role}</td>
                <td>
                  <Change what="added" tone="neutral" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Identities it can obtain</h3>
      {d.identities.added.length + d.identities.removed.length === 0 ? (
        <p className="muted">
          Unchanged ({result.after.escalation.identities.length} identit
          {result.after.escalation.identities.length === 1 ? 'y' : 'ies'}).
        </p>
      ) : (
        <ul className="compact" data-testid="what-if-identities">
          {d.identities.removed.map((i) => (
            <li key={`r-${i}`}>No longer: {i}</li>
          ))}
          {d.identities.added.map((i) => (
            <li key={`a-${i}`}>Newly: {i}</li>
          ))}
        </ul>
      )}
      <p className="muted small">
        Computed in {result.millis.load + result.millis.simulate} ms from {result.read.roles} roles, {result.read.bindings}{' '}
        bindings, {result.read.namespaces} namespaces and the stored paths of {result.read.otherServiceAccounts} other
        ServiceAccounts. Nothing was changed.
      </p>
    </section>
  );
}
