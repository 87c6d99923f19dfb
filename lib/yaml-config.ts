/**
 * Versioned YAML settings files (the credential policy, the behaviour profiles): read, parse and validate
 * with a zod schema, refusing an invalid file with the field and the reason, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { invalidInput } from '@/lib/errors';

/** A settings object from YAML text; an invalid one is refused naming `source`, the field and the reason. */
export function parseYamlConfig<S extends z.ZodType>(schema: S, text: string, source: string): z.output<S> {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw invalidInput(`${source} is not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalidInput(`${source}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
}

/** The settings file `file` (what: how errors name it), or `fallback` when no file is named. */
export function loadYamlConfig<S extends z.ZodType>(
  schema: S,
  file: string | undefined,
  fallback: z.output<S>,
  what: string,
): z.output<S> {
  if (!file) return fallback;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidInput(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseYamlConfig(schema, text, file);
}
