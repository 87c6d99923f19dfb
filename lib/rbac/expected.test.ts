/**
 * Reproduces the RBAC-related findings that the authors of the insecure scenarios published
 * (corpus rbac/vulnerable/EXPECTED.md): KubiScan's risky subject, kubescape regolibrary's RBAC rule
 * cases (positive and negative), KubeHound's identity/permission edges. Each finding is mapped to
 * catalogue capabilities or escalation edges. Where a scanner flags a rule that Kubernetes ignores
 * (a `resource/*` entry, a cluster-scoped resource granted by a RoleBinding), the finding is
 * reproduced as *nominal* and the test pins that it is not effective.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { corpusPath, listFiles, loadManifestObjects, type ManifestObject } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { can, firstApplyingSubject } from './evaluator';
import { buildEscalationGraph, distancesTo, identityNodeId, reachableFrom } from './escalation';
import { snapshotFromObjects } from './load';
import { buildIndex, type RbacIndex } from './rbac-index';
import { identityKey, roleKey } from '@/lib/keys';
import { listIdentities, reachOf, type IdentityRef } from './reach';
import { CAPABILITIES } from './capabilities';
import { nodeUser } from './subjects';

const VULN = 'rbac/vulnerable';

function indexOf(objects: unknown[]): RbacIndex {
  const { snapshot } = snapshotFromObjects(objects);
  return buildIndex(snapshot);
}

// ---- KubiScan ---------------------------------------------------------------------------------

describeWithCorpus('KubiScan unit test: risky subjects', () => {
  const objects = ['kubiscan-sa.yaml', 'kubiscan-sa2.yaml'].flatMap((f) => loadManifestObjects(corpusPath(VULN, 'kubiscan', f)));
  const index = indexOf(objects);
  const risky = (name: string) =>
    reachOf(index, { kind: 'ServiceAccount', namespace: 'default', name }).capabilities.filter(
      (c) => c.effective && (c.severity === 'critical' || c.severity === 'high'),
    );

  it('kubiscan-sa is risky (reads Secrets cluster-wide); kubiscan-sa2 and default are not', () => {
    expect(risky('kubiscan-sa').map((c) => `${c.id}@${c.scope.kind}`)).toEqual(['secrets-read@cluster']);
    expect(risky('kubiscan-sa2')).toEqual([]);
    expect(risky('default')).toEqual([]);
  });
});

// ---- kubescape regolibrary --------------------------------------------------------------------

interface Finding {
  key: string;
  effective: boolean;
}

const REGO = corpusPath(VULN, 'kubescape-regolibrary');

function caseObjects(rule: string, testCase: string): ManifestObject[] {
  const dir = path.join(REGO, rule, 'test', testCase, 'input');
  return listFiles(dir).flatMap((f) => loadManifestObjects(f));
}

function subjectKey(id: IdentityRef): string {
  return id.kind === 'ServiceAccount' ? `ServiceAccount/${id.name}` : `${id.kind}/${id.name}`;
}

/** Identities named by binding subjects that hold any of the capabilities. */
function holders(index: RbacIndex, capIds: string[], suffix = ''): Finding[] {
  const out: Finding[] = [];
  for (const id of listIdentities(index)) {
    const caps = reachOf(index, id).capabilities.filter((c) => capIds.includes(c.id));
    if (caps.length) out.push({ key: subjectKey(id) + suffix, effective: caps.some((c) => c.effective) });
  }
  return out;
}

const TAKEOVER = CAPABILITIES.filter((c) => c.severity === 'critical').map((c) => c.id);

function podFindings(index: RbacIndex, objects: ManifestObject[], capIds: string[]): Finding[] {
  const out: Finding[] = [];
  for (const p of index.snapshot.pods ?? []) {
    if (p.owner) continue;
    const sa = index.snapshot.serviceAccounts?.find(
      (s) => s.namespace === p.namespace && s.name === (p.serviceAccountName ?? 'default'),
    );
    const mounted = p.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
    if (!mounted) continue;
    const caps = reachOf(index, {
      kind: 'ServiceAccount',
      namespace: p.namespace,
      name: p.serviceAccountName ?? 'default',
    }).capabilities.filter((c) => capIds.includes(c.id) && c.effective);
    if (caps.length) out.push({ key: `Pod/${p.namespace}/${p.name}`, effective: true });
  }
  void objects;
  return out;
}

