import os from 'node:os';
import { invalidInput } from '@/lib/errors';

/**
 * Who acts in a CLI command, for the activity trail: the `--by` name given, else the operating-system account
 * that ran it (`os:<user>`), until sign-in gives commands a user too.
 */
export function cliActor(by?: string): string {
  if (by !== undefined) {
    const name = by.trim();
    if (!name || name.length > 200) throw invalidInput('--by: a name of 1 to 200 characters');
    return name;
  }
  try {
    return `os:${os.userInfo().username}`;
  } catch {
    return 'os:unknown';
  }
}
