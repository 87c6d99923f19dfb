/**
 * Who may do what (pure): the four roles, the permissions each holds, and the team scope a service owner is
 * held to. Every route (lib/http/route.ts) and every page (lib/auth/page.ts) names one permission; the
 * authorization matrix test (lib/auth/matrix.int.test.ts, e2e/auth-pages.spec.ts) asks every route and page as
 * every role.
 *
 * - admin: everything, and the app's users.
 * - security_lead: everything but the users: reads all teams, approves exceptions and suppressions, exports.
 * - service_owner: reads and acts on what their teams own (identities and workloads an Ownership ties to one
 *   of their teams, and the identities those workloads run as); nothing cluster-wide (trail, exports).
 * - auditor: reads everything, changes nothing but exports (which the trail records).
 */
export const ROLES = ['admin', 'security_lead', 'service_owner', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  security_lead: 'Security lead',
  service_owner: 'Service owner',
  auditor: 'Auditor',
};

/**
 * The permissions. `owned.*` are team-scoped for service owners: the handler must apply `teamScope()` to what
 * it reads or changes.
 */
export const PERMISSIONS = {
  /** Identities, workloads, credentials, findings, risk, anomalies (service owners: their teams' only). */
  'owned.read': ['admin', 'security_lead', 'service_owner', 'auditor'],
  /** Acknowledge an anomaly, set a workload's class (service owners: on their teams' workloads). */
  'owned.act': ['admin', 'security_lead', 'service_owner'],
  /** Cluster-wide facts: clusters' ingestion, coverage, the token ledger, exceptions, suppressions. */
  'cluster.read': ['admin', 'security_lead', 'auditor'],
  /** Claim ownership of a workload or identity for one of one's teams (leads and admins: for any team). */
  'ownership.claim': ['admin', 'security_lead', 'service_owner'],
  /** Approve, reject or reassign ownership claims. */
  'ownership.decide': ['admin', 'security_lead'],
  /** Accept risk: exceptions, suppression rules (the approver is the signed-in person). */
  'risk.approve': ['admin', 'security_lead'],
  /** The activity trail and its verification. */
  'trail.read': ['admin', 'security_lead', 'auditor'],
  /** CSV/JSON/PDF exports and the evidence report. */
  'report.export': ['admin', 'security_lead', 'auditor'],
  /** The app's users and everyone's API tokens. */
  'users.manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

/**
 * What a request may be authorised by: a permission (a signed-in person or an API token), `signed-in` (any
 * signed-in person: their own account), `public` (health, sign-in), or `ingest` (a cluster's bearer token,
 * checked by the ingestion handler, never a user session).
 */
export type Access = Permission | 'signed-in' | 'public' | 'ingest';

export const allows = (role: Role, permission: Permission): boolean =>
  (PERMISSIONS[permission] as readonly Role[]).includes(role);

/** Team ids a principal is limited to, or null for every team (everyone but service owners). */
export type TeamScope = readonly string[] | null;

export const isScoped = (role: Role) => role === 'service_owner';
