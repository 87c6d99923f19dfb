/**
 * Identities as the authorizer sees them, and the subject-matching rule of
 * kubernetes/kubernetes pkg/registry/rbac/validation/rule.go (appliesToUser).
 */
import type { Subject, SubjectQuery, UserInfo } from './types';

export const SA_USER_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const SA_NAMESPACE_GROUP_PREFIX = 'system:serviceaccounts:';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const ANONYMOUS_USER = 'system:anonymous';
export const MASTERS_GROUP = 'system:masters';
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_USER_PREFIX}${namespace}:${name}`;
}

/** Splits `system:serviceaccount:<ns>:<name>`; undefined for other names (serviceaccount.SplitUsername). */
export function splitServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_USER_PREFIX)) return undefined;
  const rest = username.slice(SA_USER_PREFIX.length);
  const parts = rest.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/**
 * The user.Info a ServiceAccount token authenticates as: its username plus the groups
 * `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`.
 * (A SubjectAccessReview judges exactly the groups it is sent, so callers must send these.)
 */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    name: serviceAccountUsername(namespace, name),
    groups: [ALL_SERVICE_ACCOUNTS_GROUP, `${SA_NAMESPACE_GROUP_PREFIX}${namespace}`, AUTHENTICATED_GROUP],
  };
}

/** A kubelet's identity. */
export function nodeUser(nodeName: string): UserInfo {
  return { name: `${NODE_USER_PREFIX}${nodeName}`, groups: [NODES_GROUP, AUTHENTICATED_GROUP] };
}

/**
 * Normalises the ways of naming an identity:
 * - a UserInfo is used as is;
 * - `{kind: 'ServiceAccount'}` gets the ServiceAccount username and groups;
 * - `{kind: 'User'}` gets the given groups, else `system:authenticated` (or `system:unauthenticated`
 *   for `system:anonymous`), as an authenticator would add;
 * - `{kind: 'Group'}` asks what membership of that group alone grants: no user name, one group.
 */
export function toUserInfo(q: SubjectQuery): UserInfo {
  if (!('kind' in q)) return { name: q.name, groups: [...q.groups] };
  switch (q.kind) {
    case 'ServiceAccount':
      return serviceAccountUser(q.namespace, q.name);
    case 'User':
      return {
        name: q.name,
        groups: q.groups ? [...q.groups] : [q.name === ANONYMOUS_USER ? UNAUTHENTICATED_GROUP : AUTHENTICATED_GROUP],
      };
    case 'Group':
      return { name: '', groups: [q.name] };
  }
}

/**
 * appliesToUser: does this binding subject designate the user? `bindingNamespace` is the
 * RoleBinding's namespace, "" for a ClusterRoleBinding. A ServiceAccount subject without a
 * namespace means "in the binding's namespace", so in a ClusterRoleBinding it matches nobody.
 * Only exact kinds "User", "Group", "ServiceAccount" match; apiGroup is not consulted.
 */
export function subjectAppliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.name === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace ? subject.namespace : bindingNamespace;
      if (!ns) return false;
      return user.name === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

/** The username a binding subject stands for, or undefined for Group / non-matching subjects. */
export function subjectUsername(subject: Subject, bindingNamespace: string): string | undefined {
  if (subject.kind === 'User') return subject.name;
  if (subject.kind === 'ServiceAccount') {
    const ns = subject.namespace ? subject.namespace : bindingNamespace;
    return ns ? serviceAccountUsername(ns, subject.name) : undefined;
  }
  return undefined;
}

/**
 * Why an answer for this identity may come from an authorizer other than RBAC, or undefined when
 * only RBAC decides. The test API server runs `--authorization-mode=Node,RBAC`, and every
 * kube-apiserver puts two authorizers first:
 * - members of `system:masters` are always allowed (privileged-group authorizer);
 * - `system:node:<name>` in group `system:nodes` is judged by the Node authorizer first (which allows
 *   what its graph of pods, secrets and volumes permits);
 * - `system:apiserver` is the API server's loopback identity.
 * `nhi can` notes it next to an RBAC answer; the agreement suite (scripts/rbac-verify) leaves such
 * identities out of its tuples (or only checks them where RBAC allows, since the chain is a union of
 * allow decisions).
 */
export function nonRbacAuthorizerFor(user: UserInfo): string | undefined {
  if (user.groups.includes(MASTERS_GROUP))
    return `member of ${MASTERS_GROUP} (always allowed by the privileged-group authorizer)`;
  if (user.name.startsWith(NODE_USER_PREFIX) && user.groups.includes(NODES_GROUP))
    return 'a node identity (the Node authorizer decides first)';
  if (user.name === 'system:apiserver') return "the API server's loopback identity";
  return undefined;
}
