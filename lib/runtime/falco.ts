/**
 * Falco alerts → RuntimeEvent: Falco's JSON output (`json_output: true`, one alert per line) and the
 * falcosidekick webhook payload (the same object, one per POST, sometimes with a `uuid`).
 *
 * The dedup key is the alert's content (rule, time and output fields), so an alert delivered twice (a
 * retried webhook, a log file read again) is stored once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isRecord } from './audit';
import {
  blankEvent,
  describeIssues,
  FALCO_FIELDS,
  FIELD_MAX,
  isoTime,
  OUTPUT_MAX,
  serviceAccountOf,
  truncate,
  type FalcoAlert,
  type RuntimeEvent,
} from './types';

const falcoAlertSchema = z.object({
  rule: z.string().min(1),
  priority: z.string().min(1),
  time: z.string().min(1),
  output: z.string().nullish(),
  output_fields: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).nullish(),
  hostname: z.string().nullish(),
  source: z.string().nullish(),
  uuid: z.string().nullish(),
});

/** True when a value looks like a Falco alert (so the caller routes it here). */
export function looksLikeFalcoAlert(value: unknown): boolean {
  return isRecord(value) && ('rule' in value || 'priority' in value) && 'output' in value;
}

/** One Falco alert object → a RuntimeEvent, or the reason it is not one. */
export function parseFalcoAlert(value: unknown): { event: RuntimeEvent } | { reason: string } {
  if (!isRecord(value)) return { reason: 'not a JSON object' };
  const parsed = falcoAlertSchema.safeParse(value);
  if (!parsed.success) return { reason: `not a Falco alert: ${describeIssues(parsed.error.issues)}` };
  const a = parsed.data;
  const at = isoTime(a.time);
  if (!at) return { reason: `not a Falco alert: time "${truncate(a.time, 40)}" is not a time` };
  const outputFields = a.output_fields ?? {};

  const fields: FalcoAlert['fields'] = {};
  for (const name of FALCO_FIELDS) {
    const v = outputFields[name];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      fields[name] = truncate(String(v), FIELD_MAX);
    }
  }
  const event = blankEvent('falco', `falco:${falcoDigest(a.rule, a.time, outputFields)}`, at);
  event.falco = {
    rule: truncate(a.rule, FIELD_MAX),
    priority: a.priority.toLowerCase(),
    output: truncate(a.output ?? '', OUTPUT_MAX),
    tags: (a.tags ?? []).slice(0, 30).map((t) => truncate(t, 100)),
    hostname: truncate(a.hostname ?? '', FIELD_MAX),
    source: truncate(a.source ?? '', 100),
    fields,
  };
  const namespace = fields['k8s.ns.name'];
  const pod = fields['k8s.pod.name'];
  // Falco prints <NA> for a field it could not resolve.
  if (namespace && pod && namespace !== '<NA>' && pod !== '<NA>') event.workload = { namespace, pod };
  // k8saudit plugin alerts name the Kubernetes user of the audited request.
  const kaUser = fields['ka.user.name'];
  if (kaUser && kaUser !== '<NA>') {
    event.user = { username: kaUser, groups: [], uid: '' };
    event.serviceAccount = serviceAccountOf(kaUser);
  }
  return { event };
}

/** sha256 of the canonical JSON (sorted keys) of an alert's rule, time and output fields. */
export function falcoDigest(rule: string, time: string, outputFields: Record<string, unknown>): string {
  return createHash('sha256')
    .update(canonicalJson({ output_fields: outputFields, rule, time }))
    .digest('hex');
}

/** JSON with object keys sorted at every level, so the same content gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
