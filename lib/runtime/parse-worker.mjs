// The parse worker's entry (ingest.ts starts it). A worker thread does not inherit the TypeScript loader
// of the thread that starts it (`nhi` registers tsx, Vitest has its own), so it registers tsx itself and
// then loads the TypeScript worker. parse-worker.ts and what it imports use no path aliases.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
