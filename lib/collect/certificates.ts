/**
 * The opt-in certificate path (`--tls-certificates`): the public facts of the `tls.crt` of
 * `kubernetes.io/tls` Secrets, attached to the metadata-only `SecretMeta` as `certificate`.
 *
 * Reading them means reading Secret values: the API cannot list one key of a Secret, so the full
 * objects of `kubernetes.io/tls` Secrets (tls.key included) reach this process. Only `tls.crt` is
 * decoded and parsed (lib/credentials/certificate.ts); the objects are dropped page by page, and nothing
 * but the facts leaves this module — no value reaches the snapshot, a note, a log line or an error.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { parseCertificate, type CertificateFacts } from '@/lib/credentials/certificate';
import { AppError } from '@/lib/errors';
import { KubeHttpError, kubeGet } from './kube';
import type { CollectionNote, SecretMeta } from './types';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export interface CertificateOptions {
  /** Parse the public `tls.crt` of `kubernetes.io/tls` Secrets (reads those Secrets' values; off by default). */
  tlsCertificates?: boolean;
}

/** What a `tls.crt` gave: the facts, or why there are none (a sentence that never quotes the value). */
export type CertificateRead =
  { certificate: CertificateFacts; problem?: undefined } | { certificate?: undefined; problem: string };

/**
 * The certificate facts of a full Secret object (from the API or a dump): its `data['tls.crt']`
 * (base64, as the API serves it) or, in a manifest, `stringData['tls.crt']`. Nothing else of the object
 * is looked at. `undefined` for a Secret that is not of type kubernetes.io/tls.
 */
export function certificateOfSecret(secret: {
  type?: unknown;
  data?: unknown;
  stringData?: unknown;
}): CertificateRead | undefined {
  if (secret.type !== TLS_SECRET_TYPE) return undefined;
  const data = secret.data && typeof secret.data === 'object' ? (secret.data as Record<string, unknown>) : undefined;
  const stringData =
    secret.stringData && typeof secret.stringData === 'object' ? (secret.stringData as Record<string, unknown>) : undefined;
  let pem: string | undefined;
  if (typeof data?.['tls.crt'] === 'string') {
    const b64 = data['tls.crt'].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return { problem: 'tls.crt is not base64' };
    pem = Buffer.from(b64, 'base64').toString('utf8');
  } else if (typeof stringData?.['tls.crt'] === 'string') pem = stringData['tls.crt'];
  if (pem === undefined) return { problem: 'no tls.crt' };
  try {
    return { certificate: parseCertificate(pem) };
  } catch (e) {
    // parseCertificate's messages never quote the input; anything else is not repeated at all.
    return { problem: e instanceof AppError ? e.message : 'tls.crt could not be read' };
  }
}

/** The certificate read from one kubernetes.io/tls Secret, by the Secret's identity (no other field of it). */
export type TlsCertificateRead = { namespace?: string; name: string; uid?: string } & CertificateRead;

/** The identity of a full Secret object and its certificate; the object itself is not kept. */
function readOf(item: Record<string, unknown>): TlsCertificateRead {
  const m = (item.metadata ?? {}) as { namespace?: unknown; name?: unknown; uid?: unknown };
  const read = certificateOfSecret(item) ?? { problem: 'not a kubernetes.io/tls Secret' };
  return {
    namespace: typeof m.namespace === 'string' ? m.namespace : undefined,
    name: String(m.name ?? ''),
    uid: typeof m.uid === 'string' ? m.uid : undefined,
    ...read,
  };
}

/**
 * Lists kubernetes.io/tls Secrets as full objects (`fieldSelector=type=kubernetes.io/tls`, the `list`
 * verb; in pages of `limit`, relisting from scratch when a continue token expires) and keeps of each only
 * its identity and the facts of its tls.crt. With `namespace` and `name`, just that Secret (still a list:
 * the collector's role has no `get` on secrets). Each page is dropped as soon as it is read.
 */
