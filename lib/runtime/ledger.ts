/**
 * The per-token ledger (pure): for each service account token seen in the runtime events, who minted it
 * (the TokenRequest whose `authentication.kubernetes.io/issued-credential-id` names it), for which
 * ServiceAccount, bound to what, for which audiences and until when; then where it was used from (pods,
 * nodes, addresses, user agents, bounded lists with counts), how many calls, how many denied, first and
 * last use; and the anomalies that are facts.
 *
 * lib/data/ledger.ts aggregates the events in PostgreSQL (one row per token, one per token and value of a
 * dimension) and hands the rows to `buildLedger`; nothing here reads a database or a clock.
 *
 * A token is its credential id (`JTI=…`, user.extra `authentication.kubernetes.io/credential-id`): not a
 * secret, and the only thing of the token that is ever kept. A call is one audit request (its auditID,
 * whatever stages the audit policy logs), as in lib/data/activity.ts.
 *
 * What the anomalies can and cannot tell: the pod and node names of a request made with a pod-bound token
 * come from the token's own claims, not from where the request came from, so a token used "from another
 * pod" or "from several nodes" is a contradiction between the minting TokenRequest and its uses (or between
 * uses), a fact worth a look, rarely seen. Where the request came from is its source address.
 */
import type { NamespacedName } from './types';

/** How many values of each dimension (pods, nodes, addresses, agents) a ledger entry lists. */
export const LEDGER_TOP = 10;

export type LedgerDimension = 'pod' | 'node' | 'address' | 'agent';

/** The minting TokenRequest (`serviceaccounts/token` create carrying issued-credential-id). */
export interface MintRow {
  clusterId: string;
  credentialId: string;
  at: Date;
  /** Who asked for the token (the kubelet's `system:node:…` for projected tokens). */
  username: string | null;
  /** The ServiceAccount of the request's objectRef. */
  namespace: string | null;
  name: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  /** The stored tokenRequest facts (lib/runtime/types.ts TokenRequestInfo), already validated. */
  audiences: string[];
  expirationSeconds: number | null;
  boundObject: { kind: string; name: string; uid: string } | null;
  /** The response's expirationTimestamp (ISO), when the audit policy logged the response. */
  expiresAt: string | null;
}

/** The uses of one token, aggregated. */
export interface UseSummaryRow {
  clusterId: string;
  credentialId: string;
  calls: number;
  denied: number;
  firstAt: Date;
  lastAt: Date;
  saNamespace: string | null;
  saName: string | null;
  /** Distinct values seen, however many are listed. */
  pods: number;
  nodes: number;
  addresses: number;
  agents: number;
  /** Calls made after the minted expiry (0 when the expiry is unknown). */
  afterExpiry: number;
  /** Calls naming a pod other than the TokenRequest's bound pod (0 when not bound to a pod). */
  foreignPod: number;
}

/** One value of one dimension of one token's uses (the top LEDGER_TOP per dimension). */
export interface UseCountRow {
  clusterId: string;
  credentialId: string;
  dim: LedgerDimension;
  value: string;
  calls: number;
  lastAt: Date;
}

/** A token of the ledger page, in the order to show (newest activity first). */
export interface LedgerToken {
  clusterId: string;
  cluster: string;
  credentialId: string;
}

export interface LedgerCount {
  value: string;
  calls: number;
  lastAt: string;
}

export type LedgerAnomalyKind = 'foreign-pod' | 'used-after-expiry' | 'multiple-nodes';

export interface LedgerAnomaly {
  kind: LedgerAnomalyKind;
  /** One sentence of facts, for a title or a CLI line. */
  summary: string;
}

export interface LedgerEntry {
  cluster: string;
  clusterId: string;
  /** `JTI=…`: not a secret. */
  credentialId: string;
  serviceAccount: NamespacedName | null;
  /** Null when the minting TokenRequest is not among the stored events. */
  minted: { by: string | null; at: string; sourceIp: string | null; userAgent: string | null } | null;
  /** True for a token seen only in use: no minting event kept (before ingestion began, or past retention). */
  seenOnlyInUse: boolean;
  boundObject: { kind: string; name: string; uid: string } | null;
  audiences: string[];
  /** What the TokenRequest asked for. */
  expirationSeconds: number | null;
  /** The expiry the API server answered (null unless the audit policy logged the response). */
  expiresAt: string | null;
  calls: number;
  denied: number;
  firstUseAt: string | null;
  lastUseAt: string | null;
  used: { pods: LedgerCount[]; nodes: LedgerCount[]; addresses: LedgerCount[]; userAgents: LedgerCount[] };
  /** How many distinct values each dimension has (the lists above hold the top LEDGER_TOP). */
  distinct: { pods: number; nodes: number; addresses: number; userAgents: number };
  anomalies: LedgerAnomaly[];
}

