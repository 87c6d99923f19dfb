/**
 * What kind of credential something is, from metadata only: the Secret's type, its name, and what the names
 * of its data keys say where a dump provided them (live collection never sees key names: Secrets are listed
 * as metadata-only rows). Values are never looked at.
 *
 * Each class says how long it lives: `short-lived` credentials are issued per workload and expire on
 * their own (projected ServiceAccount tokens, federated cloud identities, SPIFFE SVIDs); `long-lived`
 * ones are static until someone rotates them; `expiring` ones carry a fixed end (certificates).
 */
import type { CredentialKindName } from '@/lib/collect/inventory';

export const CREDENTIAL_CLASSES = [
  'legacy-service-account-token',
  'projected-service-account-token',
  'workload-identity-federation',
  'spiffe-svid',
  'image-pull-secret',
  'tls-certificate',
  'basic-auth',
  'ssh-key',
  'bootstrap-token',
  'cloud-key',
  'database-credential',
  'api-token',
  'unrecognised-secret',
] as const;
export type CredentialClass = (typeof CREDENTIAL_CLASSES)[number];

export type Lifetime = 'short-lived' | 'long-lived' | 'expiring';

export const CLASS_INFO: Record<CredentialClass, { title: string; lifetime: Lifetime }> = {
  'legacy-service-account-token': { title: 'Legacy ServiceAccount token Secret', lifetime: 'long-lived' },
  'projected-service-account-token': { title: 'Projected ServiceAccount token', lifetime: 'short-lived' },
  'workload-identity-federation': { title: 'Cloud workload identity (federated)', lifetime: 'short-lived' },
  'spiffe-svid': { title: 'SPIFFE ID (SVID)', lifetime: 'short-lived' },
  'image-pull-secret': { title: 'Image pull secret', lifetime: 'long-lived' },
  'tls-certificate': { title: 'TLS certificate', lifetime: 'expiring' },
  'basic-auth': { title: 'Basic-auth credential', lifetime: 'long-lived' },
  'ssh-key': { title: 'SSH key', lifetime: 'long-lived' },
  'bootstrap-token': { title: 'Bootstrap token', lifetime: 'long-lived' },
  'cloud-key': { title: 'Static cloud key', lifetime: 'long-lived' },
  'database-credential': { title: 'Database credential', lifetime: 'long-lived' },
  'api-token': { title: 'API token or webhook secret', lifetime: 'long-lived' },
  'unrecognised-secret': { title: 'Secret (not recognised as a credential)', lifetime: 'long-lived' },
};

export interface ClassifyInput {
  kind: CredentialKindName;
  secretType: string | null;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** What its data key names say (classOfKeyNames), when a dump provided them. */
  keyClass?: CredentialClass;
}

export interface Classification {
  class: CredentialClass;
  /** In words, e.g. `type kubernetes.io/tls`, `name "payments-db" looks like a database credential`. */
  reason: string;
}

const byKind: Partial<Record<CredentialKindName, CredentialClass>> = {
  LegacyServiceAccountToken: 'legacy-service-account-token',
  ProjectedToken: 'projected-service-account-token',
  ImagePullSecret: 'image-pull-secret',
  TlsCertificate: 'tls-certificate',
  BasicAuth: 'basic-auth',
  SshAuth: 'ssh-key',
  BootstrapToken: 'bootstrap-token',
};

/** Patterns over a Secret's name and key names, strongest evidence first. Order matters: first match wins. */
const PATTERNS: { class: CredentialClass; what: string; name?: RegExp; key?: RegExp }[] = [
  {
    class: 'cloud-key',
    what: 'a static cloud key',
    name: /(^|[-_.])(aws|gcp|gcloud|google|azure|s3|iam)([-_.].*)?(cred|key|secret|access)|(^|[-_.])(aws|gcp|azure)-?credentials?$/i,
    key: /^(aws_access_key_id|aws_secret_access_key|azure_client_secret|credentials\.json|key\.json|service-account\.json|google_application_credentials)$/i,
  },
  {
    class: 'ssh-key',
    what: 'an SSH key',
    name: /(^|[-_.])ssh([-_.]|$)|deploy-key/i,
    key: /^(id_(rsa|ed25519|ecdsa)|ssh-privatekey|identity)$/i,
  },
  {
    class: 'database-credential',
    what: 'a database credential',
    name: /(^|[-_.])(db|database|postgres(ql)?|pg|mysql|mariadb|mongo(db)?|redis|warehouse|cassandra|elastic(search)?)([-_.]|$)/i,
    key: /^(database_url|db_password|postgres_password|mysql_password|connection[-_]?string|jdbc[-_]?url|mongodb_uri|redis_url)$/i,
  },
  {
    class: 'tls-certificate',
    what: 'a certificate and its key',
    name: /(^|[-_.])(certs?|tls|x509|pki)([-_.]|$)/i,
    key: /^(tls\.(crt|key)|ca\.crt|cert\.pem|key\.pem)$/i,
  },
  {
    class: 'api-token',
    what: 'an API token or webhook secret',
    name: /api[-_.]?key|apikey|token|webhook|secret[-_.]?key|client[-_.]?secret|oauth|bearer/i,
    key: /^(api[-_.]?key|apikey|token|access[-_]?token|auth[-_]?token|client[-_]?secret|webhook[-_]?url|slack[-_]?url)$/i,
  },
];

/**
 * What a Secret's data key names say it is (AWS_ACCESS_KEY_ID, DATABASE_URL, id_rsa, .dockerconfigjson, …),
 * read from a dump as it is read: only the class is kept, never a key name (a name can itself say too much).
 */
export function classOfKeyNames(keys: readonly string[]): CredentialClass | undefined {
  if (keys.includes('.dockerconfigjson') || keys.includes('.dockercfg')) return 'image-pull-secret';
  return PATTERNS.find((p) => keys.some((k) => p.key?.test(k)))?.class;
}

/** Secret types that are never credentials. */
const NOT_CREDENTIALS = new Set(['helm.sh/release.v1']);

export function classifyCredential(c: ClassifyInput): Classification {
  const fromKind = byKind[c.kind];
  if (fromKind) {
    return { class: fromKind, reason: c.secretType ? `type ${c.secretType}` : 'projected into the pods by the kubelet' };
  }
  if (c.secretType && NOT_CREDENTIALS.has(c.secretType)) return { class: 'unrecognised-secret', reason: `type ${c.secretType}` };
  if (c.annotations?.['cert-manager.io/certificate-name']) {
    return {
      class: 'tls-certificate',
      reason: `issued by cert-manager (Certificate ${c.annotations['cert-manager.io/certificate-name']})`,
    };
  }
  // The name first: it is all that live collection sees, so a dump and a live listing of the same cluster
  // agree wherever the name decides; key names (dumps only) settle the Secrets whose names say nothing.
  for (const p of PATTERNS) {
    if (p.name?.test(c.name)) return { class: p.class, reason: `name "${c.name}" looks like ${p.what}` };
  }
  if (c.keyClass)
    return {
      class: c.keyClass,
      reason: `its data key names are those of ${CLASS_INFO[c.keyClass].title.toLowerCase()} (read from a dump)`,
    };
  return {
    class: 'unrecognised-secret',
    reason: `type ${c.secretType ?? 'Opaque'}; neither its name nor its keys name a credential`,
  };
}
