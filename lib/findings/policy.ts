/**
 * The findings policy: the settings the posture rules need from the organisation. Today one: the allow-list of
 * image registries (NHI-POS-011). A versioned YAML file (NHI_FINDINGS_POLICY); without one the default below
 * applies, written out in public/findings-policy.yaml to copy and edit. An empty list keeps the rule silent:
 * which registries an organisation trusts is its own decision.
 *
 * A registry pattern is a glob (`*` matches any run of characters, `/` included). A pattern without `/` is
 * matched against the image's registry host (`quay.io`, `*.dkr.ecr.*.amazonaws.com`); one with `/` against
 * `host/repository` (`ghcr.io/acme/*`, `docker.io/library/*`). Docker Hub images are `docker.io/…`, official
 * ones `docker.io/library/<name>`, whatever short form the manifest uses.
 */
import { z } from 'zod';
import { globRegExp } from '@/lib/behaviour/detect';
import { loadYamlConfig, parseYamlConfig } from '@/lib/yaml-config';

const REGISTRY_PATTERN = /^[a-z0-9*][a-z0-9*._:/-]*$/;

export const findingsPolicySchema = z.object({
  apiVersion: z.literal('nhi.dev/v1'),
  kind: z.literal('FindingsPolicy'),
  metadata: z.object({ name: z.string().min(1).max(100), version: z.number().int().min(1) }),
  spec: z.object({
    /** Registries images may come from (NHI-POS-011); empty: the rule is silent. */
    registries: z
      .array(z.string().regex(REGISTRY_PATTERN, 'is not a registry pattern such as registry.example.com/* (lower case)'))
      .max(500)
      .default([]),
  }),
});
export type FindingsPolicy = z.output<typeof findingsPolicySchema>;

export const DEFAULT_FINDINGS_POLICY: FindingsPolicy = findingsPolicySchema.parse({
  apiVersion: 'nhi.dev/v1',
  kind: 'FindingsPolicy',
  metadata: { name: 'default', version: 1 },
  spec: { registries: [] },
});

/** A policy from YAML text; an invalid file is refused with the field and the reason. */
export function parseFindingsPolicy(text: string, source = 'the findings policy'): FindingsPolicy {
  return parseYamlConfig(findingsPolicySchema, text, source);
}

/** The policy in force: the file named by `file` or NHI_FINDINGS_POLICY, else the default. */
export function loadFindingsPolicy(file = process.env.NHI_FINDINGS_POLICY): FindingsPolicy {
  return loadYamlConfig(findingsPolicySchema, file, DEFAULT_FINDINGS_POLICY, 'the findings policy');
}

/** The policy's name and version, as the findings it raised record it. */
export const findingsPolicyLabel = (p: FindingsPolicy) => `${p.metadata.name} v${p.metadata.version}`;

/**
 * Where an image comes from: its registry host and `host/repository`, without tag or digest (and the tag apart).
 * Docker Hub's short forms (`nginx`, `bitnami/redis`, `index.docker.io/…`) are spelled out as
 * `docker.io/library/nginx`, `docker.io/bitnami/redis`.
 */
export function imageOrigin(image: string): { registry: string; repository: string; tag: string | null } {
  let name = image.trim().toLowerCase();
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.indexOf(':', slash + 1);
  const tag = colon >= 0 ? image.trim().slice(colon + 1, at >= 0 ? at : undefined) : null;
  if (colon >= 0) name = name.slice(0, colon);
  const first = name.split('/')[0]!;
  const hasHost = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasHost ? first : 'docker.io';
  let path = hasHost ? name.slice(first.length + 1) : name;
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { registry, repository: `${registry}/${path}`, tag };
}

/** The first pattern of the allow-list the image matches, or null. */
export function allowedBy(image: string, patterns: readonly string[]): string | null {
  const { registry, repository } = imageOrigin(image);
  for (const p of patterns) if (globRegExp(p).test(p.includes('/') ? repository : registry)) return p;
  return null;
}
