'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ApiTokenRow } from '@/lib/auth/api-tokens';
import { CopyButton } from './copy-button';
import { postJson } from './post-json';

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');

/** The signed-in person's API tokens: make one (shown once), revoke one. */
export function ApiTokenPanel({ tokens, canWrite }: { tokens: ApiTokenRow[]; canWrite: boolean }) {
  const router = useRouter();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'write'>('read');
  const [expires, setExpires] = useState('90d');
  const [made, setMade] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => postJson<{ token: string }>('/api/api-tokens', { name, scope, expires }),
    onSuccess: (r) => {
      setMade(r.token);
      setName('');
      router.refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => postJson(`/api/api-tokens/${id}/revoke`, {}),
    onSuccess: () => router.refresh(),
  });
  return (
    <>
      <form
        className="filters"
        aria-label="Make an API token"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Token name" aria-label="Token name" required />
        <select value={scope} onChange={(e) => setScope(e.target.value as 'read' | 'write')} aria-label="Scope">
          <option value="read">read only</option>
          {canWrite && <option value="write">read and write</option>}
        </select>
        <select value={expires} onChange={(e) => setExpires(e.target.value)} aria-label="Expires after">
          {['7d', '30d', '90d', '365d'].map((d) => (
            <option key={d} value={d}>
              expires after {d}
            </option>
          ))}
        </select>
        <button type="submit" disabled={create.isPending || !name.trim()}>
          Make token
        </button>
      </form>
      {create.error && (
        <p className="error" role="alert">
          {create.error.message}
        </p>
      )}
      {made && (
        <p className="panel" role="status" data-testid="new-token">
          Your new token (copy it now; it is not shown again): <code>{made}</code> <CopyButton text={made} />
        </p>
      )}
      <table>
        <caption className="sr-only">Your API tokens</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Token</th>
            <th scope="col">Scope</th>
            <th scope="col">Made</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {tokens.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No API tokens.
              </td>
            </tr>
          )}
          {tokens.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>
                <code>{t.prefix}…</code>
              </td>
              <td>{t.scope}</td>
              <td>{day(t.createdAt)}</td>
              <td>{day(t.expiresAt)}</td>
              <td>{day(t.lastUsedAt)}</td>
              <td>
                {t.revokedAt ? (
                  `revoked ${day(t.revokedAt)}`
                ) : (
                  <button type="button" disabled={revoke.isPending} onClick={() => revoke.mutate(t.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
