/**
 * What the activity trail records: one action name per kind of state change, and
 * the security events an auditor asks for (failed sign-ins, denied requests).
 */
export const TRAIL_ACTIONS = [
  'exception.create',
  'exception.revoke',
  'exception.expire',
  'anomaly.status',
  'suppression.create',
  'suppression.revoke',
  'workload.class',
  'ingest_token.create',
  'ingest_token.revoke',
  'export.create',
  'export.complete',
  'auth.sign_in',
  'auth.sign_out',
  'auth.sign_in_failed',
  'access.denied',
  'user.create',
  'user.update',
  'user.disable',
  'api_token.create',
  'api_token.revoke',
  'claim.create',
  'claim.decide',
  'claim.withdraw',
  'settings.change',
  'finding.assign',
  'finding.mark_fixed',
  'finding.verify',
] as const;
export type TrailAction = (typeof TRAIL_ACTIONS)[number];

export const TRAIL_ACTION_LABELS: Record<TrailAction, string> = {
  'exception.create': 'Exception granted',
  'exception.revoke': 'Exception revoked',
  'exception.expire': 'Exception expired',
  'anomaly.status': 'Anomaly status changed',
  'suppression.create': 'Suppression rule made',
  'suppression.revoke': 'Suppression rule revoked',
  'workload.class': 'Workload class set',
  'ingest_token.create': 'Ingest token made',
  'ingest_token.revoke': 'Ingest token revoked',
  'export.create': 'Export started',
  'export.complete': 'Export finished',
  'auth.sign_in': 'Signed in',
  'auth.sign_out': 'Signed out',
  'auth.sign_in_failed': 'Sign-in failed',
  'access.denied': 'Request denied',
  'user.create': 'User added',
  'user.update': 'User changed',
  'user.disable': 'User disabled',
  'api_token.create': 'API token made',
  'api_token.revoke': 'API token revoked',
  'claim.create': 'Ownership claimed',
  'claim.decide': 'Claim decided',
  'claim.withdraw': 'Claim withdrawn',
  'settings.change': 'Settings changed',
  'finding.assign': 'Finding assigned',
  'finding.mark_fixed': 'Finding marked fixed',
  'finding.verify': 'Fix verified by a collection',
};

/** The actor of changes nobody asked for at that moment (an exception's expiry, seen by a sweep). */
export const SYSTEM_ACTOR = 'system';
