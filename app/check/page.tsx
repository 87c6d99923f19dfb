import type { Metadata } from 'next';
import Link from 'next/link';
import { CheckForm } from '@/components/check-form';
import { pageViewer } from '@/lib/auth/page';
import { listClusters } from '@/lib/data/clusters';
import { prisma } from '@/lib/db/client';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Check manifests' };

export default async function CheckPage() {
  const viewer = await pageViewer('/check', '/check');
  const clusters = (await listClusters(prisma())).map((c) => c.name);
  return (
    <section>
      <h1>Check manifests</h1>
      <p className="muted">
        The deploy-time gate (<code>nhi check</code>) before anything reaches a cluster: Kubernetes manifests judged with the
        rules that apply before deploy — grants and escalation paths, pod security, mutable tags and registries, owners, shared
        accounts, legacy token Secrets, secrets written in the environment — under this server&apos;s findings policy and its
        exceptions. With a cluster context, a new binding is judged with the roles that collected cluster already holds; only what
        the manifests define or touch is reported. Secret values are never shown, and nothing is stored.
      </p>
      <CheckForm clusters={clusters} />
      <h2>The same gate in CI</h2>
      <p>
        Run <code>npx nhi check k8s/ --format sarif --fail-on high</code> in the pipeline (no database needed): it exits 1 when an
        open finding is at or above the threshold, 2 when the manifests cannot be read, and prints SARIF for GitHub code scanning.
        Render charts first (<code>helm template ./chart | npx nhi check - --fail-on high</code>), add{' '}
        <code>--policy nhi-policy.yaml</code> for your exceptions, and <code>--cluster NAME</code> where the pipeline can reach
        this database. See <Link href="/findings">Findings</Link> for what each rule means.
      </p>
      <h2>The same gate at admission</h2>
      <p>
        The admission webhook applies these rules when objects reach the API server, in the context of the collected cluster:
        audit mode warns, enforce mode denies with the rule and its fix (<code>npx nhi admission config</code> prints its
        configuration).{' '}
        {viewer.role === 'service_owner' ? (
          'Security leads see its decisions; yours are on your workloads’ timelines.'
        ) : (
          <Link href="/admission">Its recent decisions</Link>
        )}
      </p>
      <p className="muted small">
        {viewer.role === 'auditor'
          ? 'From a script, use the command above: an auditor’s API tokens only read, and the check is a POST.'
          : 'From a script, POST the same JSON to /api/check with an API token of read-and-write scope (Account page).'}
      </p>
    </section>
  );
}
