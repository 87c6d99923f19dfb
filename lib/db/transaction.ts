import type pg from 'pg';

/**
 * Runs `fn` in a transaction on one client of the pool (BEGIN … COMMIT, ROLLBACK when it throws). `lock` names
 * a transaction-scoped advisory lock taken first, so that runs with the same name (e.g. one cluster's
 * evaluation) never interleave.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { lock?: string } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (options.lock !== undefined) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lock]);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
