import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { AppError } from '@/lib/errors';
import { poolConfigFromUrl } from './url';

type Bindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');
type Imports = Record<string, unknown>;

interface Engine {
  glue: Bindings;
  version: string;
  /** Set once the engine panicked: the instance aborted and cannot run anything else. */
  panic?: string;
  /** Pending calls, rejected when the engine panics. */
  waiting: Set<(message: string) => void>;
}

let loaded: Promise<Engine> | undefined;

/**
 * Loads Prisma's Schema Engine compiled to WebAssembly. The package's entry imports the .wasm file as an
 * ES module, which Node 20 only allows behind --experimental-wasm-modules; instantiating it here with the
 * same JS glue does the same without the flag, so it also runs under tsx, Vitest and Next.js.
 *
 * A Rust panic inside the engine aborts the instance: the glue reports the panic's message through
 * `global.PRISMA_WASM_PANIC_REGISTRY.set_message`, then the WebAssembly code traps (`RuntimeError:
 * unreachable`) inside whatever callback was running (a microtask, a promise reaction), and the engine's
 * pending promise never settles. So the imports are wrapped here: the panic's message is kept and rejects
 * every pending call at once, and the trap that follows is swallowed instead of surfacing as an uncaught
 * exception (`Cannot read properties of undefined (reading 'set_message')` where nobody set the registry).
 */
