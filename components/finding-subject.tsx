import Link from 'next/link';
import type { FindingRow } from '@/lib/data/findings';
import { filterHref } from '@/lib/http/query';

/** What a finding is about, linked: its workload, identity, Secret, namespace (its findings) or cluster. */
export function FindingSubject({ f }: { f: FindingRow }) {
  if (f.workload)
    return (
      <Link href={`/workloads/${f.workload.id}`}>
        {f.workload.kind} {f.workload.namespace}/{f.workload.name}
      </Link>
    );
  if (f.identity)
    return (
      <Link href={`/identities/${f.identity.id}`}>
        {f.identity.namespace ? `${f.identity.namespace}/` : ''}
        {f.identity.name}
      </Link>
    );
  if (f.credential)
    return (
      <span>
        Secret {f.credential.namespace}/{f.credential.name}
      </span>
    );
  if (f.scope?.kind === 'namespace')
    return (
      <Link href={filterHref('/findings', { namespace: f.scope.namespace })} title="every finding of this namespace">
        namespace {f.scope.namespace}
      </Link>
    );
  if (f.scope?.kind === 'cluster') return <span title={`the whole cluster ${f.cluster}`}>cluster</span>;
  return <span className="muted">—</span>;
}
