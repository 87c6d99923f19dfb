import type { Metadata } from 'next';
import Link from 'next/link';
import { ReportForm } from '@/components/report-form';
import { listClusters } from '@/lib/data/clusters';
import { prisma } from '@/lib/db/client';
import { pageViewer } from '@/lib/auth/page';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Reports' };

export default async function ReportsPage() {
  await pageViewer('/reports', '/reports');
  const clusters = (await listClusters(prisma())).map((c) => c.name);
  return (
    <section>
      <h1>Reports</h1>
      <p className="muted">
        Exports for auditors: the inventory, findings, credentials (metadata only, never a value), exceptions and the{' '}
        <Link href="/trail">activity trail</Link> as CSV or JSON under any filter, streamed from the database however many rows
        there are; and the evidence report as a PDF (scope, snapshot time, inventory, findings by OWASP NHI Top 10 item and by
        severity, exceptions with approvers and expiry, ownership and short-lived credential coverage). Every export is an entry
        of the activity trail, with the SHA-256 of the file sent.
      </p>
      <ReportForm clusters={clusters} />
      <h2>Verifying an export</h2>
      <ol>
        <li>Download the file, then its SHA256SUMS (the link appears once the download is done), into one folder.</li>
        <li>
          Run <code>sha256sum -c SHA256SUMS</code> there: it prints <code>&lt;file&gt;: OK</code> when the file is the one the
          server sent. The same hash is on the activity trail (<code>export.complete</code>), which cannot be edited unnoticed (
          <code>npx nhi trail verify</code>).
        </li>
        <li>
          From a terminal, <code>npx nhi export --format csv|json|pdf --out DIR</code> writes the files and SHA256SUMS together.
          CSV cells that start with <code>=</code>, <code>+</code>, <code>-</code>, <code>@</code>, a tab or a carriage return are
          prefixed with <code>&apos;</code> so that a spreadsheet shows them as text.
        </li>
      </ol>
    </section>
  );
}
