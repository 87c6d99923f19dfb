/**
 * The risk weights: a versioned YAML file (public/risk-weights.yaml is the built-in default, written out to copy
 * and edit; NHI_RISK_WEIGHTS=FILE uses another). Every stored score names the version it was computed with.
 */
import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from '@/lib/paths';
import { loadYamlConfig } from '@/lib/yaml-config';

const points = z.number().min(0).max(100);
const bySeverity = z
  .object({ critical: points, high: points, medium: points, low: points, info: points.default(0), cap: points })
  .strict();

export const TARGET_KINDS = ['node', 'token-mint', 'namespace-admin', 'other-namespace-secrets'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const riskWeightsSchema = z.object({
  apiVersion: z.literal('nhi.dev/v1'),
  kind: z.literal('RiskWeights'),
  metadata: z.object({ name: z.string().min(1).max(63), version: z.number().int().min(1) }),
  spec: z
    .object({
      identity: z
        .object({
          clusterAdmin: points,
          escalationPath: z.array(points).min(1).max(10),
          anomalousSource: z.number().min(0).max(2),
          targets: z
            .object({
              node: points,
              'token-mint': points,
              'namespace-admin': points,
              'other-namespace-secrets': points,
              cap: points,
            })
            .strict() satisfies z.ZodType<Record<TargetKind | 'cap', number>>,
          capabilities: bySeverity.omit({ info: true }),
          findings: bySeverity,
          findingsExclude: z.array(z.string().regex(/^NHI-[A-Z]+-\d{3}$/)).default([]),
          anomalies: bySeverity,
          exposure: z.object({ perWorkload: points, cap: points }).strict(),
          unowned: points,
        })
        .strict(),
      workload: z.object({ identityShare: z.number().min(0).max(1), findings: bySeverity, anomalies: bySeverity }).strict(),
    })
    .strict(),
});
export type RiskWeights = z.infer<typeof riskWeightsSchema>;

/** The bundled default weights file. */
export const defaultWeightsFile = path.join(repoRoot, 'public', 'risk-weights.yaml');

/** The weights in force: NHI_RISK_WEIGHTS, else the bundled default. */
export function loadWeights(file = process.env.NHI_RISK_WEIGHTS || defaultWeightsFile): RiskWeights {
  return loadYamlConfig(riskWeightsSchema, file, undefined as never, 'the risk weights');
}

export const weightsLabel = (w: RiskWeights) => `${w.metadata.name} v${w.metadata.version}`;
