/**
 * Pure RBAC engine: effective permissions exactly as the Kubernetes RBAC authorizer decides them,
 * sensitive capabilities, reach per identity, and escalation paths. No database, no network.
 *
 *   const { snapshot, issues } = snapshotFromObjects(objects);   // validate manifests / API lists
 *   const index = buildIndex(snapshot);                           // once per snapshot
 *   can(index, { kind: 'ServiceAccount', namespace: 'ns', name: 'sa' }, { verb: 'get', apiGroup: '', resource: 'secrets', namespace: 'ns' });
 *   whoCan(index, { verb: 'create', apiGroup: '', resource: 'pods', namespace: 'ns' });
 *   reachOf(index, { kind: 'ServiceAccount', namespace: 'ns', name: 'sa' });
 *   const graph = buildEscalationGraph(index); const dist = distancesTo(graph);
 *   escalationOf(graph, dist, { kind: 'ServiceAccount', namespace: 'ns', name: 'sa' });
 */
export * from './types';
export {
  buildIndex,
  roleKey,
  roleRefKey,
  type RbacIndex,
  type IndexedRole,
  type IndexedBinding,
  type IndexOptions,
} from './rbac-index';
export { effectiveClusterRoleRules, ruleKey, type AggregationMode } from './aggregation';
export {
  ruleAllows,
  ruleAllowsLenient,
  verbMatches,
  apiGroupMatches,
  resourceMatches,
  resourceNameMatches,
  nonResourceURLMatches,
  labelSelectorMatches,
} from './match';
export {
  can,
  whoCan,
  whoCanAdmits,
  rulesFor,
  bindingsFor,
  resolveSubject,
  type GrantedRule,
  type WhoCanEntry,
  type ResolvedSubject,
} from './evaluator';
export {
  serviceAccountUser,
  serviceAccountUsername,
  splitServiceAccountUsername,
  nodeUser,
  toUserInfo,
  subjectAppliesTo,
} from './subjects';
export { snapshotFromObjects, mergeSnapshots, type LoadIssue, type LoadOptions, type LoadResult } from './load';
export {
  CAPABILITIES,
  CAPABILITY_BY_ID,
  OWASP_NHI_TOP10,
  MITRE_TECHNIQUES,
  type Capability,
  type CapabilityCheck,
  type Severity,
  type OwaspNhiId,
} from './capabilities';
export {
  reachOf,
  reachAll,
  listIdentities,
  identityKey,
  identityUser,
  type ReachSummary,
  type HeldCapability,
  type IdentityRef,
  type BindingRef,
  type ReachOptions,
  type NominalReason,
  type CapabilityScope,
} from './reach';
export {
  buildEscalationGraph,
  distancesTo,
  pathTo,
  escalationOf,
  reachableFrom,
  reachableIdentitiesAndPowers,
  identityNodeId,
  nodeIds,
  describe as describeEscalationStep,
  CLUSTER_ADMIN,
  type EscalationGraph,
  type EscalationOptions,
  type EscalationSummary,
  type Edge,
  type EdgeKind,
  type GraphNode,
  type PathStep,
  type Distances,
} from './escalation';
export {
  generateCluster,
  generatedSnapshot,
  generatedObjects,
  sampleTuples,
  toSubjectAccessReview,
  type GenerateOptions,
  type GeneratedCluster,
  type AccessTuple,
} from './generate';
