import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { poolConfigFromUrl } from './url';

type Bindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let bindings: Promise<Bindings> | undefined;

/**
 * Loads Prisma's Schema Engine compiled to WebAssembly. The package's entry imports the .wasm file as an
 * ES module, which Node 20 only allows behind --experimental-wasm-modules; instantiating it here with the
 * same JS glue does the same without the flag, so it also runs under tsx, Vitest and Next.js.
 */
function loadBindings(): Promise<Bindings> {
  bindings ??= (async () => {
    const glue: Bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const require = createRequire(import.meta.url);
    // The .wasm file is not in the package's exports map: locate it beside the exported package.json.
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const compiled = await WebAssembly.compile(await readFile(wasmPath));
    const instance = await WebAssembly.instantiate(compiled, {
      './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as unknown as { __wbindgen_start: () => void };
    (glue as unknown as { __wbg_set_wasm: (w: unknown) => void }).__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return glue;
  })();
  return bindings;
}

/**
 * Runs `fn` with a Schema Engine connected to the database at `url` through the pg driver adapter.
 * `datamodel` is the Prisma schema (needed by createMigration; applying migrations does not read it).
 */
export async function withSchemaEngine<T>(
  url: string,
  datamodel: { path: string; content: string } | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
  log: (line: string) => void = () => {},
): Promise<T> {
  const glue = await loadBindings();
  const factory = bindMigrationAwareSqlAdapterFactory(withCatalogCharAsText(new PrismaPg(poolConfigFromUrl(url))));
  const engine = (await glue.SchemaEngine.new(
    { datamodels: datamodel ? [[datamodel.path, datamodel.content]] : undefined },
    (message: string) => log(message),
    factory,
  )) as SchemaEngine;
  try {
    return await fn(engine);
  } finally {
    engine.free();
  }
}

/** PostgreSQL's internal one-byte `"char"` type (pg_class.relkind and friends). */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
interface Performer {
  performIO(query: unknown): Promise<{ fields: { dataTypeID: number }[] }>;
}

/**
 * The Schema Engine describes a database by reading the system catalogs, whose `"char"` columns the pg
 * driver adapter has no column type for ("Column type 'char' could not be deserialized"), so diffing
 * against a live database fails. pg already returns those values as one-character strings; this reports
 * their columns as text so the engine reads them. It touches only result metadata of `"char"` columns,
 * which no table of ours uses.
 */
function withCatalogCharAsText(factory: PrismaPg): PrismaPg {
  const patch = <A extends PgAdapter>(adapter: A): A => {
    const performer = adapter as unknown as Performer;
    const original = performer.performIO.bind(adapter);
    performer.performIO = async (query) => {
      const result = await original(query);
      for (const field of result.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      return result;
    };
    return adapter;
  };
  const connect = factory.connect.bind(factory);
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connect = async () => patch(await connect());
  factory.connectToShadowDb = async () => patch(await connectToShadowDb());
  return factory;
}
