/**
 * Passwords: argon2id through @node-rs/argon2 (maintained Rust bindings with prebuilt binaries on npm; no
 * build step, no download at install), with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). The stored
 * value is the PHC string, which carries its parameters, so they can be raised later without a migration.
 */
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { z } from 'zod';

const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A new password: long enough to resist guessing (NIST 800-63B asks for at least 8; we ask 12), bounded. */
export const passwordSchema = z
  .string()
  .min(12, 'a password needs at least 12 characters')
  .max(256, 'a password has at most 256 characters');

export const hashPassword = (password: string): Promise<string> => hash(password, OPTIONS);

/** True when `password` matches the PHC string; false for a wrong password or a malformed hash. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Spends the time of one verification when there is no account to verify against, so that the answer's
 * timing does not tell whether an e-mail address has an account.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword('not a password of anyone');
  await verifyPassword(await dummy, password);
  return false;
}
