import Link from 'next/link';
import type { RiskView } from '@/lib/data/risk';
import type { Factor } from '@/lib/risk/score';
import { utcTime } from '@/lib/format';
import { RiskTrend } from './risk-trend';

/** The score's band, for its colour: the same cut-offs everywhere. */
export function riskBand(score: number): 'critical' | 'high' | 'medium' | 'low' {
  return score >= 70 ? 'critical' : score >= 40 ? 'high' : score >= 15 ? 'medium' : 'low';
}

export function RiskScorePill({ score }: { score: number }) {
  return (
    <span className={`pill sev-${riskBand(score)}`} data-testid="risk-score" title={`risk ${score} of 100`}>
      {score}
    </span>
  );
}

/** Factors with their points and evidence; the last row is their sum, which is the score. */
export function FactorTable({ factors, score }: { factors: Factor[]; score: number }) {
  if (!factors.length) return <p className="muted">Nothing counts against it: score 0.</p>;
  return (
    <table className="data" data-testid="risk-factors">
      <thead>
        <tr>
          <th scope="col">Factor</th>
          <th scope="col" className="num">
            Points
          </th>
          <th scope="col">Evidence</th>
        </tr>
      </thead>
      <tbody>
        {factors.map((f) => (
          <tr key={f.name}>
            <td>{f.name}</td>
            <td className="num">
              {f.points > 0 ? '+' : ''}
              {f.points}
            </td>
            <td>
              <ul className="evidence">
                {f.evidence.slice(0, 8).map((e, i) => (
                  <li key={i}>{e.href ? <Link href={e.href}>{e.label}</Link> : e.label}</li>
                ))}
                {f.evidence.length > 8 && <li className="muted">… and {f.evidence.length - 8} more</li>}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Score</th>
          <td className="num" data-testid="risk-total">
            {score}
          </td>
          <td className="muted">the sum of the points above</td>
        </tr>
      </tfoot>
    </table>
  );
}

/** The risk section of the identity and workload pages. */
export function RiskPanel({ risk }: { risk: RiskView | null }) {
  if (!risk) return <p className="muted">Not scored yet: scores are computed after each collection.</p>;
  return (
    <div data-testid="risk-panel">
      <p>
        <RiskScorePill score={risk.score} /> of 100 · weights {risk.weights} · computed {utcTime(risk.computedAt)} ·{' '}
        <Link href="/risk">all scores</Link>
      </p>
      <FactorTable factors={risk.factors} score={risk.score} />
      <RiskTrend points={risk.history} />
    </div>
  );
}
