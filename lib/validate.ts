import { z } from 'zod';
import { invalidInput } from '@/lib/errors';

/** Validates input from outside with a zod schema; the first problem becomes a 400 / exit-2 error naming its field. */
export function parseFields<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalidInput(`Invalid field "${issue?.path.join('.') || '?'}": ${issue?.message ?? 'invalid'}`);
}

/** True for a UUID (ids of the database's rows): checked before a lookup, so that a malformed id is a 404, not a 500. */
export const isUuid = (id: string): boolean => z.uuid().safeParse(id).success;