export async function listTlsSecretCertificates(
  kc: KubeConfig,
  opts: { namespace?: string; name?: string; limit?: number; signal?: AbortSignal } = {},
): Promise<TlsCertificateRead[]> {
  const fieldSelector = [`type=${TLS_SECRET_TYPE}`, ...(opts.name ? [`metadata.name=${opts.name}`] : [])].join(',');
  const base = opts.namespace ? `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/secrets` : '/api/v1/secrets';
  for (let attempt = 0; ; attempt++) {
    const reads: TlsCertificateRead[] = [];
    let cont: string | undefined;
    try {
      do {
        const q = new URLSearchParams({ fieldSelector, limit: String(opts.limit ?? 200) });
        if (cont) q.set('continue', cont);
        const page = (await kubeGet(kc, `${base}?${q}`, 'application/json', opts.signal)) as {
          metadata?: { continue?: string };
          items?: Record<string, unknown>[];
        };
        for (const item of page.items ?? []) reads.push(readOf(item));
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return reads;
    } catch (e) {
      if (e instanceof KubeHttpError && e.httpStatus === 410 && attempt < 3) continue; // continue token expired: relist
      throw e;
    }
  }
}

const secretKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/**
 * Attaches read certificates to the matching Secrets (same namespace and name, and the same uid when
 * both have one: a Secret deleted and re-created between the two lists is not given another's facts).
 * Returns the Secrets whose tls.crt could not be read, as `namespace/name (why)`.
 */
export function attachCertificates(secrets: SecretMeta[], reads: TlsCertificateRead[]): string[] {
  const byKey = new Map(reads.map((r) => [secretKey(r.namespace, r.name), r]));
  const problems: string[] = [];
  for (const secret of secrets) {
    if (secret.type !== TLS_SECRET_TYPE) continue;
    const read = byKey.get(secretKey(secret.metadata.namespace, secret.metadata.name));
    if (!read || (read.uid && secret.metadata.uid && read.uid !== secret.metadata.uid)) continue;
    if (read.certificate) secret.certificate = read.certificate;
    else problems.push(`${secretKey(secret.metadata.namespace, secret.metadata.name)} (${read.problem})`);
  }
  return problems;
}

/** How many unreadable certificates one note names before it says how many there were. */
const EXAMPLES = 5;

/** One warning naming the Secrets (never their content) whose tls.crt gave no certificate facts. */
export function noteForUnreadableCertificates(problems: string[]): CollectionNote | undefined {
  if (problems.length === 0) return undefined;
  const more = problems.length > EXAMPLES ? `, … (${problems.length} in all)` : '';
  return {
    resource: 'secrets',
    level: 'warning',
    message: `${problems.length} kubernetes.io/tls Secret${problems.length === 1 ? ' has a tls.crt that is' : 's have a tls.crt that is'} not a readable certificate (no certificate facts kept): ${problems.slice(0, EXAMPLES).join(', ')}${more}`,
  };
}

/** The note for a certificate list the API refused or that failed. */
export function noteForCertificateListError(e: unknown): CollectionNote {
  if (e instanceof KubeHttpError && e.httpStatus === 403)
    return {
      resource: 'secrets',
      level: 'warning',
      message:
        'forbidden to list kubernetes.io/tls secrets with their values: certificate details need list on secrets with values; see public/collector-clusterrole.yaml',
    };
  return {
    resource: 'secrets',
    level: 'warning',
    message: `reading the certificates of kubernetes.io/tls secrets failed (no certificate facts this time): ${
      e instanceof AppError ? e.message : 'unexpected error'
    }`,
  };
}

/**
 * Live: lists the cluster's kubernetes.io/tls Secrets with their values, parses each tls.crt and attaches
 * the facts to `secrets` (the metadata-only listing). Never throws for the cluster's answers: a refused
 * or failed list and unreadable certificates come back as notes. An aborted `signal` still rejects.
 */
export async function addLiveCertificates(
  kc: KubeConfig,
  secrets: SecretMeta[],
  opts: { signal?: AbortSignal } = {},
): Promise<CollectionNote[]> {
  let reads: TlsCertificateRead[];
  try {
    reads = await listTlsSecretCertificates(kc, { signal: opts.signal });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    return [noteForCertificateListError(e)];
  }
  const note = noteForUnreadableCertificates(attachCertificates(secrets, reads));
  return note ? [note] : [];
}
