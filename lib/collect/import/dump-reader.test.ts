import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

import { readDumps } from '../import';
import { DumpReader } from './dump-reader';
import { FileIssues } from './issues';
import { fixture, names, sa, tmpFolders } from './test-support';

const tmp = tmpFolders();
afterAll(tmp.remove);

describe('dump-reader: what is kept', () => {
  it('skips objects of other API groups that reuse an inventory kind, and drops namespaces of cluster-scoped objects', async () => {
    const dir = tmp.files({
      'mixed.yaml': [
        'apiVersion: iam.example.com/v1\nkind: Role\nmetadata: {name: not-rbac, namespace: x}',
        'apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: legacy, namespace: x}',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr, namespace: x}',
      ].join('\n---\n'),
    });
    const r = await readDumps([dir]);
    expect(r.snapshot.roles).toEqual([]);
    expect(names(r.snapshot.deployments)).toEqual(['x/legacy']);
    expect(r.snapshot.clusterRoles[0]!.metadata).toEqual({ name: 'cr' });
    expect(r.skipped).toEqual({ 'Role (iam.example.com/v1)': 1 });
  });
});

describe('dump-reader: duplicates and determinism', () => {
  it('keeps the copy with the higher numeric resourceVersion, else the one read last, and notes it', async () => {
    const dir = tmp.files({
      '1.json': JSON.stringify({
        kind: 'List',
        apiVersion: 'v1',
        items: [
          sa('newer', 'x', { resourceVersion: '200', labels: { copy: 'first' } }),
          sa('plain', 'x', { labels: { copy: 'first' } }),
        ],
      }),
      '2.json': JSON.stringify({
        kind: 'List',
        apiVersion: 'v1',
        items: [
          sa('newer', 'x', { resourceVersion: '99', labels: { copy: 'second' } }),
          sa('plain', 'x', { labels: { copy: 'second' } }),
        ],
      }),
    });
    const r = await readDumps([dir]);
    expect(r.read).toBe(4);
    expect(r.objects).toBe(2);
    const byName = Object.fromEntries(r.snapshot.serviceAccounts.map((s) => [s.metadata.name, s.metadata.labels?.copy]));
    expect(byName).toEqual({ newer: 'first', plain: 'second' });
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatchObject({ level: 'warning', resource: 'serviceAccounts' });
    expect(r.notes[0]!.message).toContain('2 ServiceAccount objects were read more than once');
    expect(r.notes[0]!.message).toContain('(resourceVersion 200 vs 99), kept the one from');
  });

  it('gives the same snapshot whatever order the objects come in', async () => {
    const items = Array.from({ length: 30 }, (_, i) => sa(`sa-${(i * 7) % 30}`, `ns-${i % 4}`));
    const forward = tmp.files({ 'a.json': JSON.stringify({ kind: 'List', apiVersion: 'v1', items }) });
    const backward = tmp.files({ 'a.json': JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [...items].reverse() }) });
    const a = await readDumps([forward]);
    const b = await readDumps([backward]);
    expect(a.snapshot).toEqual(b.snapshot);
    const sorted = names(a.snapshot.serviceAccounts);
    expect(sorted).toEqual([...sorted].sort());
    expect(sorted[0]).toBe('ns-0/sa-0');
  });
});

describe('dump-reader: Secret values never survive', () => {
  it('drops data, stringData, data key names, last-applied and unlisted annotations of a Secret (keeping only what the key names say)', async () => {
    const file = fixture('secret-with-values.yaml');
    expect(readFileSync(file, 'utf8')).toContain('nhi-import-canary'); // the fixture does plant them
    const r = await readDumps([file]);
    expect(r.snapshot.secrets).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        // Its keys include `api-key`: the class is kept, the name is not (checked below).
        keyClass: 'api-token',
        metadata: {
          name: 'db-credentials',
          namespace: 'payments',
          resourceVersion: '4242',
          uid: 'c0000000-0000-4000-8000-000000000001',
          labels: { app: 'payments-db' },
          annotations: { team: 'payments' },
        },
      },
    ]);
    const text = JSON.stringify(r);
    expect(text).not.toContain('nhi-import-canary');
    expect(text).not.toContain('bmhpLWltcG9ydC1jYW5hcnktZGF0YS0xYTJi'); // base64 of a canary
    expect(text).not.toContain('api-key');
  });

  it('sanitises Secrets from every container shape (List, typed list, gzip, concatenated JSON)', async () => {
    const secret = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: {
        name,
        namespace: 'x',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":"nhi-import-canary-${name}"}` },
      },
      data: { '.dockerconfigjson': Buffer.from(`nhi-import-canary-${name}`).toString('base64') },
      stringData: { raw: `nhi-import-canary-${name}` },
    });
    const typedItem = { ...secret('typed'), kind: undefined, apiVersion: undefined };
    const dir = tmp.files({
      'list.json': JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [secret('list')] }),
      'typed.json': JSON.stringify({ kind: 'SecretList', apiVersion: 'v1', items: [typedItem] }),
      'zipped.bin.json': gzipSync(JSON.stringify(secret('zipped'))),
      'appended.json': `${JSON.stringify(secret('first'))}\n${JSON.stringify(secret('second'))}`,
    });
    const r = await readDumps([dir]);
    expect(names(r.snapshot.secrets)).toEqual(['x/first', 'x/list', 'x/second', 'x/typed', 'x/zipped']);
    expect(
      r.snapshot.secrets.every(
        (s) => s.type === 'kubernetes.io/dockerconfigjson' && Object.keys(s).sort().join() === 'apiVersion,kind,metadata,type',
      ),
    ).toBe(true);
    expect(JSON.stringify(r)).not.toContain('nhi-import-canary');
    expect(JSON.stringify(r)).not.toContain(Buffer.from('nhi-import-canary').toString('base64').slice(0, 16));
  });
});

describe('dump-reader: units', () => {
  it('keeps a Secret as metadata only from the moment it is added', () => {
    const reader = new DumpReader();
    const issues = new FileIssues('s.json');
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 's',
        namespace: 'x',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":"nhi-import-canary"}' },
      },
      data: { key: Buffer.from('nhi-import-canary').toString('base64') },
      stringData: { key: 'nhi-import-canary' },
    };
    reader.add(secret, 's.json', issues, undefined);
    expect(JSON.stringify(reader)).not.toContain('canary');
    const r = reader.finish(1);
    expect(r.snapshot.secrets).toEqual([
      { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's', namespace: 'x' } },
    ]);
    expect(r).toMatchObject({ files: 1, objects: 1, read: 1, counts: { secrets: 1 }, skipped: {} });
  });

  it('puts namespaced objects without a namespace in the namespace it was given, and counts kinds it does not keep', () => {
    const reader = new DumpReader('ci');
    const issues = new FileIssues('f.yaml');
    reader.add({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot' } }, 'f.yaml', issues, 'document 1');
    reader.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ci' } }, 'f.yaml', issues, 'document 2');
    issues.flush(reader.notes);
    const r = reader.finish(1);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['ci/bot']);
    expect(r.read).toBe(2);
    expect(r.notes.map((n) => n.message)).toEqual([
      'f.yaml: has namespaced objects without metadata.namespace; placed in "ci" as kubectl would apply them: ServiceAccount bot',
      'skipped 1 ConfigMap object: not part of the inventory',
    ]);
  });
});
