/**
 * The class of a workload, which behavioural baselines are tuned by (a batch job, a mesh proxy, a
 * controller and an AI agent call the API differently): decided from what the inventory knows — the
 * controller kind, labels, images and name — and, when runtime events are in, from behaviour (a token used
 * with kubectl's user agent is a person at a keyboard). Pure: every decision comes with its reason.
 *
 * First match wins, in this order:
 *   human-like   its ServiceAccount's token was used with kubectl's user agent
 *   ci-runner    a CI runner or build image (GitLab/GitHub/Jenkins runners, Kaniko, …) or a pod a CI system
 *                started (Tekton task runs, Argo Workflows steps)
 *   ai-agent     an AI agent framework or MCP server image, or an agent label
 *   mesh-proxy   a service-mesh proxy (Istio's proxyv2, Envoy, Linkerd's proxy, …) running as the workload
 *   batch        a Job or CronJob
 *   node-agent   a DaemonSet
 *   controller   a controller or operator by its labels, name or image
 *   service      any other long-running workload
 */

export const WORKLOAD_CLASSES = [
  'human-like',
  'ci-runner',
  'ai-agent',
  'mesh-proxy',
  'batch',
  'node-agent',
  'controller',
  'service',
] as const;
export type WorkloadClass = (typeof WORKLOAD_CLASSES)[number];

export const WORKLOAD_CLASS_TITLES: Record<WorkloadClass, string> = {
  'human-like': 'Human-like (kubectl)',
  'ci-runner': 'CI runner',
  'ai-agent': 'AI agent',
  'mesh-proxy': 'Mesh proxy',
  batch: 'Batch job',
  'node-agent': 'Node agent',
  controller: 'Controller or operator',
  service: 'Long-running service',
};

export interface WorkloadFacts {
  kind: string;
  name: string;
  images: readonly string[];
  labels: Readonly<Record<string, string>>;
}

/** What runtime events say about the workload's ServiceAccount, when any were received. */
export interface BehaviourFacts {
  userAgents: readonly string[];
}

export interface WorkloadClassDecision {
  class: WorkloadClass;
  reason: string;
}

/** An image without its registry, tag and digest: `quay.io/argoproj/argocd:v3@sha256:…` → `argoproj/argocd`. */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const noTag = colon > slash ? noDigest.slice(0, colon) : noDigest;
  const parts = noTag.split('/');
  // A first part with a dot or a port, or `localhost`, is a registry.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts.shift();
  return parts.join('/').toLowerCase();
}

const CI_IMAGES =
  /(^|\/)(gitlab-runner(-helper)?|actions-runner|github-runner|arc-runner|jenkins\/(inbound-)?agent|inbound-agent|buildkite-agent|drone-runner-kube|woodpecker-agent|concourse|argoexec|kaniko-project\/executor|buildkit)$/;
/** Pods that CI systems start themselves carry these labels (Tekton task runs, Argo Workflows steps, GitLab jobs). */
const CI_LABELS =
  /^(tekton\.dev\/(taskRun|pipelineRun)|workflows\.argoproj\.io\/workflow|job\.runner\.gitlab\.com\/|actions\.github\.com\/scale-set-name)/;
const AI_IMAGES =
  /(langchain|langgraph|llama-?index|autogen|crewai|openai-agents|agents?-sdk|semantic-kernel|mcp-server|mcp-proxy|kagent|ai-agent|llm-agent)/;
const AI_LABELS = /^(kagent\.dev\/|agents\.x-k8s\.io\/|ai\.agent|app\.kubernetes\.io\/component=(ai-)?agent$)/;
const MESH_IMAGES =
  /(^|\/)(istio\/proxyv2|proxyv2|envoyproxy\/envoy(-distroless)?|envoy|linkerd2?-proxy|proxy|cilium-envoy|kuma-dp|consul-dataplane)$/;
const MESH_REGISTRY = /istio|envoy|linkerd|cilium|kuma|consul/;
const CONTROLLER_COMPONENT = /(^|-)(controller|operator|manager|controller-manager|reconciler)$/;
const CONTROLLER_NAME =
  /(^|-)(controller|controllers|operator|controller-manager|manager|provisioner|autoscaler|cainjector|reconciler)$/;
const CONTROLLER_IMAGE = /(controller|controllers|operator|controller-manager|provisioner|autoscaler|cainjector)(-[a-z]+)?$/;

const firstMatch = (values: readonly string[], re: RegExp) => values.find((v) => re.test(v));

