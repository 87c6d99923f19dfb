/**
 * The escalation graph's public shapes: node and edge kinds, the graph, its options and node ids.
 * (The header of `../escalation.ts` describes what each node and edge means.)
 */
import type { IdentityRef } from '../reach';
import type { GrantReason } from '../types';
import type { IdentityPower } from './power';

export type EdgeKind =
  | 'RUN_AS'
  | 'POD_EXEC'
  | 'POD_ATTACH'
  | 'POD_PATCH'
  | 'POD_EPHEMERAL'
  | 'TOKEN_LIST'
  | 'TOKEN_GET'
  | 'TOKEN_REQUEST'
  | 'TOKEN_SECRET_CREATE'
  | 'IMPERSONATE_SA'
  | 'IMPERSONATE_USER'
  | 'IMPERSONATE_GROUP'
  | 'ROLE_BIND'
  | 'ROLE_ESCALATE'
  | 'NODE_PROXY'
  | 'CSR_MINT'
  | 'WILDCARD'
  | 'IDENTITY_ASSUME'
  | 'MEMBER'
  | 'NS_CONTROL'
  | 'SECRET_READ'
  | 'POD_ESCAPE';

export type NodeKind =
  | 'ServiceAccount'
  | 'User'
  | 'Group'
  | 'RoleGrant'
  | 'NamespaceAdmin'
  | 'ClusterAdmin'
  | 'AnyServiceAccount'
  | 'PodServiceAccounts'
  | 'TokenServiceAccounts'
  | 'AnyUser'
  | 'AnyGroup'
  | 'Pod'
  | 'Node'
  | 'NamespaceControl'
  | 'NamespaceSecrets'
  | 'NodeEscape';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  identity?: IdentityRef;
}

export interface EdgeDetail {
  namespace?: string;
  pods?: string[];
  secrets?: string[];
  role?: { kind: string; namespace?: string; name: string };
  /** "*", "*ns" or a namespace, for role grants. */
  scope?: string;
  /** POD_ESCAPE: the Pod Security level the namespace enforces ("none" when it has no label). */
  podSecurity?: string;
}

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** 0 for equivalences and helper fan-outs, 1 for an action an attacker takes. */
  weight: 0 | 1;
  grants: GrantReason[];
  detail: EdgeDetail;
}

export interface EscalationGraph {
  nodes: Map<string, GraphNode>;
  edges: Edge[];
  out: Map<string, Edge[]>;
  /** The rules every identity holds, by scope, for comparing powers (escalation/power.ts). */
  powers?: Map<string, IdentityPower>;
}

export interface EscalationOptions {
  /** Treat every ServiceAccount as having a legacy token Secret of unknown name. Default false. */
  assumeLegacyTokens?: boolean;
  /** Every known namespace has a `default` ServiceAccount. Default true. */
  assumeDefaultServiceAccounts?: boolean;
  /** ClusterRole `cluster-admin` exists even if the snapshot lacks it. Default true. */
  assumeBootstrapRoles?: boolean;
}

export const CLUSTER_ADMIN = 'cluster-admin';
/** The node target: a container left for the node it runs on (whichever node the scheduler picks). */
export const NODE_TARGET = 'node:*';

export const nodeIds = {
  sa: (ns: string, name: string) => `sa:${ns}/${name}`,
  user: (name: string) => `user:${name}`,
  group: (name: string) => `group:${name}`,
  role: (scope: string, key: string) => `role:${scope}|${key}`,
  nsAdmin: (ns: string) => `ns-admin:${ns}`,
  anySa: (ns: string) => `any-sa:${ns}`,
  pod: (ns: string, name: string) => `pod:${ns}/${name}`,
  node: (name: string) => `node:${name}`,
  clusterAdmin: CLUSTER_ADMIN,
  nsControl: (ns: string) => `ns-control:${ns}`,
  secrets: (ns: string) => `secrets:${ns}`,
  anyNode: NODE_TARGET,
};

export function identityNodeId(id: IdentityRef): string {
  if (id.kind === 'ServiceAccount') return nodeIds.sa(id.namespace, id.name);
  return id.kind === 'User' ? nodeIds.user(id.name) : nodeIds.group(id.name);
}
