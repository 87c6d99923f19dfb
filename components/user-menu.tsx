'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { postJson } from './post-json';

/** Who is signed in, a link to their account (API tokens), and sign-out. */
export function UserMenu({ name, email, role, teams }: { name: string; email: string; role: string; teams: string[] }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const signOut = async () => {
    try {
      await postJson('/api/auth/sign-out', {});
      router.replace('/sign-in');
      router.refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="user-menu" data-testid="user-menu">
      <Link href="/account" title={`${email}${teams.length ? ` · teams ${teams.join(', ')}` : ''}`}>
        {name} <span className="muted small">({role})</span>
      </Link>
      <button type="button" className="link-button" onClick={signOut}>
        Sign out
      </button>
      {error && (
        <span role="alert" className="bad small">
          {error}
        </span>
      )}
    </div>
  );
}
