import type { EscalationTarget } from '@/lib/data/json';

/** The targets other than cluster-admin (shown above it on the identity page), most severe first. */
const KINDS: { target: EscalationTarget['target']; title: string; scope: (scope: string) => string }[] = [
  { target: 'node', title: 'The node', scope: (ns) => (ns === '*' ? 'any node' : `a pod made in namespace ${ns}`) },
  { target: 'token-mint', title: 'Tokens of more powerful identities', scope: (id) => id },
  {
    target: 'other-namespace-secrets',
    title: "Other namespaces' Secrets",
    scope: (ns) => (ns === '*' ? 'every namespace' : `namespace ${ns}`),
  },
  {
    target: 'namespace-admin',
    title: 'Control of a namespace',
    scope: (ns) => (ns === '*' ? 'every namespace' : `namespace ${ns}`),
  },
];

const steps = (n: number) => `${n} step${n === 1 ? '' : 's'}`;

/**
 * Every escalation target an identity reaches besides cluster-admin (IdentityReach.escalationTargets): per target,
 * the shortest path step by step with the grants behind each RBAC step.
 */
export function EscalationTargets({ targets }: { targets: readonly EscalationTarget[] }) {
  const groups = KINDS.map((k) => ({ ...k, paths: targets.filter((t) => t.target === k.target) })).filter((g) => g.paths.length);
  if (!groups.length)
    return (
      <p className="muted" data-testid="escalation-targets">
        No path to the node, to other identities&apos; tokens, to other namespaces&apos; Secrets or to control of a namespace.
      </p>
    );
  return (
    <div data-testid="escalation-targets">
      {groups.map((g) => (
        <section key={g.target} data-target={g.target}>
          <h4>
            {g.title}{' '}
            <span
              className={`pill ${g.target === 'node' || g.paths.some((p) => p.clusterAdminEquivalent) ? 'sev-critical' : 'sev-high'}`}
            >
              {g.paths.length === 1 ? steps(g.paths[0]!.distance) : `${g.paths.length} paths`}
            </span>
          </h4>
          {g.paths.map((p) => (
            <details key={`${p.target} ${p.scope}`} open={p === g.paths[0]}>
              <summary>
                {g.scope(p.scope)} — {steps(p.distance)}
                {p.clusterAdminEquivalent && (
                  <>
                    {' '}
                    <span className="pill sev-critical">cluster-admin equivalent</span>
                  </>
                )}
              </summary>
              <ol className="steps">
                {p.steps.map((s, i) => (
                  <li key={i}>
                    {s.text}
                    {s.grants && s.grants.length > 0 && (
                      <span className="muted"> — granted by {s.grants.map((x) => `${x.binding} → ${x.role}`).join(', ')}</span>
                    )}
                  </li>
                ))}
              </ol>
            </details>
          ))}
        </section>
      ))}
    </div>
  );
}
