import { SeverityPill } from '@/components/severity';
import type { FindingView } from '@/lib/data/findings';
import { utcTime } from '@/lib/format';

const utc = (iso: string | null) => (iso ? utcTime(iso) : '—');

/** Findings with their explanation and fix, open ones first (identity and workload pages). */
export function FindingList({ findings }: { findings: FindingView[] }) {
  if (findings.length === 0) return <p className="muted">None.</p>;
  return (
    <ul className="findings" data-testid="findings">
      {findings.map((f) => (
        <li key={f.id} className={f.status === 'open' ? '' : 'muted'}>
          <SeverityPill severity={f.severity} /> <strong>{f.title}</strong>{' '}
          <span className="muted">
            {f.ruleId} · {f.owasp.map((o) => `${o.id} ${o.name}`).join(', ')}
            {f.status !== 'open' && ` · ${f.status} ${utc(f.resolvedAt)}`}
          </span>
          <p>{f.explanation}</p>
          <p>
            <em>Fix:</em> {f.remediation.text}
          </p>
          {f.remediation.yaml && <pre>{f.remediation.yaml}</pre>}
          {f.remediation.command && <pre>{f.remediation.command}</pre>}
        </li>
      ))}
    </ul>
  );
}
