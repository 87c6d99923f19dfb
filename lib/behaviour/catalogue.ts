/**
 * The behaviour detectors: what each one looks for, how severe a hit is by default, and the OWASP NHI Top 10
 * (2025) item it maps to. The rules themselves are in detect.ts; the tuning per workload class in profiles.ts.
 *
 * Two kinds:
 * - signatures fire on what an event is (an exec, an impersonation, a TokenRequest for another
 *   ServiceAccount), from the first event on, unless the class profile makes them learnable;
 * - baseline detectors compare an event with what the identity did during its learning window, so they
 *   are silent until that window (event time) has passed.
 */
import type { OwaspNhiId } from '@/lib/owasp';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export const DETECTOR_IDS = [
  'new-action',
  'new-namespace',
  'secret-access',
  'denied-burst',
  'access-review',
  'exec',
  'impersonation',
  'token-for-other',
  'rbac-change',
  'new-source',
  'token-new-source',
  'human-use',
  'call-rate',
  'falco-alert',
] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

export interface DetectorInfo {
  title: string;
  kind: 'signature' | 'baseline';
  severity: Severity;
  owasp: OwaspNhiId[];
  /** What it means, in plain words (the anomaly's own explanation adds its facts). */
  why: string;
}

export const DETECTORS: Record<DetectorId, DetectorInfo> = {
  'new-action': {
    title: 'Action outside the baseline',
    kind: 'baseline',
    severity: 'low',
    owasp: ['NHI5'],
    why: 'The identity called an API it never called during its learning window. A workload whose code did not change calls the same APIs; a new one can be a new release, or someone using its token.',
  },
  'new-namespace': {
    title: 'Namespace never touched before',
    kind: 'baseline',
    severity: 'medium',
    owasp: ['NHI8'],
    why: 'The identity reached into a namespace it never touched during its learning window: movement across namespaces is how a stolen token is used to go further.',
  },
  'secret-access': {
    title: 'Secrets read outside the baseline',
    kind: 'baseline',
    severity: 'high',
    owasp: ['NHI2'],
    why: 'The identity read Secrets (get, list or watch) where it never did during its learning window. Reading Secrets is the quickest way from one identity to many.',
  },
  'denied-burst': {
    title: 'Burst of denied requests',
    kind: 'signature',
    severity: 'medium',
    owasp: ['NHI5'],
    why: 'Many requests refused by the authorizer (403) in a short time: someone is probing what this identity may do.',
  },
  'access-review': {
    title: 'Permission reconnaissance',
    kind: 'signature',
    severity: 'medium',
    owasp: ['NHI5'],
    why: 'The identity asked the API server what it may do (SelfSubjectAccessReview or SelfSubjectRulesReview, as kubectl auth can-i does). Workloads rarely ask; attackers with a fresh token do.',
  },
  exec: {
    title: 'Exec, attach or port-forward',
    kind: 'signature',
    severity: 'high',
    owasp: ['NHI5'],
    why: 'The identity opened a shell or a tunnel into a pod (pods/exec, attach, portforward, or a node proxy): that runs commands as another workload, with its credentials.',
  },
  impersonation: {
    title: 'Impersonation',
    kind: 'signature',
    severity: 'high',
    owasp: ['NHI5'],
    why: 'The identity acted as another user, group or ServiceAccount (impersonation): whatever that subject may do, it can.',
  },
  'token-for-other': {
    title: 'Token requested for another ServiceAccount',
    kind: 'signature',
    severity: 'high',
    owasp: ['NHI5', 'NHI9'],
    why: 'The identity asked for a token of another ServiceAccount (serviceaccounts/token): it can then act as that identity.',
  },
  'rbac-change': {
    title: 'RBAC changed by a machine identity',
    kind: 'signature',
    severity: 'high',
    owasp: ['NHI5'],
    why: 'A machine identity created, changed or deleted a Role, ClusterRole or binding. Unless it is an operator that manages RBAC, this is how an identity grants itself more.',
  },
  'new-source': {
    title: 'Used from a new address or client',
    kind: 'baseline',
    severity: 'medium',
    owasp: ['NHI2'],
    why: 'The identity was used from a source address or with a client (user agent) never seen during its learning window: its token may be in someone else’s hands.',
  },
  'token-new-source': {
    title: 'Token used from a second address',
    kind: 'signature',
    severity: 'high',
    owasp: ['NHI2', 'NHI9'],
    why: 'One pod-bound token was used from an address other than the one it was first used from: a pod keeps its address, so another address means the token was copied (theft or reuse).',
  },
  'human-use': {
    title: 'Human use of a machine identity',
    kind: 'signature',
    severity: 'high',
    owasp: ['NHI10'],
    why: 'A ServiceAccount token was used the way a person uses one: with kubectl, without the pod-bound claims a workload’s token carries, or from an address that is no pod’s.',
  },
  'call-rate': {
    title: 'Call rate far above the baseline',
    kind: 'baseline',
    severity: 'low',
    owasp: ['NHI5'],
    why: 'The identity made many more calls in one hour than in any hour of its learning window (scraping, a loop, or someone else using the token).',
  },
  'falco-alert': {
    title: 'Falco alert in the workload',
    kind: 'signature',
    severity: 'medium',
    owasp: ['NHI2'],
    why: 'Falco saw something in a pod that runs as this identity. Whoever controls the container holds its ServiceAccount token.',
  },
};

/** Falco's priorities → severity. */
export function falcoSeverity(priority: string): Severity {
  switch (priority.toLowerCase()) {
    case 'emergency':
    case 'alert':
    case 'critical':
      return 'critical';
    case 'error':
      return 'high';
    case 'warning':
      return 'medium';
    case 'notice':
      return 'low';
    default:
      return 'info';
  }
}
