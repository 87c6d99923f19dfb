/** For integration tests that call route handlers: a user of a role and the Authorization header of its API token. */
import { randomUUID } from 'node:crypto';
import { createPrisma } from '@/lib/db/client';
import { createApiToken } from './api-tokens';
import type { Role } from './roles';
import { addUser } from './users';

export async function bearerOf(
  databaseUrl: string,
  role: Role = 'auditor',
  teams: string[] = [],
): Promise<{ authorization: string }> {
  const db = createPrisma(databaseUrl);
  try {
    const email = `${role}-${randomUUID().slice(0, 8)}@test.invalid`;
    await addUser(db, { email, name: role, role, teams }, 'test');
    const { token } = await createApiToken(db, { user: email, name: 'test', scope: 'write' }, 'test');
    return { authorization: `Bearer ${token}` };
  } finally {
    await db.$disconnect();
  }
}
