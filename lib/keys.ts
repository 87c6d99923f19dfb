import { z } from 'zod';
import { AppError } from '@/lib/errors';

/** A Kubernetes object name (DNS subdomain characters), as a regular expression source without anchors. */
export const OBJECT_NAME = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?';
/** `NAMESPACE/NAME` of a ServiceAccount, as commands and filters take it (`--identity shop/api`). */
export const serviceAccountRefSchema = z
  .string()
  .regex(new RegExp(`^${OBJECT_NAME}/${OBJECT_NAME}$`), 'expected NAMESPACE/NAME of a ServiceAccount');

/**
 * The one key format for objects of a cluster that are named by kind, namespace and name: identities
 * (ServiceAccount, User, Group, CloudIdentity, SpiffeId) and RBAC roles and bindings.
 *
 *   ServiceAccount/payments/payments-api     User//alice     Group//system:authenticated
 *   ClusterRole//cluster-admin               Role/payments/reader
 *
 * Cluster-scoped objects have an empty namespace, as the inventory stores them. Kinds and namespaces
 * never contain "/", so a key is unambiguous even for user names that do (OIDC subjects, URLs).
 * `keySql` is the same key computed by PostgreSQL from a row of a table with kind/namespace/name columns.
 */
export interface KeyParts {
  kind: string;
  namespace?: string | null;
  name: string;
}

export function objectKey({ kind, namespace, name }: KeyParts): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** The key of an identity (see objectKey). */
export const identityKey = objectKey;

/** The key of a Role, ClusterRole, RoleBinding or ClusterRoleBinding (see objectKey). */
export const roleKey = objectKey;

/**
 * The same key as a SQL expression over `alias`'s kind/namespace/name columns (kind may be an enum).
 * `alias` is a table alias written by our own code, never input.
 */
export function keySql(alias: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new AppError('internal', `not a table alias: ${alias}`);
  return `(${alias}.kind::text || '/' || ${alias}.namespace || '/' || ${alias}.name)`;
}

/**
 * The identity a `subjectKey` column (`identity:<kind>/<namespace>/<name>`, RiskScore and RiskScoreDaily) names, as a
 * join condition on `alias` (an Identity row) that its unique index (clusterId, kind, namespace, name) serves: the key
 * taken apart (kinds and namespaces never contain "/", the name is the rest), not the identity's key built for every
 * row. Joining on the built key compared every daily score with every identity when the planner had no statistics
 * yet (right after a first collection): 155 s at 18,000 identities.
 */
export function identityOfSubjectKeySql(alias: string, subjectKey: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new AppError('internal', `not a table alias: ${alias}`);
  if (!/^[a-z_][a-z0-9_]*\."[a-zA-Z]+"$/.test(subjectKey)) throw new AppError('internal', `not a column: ${subjectKey}`);
  const rest = `substr(${subjectKey}, 10)`;
  return `${alias}.kind = split_part(${rest}, '/', 1)::"IdentityKind" AND ${alias}.namespace = split_part(${rest}, '/', 2)
       AND ${alias}.name = regexp_replace(${rest}, '^[^/]*/[^/]*/', '')`;
}
