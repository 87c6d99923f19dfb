import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import type { CollectionNote } from '../types';

import { readDumps } from '../import';
import { FileIssues } from './issues';
import { parseDocuments, splitYamlDocuments } from './parse';
import { fixture, names, sa, tmpFolders } from './test-support';

const tmp = tmpFolders();
afterAll(tmp.remove);

describe('parse: JSON', () => {
  it('reads a single object, and typed lists whose items carry no kind', async () => {
    const dir = tmp.files({
      'one.json': JSON.stringify(sa('solo', 'ns1')),
      'typed.json': JSON.stringify({
        kind: 'RoleBindingList',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        items: [{ metadata: { name: 'rb', namespace: 'ns1' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [] }],
      }),
    });
    const r = await readDumps([dir]);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['ns1/solo']);
    expect(r.snapshot.roleBindings[0]).toMatchObject({
      kind: 'RoleBinding',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name: 'rb' },
    });
    expect(r.notes).toEqual([]);
  });

  it('reads concatenated JSON values (`>>` appends) and JSON lines, reporting the broken value only', async () => {
    const dir = tmp.files({
      'appended.json': `${JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [sa('a', 'x')] }, null, 2)}\n${JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [sa('b', 'x')] }, null, 2)}\n`,
      'lines.json': [sa('c', 'x'), '{"kind": "ServiceAccount", "metadata": {"name": "broken" "namespace": "x"}}', sa('d', 'x')]
        .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
        .join('\n'),
    });
    const r = await readDumps([dir]);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['x/a', 'x/b', 'x/c', 'x/d']);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatchObject({ level: 'error', source: path.join(dir, 'lines.json') });
    expect(r.notes[0]!.message).toMatch(
      /lines\.json: invalid JSON in value 2 of 3: .* at line 2, column \d+; that value was not imported/,
    );
  });

  it('still imports the good file when another is broken, and names the broken file and the problem', async () => {
    const good = fixture('broken', 'good.yaml');
    const bad = fixture('broken', 'truncated.json');
    const r = await readDumps([bad, good]);
    expect(r.files).toBe(2);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['audit/survivor']);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatchObject({ level: 'error', source: bad });
    expect(r.notes[0]!.message).toMatch(
      /truncated\.json: is not valid JSON: .* at line 9, column \d+; nothing in this file was imported/,
    );
    // the message never quotes the file: the value next to the damage is not in it
    expect(JSON.stringify(r)).not.toContain('nhi-import-canary');
  });
});

