import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

import type { CollectionNote } from '../types';

import { readDumps } from '../import';
import { FileIssues } from './issues';
import { clusterNameHint, decodeText, expandPaths, isDumpFileName, readDumpText } from './read-files';
import { fixture, names, sa, tmpFolders } from './test-support';

const tmp = tmpFolders();
afterAll(tmp.remove);

describe('read-files: standard input and encodings', () => {
  it('reads standard input for `-`', async () => {
    const r = await readDumps(['-'], { stdin: Readable.from([Buffer.from(JSON.stringify(sa('piped', 'x')))]) });
    expect(names(r.snapshot.serviceAccounts)).toEqual(['x/piped']);
    expect(r.files).toBe(1);
  });

  it('reads UTF-16 files with a BOM (PowerShell redirects)', async () => {
    const text = JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [sa('windows', 'x')] });
    const dir = tmp.files({ 'ps.json': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) });
    const r = await readDumps([dir]);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['x/windows']);
  });
});

describe('read-files: gzip and folders', () => {
  it('detects gzip by its magic bytes, whatever the file is called', async () => {
    const list = JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [sa('zipped', 'x'), sa('zipped-too', 'x')] });
    const dir = tmp.files({ 'sas.json': gzipSync(list), 'plain.json.gz': JSON.stringify(sa('not-zipped', 'x')) });
    const r = await readDumps([path.join(dir, 'sas.json'), path.join(dir, 'plain.json.gz')]);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['x/not-zipped', 'x/zipped', 'x/zipped-too']);
    expect(r.notes).toEqual([
      {
        level: 'warning',
        source: path.join(dir, 'plain.json.gz'),
        message: `${path.join(dir, 'plain.json.gz')}: named .gz but is not gzip-compressed; read as plain text`,
      },
    ]);
  });

  it('walks a folder recursively: .json/.yaml/.yml (+ .gz), sorted, hidden entries and other files ignored', async () => {
    const r = await readDumps([fixture('folder')]);
    expect(r.files).toBe(3); // nested/pods.json.gz, nested/serviceaccounts.json, rbac.yaml
    expect(r.clusterNameHint).toBe('folder');
    expect(names(r.snapshot.serviceAccounts)).toEqual(['tools/builder', 'tools/default', 'tools/deployer']);
    expect(names(r.snapshot.pods)).toEqual(['tools/builder-0']);
    expect(names(r.snapshot.statefulSets)).toEqual(['tools/builder']);
    expect(names(r.snapshot.roles)).toEqual(['tools/secret-reader']);
    expect(names(r.snapshot.roleBindings)).toEqual(['default/deployer-reads-secrets']);
    expect(names(r.snapshot.clusterRoleBindings)).toEqual(['deployer-admin']);
    expect(r.skipped).toEqual({ Service: 1 });
    // typed ServiceAccountList items get kind and apiVersion from the list
    expect(r.snapshot.serviceAccounts.find((s) => s.metadata.name === 'builder')).toMatchObject({
      kind: 'ServiceAccount',
      apiVersion: 'v1',
    });
    // YAML is read as kubectl reads it (YAML 1.1): `yes` is a boolean
    expect(r.snapshot.serviceAccounts.find((s) => s.metadata.name === 'deployer')!.automountServiceAccountToken).toBe(true);
    // a label YAML read as a number is kept as a string, with a warning
    expect(r.snapshot.clusterRoleBindings[0]!.metadata.labels).toEqual({ version: '1' });

    const rbac = fixture('folder', 'rbac.yaml');
    expect(r.notes).toEqual([
      {
        level: 'warning',
        source: rbac,
        resource: 'roleBindings',
        message: `${rbac}: has namespaced objects without metadata.namespace; placed in "default" as kubectl would apply them: RoleBinding deployer-reads-secrets`,
      },
      {
        level: 'warning',
        source: rbac,
        resource: 'clusterRoleBindings',
        message: `${rbac}: has objects with non-string metadata.labels values (converted to strings): ClusterRoleBinding deployer-admin`,
      },
      { level: 'info', resource: 'Service', message: 'skipped 1 Service object: not part of the inventory' },
    ]);
  });

  it('salvages the complete documents of a truncated gzip file, and none that may be cut short', async () => {
    const file = fixture('broken', 'truncated.yaml.gz');
    const r = await readDumps([file]);
    // 40 documents were compressed; the first 16 can be inflated, the 16th may be incomplete and is dropped
    expect(names(r.snapshot.serviceAccounts)).toEqual(
      Array.from({ length: 15 }, (_, i) => `audit/gz-sa-${String(i + 1).padStart(2, '0')}`),
    );
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]!.message).toMatch(
      /truncated\.yaml\.gz: the gzip data is truncated; only the complete documents in the first 1\.7 KB/,
    );
  });

  it('reports corrupt gzip data that cannot be inflated at all', async () => {
    const gz = gzipSync(JSON.stringify(sa('lost', 'x')));
    for (let i = 10; i < gz.length - 8; i++) gz[i] = 0xff; // garbage deflate stream after the header
    const dir = tmp.files({ 'a.json.gz': gz, 'b.json': JSON.stringify(sa('kept', 'x')) });
    const r = await readDumps([dir]);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['x/kept']);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]!.message).toMatch(/a\.json\.gz: the gzip data is corrupt \(.+\); nothing could be decompressed/);
  });
});

