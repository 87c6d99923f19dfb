/**
 * The admission webhook's endpoint work (POST /api/admission/<cluster>): authenticate the API server by the
 * cluster's ingest token (as the audit webhook, lib/runtime/tokens.ts), check that the token is the URL's cluster's,
 * read the AdmissionReview, judge it (lib/admission/review.ts) in the context of that cluster under the server's
 * policy and settings (lib/admission/config.ts), record the decision unless it was a dry run, and answer.
 *
 * Only findings deny (`allowed: false`). Anything else that goes wrong — the database, an invalid server policy or
 * setting, a malformed review — is an error status (500, 503, 400), and the API server applies the webhook's
 * failure policy: `Ignore` lets the object in (audit), `Fail` refuses it (enforce).
 *
 * The cluster's context (its RBAC objects) is read once and kept for NHI_ADMISSION_CONTEXT_SECONDS (30): a
 * collection is seen by the webhook within that time.
 */
import type pg from 'pg';
import { contextObjects } from '@/lib/check/context';
import { rbacFactsOf, type RbacFacts } from '@/lib/findings/subjects';
import { serverPolicies } from '@/lib/check/request';
import type { PrismaClient } from '@/lib/db/client';
import { loadRbacSnapshot } from '@/lib/data/rbac';
import { AppError, invalidInput } from '@/lib/errors';
import { authenticateIngest } from '@/lib/runtime/tokens';
import { admissionSettings } from './config';
import { reviewAdmission, type AdmissionResponse } from './review';
import { recordDecision } from './store';

/** An object is at most 1.5 MB in etcd; a review carries it and its previous version. */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;

interface ClusterContext {
  name: string;
  objects: unknown[];
  /** The objects' reach and escalation rows, computed on first use (once per context). */
  rbac: () => RbacFacts;
}
interface CachedContext {
  at: number;
  value: Promise<ClusterContext>;
}
const contexts = new Map<string, CachedContext>();
const contextTtlMs = () => Math.max(0, Number(process.env.NHI_ADMISSION_CONTEXT_SECONDS ?? 30)) * 1000;

/** The cluster's RBAC objects, read at most once per TTL (concurrent requests share one read). */
export function clusterContext(
  db: PrismaClient,
  cluster: { id: string; name: string },
  now = Date.now(),
): Promise<ClusterContext> {
  const cached = contexts.get(cluster.id);
  if (cached && now - cached.at < contextTtlMs()) return cached.value;
  const value = loadRbacSnapshot(db, cluster.id).then(({ snapshot }): ClusterContext => {
    const objects = contextObjects(snapshot);
    let facts: RbacFacts | undefined;
    return { name: cluster.name, objects, rbac: () => (facts ??= rbacFactsOf(objects)) };
  });
  contexts.set(cluster.id, { at: now, value });
  value.catch(() => contexts.delete(cluster.id));
  return value;
}

/** Forgets the cached contexts (tests, after a collection they want seen at once). */
export const forgetAdmissionContexts = () => contexts.clear();

async function readReview(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  const tooLarge = () => invalidInput(`the AdmissionReview is larger than ${MAX_REVIEW_BYTES / 1024 / 1024} MB`);
  if (declared > MAX_REVIEW_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_REVIEW_BYTES) throw tooLarge();
  try {
    return JSON.parse(text);
  } catch {
    throw invalidInput('the body is not JSON (an admission.k8s.io/v1 AdmissionReview is expected)');
  }
}

/** Answers one AdmissionReview for the cluster named in the URL (see the module comment). */
export async function admissionRequest(
  pool: pg.Pool,
  db: PrismaClient,
  request: Request,
  clusterParam: string,
  now: Date = new Date(),
): Promise<AdmissionResponse> {
  const { clusterId } = await authenticateIngest(pool, request.headers.get('authorization'), now);
  const cluster = (await pool.query<{ id: string; name: string }>(`SELECT id, name FROM "Cluster" WHERE id = $1`, [clusterId]))
    .rows[0];
  if (!cluster || cluster.name !== clusterParam)
    throw new AppError('forbidden', 'this ingest token is not the token of the cluster the webhook URL names', {
      code: 'ADMISSION_CLUSTER_MISMATCH',
    });
  const body = await readReview(request);
  const settings = admissionSettings(cluster.name);
  const { policy, credentialPolicy } = serverPolicies();
  const context = await clusterContext(db, cluster);
  const { response, decision } = reviewAdmission(body, { ...settings, policy, credentialPolicy, context, now });
  if (decision?.record) await recordDecision(pool, cluster.id, decision, now);
  return response;
}
