import { describe, expect, it } from 'vitest';
import { diffInventories, type PreviousState } from './changes';
import { normalize } from './normalize';
import { emptySnapshot } from './types';

function snapshot(opts: {
  image?: string;
  sa?: string;
  subjects?: string[];
  rules?: string[];
  secretUid?: string;
  withSa?: boolean;
}) {
  const s = emptySnapshot();
  if (opts.withSa !== false)
    s.serviceAccounts.push({ kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'shop', uid: 'sa-1' } });
  s.deployments.push({
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: { spec: { serviceAccountName: opts.sa ?? 'api', containers: [{ name: 'c', image: opts.image ?? 'web:1' }] } },
    },
  });
  s.roles.push({
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'shop' },
    rules: [{ apiGroups: [''], resources: opts.rules ?? ['pods'], verbs: ['get'] }],
  });
  s.roleBindings.push({
    kind: 'RoleBinding',
    metadata: { name: 'read', namespace: 'shop' },
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: (opts.subjects ?? ['api']).map((name) => ({ kind: 'ServiceAccount', name, namespace: 'shop' })),
  });
  s.secrets.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop', uid: opts.secretUid ?? 's-1' },
    type: 'Opaque',
  });
  return normalize(s);
}
const previous = (inv: ReturnType<typeof normalize>): PreviousState => inv;

describe('diffInventories', () => {
  it('reports nothing when nothing changed', () => {
    expect(diffInventories(previous(snapshot({})), snapshot({}))).toEqual([]);
  });

  it('reports image, ServiceAccount, rule, subject and secret changes', () => {
    const changes = diffInventories(
      previous(snapshot({})),
      snapshot({ image: 'web:2', sa: 'default', rules: ['pods', 'secrets'], subjects: ['api', 'default'], secretUid: 's-2' }),
    );
    expect(changes.map((c) => [c.kind, c.summary, c.identity ?? null, c.workload ?? null])).toEqual([
      [
        'binding.added',
        'RoleBinding shop/read grants Role reader to ServiceAccount shop/default',
        'ServiceAccount/shop/default',
        null,
      ],
      ['role.rules_changed', 'Role shop/reader rules changed', null, null],
      ['workload.image_changed', 'Deployment shop/web images changed', null, 'shop/Deployment/web'],
      [
        'workload.sa_changed',
        'Deployment shop/web now runs as default (was api)',
        'ServiceAccount/shop/default',
        'shop/Deployment/web',
      ],
      ['secret.recreated', 'Secret shop/db (OpaqueSecret) was deleted and created again', null, null],
    ]);
  });

  it('reports removed subjects and ServiceAccounts created and deleted', () => {
    expect(diffInventories(previous(snapshot({ withSa: false })), snapshot({})).map((c) => c.kind)).toEqual(['sa.created']);
    const removed = diffInventories(previous(snapshot({ subjects: ['api', 'default'] })), snapshot({ withSa: false }));
    expect(removed.map((c) => [c.kind, c.identity])).toEqual([
      ['sa.deleted', 'ServiceAccount/shop/api'],
      ['binding.removed', 'ServiceAccount/shop/default'],
    ]);
  });
});
