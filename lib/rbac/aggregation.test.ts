import { describe, expect, it } from 'vitest';
import { corpusPath, loadManifestObjects } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { effectiveClusterRoleRules, ruleKey } from './aggregation';
import { snapshotFromObjects } from './load';
import type { ClusterRole, PolicyRule } from './types';

const rule = (resource: string, verbs = ['get']): PolicyRule => ({ verbs, apiGroups: [''], resources: [resource] });
const cr = (
  name: string,
  labels: Record<string, string>,
  rules: PolicyRule[],
  selectors?: ClusterRole['aggregationRule'],
): ClusterRole => ({
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(selectors ? { aggregationRule: selectors } : {}),
});

describe('effectiveClusterRoleRules', () => {
  const roles = [
    cr('top', {}, [rule('stale')], { clusterRoleSelectors: [{ matchLabels: { to: 'top' } }] }),
    cr('mid', { to: 'top' }, [], {
      clusterRoleSelectors: [{ matchLabels: { to: 'mid' } }, { matchExpressions: [{ key: 'extra', operator: 'Exists' }] }],
    }),
    cr('b-leaf', { to: 'mid' }, [rule('pods'), rule('secrets')]),
    cr('a-leaf', { to: 'mid' }, [rule('secrets'), rule('configmaps')]),
    cr('x-extra', { extra: 'yes' }, [rule('nodes')]),
    cr('plain', {}, [rule('events')]),
  ];

  it('computed: the controller steady state — selectors in order, roles by name, duplicates dropped, transitively', () => {
    const m = effectiveClusterRoleRules(roles, 'computed');
    expect(m.get('mid')).toEqual([rule('secrets'), rule('configmaps'), rule('pods'), rule('nodes')]);
    expect(m.get('top')).toEqual([rule('secrets'), rule('configmaps'), rule('pods'), rule('nodes')]);
    expect(m.get('plain')).toEqual([rule('events')]);
  });
  it('stored: rules as read', () => {
    const m = effectiveClusterRoleRules(roles, 'stored');
    expect(m.get('top')).toEqual([rule('stale')]);
    expect(m.get('mid')).toEqual([]);
  });
  it('union (default): stored rules first, then the computed ones not already there', () => {
    const m = effectiveClusterRoleRules(roles);
    expect(m.get('top')).toEqual([rule('stale'), rule('secrets'), rule('configmaps'), rule('pods'), rule('nodes')]);
  });
  it('a role never aggregates itself, and cycles settle', () => {
    const cyc = [
      cr('p', { ring: 'y' }, [rule('p')], { clusterRoleSelectors: [{ matchLabels: { ring: 'y' } }] }),
      cr('q', { ring: 'y' }, [rule('q')], { clusterRoleSelectors: [{ matchLabels: { ring: 'y' } }] }),
    ];
    const computed = effectiveClusterRoleRules(cyc, 'computed');
    expect(computed.get('p')).toEqual([]);
    expect(computed.get('q')).toEqual([]);
    const union = effectiveClusterRoleRules(cyc, 'union');
    expect(union.get('p')!.map(ruleKey).sort()).toEqual([rule('p'), rule('q')].map(ruleKey).sort());
    expect(union.get('q')!.map(ruleKey).sort()).toEqual([rule('p'), rule('q')].map(ruleKey).sort());
  });
  it('an empty selector selects every other ClusterRole', () => {
    const m = effectiveClusterRoleRules(
      [cr('all', {}, [], { clusterRoleSelectors: [{}] }), cr('one', {}, [rule('a')]), cr('two', {}, [rule('b')])],
      'computed',
    );
    expect(m.get('all')).toEqual([rule('a'), rule('b')]);
  });
});

describeWithCorpus('bootstrap roles from the corpus', () => {
  const objects = loadManifestObjects(corpusPath('rbac/kubernetes-bootstrap/cluster-roles-featuregates.yaml'));
  const { snapshot, issues } = snapshotFromObjects(objects);
  const m = effectiveClusterRoleRules(snapshot.clusterRoles);

  it('loads without issues and admin, edit, view are filled by aggregation', () => {
    expect(issues).toEqual([]);
    for (const name of ['admin', 'edit', 'view']) {
      expect(snapshot.clusterRoles.find((r) => r.metadata.name === name)?.rules).toEqual([]);
      expect((m.get(name) ?? []).length).toBeGreaterThan(0);
    }
  });
  it('admin ⊇ edit ⊇ view (edit is labelled aggregate-to-admin, view aggregate-to-edit)', () => {
    const keys = (n: string) => new Set((m.get(n) ?? []).map(ruleKey));
    const admin = keys('admin');
    const edit = keys('edit');
    const view = keys('view');
    for (const k of view) expect(edit.has(k)).toBe(true);
    for (const k of edit) expect(admin.has(k)).toBe(true);
    expect(admin.size).toBeGreaterThan(edit.size);
    expect(edit.size).toBeGreaterThan(view.size);
  });
});
