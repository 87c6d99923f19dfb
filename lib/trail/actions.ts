/**
 * What the activity trail records: one action name per kind of state change. Sign-in (issue 13) adds its
 * own (auth.sign_in, claim.*, settings.*) here.
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
  'claim.create',
  'claim.decide',
  'settings.change',
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
  'claim.create': 'Ownership claimed',
  'claim.decide': 'Claim decided',
  'settings.change': 'Settings changed',
};

/** The actor of changes nobody asked for at that moment (an exception's expiry, seen by a sweep). */
export const SYSTEM_ACTOR = 'system';
