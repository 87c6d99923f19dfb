/** Helpers shared by the import tests (not a test file itself). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'import');
export const fixture = (...parts: string[]) => path.join(fixtures, ...parts);

/** A temporary folder for one test file: `files()` makes a fresh folder in it; `remove()` deletes it all. */
export function tmpFolders(): { files: (files: Record<string, string | Buffer>) => string; remove: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nhi-import-test-'));
  let count = 0;
  return {
    files(files) {
      const dir = path.join(root, `case-${++count}`);
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), content);
      }
      return dir;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const names = (objects: { metadata: { namespace?: string; name: string } }[]) =>
  objects.map((o) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name));

export function sa(name: string, namespace: string, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, ...extra } };
}
