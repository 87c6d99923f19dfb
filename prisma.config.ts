import { defineConfig } from 'prisma/config';

// The Prisma CLI reads this file. The app itself connects through lib/db (driver adapter, no Rust engine),
// and migrations run through lib/db/migrate.ts (Schema Engine as WebAssembly), so nothing here downloads.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/nhi' },
});