export function classifyWorkload(w: WorkloadFacts, behaviour?: BehaviourFacts): WorkloadClassDecision {
  const kubectl = behaviour?.userAgents.find((a) => a.startsWith('kubectl/'));
  if (kubectl)
    return { class: 'human-like', reason: `its ServiceAccount's token was used with kubectl's user agent (${kubectl})` };

  const images = w.images.map(imageName);
  const labels = Object.entries(w.labels).map(([k, v]) => `${k}=${v}`);
  const ci = firstMatch(images, CI_IMAGES);
  if (ci) return { class: 'ci-runner', reason: `it runs the CI image ${ci}` };
  const ciLabel = firstMatch(labels, CI_LABELS);
  if (ciLabel) return { class: 'ci-runner', reason: `it is labelled ${ciLabel.split('=')[0]} (started by a CI system)` };

  const ai = firstMatch(images, AI_IMAGES);
  if (ai) return { class: 'ai-agent', reason: `it runs the AI agent image ${ai}` };
  const aiLabel = firstMatch(labels, AI_LABELS);
  if (aiLabel) return { class: 'ai-agent', reason: `it is labelled ${aiLabel}` };

  const mesh = w.images.find((image) => MESH_IMAGES.test(imageName(image)) && MESH_REGISTRY.test(image.toLowerCase()));
  if (mesh) return { class: 'mesh-proxy', reason: `it runs the service-mesh proxy ${imageName(mesh)}` };

  if (w.kind === 'Job' || w.kind === 'CronJob') return { class: 'batch', reason: `it is a ${w.kind}` };
  if (w.kind === 'DaemonSet') return { class: 'node-agent', reason: 'it is a DaemonSet (one pod per node)' };

  const component = w.labels['app.kubernetes.io/component'];
  if (component && CONTROLLER_COMPONENT.test(component))
    return { class: 'controller', reason: `it is labelled app.kubernetes.io/component=${component}` };
  const controlPlane = w.labels['control-plane'];
  if (controlPlane && /controller|manager|operator/.test(controlPlane))
    return { class: 'controller', reason: `it is labelled control-plane=${controlPlane}` };
  if (CONTROLLER_NAME.test(w.name)) return { class: 'controller', reason: `its name ${w.name} is a controller's` };
  const image = firstMatch(images, CONTROLLER_IMAGE);
  if (image) return { class: 'controller', reason: `it runs the controller image ${image}` };

  return { class: 'service', reason: `a long-running ${w.kind} with no sign of another class` };
}

/** A workload as the inventory keeps it, with an owner's choice of class when one was made. */
export interface ClassifiedWorkload extends WorkloadFacts {
  classOverride?: WorkloadClass | null;
  classOverrideReason?: string | null;
}

/** A workload's class: the owner's choice when made, else the decision from its facts. */
export function workloadClass(w: ClassifiedWorkload, behaviour?: BehaviourFacts): WorkloadClassDecision {
  if (w.classOverride)
    return { class: w.classOverride, reason: `set by its owner${w.classOverrideReason ? `: ${w.classOverrideReason}` : ''}` };
  return classifyWorkload(w, behaviour);
}

/**
 * kube-controller-manager's own ServiceAccounts (with --use-service-account-credentials) whose names do not
 * end like a controller's.
 */
const CONTROL_PLANE_ACCOUNTS = new Set([
  'generic-garbage-collector',
  'root-ca-cert-publisher',
  'pod-garbage-collector',
  'persistent-volume-binder',
  'legacy-service-account-token-cleaner',
  'token-cleaner',
  'bootstrap-signer',
  'horizontal-pod-autoscaler',
  'kube-apiserver-serving-clustertrustbundle-publisher',
]);

/**
 * The class a ServiceAccount's baseline is tuned by: that of the workloads running as it (the most common
 * one; ties go to the class listed first in WORKLOAD_CLASSES). Without a workload, a ServiceAccount of
 * kube-system named like a controller (kube-controller-manager's own, e.g. `deployment-controller`) is a
 * controller, anything else a service. Behaviour is not consulted: the class must not follow the very use
 * (kubectl) a detector looks for.
 */
export function serviceAccountClass(
  sa: { namespace: string; name: string },
  workloads: readonly ClassifiedWorkload[],
): WorkloadClassDecision {
  if (!workloads.length) {
    if (sa.namespace === 'kube-system' && (CONTROLLER_NAME.test(sa.name) || CONTROL_PLANE_ACCOUNTS.has(sa.name)))
      return { class: 'controller', reason: `kube-system's ServiceAccount ${sa.name} is a controller's` };
    return { class: 'service', reason: 'no workload in the inventory runs as it' };
  }
  const decisions = workloads.map((w) => ({ w, d: workloadClass(w) }));
  const counts = new Map<WorkloadClass, number>();
  for (const { d } of decisions) counts.set(d.class, (counts.get(d.class) ?? 0) + 1);
  const best = [...counts].sort((a, b) => b[1] - a[1] || WORKLOAD_CLASSES.indexOf(a[0]) - WORKLOAD_CLASSES.indexOf(b[0]))[0]![0];
  const { w, d } = decisions.find((x) => x.d.class === best)!;
  const of = workloads.length > 1 ? ` (${counts.get(best)} of its ${workloads.length} workloads)` : '';
  return { class: best, reason: `${w.kind} ${w.name}: ${d.reason}${of}` };
}

/** A stored class name as a WorkloadClass (null when unset or not one). */
export const asWorkloadClass = (v: string | null | undefined): WorkloadClass | null =>
  v && (WORKLOAD_CLASSES as readonly string[]).includes(v) ? (v as WorkloadClass) : null;
