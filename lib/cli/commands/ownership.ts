/**
 * `nhi teams` and `nhi claims`: teams with what they own and its risk, the unowned queue, and the claim
 * workflow. Changes act as the user the operator names with `--by EMAIL` (an enabled user whose role allows the
 * step), and are on the activity trail under that user, as from the web app.
 *
 *   nhi teams [--json]
 *   nhi claims unowned [--namespace NS] [--kind K] [--json]
 *   nhi claims create (--workload ID | --identity ID) [--team T] --by EMAIL [--note TEXT]
 *   nhi claims list [--status pending|approved|rejected|withdrawn|decided|all] [--team T] [--json]
 *   nhi claims approve|reject ID --by EMAIL [--note TEXT]
 *   nhi claims withdraw ID --by EMAIL
 */
import type { Command } from 'commander';
import { principalByEmail } from '@/lib/auth/principal';
import { allows, ROLE_LABELS, type Permission } from '@/lib/auth/roles';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import type { PrismaClient } from '@/lib/db/client';
import { forbidden } from '@/lib/errors';
import { claimFilterSchema, createClaim, decideClaim, listClaims, withdrawClaim, type ClaimView } from '@/lib/ownership/claims';
import { listTeams, type TeamRow } from '@/lib/ownership/teams';
import { unownedFilterSchema, unownedQueue, type UnownedItem } from '@/lib/ownership/unowned';

/** The user named by `--by`, refused unless their role holds `permission`. */
async function operator(db: PrismaClient, email: string, permission: Permission) {
  const who = await principalByEmail(db, email);
  if (!allows(who.role, permission))
    throw forbidden(`${who.email} is ${ROLE_LABELS[who.role].toLowerCase()}: the role may not do this (${permission})`);
  return who;
}

const teamLine = (t: TeamRow) =>
  [
    t.name.padEnd(20),
    `identities ${t.identities.total} (${t.identities.claimed} claimed)`.padEnd(28),
    `workloads ${t.workloads.total} (${t.workloads.claimed} claimed)`.padEnd(28),
    t.risk ? `risk mean ${t.risk.mean} max ${t.risk.max} ≥70 ${t.risk.high}`.padEnd(28) : 'risk —'.padEnd(28),
    `findings ${t.openFindings}`.padEnd(14),
    `anomalies ${t.activeAnomalies}`.padEnd(14),
    `pending claims ${t.pendingClaims}`,
  ].join(' ');

const claimLine = (c: ClaimView) =>
  [
    c.status.padEnd(9),
    `${c.subject.type} ${c.subject.cluster}/${c.subject.label}`,
    `→ ${c.team}`,
    `claimed by ${c.claimant.email} ${c.createdAt.slice(0, 10)}`,
    c.decidedBy ? `${c.status} by ${c.decidedBy.email} ${c.decidedAt?.slice(0, 10) ?? ''}` : '',
    c.note ? `“${c.note}”` : '',
    c.id,
  ]
    .filter(Boolean)
    .join('\t');

const unownedLine = (u: UnownedItem) =>
  [
    String(u.risk ?? '—').padStart(3),
    u.type.padEnd(8),
    `${u.cluster}/${u.namespace}/${u.kind}/${u.name}`,
    u.suggestions.length ? `suggested: ${u.suggestions.map((s) => `${s.team} (${s.why.join('; ')})`).join(', ')}` : '',
    u.pendingClaims.length ? `pending: ${u.pendingClaims.map((c) => c.team).join(', ')}` : '',
    u.id,
  ]
    .filter(Boolean)
    .join('\t');

