/**
 * Suggested owners of an unowned identity or workload (pure): the teams its neighbours point to, strongest
 * first. Three kinds of evidence, each a reason a person can check:
 *
 * - related: the team owns the workloads running as this ServiceAccount, or the ServiceAccount this workload
 *   runs as (the strongest hint: the same thing, seen from the other side);
 * - label: one of its labels or annotations (or its namespace's) has a team's name as its value, under a key the
 *   collector does not read as an owner (those keys already make inferred owners, lib/collect/normalize.ts);
 * - namespace: the team owns other identities or workloads in the same namespace (with how many).
 */
import { ownerKeys, weakOwnerKeys } from '@/lib/collect/normalize';

export type SuggestionKind = 'related' | 'label' | 'namespace';

export interface SuggestionEvidence {
  kind: SuggestionKind;
  team: string;
  /** In words, e.g. "owns 2 workloads running as it", "label app.kubernetes.io/name", "owns 5 others in payments". */
  why: string;
  /** How many subjects say so (related, namespace); 1 for a label. */
  count: number;
}

export interface Suggestion {
  team: string;
  why: string[];
}

/** Keys whose values already made inferred owners: never read again as suggestions. */
const INFERENCE_KEYS = new Set([...ownerKeys, ...weakOwnerKeys]);

/** A related owner outweighs any number of labels, a label any number of namespace neighbours (counts stop at 99). */
const WEIGHT: Record<SuggestionKind, number> = { related: 10_000, label: 100, namespace: 1 };

/**
 * Labels and annotations whose value is a team's name (compared without case), except the owner keys the
 * collector reads; `where` says whose they are ("label", "namespace payments label").
 */
export function labelEvidence(
  meta: { labels: Record<string, string>; annotations: Record<string, string> },
  teams: ReadonlyMap<string, string>,
  where: { label: string; annotation: string } = { label: 'label', annotation: 'annotation' },
): SuggestionEvidence[] {
  const out: SuggestionEvidence[] = [];
  for (const [field, entries] of [
    [where.label, meta.labels],
    [where.annotation, meta.annotations],
  ] as const)
    for (const [key, value] of Object.entries(entries).sort(([a], [b]) => a.localeCompare(b))) {
      if (INFERENCE_KEYS.has(key) || typeof value !== 'string') continue;
      const team = teams.get(value.trim().toLowerCase());
      if (team) out.push({ kind: 'label', team, why: `${field} ${key}=${value}`, count: 1 });
    }
  return out;
}

/**
 * The suggestions of one subject from its evidence: one per team, strongest first (related before labels
 * before namespace neighbours; more subjects before fewer; then by name), at most `limit`.
 */
export function rankSuggestions(evidence: readonly SuggestionEvidence[], limit = 5): Suggestion[] {
  const byTeam = new Map<string, { weight: number; why: string[] }>();
  for (const e of evidence) {
    const t = byTeam.get(e.team) ?? byTeam.set(e.team, { weight: 0, why: [] }).get(e.team)!;
    t.weight += WEIGHT[e.kind] * Math.min(99, Math.max(1, e.count));
    if (!t.why.includes(e.why)) t.why.push(e.why);
  }
  return [...byTeam.entries()]
    .sort(([a, x], [b, y]) => y.weight - x.weight || a.localeCompare(b))
    .slice(0, limit)
    .map(([team, { why }]) => ({ team, why }));
}