/** How each RBAC rule of regolibrary is answered by this engine. */
const RULES: Record<
  string,
  { finding: (index: RbacIndex, objects: ManifestObject[]) => Finding[]; key: (alert: string) => string }
> = {
  'access-container-service-account-v1': {
    finding: (index) =>
      listIdentities(index)
        .filter((id) => id.kind === 'ServiceAccount')
        .filter((id) => {
          const r = reachOf(index, id);
          return r.clusterRules.length + r.namespaceRules.length > 0 && r.bindings.some((b) => !b.roleMissing);
        })
        .map((id) => ({ key: subjectKey(id), effective: true })),
    key: (a) => `ServiceAccount/${/^service account: (\S+) has/.exec(a)![1]}`,
  },
  'anonymous-access-enabled': {
    finding: (index) =>
      ['system:unauthenticated', 'system:anonymous'].flatMap((name) =>
        reachOf(index, name.startsWith('system:anonymous') ? { kind: 'User', name } : { kind: 'Group', name }).bindings.map(
          (b) => ({ key: `Binding/${b.name}`, effective: true }),
        ),
      ),
    key: (a) => `Binding/${/RoleBinding: (\S+) gives/.exec(a)![1]}`,
  },
  'cluster-admin-role': {
    finding: (index) => holders(index, ['cluster-admin']),
    key: (a) => subjectFromAlert(a),
  },
  'ensure-default-service-accounts-has-only-default-roles': {
    finding: (index) =>
      listIdentities(index)
        .filter((id) => id.kind === 'ServiceAccount' && id.name === 'default')
        .flatMap((id) => reachOf(index, id).bindings.filter((b) => b.labels['kubernetes.io/bootstrapping'] !== 'rbac-defaults'))
        .map((b) => ({ key: `Binding/${b.name}`, effective: true })),
    key: (a) => `Binding/${/Binding: (\S+) has for ServiceAccount/.exec(a)![1]}`,
  },
  'exec-into-container-v1': { finding: (i) => holders(i, ['pods-exec']), key: (a) => subjectFromAlert(a) },
  'rule-access-dashboard-subject-v1': {
    finding: (index) =>
      index.bindings
        .filter((b) => b.roleRef.name === 'kubernetes-dashboard')
        .flatMap((b) => b.subjects.map((s) => ({ key: `${s.kind}/${s.name}`, effective: true }))),
    key: (a) => subjectFromAlert(a),
  },
  'rule-can-access-proxy-subresource': { finding: (i) => holders(i, ['nodes-proxy']), key: (a) => subjectFromAlert(a) },
  'rule-can-approve-cert-signing-request': { finding: (i) => holders(i, ['csr-approve']), key: (a) => subjectFromAlert(a) },
  'rule-can-bind-escalate': {
    finding: (i) => [...holders(i, ['rbac-bind'], ':bind'), ...holders(i, ['rbac-escalate'], ':escalate')],
    key: (a) => {
      const m = /^Subject: (User|Group|ServiceAccount)-(.+) can (bind|escalate) /.exec(a)!;
      return `${m[1]}/${m[2]}:${m[3]}`;
    },
  },
  'rule-can-create-pod': { finding: (i) => holders(i, ['pods-create']), key: (a) => subjectFromAlert(a) },
  'rule-can-create-pv': { finding: (i) => holders(i, ['persistentvolumes-create']), key: (a) => subjectFromAlert(a) },
  'rule-can-create-service-account-token': {
    finding: (i) => holders(i, ['serviceaccount-token-create']),
    key: (a) => subjectFromAlert(a),
  },
  'rule-can-delete-k8s-events-v1': { finding: (i) => holders(i, ['events-delete']), key: (a) => subjectFromAlert(a) },
  'rule-can-impersonate-users-groups-v1': {
    finding: (i) => holders(i, ['impersonate-users', 'impersonate-groups', 'impersonate-serviceaccounts']),
    key: (a) => subjectFromAlert(a),
  },
  'rule-can-list-get-secrets-v1': { finding: (i) => holders(i, ['secrets-read']), key: (a) => subjectFromAlert(a) },
  'rule-can-modify-admission-webhooks': {
    finding: (i) => holders(i, ['admission-webhooks-modify']),
    key: (a) => subjectFromAlert(a),
  },
  'rule-can-portforward-v1': { finding: (i) => holders(i, ['pods-portforward']), key: (a) => subjectFromAlert(a) },
  'rule-can-update-configmap-v1': { finding: (i) => holders(i, ['coredns-config-modify']), key: (a) => subjectFromAlert(a) },
  'rule-excessive-delete-rights-v1': {
    finding: (i) => holders(i, ['critical-resources-delete']),
    key: (a) => subjectFromAlert(a),
  },
  'rule-list-all-cluster-admins-v1': {
    finding: (i) => holders(i, ['cluster-admin', 'namespace-admin']),
    key: (a) => subjectFromAlert(a),
  },
  'system-authenticated-allowed-to-take-over-cluster': {
    finding: (index) => {
      const caps = reachOf(index, { kind: 'Group', name: 'system:authenticated' }).capabilities.filter((c) =>
        TAKEOVER.includes(c.id),
      );
      return caps.length ? [{ key: 'Group/system:authenticated', effective: caps.some((c) => c.effective) }] : [];
    },
    key: () => 'Group/system:authenticated',
  },
  'workload-with-administrative-roles': {
    finding: (i, o) => podFindings(i, o, ['cluster-admin', 'namespace-admin']),
    key: (a) => podFromAlert(a),
  },
  'workload-with-cluster-takeover-roles': {
    finding: (i, o) => podFindings(i, o, TAKEOVER),
    key: (a) => podFromAlert(a),
  },
  'serviceaccount-token-mount': {
    // A pod mounting the token of a ServiceAccount that some binding names.
    finding: (index) =>
      (index.snapshot.pods ?? [])
        .filter((p) => !p.owner && (p.automountServiceAccountToken ?? true))
        .filter(
          (p) =>
            reachOf(index, { kind: 'ServiceAccount', namespace: p.namespace, name: p.serviceAccountName ?? 'default' }).bindings
              .length > 0,
        )
        .map((p) => ({ key: `Pod/${p.namespace}/${p.name}`, effective: true })),
    key: (a) => podFromAlert(a),
  },
};