const tokenKey = (clusterId: string, credentialId: string) => `${clusterId}\u0000${credentialId}`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `JTI=3f1c2a4b…` for a table cell (the full id goes in its title). */
export function shortCredentialId(id: string, keep = 8): string {
  const m = /^([A-Za-z]+=)(.*)$/.exec(id);
  const [prefix, rest] = m ? [m[1]!, m[2]!] : ['', id];
  return rest.length > keep ? `${prefix}${rest.slice(0, keep)}…` : id;
}

/** The anomalies of one entry: facts only, each with the numbers behind it. */
export function ledgerAnomalies(entry: Omit<LedgerEntry, 'anomalies'>, use: UseSummaryRow | undefined): LedgerAnomaly[] {
  const out: LedgerAnomaly[] = [];
  const bound = entry.boundObject?.kind === 'Pod' ? entry.boundObject.name : null;
  if (bound && use && use.foreignPod > 0) {
    const others = entry.used.pods.filter((p) => p.value !== bound).map((p) => p.value);
    out.push({
      kind: 'foreign-pod',
      summary: `bound to pod ${bound}, but ${plural(use.foreignPod, 'call')} named ${others.length ? others.join(', ') : 'another pod'}`,
    });
  }
  if (entry.expiresAt && use && use.afterExpiry > 0) {
    out.push({
      kind: 'used-after-expiry',
      summary: `expired ${entry.expiresAt}, yet ${plural(use.afterExpiry, 'call')} after that (last ${entry.lastUseAt})`,
    });
  }
  if (use && use.nodes > 1) {
    out.push({
      kind: 'multiple-nodes',
      summary: `used from ${use.nodes} nodes: ${entry.used.nodes.map((n) => n.value).join(', ')}`,
    });
  }
  return out;
}

/**
 * The ledger entries of `tokens` (kept in their order) from the minting rows, the use summaries and the
 * top values per dimension. A token without a minting row is marked `seenOnlyInUse`; one without uses
 * (minted, never used in what is stored) has zero calls and no use times.
 */
export function buildLedger(
  tokens: readonly LedgerToken[],
  mints: readonly MintRow[],
  uses: readonly UseSummaryRow[],
  counts: readonly UseCountRow[],
): LedgerEntry[] {
  const mintOf = new Map(mints.map((m) => [tokenKey(m.clusterId, m.credentialId), m]));
  const useOf = new Map(uses.map((u) => [tokenKey(u.clusterId, u.credentialId), u]));
  const countsOf = new Map<string, UseCountRow[]>();
  for (const c of counts) {
    const k = tokenKey(c.clusterId, c.credentialId);
    const list = countsOf.get(k);
    if (list) list.push(c);
    else countsOf.set(k, [c]);
  }
  const list = (rows: UseCountRow[], dim: LedgerDimension): LedgerCount[] =>
    rows
      .filter((r) => r.dim === dim)
      .sort((a, b) => b.calls - a.calls || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, LEDGER_TOP)
      .map((r) => ({ value: r.value, calls: r.calls, lastAt: r.lastAt.toISOString() }));

  return tokens.map((t) => {
    const k = tokenKey(t.clusterId, t.credentialId);
    const mint = mintOf.get(k);
    const use = useOf.get(k);
    const rows = countsOf.get(k) ?? [];
    const serviceAccount =
      mint?.namespace && mint.name
        ? { namespace: mint.namespace, name: mint.name }
        : use?.saNamespace && use.saName
          ? { namespace: use.saNamespace, name: use.saName }
          : null;
    const entry: Omit<LedgerEntry, 'anomalies'> = {
      cluster: t.cluster,
      clusterId: t.clusterId,
      credentialId: t.credentialId,
      serviceAccount,
      minted: mint ? { by: mint.username, at: mint.at.toISOString(), sourceIp: mint.sourceIp, userAgent: mint.userAgent } : null,
      seenOnlyInUse: !mint,
      boundObject: mint?.boundObject ?? null,
      audiences: mint?.audiences ?? [],
      expirationSeconds: mint?.expirationSeconds ?? null,
      expiresAt: mint?.expiresAt ?? null,
      calls: use?.calls ?? 0,
      denied: use?.denied ?? 0,
      firstUseAt: use?.firstAt.toISOString() ?? null,
      lastUseAt: use?.lastAt.toISOString() ?? null,
      used: {
        pods: list(rows, 'pod'),
        nodes: list(rows, 'node'),
        addresses: list(rows, 'address'),
        userAgents: list(rows, 'agent'),
      },
      distinct: { pods: use?.pods ?? 0, nodes: use?.nodes ?? 0, addresses: use?.addresses ?? 0, userAgents: use?.agents ?? 0 },
    };
    return { ...entry, anomalies: ledgerAnomalies(entry, use) };
  });
}
