/**
 * Schemas of the JSON columns the read layer returns, parsed where they are read (zod), so that pages,
 * routes and the CLI receive typed values instead of `Prisma.JsonValue`. A stored value that does not
 * match is an internal error naming the column and the row, never a silent cast.
 */
import { z } from 'zod';
import type { CertificateFacts } from '@/lib/credentials/certificate';
import { AppError } from '@/lib/errors';
import type { EscalationRow, EscalationTargetRow, ReachRow } from '@/lib/rbac/materialize';
import { TARGET_KINDS } from '@/lib/rbac/escalation-targets';
import { SEVERITIES } from '@/lib/rbac/capabilities';

const grantRef = z.object({ binding: z.string(), role: z.string() });

export const reachCapabilitySchema = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  scope: z.string(),
  effective: z.boolean(),
  grants: z.array(grantRef),
}) satisfies z.ZodType<ReachRow['capabilities'][number]>;
export type ReachCapability = z.infer<typeof reachCapabilitySchema>;

export const reachBindingSchema = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  role: z.string(),
  roleMissing: z.boolean(),
  // Rows stored before bindings recorded their group have none: they name the identity directly.
  group: z
    .string()
    .nullish()
    .transform((g) => g ?? null),
}) satisfies z.ZodType<ReachRow['bindings'][number], unknown>;
export type ReachBinding = z.infer<typeof reachBindingSchema>;

export const escalationStepSchema = z.object({
  text: z.string(),
  grants: z.array(grantRef),
}) satisfies z.ZodType<EscalationRow['steps'][number]>;
export type EscalationStep = z.infer<typeof escalationStepSchema>;

/** A path to one escalation target (IdentityReach.escalationTargets; rows stored before the column are `[]`). */
export const escalationTargetSchema = z.object({
  target: z.enum(TARGET_KINDS),
  scope: z.string(),
  distance: z.number().int(),
  steps: z.array(
    z.object({
      text: z.string(),
      kind: z.string(),
      grants: z.array(grantRef).optional(),
      // Rows stored before ESCALATION_FORMAT 3 do not name their nodes.
      from: z.string().optional(),
      to: z.string().optional(),
      fromLabel: z.string().optional(),
      toLabel: z.string().optional(),
      namespace: z.string().optional(),
    }),
  ),
  clusterAdminEquivalent: z.boolean().optional(),
}) satisfies z.ZodType<EscalationTargetRow>;
export type EscalationTarget = z.infer<typeof escalationTargetSchema>;

/** Public facts of a TLS certificate, as the collector stored them (Credential.certificate). */
export const certificateFactsSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  sans: z.array(z.string()),
  notBefore: z.string(),
  notAfter: z.string(),
  fingerprintSha256: z.string(),
  serialNumber: z.string(),
  selfSigned: z.boolean(),
  isCA: z.boolean(),
  chainLength: z.number().int(),
}) satisfies z.ZodType<CertificateFacts>;

/** A collection run's notes (CollectionRun.errors): per-API problems and skipped APIs. */
export const runNoteSchema = z.object({
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
});
export type RunNote = z.infer<typeof runNoteSchema>;

export const stringListSchema = z.array(z.string());
export const stringMapSchema = z.record(z.string(), z.string());
/** Stored metadata of a credential (labels, allow-listed annotations; a projected token's audience and expiry): never values. */
export const credentialMetadataSchema = z.record(z.string(), z.unknown());

/**
 * Parses a stored JSON value; `where` names the column and row for the error (e.g.
 * `IdentityReach.capabilities of identity <id>`).
 */
export function parseStored<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AppError(
    'internal',
    `Stored data is malformed: ${where} at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    {
      code: 'STORED_JSON',
    },
  );
}