/** Rules of the copied regolibrary set that are about pod specs or object placement, not RBAC reach. */
const OUT_OF_SCOPE = [
  'automount-default-service-account',
  'automount-service-account',
  'host-pid-ipc-privileges',
  'namespace-without-service-account',
  'non-existent-service-account',
  'review-roles-with-aws-iam-authenticator',
  'role-in-default-namespace',
  'rolebinding-in-default-namespace',
  'rule-privileged-container',
  'rule-secrets-in-env-var',
  'serviceaccount-in-default-namespace',
  'workload-mounted-secrets',
];

function subjectFromAlert(a: string): string {
  const m = /^Subject: (User|Group|ServiceAccount)-(\S+) /.exec(a);
  if (!m) throw new Error(`unexpected alert: ${a}`);
  return `${m[1]}/${m[2]}`;
}
function podFromAlert(a: string): string {
  const m = /^Pod: (\S+) in the following namespace: (\S+) /.exec(a);
  if (!m) throw new Error(`unexpected alert: ${a}`);
  return `Pod/${m[2]}/${m[1]}`;
}

/**
 * Findings that Kubernetes would not act on, by `rule/case`: the scanner flags a rule the
 * authorizer ignores. Everything else reproduced must be effective.
 */
const NOMINAL: Record<string, string[]> = {
  'exec-into-container-v1/clusterrole': ['User/dave'], // pods/* is not a wildcard
  'rule-can-access-proxy-subresource/clusterrole-rolebinding': ['User/jane'], // nodes are cluster-scoped
  'rule-can-access-proxy-subresource/role-rolebinding': ['User/jane'],
  'rule-can-approve-cert-signing-request/clusterrole-rolebinding': ['User/jane'], // CSRs are cluster-scoped
  'rule-can-approve-cert-signing-request/role-rolebinding': ['User/jane'],
  'rule-can-bind-escalate/role-rolebinding': ['User/jane:escalate'], // escalate on clusterroles needs a ClusterRoleBinding
  'rule-can-create-pv/clusterrole-rolebinding': ['User/jane'], // persistent volumes are cluster-scoped
  'rule-can-create-pv/role-rolebinding': ['User/jane'],
  'rule-can-modify-admission-webhooks/clusterrole-rolebinding': ['User/jane'], // webhook configurations are cluster-scoped
  'rule-can-modify-admission-webhooks/role-rolebinding': ['User/jane'],
  'rule-can-portforward-v1/clusterrole-clusterrolebinding': ['Group/dev', 'Group/manager'], // pods/* is not a wildcard
  'system-authenticated-allowed-to-take-over-cluster/fail': ['Group/system:authenticated'], // nodes/* and pods/* are not wildcards
};

