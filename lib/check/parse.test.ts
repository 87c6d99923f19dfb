/** Reading manifests for `nhi check`: every input shape, with lines and Helm sources; problems as issues. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifests } from './parse';
import { readManifestInputs } from './read';

const one = (text: string, name = 'm.yaml') => parseManifests([{ name, text }]);
const summary = (text: string, name?: string) =>
  one(text, name).objects.map((o) => `${String(o.object.kind)}/${(o.object.metadata as { name: string }).name}@${o.line}`);

describe('parseManifests', () => {
  it('reads multi-document YAML with the line of each object', () => {
    const text = [
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata: {name: a}',
      '---',
      '',
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata:',
      '  name: b',
      '...',
      '---',
      'kind: Namespace',
      'metadata: {name: c}',
    ].join('\n');
    expect(summary(text)).toEqual(['ServiceAccount/a@1', 'ServiceAccount/b@6', 'Namespace/c@12']);
  });

  it('expands Lists, giving typed lists’ items their kind and apiVersion, and top-level arrays', () => {
    const list = [
      'apiVersion: v1',
      'kind: ServiceAccountList',
      'items:',
      '  - metadata: {name: a, namespace: x}',
      '  - apiVersion: v1',
      '    kind: Secret',
      '    metadata: {name: s}',
      '---',
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: v1, kind: Namespace, metadata: {name: ns1}}',
    ].join('\n');
    const parsed = one(list);
    expect(summary(list)).toEqual(['ServiceAccount/a@4', 'Secret/s@5', 'Namespace/ns1@12']);
    expect(parsed.objects[0]!.object.apiVersion).toBe('v1');
    expect(
      summary('[{"kind":"Namespace","metadata":{"name":"j"}},\n {"kind":"Namespace","metadata":{"name":"k"}}]', 'a.json'),
    ).toEqual(['Namespace/j@1', 'Namespace/k@2']);
  });

  it('keeps the Helm template of rendered output and skips its empty documents', () => {
    const helm = [
      '---',
      '# Source: shop/templates/serviceaccount.yaml',
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata: {name: api}',
      '---',
      '# Source: shop/templates/disabled.yaml',
      '---',
      '# Source: shop/templates/deployment.yaml',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: api}',
    ].join('\n');
    const parsed = one(helm);
    expect(parsed.issues).toEqual([]);
    expect(parsed.objects.map((o) => [o.object.kind, o.line, o.helmSource])).toEqual([
      ['ServiceAccount', 3, 'shop/templates/serviceaccount.yaml'],
      ['Deployment', 10, 'shop/templates/deployment.yaml'],
    ]);
  });

  it('reads JSON: one object, concatenated values and JSON lines', () => {
    expect(summary('\n{\n  "kind": "Namespace",\n  "metadata": {"name": "a"}\n}', 'a.json')).toEqual(['Namespace/a@2']);
    expect(
      summary('{"kind":"Namespace","metadata":{"name":"a"}}\n{"kind":"Namespace","metadata":{"name":"b"}}', 'a.json'),
    ).toEqual(['Namespace/a@1', 'Namespace/b@2']);
  });

  it('fails closed on a broken document (with its line) and hints at unrendered templates', () => {
    const parsed = one('kind: Namespace\nmetadata: {name: a}\n---\nkind: ServiceAccount\nmetadata:\n  name: [x\n');
    expect(parsed.objects).toHaveLength(1);
    expect(parsed.issues).toEqual([expect.objectContaining({ level: 'error', file: 'm.yaml', line: expect.any(Number) })]);
    expect(parsed.issues[0]!.line).toBeGreaterThanOrEqual(4);
    const template = one(
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{- include "x" . }}\n',
    );
    expect(template.issues[0]).toMatchObject({ level: 'error', message: expect.stringContaining('helm template') });
    expect(one('{"kind": "Namespace",', 'bad.json').issues[0]).toMatchObject({
      level: 'error',
      message: expect.stringMatching(/not valid JSON/),
    });
  });

  it('skips what is not a Kubernetes object, with a warning for objects without kind', () => {
    const parsed = one('# just a comment\n---\nreplicaCount: 2\nimage: {tag: x}\n---\n42\n');
    expect(parsed.objects).toEqual([]);
    expect(parsed.issues.map((i) => [i.level, i.line])).toEqual([
      ['warning', 3],
      ['warning', 6],
    ]);
    expect(one('   \n').issues).toEqual([{ level: 'warning', file: 'm.yaml', message: 'is empty' }]);
  });

  it('never quotes file content in its messages', () => {
    const parsed = one('apiVersion: v1\nkind: Secret\nstringData:\n  password: "hunter2\n');
    expect(parsed.issues.length).toBeGreaterThan(0);
    expect(JSON.stringify(parsed.issues)).not.toContain('hunter2');
  });
});

describe('readManifestInputs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-check-read-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('walks folders for manifests (gzip too), names files relative to the working directory, and reads stdin', async () => {
    mkdirSync(path.join(dir, 'deploy', 'base'), { recursive: true });
    writeFileSync(path.join(dir, 'deploy', 'base', 'sa.yaml'), 'kind: ServiceAccount\nmetadata: {name: a}\n');
    writeFileSync(path.join(dir, 'deploy', 'ns.json.gz'), gzipSync('{"kind":"Namespace","metadata":{"name":"n"}}'));
    writeFileSync(path.join(dir, 'deploy', 'README.md'), '# not read');
    writeFileSync(path.join(dir, 'deploy', '.hidden.yaml'), 'kind: Namespace\nmetadata: {name: hidden}\n');
    const stdin = Readable.from([Buffer.from('kind: Namespace\nmetadata: {name: from-stdin}\n')]);
    const read = await readManifestInputs(['deploy', '-'], { cwd: dir, stdin });
    expect(read.issues).toEqual([]);
    expect(read.inputs.map((i) => i.name)).toEqual(['deploy/base/sa.yaml', 'deploy/ns.json.gz', '(stdin)']);
    expect(parseManifests(read.inputs).objects.map((o) => `${o.file} ${(o.object.metadata as { name: string }).name}`)).toEqual([
      'deploy/base/sa.yaml a',
      'deploy/ns.json.gz n',
      '(stdin) from-stdin',
    ]);
  });

  it('reports a path that cannot be read, and a folder without manifests, as errors', async () => {
    mkdirSync(path.join(dir, 'empty'), { recursive: true });
    const missing = await readManifestInputs(['nope.yaml'], { cwd: dir });
    expect(missing.issues).toEqual([expect.objectContaining({ level: 'error', message: expect.stringContaining('not found') })]);
    const empty = await readManifestInputs(['empty'], { cwd: dir });
    expect(empty.issues).toEqual([
      expect.objectContaining({ level: 'error', message: expect.stringContaining('no manifest files') }),
    ]);
  });
});
