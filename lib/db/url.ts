import type { PoolConfig } from 'pg';
import { parse } from 'pg-connection-string';

/**
 * A pg pool configuration with the connection's parts as separate fields. Prisma's shadow-database
 * helper copies this config and replaces `database`; with a `connectionString` the URL's database
 * would win, so the URL is split here.
 */
export function poolConfigFromUrl(url: string): PoolConfig {
  const parts = parse(url);
  const config: PoolConfig = {
    host: parts.host ?? undefined,
    port: parts.port ? Number(parts.port) : undefined,
    user: parts.user ?? undefined,
    password: parts.password ?? undefined,
    database: parts.database ?? undefined,
  };
  if (parts.ssl) config.ssl = parts.ssl as PoolConfig['ssl'];
  return config;
}

/** The same URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
