import Link from 'next/link';
import { HIGH_RISK } from '@/lib/data/risk';
import type { TeamRow } from '@/lib/ownership/teams';
import { RiskScorePill } from './risk-panel';

const q = encodeURIComponent;

/** Teams with what they own (claimed / inferred), its risk, open findings, active anomalies and pending claims. */
export function TeamTable({ teams }: { teams: TeamRow[] }) {
  return (
    <div className="scroll-x">
      <table className="data" data-testid="teams-table">
        <caption className="sr-only">Teams with the identities and workloads they own and their risk</caption>
        <thead>
          <tr>
            <th scope="col">Team</th>
            <th scope="col" className="num">
              Identities
            </th>
            <th scope="col" className="num">
              Workloads
            </th>
            <th scope="col" className="num">
              Risk <span className="muted small">max · mean · ≥{HIGH_RISK}</span>
            </th>
            <th scope="col" className="num">
              Findings <span className="muted small">open</span>
            </th>
            <th scope="col" className="num">
              Anomalies <span className="muted small">active</span>
            </th>
            <th scope="col" className="num">
              Claims <span className="muted small">pending</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {teams.map((t) => (
            <tr key={t.id} data-team={t.name}>
              <th scope="row">
                <Link href={`/risk?team=${q(t.name)}`}>{t.name}</Link>
                <div className="muted small" style={{ fontWeight: 'normal' }}>
                  {t.members} member{t.members === 1 ? '' : 's'}
                  {t.contact ? ` · ${t.contact}` : ''}
                </div>
              </th>
              <td className="num">
                <Link href={`/risk?team=${q(t.name)}`}>{t.identities.total}</Link>
                <div className="muted small">
                  {t.identities.claimed} claimed · {t.identities.inferred} inferred
                </div>
              </td>
              <td className="num">
                <Link href={`/risk?subject=workload&team=${q(t.name)}`}>{t.workloads.total}</Link>
                <div className="muted small">
                  {t.workloads.claimed} claimed · {t.workloads.inferred} inferred
                </div>
              </td>
              <td className="num">
                {t.risk ? (
                  <>
                    <RiskScorePill score={t.risk.max} />
                    <div className="muted small">
                      mean {t.risk.mean} · {t.risk.high} at ≥{HIGH_RISK}
                    </div>
                  </>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="num">
                <Link href={`/findings?owner=${q(t.name)}`}>{t.openFindings}</Link>
              </td>
              <td className="num">{t.activeAnomalies}</td>
              <td className="num">
                {t.pendingClaims ? <Link href={`/ownership?claimTeam=${q(t.name)}#claims`}>{t.pendingClaims}</Link> : 0}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
