import type { Metadata } from 'next';
import { UserAdmin } from '@/components/user-admin';
import { pageViewer } from '@/lib/auth/page';
import { listUsers } from '@/lib/auth/users';
import { prisma } from '@/lib/db/client';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Users' };

/** The app's users (admins only): add one, disable one; each step is on the activity trail. */
export default async function UsersPage() {
  const viewer = await pageViewer('/users', '/users');
  const users = await listUsers(prisma());
  return (
    <section>
      <h1>Users</h1>
      <p className="muted">
        Roles: <strong>admin</strong> (everything, and users), <strong>security lead</strong> (everything else: approves
        exceptions, exports), <strong>service owner</strong> (reads and acts on what their teams own), <strong>auditor</strong>{' '}
        (reads everything, exports, changes nothing). Also from the command line: <code>npx nhi users add|list|disable</code>.
      </p>
      <UserAdmin users={users} self={viewer.email} />
    </section>
  );
}
