/**
 * The credential policy: maximum ages per credential class (and per workload class), what is not allowed
 * at all, and when expiry, disuse and sharing become findings. A versioned YAML file; without one, the
 * defaults below apply (public/credential-policy.yaml is the same policy, written out to copy and edit).
 *
 *   apiVersion: nhi.dev/v1
 *   kind: CredentialPolicy
 *   metadata: { name: default, version: 3 }
 *   spec: { forbiddenClasses: [legacy-service-account-token], certificateExpiryWarningDays: 30, … }
 */
import { z } from 'zod';
import { loadYamlConfig, parseYamlConfig } from '@/lib/yaml-config';
import { CREDENTIAL_CLASSES } from './classify';

export const WORKLOAD_CLASSES = ['service', 'batch', 'node-agent', 'bare-pod'] as const;
export type WorkloadClass = (typeof WORKLOAD_CLASSES)[number];

const credentialClass = z.enum(CREDENTIAL_CLASSES);
const days = z.number().int().min(1).max(36_500);
const ageTable = z.partialRecord(credentialClass, days);

export const credentialPolicySchema = z.object({
  apiVersion: z.literal('nhi.dev/v1'),
  kind: z.literal('CredentialPolicy'),
  metadata: z.object({ name: z.string().min(1).max(100), version: z.number().int().min(1) }),
  spec: z.object({
    /** Classes that must not exist at all (each one is a finding). */
    forbiddenClasses: z.array(credentialClass).default([]),
    /** Days before a certificate's notAfter when it becomes a finding. */
    certificateExpiryWarningDays: days.default(30),
    /** A credential whose last known use is older than this is unused; an identity none of whose credentials is used, dormant. */
    unusedAfterDays: days.default(90),
    maxAgeDays: z
      .object({
        /** Per credential class; classes not listed have no maximum age. */
        classes: ageTable.default({}),
        /** Stricter (or looser) maximums for the credentials of one workload class. */
        workloadClasses: z.partialRecord(z.enum(WORKLOAD_CLASSES), ageTable).default({}),
      })
      .default({ classes: {}, workloadClasses: {} }),
    /** A Secret used by more workloads than this is shared. */
    maxWorkloadsPerSecret: z.number().int().min(1).max(1000).default(3),
  }),
});
export type CredentialPolicy = z.infer<typeof credentialPolicySchema>;

export const DEFAULT_POLICY: CredentialPolicy = credentialPolicySchema.parse({
  apiVersion: 'nhi.dev/v1',
  kind: 'CredentialPolicy',
  metadata: { name: 'default', version: 1 },
  spec: {
    forbiddenClasses: ['legacy-service-account-token'],
    certificateExpiryWarningDays: 30,
    unusedAfterDays: 90,
    maxAgeDays: {
      classes: {
        'cloud-key': 90,
        'api-token': 180,
        'database-credential': 180,
        'basic-auth': 180,
        'ssh-key': 365,
        'image-pull-secret': 365,
      },
      workloadClasses: { batch: { 'cloud-key': 30 } },
    },
    maxWorkloadsPerSecret: 3,
  },
});

/** A policy from YAML text; an invalid one is refused with the field and the reason. */
export function parsePolicy(text: string, source = 'the credential policy'): CredentialPolicy {
  return parseYamlConfig(credentialPolicySchema, text, source);
}

/** The policy in force: the file named by `file` or NHI_CREDENTIAL_POLICY, else the default. */
export function loadPolicy(file = process.env.NHI_CREDENTIAL_POLICY): CredentialPolicy {
  return loadYamlConfig(credentialPolicySchema, file, DEFAULT_POLICY, 'the credential policy');
}

/** The maximum age of a credential class for a workload class (undefined: none). */
export function maxAgeDays(policy: CredentialPolicy, cls: string, workloadClass?: WorkloadClass): number | undefined {
  const table = policy.spec.maxAgeDays;
  const forWorkload = workloadClass ? table.workloadClasses[workloadClass]?.[cls as keyof (typeof table)['classes']] : undefined;
  return forWorkload ?? table.classes[cls as keyof (typeof table)['classes']];
}