describeWithCorpus('kubescape regolibrary RBAC rule cases', () => {
  const ruleDirs = readdirSync(REGO)
    .filter((d) => existsSync(path.join(REGO, d, 'test')))
    .sort();

  it('every copied rule is either reproduced here or declared out of scope', () => {
    expect(ruleDirs.filter((r) => !(r in RULES) && !OUT_OF_SCOPE.includes(r))).toEqual([]);
    expect(Object.keys(RULES).filter((r) => !ruleDirs.includes(r))).toEqual([]);
  });

  for (const rule of Object.keys(RULES).sort()) {
    const cases = readdirSync(path.join(REGO, rule, 'test')).sort();
    for (const testCase of cases) {
      it(`${rule} / ${testCase}`, () => {
        const expectedAlerts = (
          JSON.parse(readFileSync(path.join(REGO, rule, 'test', testCase, 'expected.json'), 'utf8')) as { alertMessage: string }[]
        ).map((e) => e.alertMessage);
        const spec = RULES[rule]!;
        const objects = caseObjects(rule, testCase);
        const findings = spec.finding(indexOf(objects), objects);
        const expectedKeys = [...new Set(expectedAlerts.map(spec.key))].sort();
        expect([...new Set(findings.map((f) => f.key))].sort()).toEqual(expectedKeys);
        const nominal = NOMINAL[`${rule}/${testCase}`] ?? [];
        expect(
          findings
            .filter((f) => !f.effective)
            .map((f) => f.key)
            .sort(),
        ).toEqual([...nominal].sort());
      });
    }
  }
});

// ---- KubeHound --------------------------------------------------------------------------------

interface KubeHoundSection {
  name: string;
  pairs: [string, string][];
  values: string[];
}