describe('read-files: units', () => {
  it('names a cluster after the single folder or file imported, unless the name is generic or names a resource', () => {
    expect(clusterNameHint(['/dumps/prod-eu-1'])).toBe('prod-eu-1');
    expect(clusterNameHint(['/x/staging.json.gz'])).toBe('staging');
    expect(clusterNameHint(['/x/secrets.json'])).toBeUndefined();
    expect(clusterNameHint(['/x/serviceaccounts.yaml'])).toBeUndefined();
    expect(clusterNameHint(['/x/dump'])).toBeUndefined();
    expect(clusterNameHint(['-'])).toBeUndefined();
    expect(clusterNameHint(['/a', '/b'])).toBeUndefined();
  });

  it('takes .json, .yaml, .yml and their .gz from folders, nothing else', () => {
    expect(['a.json', 'b.YAML', 'c.yml.gz', 'd.json.gz'].every(isDumpFileName)).toBe(true);
    expect(['notes.txt', 'a.jsonl', 'archive.tar.gz', 'yaml'].some(isDumpFileName)).toBe(false);
  });

  it('lists a path given twice (or reached again inside a folder) once, and notes paths that do not exist', async () => {
    const dir = tmp.files({ 'a.json': '{}', 'sub/b.yaml': '', '.hidden.json': '{}', 'c.txt': '' });
    const missing = path.join(dir, 'missing.json');
    const notes: CollectionNote[] = [];
    const files = await expandPaths([dir, path.join(dir, 'a.json'), dir, missing], notes);
    expect(files).toEqual([path.join(dir, 'a.json'), path.join(dir, 'sub', 'b.yaml')]);
    expect(notes).toEqual([{ level: 'error', source: missing, message: `${missing}: cannot read (not found)` }]);
  });

  it('decodes UTF-8 with a BOM and UTF-16 big-endian with a BOM', () => {
    const issues = new FileIssues('x');
    expect(decodeText(Buffer.from('\ufeff{"a":1}', 'utf8'), issues)).toBe('{"a":1}');
    const be = Buffer.from('{}', 'utf16le').swap16();
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), issues)).toBe('{}');
    expect(issues.empty).toBe(true);
  });

  it('refuses a file above the size limit before reading it, and gzip that inflates beyond it', async () => {
    const dir = tmp.files({ 'big.json': 'x'.repeat(2048), 'bomb.json.gz': gzipSync('x'.repeat(4096)) });
    const notes: CollectionNote[] = [];
    for (const name of ['big.json', 'bomb.json.gz']) {
      const issues = new FileIssues(name);
      expect(await readDumpText(path.join(dir, name), { maxFileBytes: 1024 }, issues)).toBeUndefined();
      issues.flush(notes);
    }
    expect(notes.map((n) => n.message)).toEqual([
      'big.json: is 2.0 KB, larger than the 1.0 KB limit; not read',
      'bomb.json.gz: gzip content is larger than 1.0 KB; file not read',
    ]);
  });

  it('says when only the start of truncated gzip data could be read', async () => {
    const issues = new FileIssues('t');
    const read = await readDumpText(fixture('broken', 'truncated.yaml.gz'), { maxFileBytes: 1 << 20 }, issues);
    expect(read?.truncated).toBe(true);
    expect(read?.text).toContain('gz-sa-01');
    const plain = await readDumpText(fixture('kubectl-list.json'), { maxFileBytes: 1 << 20 }, new FileIssues('p'));
    expect(plain?.truncated).toBe(false);
  });
});
