/** Checks shared by the CLI commands' options, each failing as invalid input (exit 2) naming the option. */
import type { z } from 'zod';
import { invalidInput } from '@/lib/errors';

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;

/** `--cluster NAME` for a cluster the command may create: letters, digits and . _ : @ - (or absent). */
export function clusterNameOption<T extends string | undefined>(name: T): T {
  if (name !== undefined && !CLUSTER_NAME.test(name))
    throw invalidInput(`--cluster must be a name of letters, digits and . _ : @ - (got "${name}")`);
  return name;
}

/** Options parsed with a zod schema; the first problem names its option as typed (`--older-than`). */
export function parseOptions<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const option = String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  throw invalidInput(`--${option}: ${issue.message}`);
}