/** The KubeHound part of EXPECTED.md: each `### TestEdge_*` section with its expected edges. */
function kubehoundSections(): KubeHoundSection[] {
  const text = readFileSync(corpusPath(VULN, 'EXPECTED.md'), 'utf8');
  const part = text.slice(text.indexOf('## 1. DataDog/KubeHound'), text.indexOf('## 2. cyberark/KubiScan'));
  const sections: KubeHoundSection[] = [];
  for (const chunk of part.split('\n### ').slice(1)) {
    const name = /^`([^`]+)`/.exec(chunk)![1]!;
    const pairs = [...chunk.matchAll(/^\s+- `([^`]+)` → `([^`]+)`$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]);
    const valuesLine = /expected values: (.*)$/m.exec(chunk);
    const values = valuesLine ? [...valuesLine[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!) : [];
    sections.push({ name, pairs, values });
  }
  return sections;
}

describeWithCorpus('KubeHound attack-graph system test', () => {
  const clusterObjects = listFiles(corpusPath(VULN, 'kubehound/test-cluster'))
    .filter((f) => !f.endsWith('cluster.yaml'))
    .flatMap((f) => loadManifestObjects(f));
  // The kind cluster the test ran on has the default roles, and three nodes named in EXPECTED.md.
  // controller-roles-featuregates.yaml repeats controller-roles.yaml (a superset), so it is left out.
  const bootstrap = listFiles(corpusPath('rbac/kubernetes-bootstrap'))
    .filter((f) => !f.endsWith('controller-roles-featuregates.yaml'))
    .flatMap((f) => loadManifestObjects(f));
  const nodes = ['kubehound.test.local-control-plane', 'kubehound.test.local-worker', 'kubehound.test.local-worker2'];
  const nodeObjects = nodes.map((name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }));
  const { snapshot, issues } = snapshotFromObjects([...bootstrap, ...clusterObjects, ...nodeObjects]);
  const index = buildIndex(snapshot);
  // KubeHound assumes legacy token Secrets exist for every account (TOKEN_LIST / TOKEN_BRUTEFORCE).
  const graph = buildEscalationGraph(index, { assumeLegacyTokens: true });
  const sections = kubehoundSections();
  const section = (name: string) => sections.find((s) => s.name === name)!;

  // KubeHound's identities: ServiceAccounts named by a binding of the test cluster (namespace default).
  const identities = new Set(
    clusterObjects
      .filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')
      .flatMap((o) =>
        ((o as { subjects?: { kind: string; name: string }[] }).subjects ?? [])
          .filter((s) => s.kind === 'ServiceAccount')
          .map((s) => s.name),
      ),
  );
  const podsInDefault = (snapshot.pods ?? [])
    .filter((p) => p.namespace === 'default' && !p.owner)
    .map((p) => p.name)
    .sort();
  const containerToPod = new Map<string, string>();
  for (const o of clusterObjects) {
    if (o.kind !== 'Pod') continue;
    for (const c of (o as { spec?: { containers?: { name: string }[] } }).spec?.containers ?? [])
      containerToPod.set(c.name, o.metadata!.name!);
  }
  // A permission set `role::binding` → the subjects of that binding, as graph nodes.
  const permissionSetSubjects = (ps: string): string[] => {
    const [, bindingName] = ps.split('::') as [string, string];
    const b = index.bindings.find((x) => x.name === bindingName)!;
    return b.subjects.map((s) =>
      s.kind === 'ServiceAccount'
        ? `sa:${s.namespace || b.namespace}/${s.name}`
        : s.kind === 'User'
          ? `user:${s.name}`
          : `group:${s.name}`,
    );
  };
  const sa = (name: string) => ({ kind: 'ServiceAccount' as const, namespace: 'default', name });

  it('loads the fixtures cleanly', () => {
    expect(issues).toEqual([]);
    expect(podsInDefault.length).toBe(29);
  });

  it('every KubeHound section is reproduced here or declared out of scope', () => {
    const handled = [
      'TestEdge_IDENTITY_ASSUME_Container',
      'TestEdge_IDENTITY_ASSUME_Node',
      'TestEdge_POD_PATCH',
      'TestEdge_POD_CREATE',
      'TestEdge_POD_EXEC',
      'TestEdge_PERMISSION_DISCOVER',
      'TestEdge_TOKEN_BRUTEFORCE',
      'TestEdge_TOKEN_LIST',
      'TestEdge_ROLE_BIND_CASE_1',
      'TestEdge_ROLE_BIND_CASE_2',
      'TestEdge_ROLE_BIND_CASE_3',
      'Test_NoEdgeCase',
    ];
    // Container escapes, host volumes, endpoints and process sharing are pod-spec / node matters;
    // sections without a listed expectation (CONTAINER_ATTACH, POD_ATTACH, VOLUME_*, ROLE_BIND_CASE_4) have nothing to compare.
    const outOfScope = sections
      .map((s) => s.name)
      .filter((n) => /CE_|EXPLOIT_|ENDPOINT_|SHARE_PS|VOLUME_|TOKEN_STEAL|CONTAINER_ATTACH|POD_ATTACH|ROLE_BIND_CASE_4/.test(n));
    expect(sections.map((s) => s.name).filter((n) => !handled.includes(n) && !outOfScope.includes(n))).toEqual([]);
  });

  it('IDENTITY_ASSUME (container → ServiceAccount): the pod holds its account’s token', () => {
    for (const [container, saName] of section('TestEdge_IDENTITY_ASSUME_Container').pairs) {
      const pod = containerToPod.get(container)!;
      const edges = graph.out.get(`pod:default/${pod}`) ?? [];
      expect([container, edges.some((e) => e.kind === 'IDENTITY_ASSUME' && e.to === `sa:default/${saName}`)]).toEqual([
        container,
        true,
      ]);
    }
  });

  it('IDENTITY_ASSUME (node → system:nodes): each kubelet acts as a member of system:nodes', () => {
    for (const [node, group] of section('TestEdge_IDENTITY_ASSUME_Node').pairs) {
      const edges = graph.out.get(`node:${node}`) ?? [];
      expect(edges.map((e) => [e.kind, e.to])).toEqual([['IDENTITY_ASSUME', `user:system:node:${node}`]]);
      expect(nodeUser(node).groups).toContain(group);
    }
  });

  it('PERMISSION_DISCOVER: each identity’s role::binding permission sets', () => {
    const expected = new Map<string, string[]>();
    for (const [id, ps] of section('TestEdge_PERMISSION_DISCOVER').pairs) expected.set(id, [...(expected.get(id) ?? []), ps]);
    const ours = new Map<string, string[]>();
    for (const name of identities) {
      const user = reachOf(index, sa(name)).user;
      const direct = reachOf(index, sa(name)).bindings.filter((b) => {
        const ib = index.bindings.find((x) => x.kind === b.kind && x.name === b.name && x.namespace === (b.namespace ?? ''))!;
        return ib.subjects[firstApplyingSubject(user, ib)]?.kind === 'ServiceAccount';
      });
      ours.set(name, direct.map((b) => `${b.roleRef.name}::${b.name}`).sort());
    }
    expect(Object.fromEntries([...ours].sort())).toEqual(Object.fromEntries([...expected].map(([k, v]) => [k, v.sort()]).sort()));
  });

  it('POD_PATCH and POD_EXEC: exactly the pods of namespace default, and an escalation edge', () => {
    for (const [sectionName, saName, attrs, kind] of [
      ['TestEdge_POD_PATCH', 'pod-patch-sa', { verb: 'patch', apiGroup: '', resource: 'pods' }, 'POD_PATCH'],
      ['TestEdge_POD_EXEC', 'pod-exec-sa', { verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec' }, 'POD_EXEC'],
    ] as const) {
      const expected = section(sectionName)
        .pairs.map(([, pod]) => pod)
        .sort();
      expect(expected).toEqual(podsInDefault);
      const ours = podsInDefault.filter((pod) => can(index, sa(saName), { ...attrs, namespace: 'default', name: pod }).allowed);
      expect(ours).toEqual(expected);
      expect((graph.out.get(`sa:default/${saName}`) ?? []).some((e) => e.kind === kind && e.to === 'pod-sa:default')).toBe(true);
    }
  });

  it('POD_CREATE: the create-pods permission set can run pods (and so any ServiceAccount) in default', () => {
    expect(section('TestEdge_POD_CREATE').pairs.every(([ps]) => ps === 'create-pods::pod-create-pods')).toBe(true);
    expect((graph.out.get('sa:default/pod-create-sa') ?? []).some((e) => e.kind === 'RUN_AS' && e.to === 'any-sa:default')).toBe(
      true,
    );
    expect(
      reachOf(index, sa('pod-create-sa')).capabilities.map(
        (c) => `${c.id}@${c.scope.kind === 'namespace' ? c.scope.namespace : '*'}`,
      ),
    ).toContain('pods-create@default');
  });

  it('TOKEN_BRUTEFORCE (get) and TOKEN_LIST (list): the accounts of namespace default', () => {
    for (const [sectionName, saName, kind] of [
      ['TestEdge_TOKEN_BRUTEFORCE', 'tokenget-sa', 'TOKEN_GET'],
      ['TestEdge_TOKEN_LIST', 'tokenlist-sa', 'TOKEN_LIST'],
    ] as const) {
      const expected = section(sectionName)
        .pairs.map(([, target]) => target)
        .sort();
      const targets = new Set<string>();
      for (const e of graph.out.get(`sa:default/${saName}`) ?? []) {
        if (e.kind !== kind) continue;
        for (const m of graph.out.get(e.to) ?? []) if (m.kind === 'MEMBER') targets.add(m.to.replace('sa:default/', ''));
      }
      expect([...targets].filter((t) => identities.has(t)).sort()).toEqual(expected);
    }
  });

  it('ROLE_BIND: each source permission set can obtain each target role in its scope (directly or through a path)', () => {
    for (const name of ['TestEdge_ROLE_BIND_CASE_1', 'TestEdge_ROLE_BIND_CASE_2', 'TestEdge_ROLE_BIND_CASE_3']) {
      for (const [src, dst] of section(name).pairs) {
        const [dstRole, dstBinding] = dst.split('::') as [string, string];
        const b = index.bindings.find((x) => x.name === dstBinding)!;
        expect(b.roleRef.name).toBe(dstRole);
        const scope = b.kind === 'ClusterRoleBinding' ? '*' : b.namespace;
        const key = roleKey({ kind: b.roleRef.kind, namespace: b.roleRef.kind === 'Role' ? b.namespace : '', name: dstRole });
        const goals = new Set([
          `role:${scope}|${key}`,
          'cluster-admin',
          ...(scope === '*' ? [] : [`ns-admin:${scope}`, 'ns-admin:*']),
        ]);
        for (const from of permissionSetSubjects(src)) {
          const reach = reachableFrom(graph, from);
          expect([name, src, dst, from, [...goals].some((g) => reach.has(g))]).toEqual([name, src, dst, from, true]);
        }
      }
    }
  });

  it('ROLE_BIND negative controls: the "-fail" permission sets cannot bind anything themselves', () => {
    for (const name of ['rolebind-sa-rb-cr-crb-cr-fail', 'rolebind-sa-crb-cr-crb-r-fail', 'rolebind-sa-rb-r-crb-cr-fail']) {
      expect([
        name,
        (graph.out.get(`sa:default/${name}`) ?? []).filter((e) => e.kind === 'ROLE_BIND' || e.kind === 'ROLE_ESCALATE'),
      ]).toEqual([name, []]);
    }
  });

  it('Test_NoEdgeCase: control-pod leads nowhere (its account holds nothing sensitive and has no edge)', () => {
    expect((graph.out.get('pod:default/control-pod') ?? []).map((e) => [e.kind, e.to])).toEqual([
      ['IDENTITY_ASSUME', 'sa:default/default'],
    ]);
    expect(reachOf(index, sa('default')).capabilities).toEqual([]);
    expect(graph.out.get(identityNodeId(sa('default'))) ?? []).toEqual([]);
    expect(distancesTo(graph).distance.has('pod:default/control-pod')).toBe(false);
  });

  it('identity keys are stable', () => {
    expect(identityKey(sa('x'))).toBe('ServiceAccount/default/x');
    expect(identityKey({ kind: 'User', name: 'https://issuer/#sub' })).toBe('User//https://issuer/#sub');
  });
});
