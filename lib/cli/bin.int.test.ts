import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { demoDataFile } from '@/lib/demo/load';
import { repoRoot } from '@/lib/paths';
import { runNhi } from './run-nhi';

/** Runs the real `nhi` command (bin/nhi.mjs) against this run's database, output through pipes. */
const nhi = (...args: string[]) => runNhi(inject('databaseUrl'), ...args);

describe('the nhi command', () => {
  it('imports a dump, then prints the whole inventory as JSON through a pipe, with exit status 0', () => {
    const imported = nhi('import', demoDataFile, '--cluster', 'cli-demo');
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    expect(imported.stdout).toMatch(/^cli-demo: succeeded, \d+ objects from 1 file\(s\)/);
    expect(imported.stdout).toMatch(/\n {2}\d+ credentials, \d+ credential finding\(s\) open \(\d+ new, 0 resolved\)/);

    const listed = nhi('identities', '--json', '--cluster', 'cli-demo');
    expect(listed.status).toBe(0);
    expect(listed.stdout.length).toBeGreaterThan(65_536); // more than one pipe buffer: nothing may be cut off
    const identities = JSON.parse(listed.stdout) as { kind: string; name: string }[];
    expect(identities.length).toBeGreaterThan(100);

    const clusters = JSON.parse(nhi('clusters', '--json').stdout) as { name: string; source: string }[];
    expect(clusters.find((c) => c.name === 'cli-demo')?.source).toBe('import');
  });

  it('answers can / who-can on the imported inventory', () => {
    const yes = nhi(
      'can',
      'system:serviceaccount:flux-system:kustomize-controller',
      'delete',
      'secrets',
      '-n',
      'payments',
      '--cluster',
      'cli-demo',
      '--json',
    );
    expect(yes.status).toBe(0);
    expect(JSON.parse(yes.stdout).allowed).toBe(true);
  });

  it('exits non-zero with a clear message on bad input', () => {
    const missing = nhi('can', 'sa:payments/api', 'get');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'resource'");
    const badName = nhi('import', demoDataFile, '--cluster', 'has spaces');
    expect(badName.status).toBe(2); // invalid input: exit 2, like every input error
    expect(badName.stderr).toContain('--cluster must be a name');
    const nothing = nhi('import', path.join(repoRoot, 'README.md'));
    expect(nothing.status).toBe(2); // a file without Kubernetes objects is input to correct
    expect(nothing.stderr).toMatch(/nothing to import/);
  });

  it('judges credentials by a policy file given on the command line, and refuses a bad one before any work', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-policy-'));
    try {
      const strict = path.join(dir, 'strict.yaml');
      writeFileSync(
        strict,
        'apiVersion: nhi.dev/v1\nkind: CredentialPolicy\nmetadata: {name: strict, version: 7}\nspec: {forbiddenClasses: [image-pull-secret]}\n',
      );
      const imported = nhi('import', demoDataFile, '--cluster', 'cli-policy', '--credential-policy', strict);
      expect(imported.status, imported.stderr).toBe(0);
      const listed = JSON.parse(
        nhi('credentials', '--json', '--cluster', 'cli-policy', '--class', 'image-pull-secret').stdout,
      ) as {
        name: string;
        openFindings: number;
      }[];
      expect(listed.map((c) => [c.name, c.openFindings]).sort()).toEqual([
        ['payments-registry', 1],
        ['registry-pull', 1],
      ]);
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(
        bad,
        'apiVersion: nhi.dev/v1\nkind: CredentialPolicy\nmetadata: {name: x, version: 1}\nspec: {maxWorkloadsPerSecret: 0}\n',
      );
      const refused = nhi('import', demoDataFile, '--cluster', 'cli-policy-bad', '--credential-policy', bad);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/spec\.maxWorkloadsPerSecret/);
      expect(JSON.parse(nhi('clusters', '--json').stdout).map((c: { name: string }) => c.name)).not.toContain('cli-policy-bad');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes an ingest token shown once, ingests an audit log twice without duplicates, and lists the events', async () => {
    const made = nhi('ingest-token', 'create', '--cluster', 'cli-runtime', '--url', 'https://nhi.example.org');
    expect(made.status, made.stderr).toBe(0);
    const token = /nhi_ingest_[A-Za-z0-9_-]{43}/.exec(made.stdout)?.[0];
    expect(token).toBeDefined();
    expect(made.stdout).toContain('server: https://nhi.example.org/api/ingest/audit');
    const listed = nhi('ingest-token', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ cluster: 'cli-runtime', name: 'audit-webhook', revokedAt: null }),
    ]);
    expect(listed.stdout).not.toContain(token!);
    expect(nhi('ingest-token', 'create', '--cluster', 'cli-runtime').status).toBe(1); // the name is taken (conflict)
    // A token for a collected cluster leaves what the inventory knows of it (source, server) as it was.
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    try {
      await admin.query(
        `INSERT INTO "Cluster" (id, name, source, server, context) VALUES (gen_random_uuid(), 'cli-live', 'kubeconfig', 'https://prod.example:6443', 'prod')`,
      );
      expect(nhi('ingest-token', 'create', '--cluster', 'cli-live').status).toBe(0);
      expect(nhi('ingest', path.join(repoRoot, 'README.md'), '--cluster', 'cli-live').status).toBe(2); // no event in it
      const after = await admin.query(`SELECT source::text, server, context FROM "Cluster" WHERE name = 'cli-live'`);
      expect(after.rows).toEqual([{ source: 'kubeconfig', server: 'https://prod.example:6443', context: 'prod' }]);
    } finally {
      await admin.end();
    }

    const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-cli-ingest-'));
    try {
      const log = path.join(dir, 'audit.log');
      const event = (i: number) =>
        JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          auditID: `cli-${i}`,
          stage: 'ResponseComplete',
          verb: 'get',
          requestURI: '/api/v1/namespaces/shop/secrets/db',
          user: { username: 'system:serviceaccount:shop:api', groups: [] },
          objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
          responseStatus: { code: 200 },
          requestReceivedTimestamp: '2026-11-29T10:00:00Z',
          stageTimestamp: '2026-11-29T10:00:01Z',
        });
      writeFileSync(log, `${event(1)}\nnot json\n${event(2)}\n`);
      const first = nhi('ingest', log, '--cluster', 'cli-runtime');
      expect(first.status).toBe(2); // a rejected line is input to correct
      expect(first.stdout).toMatch(/^2 events from 1 file\(s\) in [\d.]+ s: 2 stored, 0 already stored, 1 rejected/);
      expect(first.stdout).toContain(`rejected ${log}: line 2: not JSON`);
      const again = JSON.parse(nhi('ingest', log, '--cluster', 'cli-runtime', '--json').stdout) as {
        inserted: number;
        duplicates: number;
      };
      expect(again).toMatchObject({ inserted: 0, duplicates: 2 });
      const events = JSON.parse(nhi('events', '--json', '--cluster', 'cli-runtime', '--identity', 'shop/api').stdout) as {
        total: number;
        items: { verb: string; resource: string; name: string }[];
      };
      expect(events.total).toBe(2);
      expect(events.items[0]).toMatchObject({ verb: 'get', resource: 'secrets', name: 'db' });
      expect(nhi('events', '--identity', 'not a name').status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('judges ingested events under a profiles file, lists the anomalies as JSON, and records a decision', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-cli-behaviour-'));
    try {
      const profiles = path.join(dir, 'profiles.yaml');
      writeFileSync(
        profiles,
        readFileSync(path.join(repoRoot, 'public', 'behaviour-profiles.yaml'), 'utf8').replace(
          'learningWindow: 7d',
          'learningWindow: 60s',
        ),
      );
      const t0 = Date.parse('2026-11-20T10:00:00Z');
      let n = 0;
      const event = (s: number, verb: string, resource: string, ns: string, agent = 'api/1.0', extra: object = {}) =>
        JSON.stringify({
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          auditID: `beh-${++n}`,
          stage: 'ResponseComplete',
          verb,
          requestURI: `/api/v1/namespaces/${ns}/${resource}`,
          user: {
            username: 'system:serviceaccount:shop:api',
            groups: [],
            extra: { 'authentication.kubernetes.io/pod-name': ['api-7d9f8c6b5-x2k9p'] },
          },
          sourceIPs: ['10.0.0.7'],
          userAgent: agent,
          objectRef: { resource, namespace: ns, apiVersion: 'v1', ...extra },
          responseStatus: { code: 200 },
          requestReceivedTimestamp: new Date(t0 + s * 1000).toISOString(),
          stageTimestamp: new Date(t0 + s * 1000 + 5).toISOString(),
        });
      const normal = Array.from({ length: 30 }, (_, i) => event(i * 5, 'list', 'configmaps', 'shop'));
      const abuse = [
        event(200, 'list', 'secrets', 'payments'),
        event(210, 'list', 'configmaps', 'shop', 'kubectl/v1.37.2 (linux/amd64)'),
      ];
      const log = path.join(dir, 'audit.log');
      writeFileSync(log, [...normal, ...abuse].join('\n'));

      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, 'apiVersion: nhi.dev/v1\nkind: BehaviourProfiles\n');
      const refused = nhi('ingest', log, '--cluster', 'cli-behaviour', '--profiles', bad);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(`${bad}: metadata`);

      const ingested = nhi('ingest', log, '--cluster', 'cli-behaviour', '--profiles', profiles);
      expect(ingested.status, ingested.stderr).toBe(0);
      expect(ingested.stdout).toMatch(/behaviour: 1 identities checked, 3 anomalies raised or given new evidence \(3 new\)/);
      const listed = nhi('anomalies', '--json', '--identity', 'shop/api', '--cluster', 'cli-behaviour');
      expect(listed.status, listed.stderr).toBe(0);
      const items = JSON.parse(listed.stdout) as {
        id: string;
        identity: string;
        detector: string;
        severity: string;
        owasp: string[];
        eventIds: string[];
        status: string;
      }[];
      expect(items.map((a) => a.detector).sort()).toEqual(['human-use', 'new-namespace', 'secret-access']);
      for (const a of items) {
        expect(a).toMatchObject({ identity: 'shop/api', status: 'open' });
        expect(a.eventIds[0]).toMatch(/^audit:beh-3[12]:ResponseComplete$/);
        expect(a.owasp.length).toBeGreaterThan(0);
      }
      expect(items.find((a) => a.detector === 'human-use')).toMatchObject({ severity: 'high', owasp: ['NHI10'] });

      const human = items.find((a) => a.detector === 'human-use')!;
      const acked = nhi('anomalies', 'ack', human.id, '--by', 'alice', '--note', 'checking with the team');
      expect(acked.status, acked.stderr).toBe(0);
      expect(acked.stdout).toMatch(new RegExp(`^${human.id}: acknowledged by alice at `));
      const shown = JSON.parse(nhi('anomalies', 'show', human.id, '--json').stdout) as {
        history: object[];
        events: { userAgent: string }[];
      };
      expect(shown.history).toEqual([
        expect.objectContaining({ status: 'acknowledged', by: 'alice', note: 'checking with the team' }),
      ]);
      expect(shown.events[0]!.userAgent).toMatch(/^kubectl\//);
      expect(JSON.parse(nhi('anomalies', '--json', '--status', 'acknowledged').stdout)).toHaveLength(1);
      // A replay stores nothing and raises nothing new.
      expect(nhi('ingest', log, '--cluster', 'cli-behaviour', '--profiles', profiles).stdout).not.toContain('behaviour:');
      expect(JSON.parse(nhi('anomalies', '--json', '--status', 'all', '--cluster', 'cli-behaviour').stdout)).toHaveLength(3);

      expect(nhi('anomalies', '--identity', 'not a name').status).toBe(2);
      expect(nhi('anomalies', 'ack', human.id, '--by', ' ').status).toBe(2);
      expect(nhi('anomalies', 'suppress', '--by', 'bob', '--reason', 'everything', '--days', '3').stderr).toContain(
        'would hide everything',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000); // a dozen `nhi` processes: slow on a busy 2-core machine
});
