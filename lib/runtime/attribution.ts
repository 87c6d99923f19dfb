/**
 * Which workload a pod belongs to, from its name alone. Runtime events name pods (a pod-bound token's
 * `authentication.kubernetes.io/pod-name`, Falco's `k8s.pod.name`) while the inventory keeps top-level
 * workloads, and pods come and go: the controllers name them predictably, so the name is enough.
 *
 *   Deployment              <name>-<pod-template-hash>-<5>     (the hash is up to 10 characters)
 *   StatefulSet             <name>-<ordinal>
 *   DaemonSet, Job, RC      <name>-<5>
 *   CronJob                 <name>-<scheduled time in minutes>-<5>
 *   Pod                     <name>
 *
 * The suffixes are the controllers' own alphabet (lower-case letters and digits), so `api` does not take
 * the pods of `api-worker`: `api-worker-7d9f8-abcde` has a dash inside what would be api's suffix.
 * The same patterns are used in SQL (`podNamePattern`) and here (`workloadOfPod`), one definition.
 */

export interface WorkloadRef {
  kind: string;
  name: string;
}

const SUFFIX: Record<string, string> = {
  Deployment: '-[a-z0-9]{1,10}-[a-z0-9]{5}',
  StatefulSet: '-[0-9]+',
  DaemonSet: '-[a-z0-9]{5}',
  Job: '-[a-z0-9]{5}',
  ReplicationController: '-[a-z0-9]{5}',
  CronJob: '-[0-9]+-[a-z0-9]{5}',
  Pod: '',
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A POSIX/JavaScript regular expression matching the names of the workload's pods (anchored), or null for
 * a kind whose pods cannot be told by name.
 */
export function podNamePattern(w: WorkloadRef): string | null {
  const suffix = SUFFIX[w.kind];
  return suffix === undefined ? null : `^${escapeRegex(w.name)}${suffix}$`;
}

/** The workload (of one namespace) whose pod this is; the longest matching name wins. */
export function workloadOfPod<W extends WorkloadRef>(pod: string, workloads: readonly W[]): W | null {
  let best: W | null = null;
  for (const w of workloads) {
    const pattern = podNamePattern(w);
    if (pattern && new RegExp(pattern).test(pod) && (!best || w.name.length > best.name.length)) best = w;
  }
  return best;
}
