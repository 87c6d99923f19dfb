/**
 * `nhi tokens`: the per-token ledger of the stored runtime events. Each service account token (by its
 * credential id, `JTI=…`, which is not a secret) with who minted it, for which ServiceAccount and pod,
 * its expiry, where it was used from, how many calls and denials, and its anomalies. Never a token value.
 * Its subcommands `create`, `revoke` and `list` are the dashboard's own API tokens (lib/cli/commands/users.ts).
 *
 *   nhi tokens --identity shop/cart
 *   nhi tokens --json | jq '.items[] | select(.anomalies | length > 0)'
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { ledgerFilterSchema, tokenLedger } from '@/lib/data/ledger';
import { shortCredentialId, type LedgerCount, type LedgerEntry } from '@/lib/runtime/ledger';

const time = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 19) : '-');
const top = (counts: LedgerCount[], distinct: number) =>
  counts.length ? `${counts[0]!.value}${distinct > 1 ? ` +${distinct - 1}` : ''}` : '-';

/** The plain table: one line per token, padded columns, anomalies last. */
export function ledgerTable(items: readonly LedgerEntry[]): string {
  const header = [
    'TOKEN',
    'SERVICE ACCOUNT',
    'MINTED BY',
    'MINTED AT',
    'BOUND TO',
    'EXPIRES',
    'CALLS',
    'DENIED',
    'LAST USE',
    'FROM',
    'ANOMALIES',
  ];
  const rows = items.map((t) => [
    shortCredentialId(t.credentialId),
    t.serviceAccount ? `${t.serviceAccount.namespace}/${t.serviceAccount.name}` : '-',
    t.minted ? (t.minted.by ?? '?') : '(seen only in use)',
    time(t.minted?.at ?? null),
    t.boundObject ? `${t.boundObject.kind} ${t.boundObject.name}` : t.used.pods[0] ? `Pod ${t.used.pods[0].value}` : '-',
    time(t.expiresAt),
    String(t.calls),
    String(t.denied),
    time(t.lastUseAt),
    [top(t.used.addresses, t.distinct.addresses), top(t.used.nodes, t.distinct.nodes)].filter((s) => s !== '-').join(' on ') ||
      '-',
    t.anomalies.map((a) => a.kind).join(', ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function registerTokenCommands(program: Command): Command {
  return program
    .command('tokens')
    .description(
      'The per-token ledger: each service account token seen in the runtime events, who minted it, where it was used from, calls, denials and anomalies (never a token value).',
    )
    .option('--cluster <name>', 'only this cluster')
    .option('--identity <ns/name>', 'only the tokens of this ServiceAccount')
    .option('--limit <n>', 'at most this many tokens, newest activity first (default 100)')
    .option('--json', 'print JSON: { total, items }')
    .action(async (opts: { cluster?: string; identity?: string; limit?: string; json?: boolean }) => {
      const filter = parseOptions(ledgerFilterSchema, { cluster: opts.cluster, identity: opts.identity, limit: opts.limit });
      const ledger = await withDatabase(({ db }) => tokenLedger(db, filter));
      if (opts.json) {
        console.log(JSON.stringify(ledger, null, 2));
        return;
      }
      console.log(`${ledger.total} token(s)${ledger.total > ledger.items.length ? ` (newest ${ledger.items.length})` : ''}`);
      if (!ledger.items.length) return;
      console.log(ledgerTable(ledger.items));
      for (const t of ledger.items)
        for (const a of t.anomalies) console.log(`  ${shortCredentialId(t.credentialId)} ${a.kind}: ${a.summary}`);
    });
}
