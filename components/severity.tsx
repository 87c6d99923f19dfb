const classes: Record<string, string> = {
  critical: 'sev-critical',
  high: 'sev-high',
  medium: 'sev-medium',
  low: 'sev-low',
  info: 'sev-low',
};

export function SeverityPill({ severity }: { severity: string | null }) {
  if (!severity) return <span className="muted">—</span>;
  return <span className={`pill ${classes[severity] ?? 'pill-muted'}`}>{severity}</span>;
}
