import Link from 'next/link';
import { CopyButton } from '@/components/copy-button';
import { SeverityPill } from '@/components/severity';
import type { FindingView } from '@/lib/data/findings';
import { utcTime } from '@/lib/format';

const utc = (iso: string | null) => (iso ? utcTime(iso) : '—');

/**
 * Findings with their explanation and fix, open ones first (identity and workload pages). A finding about something
 * around the page's subject (the namespace a workload runs in) says what it is about first.
 */
export function FindingList({ findings }: { findings: FindingView[] }) {
  if (findings.length === 0) return <p className="muted">None.</p>;
  return (
    <ul className="findings" data-testid="findings">
      {findings.map((f) => (
        <li key={f.id} className={f.status === 'open' ? '' : 'muted'} data-status={f.status}>
          <SeverityPill severity={f.severity} />{' '}
          <strong>
            <Link href={`/findings/${f.id}`}>{f.title}</Link>
          </strong>{' '}
          <span className="muted">
            {f.about && <span data-testid="finding-about">{f.about} · </span>}
            {f.ruleId} · {f.owasp.map((o) => `${o.id} ${o.name}`).join(', ')}
            {f.status !== 'open' && ` · ${f.status} ${utc(f.resolvedAt)}`}
          </span>
          <p>{f.explanation}</p>
          <p>
            <em>Fix:</em> {f.remediation.text}
          </p>
          {f.remediation.yaml && (
            <>
              <pre>{f.remediation.yaml}</pre>
              <CopyButton text={f.remediation.yaml} label="Copy YAML" />
            </>
          )}
          {f.remediation.command && (
            <>
              <pre>{f.remediation.command}</pre>
              <CopyButton text={f.remediation.command} label="Copy command" />
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
