/**
 * `nhi users add|list|disable` and `nhi tokens create|revoke|list`: the dashboard's accounts and the API tokens
 * of scripts, for an operator with database access (the trail records `--by`, else the OS account).
 *
 *   nhi users add --email ana@example.com --name "Ana" --role service_owner --team payments --password-stdin
 *   nhi tokens create --user ana@example.com --name ci --scope read --expires 30d
 *   nhi tokens revoke nhi_pat_AbCdEf
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createApiToken, listApiTokens, revokeApiToken } from '@/lib/auth/api-tokens';
import { ROLES } from '@/lib/auth/roles';
import { addUser, disableUser, listUsers } from '@/lib/auth/users';
import { withDatabase } from '@/lib/cli/database';
import { invalidInput } from '@/lib/errors';
import { cliActor } from '@/lib/trail/cli-actor';

const collect = (value: string, previous: string[]) => [...previous, value];
const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

/** The password from stdin (first line), so that it is neither in the shell's history nor in `ps`. */
function passwordFromStdin(): string {
  const text = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
  if (!text) throw invalidInput('--password-stdin: no password on standard input');
  return text;
}

export function registerUserCommands(program: Command, tokens: Command): void {
  const users = program.command('users').description("The dashboard's accounts: add, list, disable.");
  users
    .command('add')
    .description('Add a user. Roles: admin, security_lead, service_owner (needs --team), auditor.')
    .requiredOption('--email <address>', 'sign-in e-mail address')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--team <name>', 'a team whose identities and workloads a service owner sees (repeatable)', collect, [])
    .option('--password-stdin', 'read the password (12+ characters) from standard input')
    .option('--by <name>', 'who acts, for the activity trail (default: the OS account)')
    .action(async (o: { email: string; name: string; role: string; team: string[]; passwordStdin?: boolean; by?: string }) => {
      const password = o.passwordStdin ? passwordFromStdin() : undefined;
      const user = await withDatabase(({ db }) =>
        addUser(db, { email: o.email, name: o.name, role: o.role as never, teams: o.team, password }, cliActor(o.by)),
      );
      console.log(`Added ${user.email} (${user.role}${user.teams.length ? `, teams ${user.teams.join(', ')}` : ''}).`);
      if (!password) console.log('No password set: give one with --password-stdin, or let the user sign in with single sign-on.');
    });
  users
    .command('list')
    .description('List the users.')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const rows = await withDatabase(({ db }) => listUsers(db));
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      for (const u of rows)
        console.log(
          [
            u.email,
            u.role,
            u.teams.join(',') || '-',
            `last sign-in ${day(u.lastSignInAt)}`,
            u.disabledAt ? `disabled ${day(u.disabledAt)}` : 'enabled',
          ].join('\t'),
        );
    });
  users
    .command('disable <email>')
    .description('Disable a user: their sessions and API tokens end at once (users are never deleted).')
    .option('--by <name>', 'who acts, for the activity trail (default: the OS account)')
    .action(async (email: string, o: { by?: string }) => {
      const u = await withDatabase(({ db }) => disableUser(db, email, cliActor(o.by)));
      console.log(`Disabled ${u.email}.`);
    });

  tokens
    .command('create')
    .description("Make an API token for a user's scripts (printed once; only its hash is kept).")
    .requiredOption('--user <email>', 'the user the token acts as')
    .requiredOption('--name <name>', 'a name to recognise it by')
    .option('--scope <scope>', 'read (GET only) | write', 'read')
    .option('--expires <duration>', 'lifetime, e.g. 30d, 12h (at most 365d)', '90d')
    .option('--by <name>', 'who acts, for the activity trail (default: the OS account)')
    .action(async (o: { user: string; name: string; scope: string; expires: string; by?: string }) => {
      const { token, row } = await withDatabase(({ db }) =>
        createApiToken(db, { user: o.user, name: o.name, scope: o.scope as never, expires: o.expires }, cliActor(o.by)),
      );
      console.error(`Token ${row.prefix}… for ${row.user} (${row.scope}), expires ${day(row.expiresAt)}. It is shown only now:`);
      console.log(token);
    });
  tokens
    .command('revoke <id-or-prefix>')
    .description('Revoke an API token by its id or its printed prefix.')
    .option('--by <name>', 'who acts, for the activity trail (default: the OS account)')
    .action(async (key: string, o: { by?: string }) => {
      const row = await withDatabase(({ db }) => revokeApiToken(db, key, cliActor(o.by)));
      console.log(`Revoked ${row.prefix}… of ${row.user}.`);
    });
  tokens
    .command('list')
    .description("List the dashboard's API tokens (never a token).")
    .option('--user <email>', 'only this user')
    .option('--json', 'print JSON')
    .action(async (o: { user?: string; json?: boolean }) => {
      const rows = await withDatabase(({ db }) => listApiTokens(db, o.user));
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      for (const t of rows)
        console.log(
          [
            t.id,
            `${t.prefix}…`,
            t.user,
            t.name,
            t.scope,
            `expires ${day(t.expiresAt)}`,
            t.revokedAt ? `revoked ${day(t.revokedAt)}` : 'live',
          ].join('\t'),
        );
    });
}
