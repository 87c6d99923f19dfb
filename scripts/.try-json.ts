import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDumps } from '@/lib/collect/import';
const d = mkdtempSync('/tmp/jsonerr-');
const cases: Record<string, string> = {
  'a.json': '{"kind": "Secret",\n "data": {"p": CANARYX}}',
  'b.json': '{"kind": "Secret",\n "data": {"p": "CANARYX"',
  'c.json': '{"kind": "ServiceAccount", "metadata": {"name": "a", "namespace": "x"}}\n{"kind": "ServiceAccount", "metadata": {"name": "b" "namespace": "x"}}\n{"kind":"ServiceAccount","metadata":{"name":"c","namespace":"x"}}',
  'd.json': '{"a": 1,}',
  'e.yaml': '{kind: ServiceAccount, metadata: {name: flow, namespace: ns-y}}',
  'f.yaml': '{kind: ServiceAccount, metadata: {name: flow, namespace: ns-y}',
  'g.json': '[{"kind": "ServiceAccount", "metadata": {"name": "arr", "namespace": "z"}}, 5]',
};
for (const [n, t] of Object.entries(cases)) writeFileSync(join(d, n), t);
const r = await readDumps([d]);
console.log(r.objects, r.snapshot.serviceAccounts.map((s) => s.metadata.name));
for (const n of r.notes) console.log(n.level, n.message);
console.log(JSON.stringify(r).includes('CANARYX'));