describe('parse: YAML', () => {
  it('reads every document of a multi-document YAML file, skipping empty and comment-only ones', async () => {
    const r = await readDumps([fixture('folder', 'rbac.yaml')], { defaultNamespace: 'ci' });
    expect(r.read).toBe(4);
    expect(r.objects).toBe(4);
    expect(names(r.snapshot.roleBindings)).toEqual(['ci/deployer-reads-secrets']);
    expect(r.snapshot.roles[0]!.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }]);
    expect(r.clusterNameHint).toBeUndefined(); // "rbac" names a resource group, not a cluster
  });

  it('reads a large `kubectl get -o yaml` List item by item; a broken item loses only itself', async () => {
    const item = (i: number) =>
      [
        '- apiVersion: v1',
        '  kind: ServiceAccount',
        '  metadata:',
        `    name: sa-${String(i).padStart(4, '0')}`,
        '    namespace: big',
        '    annotations:',
        '      description: |',
        '        a block scalar',
        '',
        '        with a blank line',
      ].join('\n');
    const items = Array.from({ length: 600 }, (_, i) => item(i));
    items[300] = '- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: "broken\n    namespace: big';
    const text = ['apiVersion: v1', 'items:', ...items, 'kind: List', 'metadata:', '  resourceVersion: ""', ''].join('\n');
    expect(text.length).toBeGreaterThan(64 * 1024);
    const typed = text.replace('kind: List', 'kind: ServiceAccountList').replace(/ {2}kind: ServiceAccount\n/g, '');
    const dir = tmp.files({ 'all.yaml': text, 'typed.yaml': `--- # typed\n${typed}...\n` });
    const r = await readDumps([path.join(dir, 'all.yaml')]);
    expect(r.objects).toBe(599);
    expect(r.snapshot.serviceAccounts[1]!.metadata.annotations).toEqual({ description: 'a block scalar\n\nwith a blank line\n' });
    expect(r.notes).toHaveLength(1);
    const brokenLine = 2 + 300 * 10 + 1; // apiVersion, items:, 300 items of 10 lines, then the broken item
    expect(r.notes[0]!.message).toMatch(
      new RegExp(`all\\.yaml: invalid YAML in item 301 at line ${brokenLine + 4}, column \\d+: .*that item was not imported`),
    );
    const t = await readDumps([path.join(dir, 'typed.yaml')]);
    expect(t.objects).toBe(599);
    expect(t.snapshot.serviceAccounts[0]).toMatchObject({
      kind: 'ServiceAccount',
      apiVersion: 'v1',
      metadata: { name: 'sa-0000' },
    });
  });

  it('keeps timestamps as strings and octal modes as kubectl reads them', async () => {
    const dir = tmp.files({
      'pod.yaml': [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: p, namespace: x, creationTimestamp: 2025-01-10T09:00:00Z}',
        'spec:',
        '  volumes: [{name: t, secret: {secretName: s, defaultMode: 0644}}]',
        '  containers: [{name: c, image: i}]',
      ].join('\n'),
    });
    const r = await readDumps([dir]);
    const pod = r.snapshot.pods[0]!;
    expect(pod.metadata.creationTimestamp).toBe('2025-01-10T09:00:00Z');
    expect((pod.spec as { volumes: { secret: { defaultMode: number } }[] }).volumes[0]!.secret.defaultMode).toBe(0o644);
  });

  it('keeps the good documents of a YAML file with a broken one', async () => {
    const file = fixture('broken', 'mixed.yaml');
    const r = await readDumps([file]);
    // documents are split at their markers first, so the unterminated quote cannot swallow the next one
    expect(names(r.snapshot.serviceAccounts)).toEqual(['audit/after-the-damage', 'audit/before-the-damage']);
    expect(r.notes).toEqual([
      {
        level: 'error',
        source: file,
        message: `${file}: invalid YAML in document 2 at line 12, column 1: a missing closing quote or bracket (MISSING_CHAR); that document was not imported`,
      },
    ]);
  });
});

describe('parse: units', () => {
  const parse = (text: string, source = 'dump.json') => {
    const issues = new FileIssues(source);
    const objects: { value: unknown; where?: string }[] = [];
    const documents = parseDocuments(text, source, issues, (value, where) => objects.push({ value, where }));
    const notes: CollectionNote[] = [];
    issues.flush(notes);
    return { documents, objects, notes };
  };

  it('hands every list item to the sink with where it was found; typed-list items get the list kind', () => {
    const r = parse(
      JSON.stringify({ kind: 'ServiceAccountList', apiVersion: 'v1', items: [{ metadata: { name: 'a' } }, 'odd'] }),
    );
    expect(r.documents).toBe(1);
    expect(r.objects).toEqual([
      { value: { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'a' } }, where: 'item 1' },
      { value: 'odd', where: 'item 2' },
    ]);
    expect(r.notes).toEqual([]);
  });

  it('counts an empty List as a document, and a scalar document as none', () => {
    expect(parse('{"kind":"List","apiVersion":"v1","items":[]}').documents).toBe(1);
    const scalar = parse('just text\n', 'notes.yaml');
    expect(scalar.documents).toBe(0);
    expect(scalar.notes.map((n) => n.message)).toEqual(['notes.yaml: contains a document that is not an object (ignored)']);
  });

  it('reads YAML in flow style that looks like JSON, unless the file is named .json', () => {
    const flow = '{kind: ServiceAccount, apiVersion: v1, metadata: {name: flow}}';
    expect(parse(flow, 'a.yaml').objects).toEqual([
      { value: { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'flow' } }, where: undefined },
    ]);
    const json = parse(flow, 'a.json');
    expect(json.objects).toEqual([]);
    expect(json.notes[0]!.message).toMatch(/^a\.json: is not valid JSON: .*; nothing in this file was imported$/);
  });

  it('splits a YAML stream at document markers, keeping the line each document starts on', () => {
    expect(splitYamlDocuments('# header\n---\na: 1\n---\nb: 2\n...\n')).toEqual([
      { text: '---\na: 1\n', line: 2 },
      { text: '---\nb: 2\n', line: 4 },
    ]);
  });
});