function loadEngine(): Promise<Engine> {
  loaded ??= (async () => {
    const glue: Bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const require = createRequire(import.meta.url);
    // The .wasm file is not in the package's exports map: locate it beside the exported package.json.
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const compiled = await WebAssembly.compile(await readFile(wasmPath));
    const pkg = JSON.parse(await readFile(path.join(path.dirname(wasmPath), 'package.json'), 'utf8')) as { version: string };
    const engine: Engine = { glue, version: pkg.version.replace(/-\d+\.([0-9a-f]{8})[0-9a-f]*$/, ' ($1)'), waiting: new Set() };
    const instance = await WebAssembly.instantiate(compiled, {
      './schema_engine_bg.js': guardedImports(glue as unknown as Imports, engine) as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as unknown as { __wbindgen_start: () => void };
    (glue as unknown as { __wbg_set_wasm: (w: unknown) => void }).__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return engine;
  })();
  return loaded;
}

function guardedImports(glue: Imports, engine: Engine): Imports {
  /** A callback the engine hands to JS: after a panic, the trap it throws is the panic's echo, not news. */
  const guard =
    (f: unknown) =>
    (...args: unknown[]) => {
      try {
        return (f as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        if (engine.panic !== undefined) return undefined;
        throw e;
      }
    };
  const imports: Imports = { ...glue };
  for (const [name, value] of Object.entries(glue)) {
    if (typeof value !== 'function') continue;
    const original = value as (...a: unknown[]) => unknown;
    if (name.startsWith('__wbg_set_message_')) {
      imports[name] = (...args: unknown[]) => {
        const registry = Reflect.get(globalThis, 'PRISMA_WASM_PANIC_REGISTRY');
        let message = 'no message';
        Reflect.set(globalThis, 'PRISMA_WASM_PANIC_REGISTRY', { set_message: (m: string) => (message = m) });
        try {
          original(...args);
        } finally {
          Reflect.set(globalThis, 'PRISMA_WASM_PANIC_REGISTRY', registry);
        }
        engine.panic = message;
        for (const reject of engine.waiting) reject(message);
        engine.waiting.clear();
      };
    } else if (name.startsWith('__wbg_queueMicrotask_') && original.length === 1) {
      // queueMicrotask(closure) schedules the engine's futures; the other variant only reads the global.
      imports[name] = (f: unknown) => (typeof f === 'function' ? original(guard(f)) : original(f));
    } else if (name.startsWith('__wbg_setTimeout_')) {
      imports[name] = (f: unknown, ms: unknown) => original(guard(f), ms);
    } else if (name.startsWith('__wbg_then_')) {
      imports[name] = (p: unknown, ...callbacks: unknown[]) => original(p, ...callbacks.map(guard));
    }
  }
  return imports;
}

/** What a panic of the engine tells a person: which engine, which server, what it said, what to do. */
async function panicError(url: string, engine: Engine, panic: string, cause?: unknown): Promise<AppError> {
  const server = await serverVersion(url);
  const said = panic.replace(/\s+/g, ' ').trim();
  const firstLines = said.length > 400 ? `${said.slice(0, 400)}…` : said;
  return new AppError(
    'internal',
    `Prisma's Schema Engine ${engine.version} (WebAssembly) crashed on PostgreSQL ${server}: ${firstLines}. ` +
      'The engine cannot run again in this process; if this server version is new, try a PostgreSQL the ' +
      'engine supports (set DATABASE_URL) and report it.',
    { code: 'SCHEMA_ENGINE_PANIC', cause: cause ?? panic, details: { serverVersion: server, engineVersion: engine.version } },
  );
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ ...poolConfigFromUrl(url), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
  } catch {
    return '(version unknown)';
  } finally {
    await client.end().catch(() => {});
  }
}

export interface SchemaEngineOptions {
  log?: (line: string) => void;
  /** For tests: change each database connection the engine gets (e.g. to make it panic). */
  onConnect?: (adapter: object) => void;
}

/**
 * Runs `fn` with a Schema Engine connected to the database at `url` through the pg driver adapter.
 * `datamodel` is the Prisma schema (needed by createMigration; applying migrations does not read it).
 * A panic of the engine rejects with an AppError (code SCHEMA_ENGINE_PANIC) naming the engine's and the
 * server's versions and the panic's message, as soon as it happens.
 */
export async function withSchemaEngine<T>(
  url: string,
  datamodel: { path: string; content: string } | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
  opts: SchemaEngineOptions = {},
): Promise<T> {
  const engine = await loadEngine();
  if (engine.panic !== undefined) throw await panicError(url, engine, engine.panic);
  const log = opts.log ?? (() => {});
  const adapters: { dispose(): Promise<void> }[] = [];
  const factory = bindMigrationAwareSqlAdapterFactory(
    withCatalogCharAsText(new PrismaPg(poolConfigFromUrl(url)), (adapter) => {
      adapters.push(adapter);
      opts.onConnect?.(adapter);
    }),
  );
  let rejectOnPanic: (message: string) => void = () => {};
  const panicked = new Promise<never>((_, reject) => {
    rejectOnPanic = (message) => reject(new EnginePanic(message));
  });
  panicked.catch(() => {});
  engine.waiting.add(rejectOnPanic);
  let instance: SchemaEngine | undefined;
  try {
    const run = (async () => {
      instance = (await engine.glue.SchemaEngine.new(
        { datamodels: datamodel ? [[datamodel.path, datamodel.content]] : undefined },
        (message: string) => log(message),
        factory,
      )) as SchemaEngine;
      return fn(instance);
    })();
    run.catch(() => {});
    return await Promise.race([run, panicked]);
  } catch (e) {
    if (engine.panic === undefined) throw e;
    // The connections the aborted engine held are closed here; nothing else would close them.
    await Promise.all(adapters.map((a) => a.dispose().catch(() => {})));
    throw await panicError(url, engine, engine.panic, e);
  } finally {
    engine.waiting.delete(rejectOnPanic);
    if (engine.panic === undefined) instance?.free();
  }
}

class EnginePanic extends Error {}

/** PostgreSQL's internal one-byte `"char"` type (pg_class.relkind, pg_constraint.contype and friends). */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
/** The driver adapters' column type for one character (ColumnTypeEnum.Character). */
const COLUMN_TYPE_CHARACTER = 6;

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
interface Queryable {
  performIO(query: object): Promise<{ fields: { dataTypeID: number }[] }>;
  queryRaw(query: object): Promise<{ columnTypes: number[] }>;
}

/**
 * The Schema Engine describes a database by reading the system catalogs, whose `"char"` columns the pg
 * driver adapter has no column type for ("Column type 'char' could not be deserialized"), so diffing
 * against a live database fails. pg already returns those values as one-character strings; this lets the
 * adapter read those columns as text and then reports them to the engine as the adapter's Character type,
 * which is what the engine asks for (`get_char`). Reporting them as Text instead works only while no row
 * reaches a `get_char`: PostgreSQL 18 lists NOT NULL constraints in pg_constraint (contype 'n'), and the
 * engine's constraint query then panics on the first one. It touches only result metadata of `"char"`
 * columns, which no table of ours uses.
 */
function withCatalogCharAsText(factory: PrismaPg, connected: (adapter: PgAdapter) => void): PrismaPg {
  const patch = <A extends PgAdapter>(adapter: A): A => {
    const queryable = adapter as unknown as Queryable;
    const charColumns = new WeakMap<object, number[]>();
    const performIO = queryable.performIO.bind(adapter);
    const queryRaw = queryable.queryRaw.bind(adapter);
    queryable.performIO = async (query) => {
      const result = await performIO(query);
      const chars: number[] = [];
      result.fields.forEach((field, i) => {
        if (field.dataTypeID !== PG_CHAR_OID) return;
        field.dataTypeID = PG_TEXT_OID;
        chars.push(i);
      });
      if (chars.length > 0) charColumns.set(query, chars);
      return result;
    };
    queryable.queryRaw = async (query) => {
      const result = await queryRaw(query);
      for (const i of charColumns.get(query) ?? []) result.columnTypes[i] = COLUMN_TYPE_CHARACTER;
      charColumns.delete(query);
      return result;
    };
    return adapter;
  };
  const connect = factory.connect.bind(factory);
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  const track = <A extends PgAdapter>(adapter: A): A => {
    connected(patch(adapter));
    return adapter;
  };
  factory.connect = async () => track(await connect());
  factory.connectToShadowDb = async () => track(await connectToShadowDb());
  return factory;
}