export function registerOwnershipCommands(program: Command): void {
  program
    .command('teams')
    .description('Teams with the identities and workloads they own (claimed or inferred), their risk, findings and claims.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const teams = await withDatabase(({ db }) => listTeams(db));
      if (opts.json) return void console.log(JSON.stringify(teams, null, 2));
      console.log(
        teams.length ? teams.map(teamLine).join('\n') : 'No team yet: owner labels and nhi users add --team make them.',
      );
    });

  const claims = program
    .command('claims')
    .description('Ownership claims: a team asks to own a workload or an identity; a security lead or admin decides.');

  claims
    .command('unowned')
    .description('Identities and workloads no team owns, riskiest first, with suggested owners.')
    .option('--cluster <name>', 'only this cluster')
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('--kind <kind>', 'ServiceAccount, a workload kind, identity or workload')
    .option('-q, --query <text>', 'part of the name or namespace')
    .option('--limit <n>', 'how many (default 25, at most 100)')
    .option('--json', 'print JSON')
    .action(
      async (opts: { cluster?: string; namespace?: string; kind?: string; query?: string; limit?: string; json?: boolean }) => {
        const filter = parseOptions(unownedFilterSchema, {
          cluster: opts.cluster,
          namespace: opts.namespace,
          kind: opts.kind,
          q: opts.query,
          pageSize: opts.limit,
        });
        const page = await withDatabase(({ db }) => unownedQueue(db, filter));
        if (opts.json) return void console.log(JSON.stringify(page, null, 2));
        console.log(page.rows.length ? page.rows.map(unownedLine).join('\n') : 'Nothing unowned matches.');
        if (page.total > page.rows.length) console.log(`(${page.rows.length} of ${page.total})`);
      },
    );

  claims
    .command('list')
    .description('Claims, pending first, then the decided ones.')
    .option('--status <status>', 'pending, approved, rejected, withdrawn, decided or all (default)')
    .option('--team <name>', 'only this team')
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; team?: string; json?: boolean }) => {
      const filter = parseOptions(claimFilterSchema, { status: opts.status, team: opts.team, pageSize: 200 });
      const { rows } = await withDatabase(({ db }) => listClaims(db, null, filter));
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      console.log(rows.length ? rows.map(claimLine).join('\n') : 'No claim matches.');
    });

  claims
    .command('create')
    .description('Ask that a team own a workload or an identity (a service owner: for one of their teams).')
    .option('--workload <id>', 'the workload (its page, or nhi claims unowned)')
    .option('--identity <id>', 'the identity')
    .option('--team <name>', "the team (a service owner's only team when left out)")
    .requiredOption('--by <email>', 'who claims: an admin, security lead or service owner')
    .option('--note <text>', 'why this team owns it')
    .option('--json', 'print JSON')
    .action(async (opts: { workload?: string; identity?: string; team?: string; by: string; note?: string; json?: boolean }) => {
      const c = await withDatabase(async ({ db }) =>
        createClaim(db, await operator(db, opts.by, 'ownership.claim'), {
          workloadId: opts.workload,
          identityId: opts.identity,
          team: opts.team,
          note: opts.note,
        }),
      );
      console.log(
        opts.json ? JSON.stringify(c, null, 2) : `Claim ${c.id}: ${c.team} for ${c.subject.type} ${c.subject.label}, pending`,
      );
    });

  for (const decision of ['approve', 'reject'] as const)
    claims
      .command(decision)
      .description(
        decision === 'approve'
          ? 'Approve a pending claim: the team becomes the claimed owner (in place of an earlier claimed owner).'
          : 'Reject a pending claim.',
      )
      .argument('<claim-id>', 'the claim (nhi claims list)')
      .requiredOption('--by <email>', 'who decides: a security lead or admin, not the claimant')
      .option('--note <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (id: string, opts: { by: string; note?: string; json?: boolean }) => {
        const c = await withDatabase(async ({ db, pool }) =>
          decideClaim(db, await operator(db, opts.by, 'ownership.decide'), id, { decision, note: opts.note }, { pool }),
        );
        console.log(
          opts.json
            ? JSON.stringify(c, null, 2)
            : `Claim ${c.id} ${c.status}: ${c.team} for ${c.subject.type} ${c.subject.label}`,
        );
      });

  claims
    .command('withdraw')
    .description('Take back a pending claim you made.')
    .argument('<claim-id>', 'the claim')
    .requiredOption('--by <email>', 'the claimant')
    .option('--note <text>', 'why')
    .action(async (id: string, opts: { by: string; note?: string }) => {
      const c = await withDatabase(async ({ db }) =>
        withdrawClaim(db, await operator(db, opts.by, 'ownership.claim'), id, { note: opts.note }),
      );
      console.log(`Claim ${c.id} withdrawn: ${c.team} for ${c.subject.type} ${c.subject.label}`);
    });
}
