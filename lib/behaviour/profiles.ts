/**
 * Behaviour profiles: how long each workload class learns its baseline, what a burst of denied requests or a
 * call-rate spike is for it, which actions every member of the class is expected to make (a new identity
 * starts from these), which detectors it may learn (silent for the actions it made while learning), and
 * which do not apply to it. A versioned YAML file (NHI_BEHAVIOUR_PROFILES, or `--profiles`); without one the
 * defaults below apply, written out in public/behaviour-profiles.yaml to copy and edit. Windows run on event
 * time, so `learningWindow: 30s` compresses time for a test without faking a timestamp.
 *
 * An expected action is `VERBS RESOURCE SCOPE`: verbs comma-separated or `*`; the resource as the event
 * store writes it (`[group/]resource[/subresource]`) where `*` matches any run of characters; the scope
 * `own` (the identity's namespace), `other` (another namespace), `cluster` (no namespace) or `*`.
 * A wildcard never covers Secrets: a class that is expected to read them names `secrets`.
 */
import { z } from 'zod';
import { loadYamlConfig, parseYamlConfig } from '@/lib/yaml-config';
import { WORKLOAD_CLASSES, type WorkloadClass } from './workload-class';
import { DETECTOR_IDS, type DetectorId } from './catalogue';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: a whole number and ms, s, m, h or d. */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** `30s`, `5m`, `7d` → milliseconds; anything else is refused. */
export function parseDuration(text: string): number {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text} (expected a number and ms, s, m, h or d)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** Milliseconds → the largest unit that divides them: `5 min`, `30 s`, `7 d`. */
export function durationText(ms: number): string {
  for (const [unit, label] of [
    ['d', 'd'],
    ['h', 'h'],
    ['m', 'min'],
    ['s', 's'],
  ] as const)
    if (ms % UNITS[unit]! === 0) return `${ms / UNITS[unit]!} ${label}`;
  return `${ms} ms`;
}

const duration = z.string().transform((v, ctx) => {
  try {
    const ms = parseDuration(v);
    if (ms < 1000 || ms > 400 * 86_400_000) throw new Error(`${v} is out of range (1s to 400d)`);
    return ms;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const ACTION_PATTERN = /^(\*|[a-z]+(,[a-z]+)*) \S+ (own|other|cluster|\*)$/;
const detector = z.enum(DETECTOR_IDS);

const profileFields = {
  learningWindow: duration,
  deniedBurst: z.object({ count: z.number().int().min(2).max(100_000), window: duration }),
  callRate: z.object({ factor: z.number().min(1.5).max(1000), minPerHour: z.number().int().min(1) }),
  expected: z.array(z.string().regex(ACTION_PATTERN, 'is not "VERBS RESOURCE SCOPE"')).max(200),
  learnable: z.array(detector),
  off: z.array(detector),
};

export const behaviourProfilesSchema = z.object({
  apiVersion: z.literal('nhi.dev/v1'),
  kind: z.literal('BehaviourProfiles'),
  metadata: z.object({ name: z.string().min(1).max(100), version: z.number().int().min(1) }),
  spec: z.object({
    /** CIDRs the cluster's pods get their addresses from; when set, a ServiceAccount used from elsewhere is human use. */
    podNetworks: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'is not a CIDR')).default([]),
    defaults: z.object(profileFields),
    classes: z.partialRecord(z.enum(WORKLOAD_CLASSES), z.object(profileFields).partial()).default({}),
  }),
});
export type BehaviourProfiles = z.output<typeof behaviourProfilesSchema>;

export interface ClassProfile {
  learningWindowMs: number;
  deniedBurst: { count: number; windowMs: number };
  callRate: { factor: number; minPerHour: number };
  expected: string[];
  learnable: DetectorId[];
  off: DetectorId[];
}

const READ = 'get,list,watch';

export const DEFAULT_PROFILES: BehaviourProfiles = behaviourProfilesSchema.parse({
  apiVersion: 'nhi.dev/v1',
  kind: 'BehaviourProfiles',
  metadata: { name: 'default', version: 2 },
  spec: {
    podNetworks: [],
    defaults: {
      learningWindow: '7d',
      deniedBurst: { count: 10, window: '5m' },
      callRate: { factor: 10, minPerHour: 3600 },
      // Every workload may read its own pod's API discovery and health.
      expected: [
        'get /api* cluster',
        'get /version cluster',
        'get /healthz cluster',
        'get /livez cluster',
        'get /readyz cluster',
      ],
      learnable: [],
      off: [],
    },
    classes: {
      service: {},
      batch: { learningWindow: '14d' },
      'node-agent': {
        learningWindow: '3d',
        expected: [`${READ} nodes cluster`, `${READ} pods *`, `${READ} nodes/* cluster`, 'create,patch events *'],
      },
      controller: {
        learningWindow: '1d',
        deniedBurst: { count: 30, window: '5m' },
        expected: [
          `${READ} * *`,
          'create,update,patch events *',
          'create,update,patch events.k8s.io/events *',
          'get,create,update coordination.k8s.io/leases *',
        ],
        // A controller goes where its objects are: into namespaces made after its learning window, and from a
        // new address when its leader moves to another control-plane node or its pod is rescheduled. Doing
        // there what it did while learning is not news; a call outside its baseline still raises them (bench:noise).
        learnable: ['rbac-change', 'token-for-other', 'access-review', 'new-namespace', 'new-source'],
      },
      'ci-runner': { learnable: ['rbac-change', 'exec', 'access-review'] },
      'ai-agent': { learningWindow: '3d', deniedBurst: { count: 5, window: '5m' } },
      'mesh-proxy': { learningWindow: '1d', deniedBurst: { count: 3, window: '5m' } },
      'human-like': { learnable: ['exec', 'access-review'], off: ['human-use'] },
    },
  },
});

/** Profiles from YAML text; an invalid file is refused with the field and the reason. */
export function parseProfiles(text: string, source = 'the behaviour profiles'): BehaviourProfiles {
  return parseYamlConfig(behaviourProfilesSchema, text, source);
}

/** The profiles in force: the file named by `file` or NHI_BEHAVIOUR_PROFILES, else the default. */
export function loadProfiles(file = process.env.NHI_BEHAVIOUR_PROFILES): BehaviourProfiles {
  return loadYamlConfig(behaviourProfilesSchema, file, DEFAULT_PROFILES, 'the behaviour profiles');
}

/** One class's profile: the class entry over the defaults; expected actions add to the defaults'. */
export function classProfile(profiles: BehaviourProfiles, cls: WorkloadClass): ClassProfile {
  const d = profiles.spec.defaults;
  const c = profiles.spec.classes[cls] ?? {};
  const burst = c.deniedBurst ?? d.deniedBurst;
  return {
    learningWindowMs: c.learningWindow ?? d.learningWindow,
    deniedBurst: { count: burst.count, windowMs: burst.window },
    callRate: c.callRate ?? d.callRate,
    expected: [...d.expected, ...(c.expected ?? [])],
    learnable: c.learnable ?? d.learnable,
    off: c.off ?? d.off,
  };
}

/** The profiles' name and version, as anomalies record which tuning raised them. */
export const profilesLabel = (p: BehaviourProfiles) => `${p.metadata.name} v${p.metadata.version}`;
