'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { UserRow } from '@/lib/auth/users';
import { ROLE_LABELS, ROLES, type Role } from '@/lib/auth/roles';
import { postJson } from './post-json';

const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

export function UserAdmin({ users, self }: { users: UserRow[]; self: string }) {
  const router = useRouter();
  const [form, setForm] = useState({ email: '', name: '', role: 'service_owner' as Role, teams: '', password: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const add = useMutation({
    mutationFn: () =>
      postJson('/api/users', {
        ...form,
        teams: form.teams
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      }),
    onSuccess: () => {
      setForm({ email: '', name: '', role: 'service_owner', teams: '', password: '' });
      router.refresh();
    },
  });
  const disable = useMutation({
    mutationFn: (id: string) => postJson(`/api/users/${id}/disable`, {}),
    onSuccess: () => router.refresh(),
  });
  return (
    <>
      <form
        className="filters"
        aria-label="Add a user"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <input type="email" value={form.email} onChange={set('email')} placeholder="E-mail" aria-label="E-mail" required />
        <input value={form.name} onChange={set('name')} placeholder="Name" aria-label="Name" required />
        <select value={form.role} onChange={set('role')} aria-label="Role">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
        <input value={form.teams} onChange={set('teams')} placeholder="Teams (comma-separated)" aria-label="Teams" />
        <input
          type="password"
          autoComplete="new-password"
          value={form.password}
          onChange={set('password')}
          placeholder="Password (12+ characters)"
          aria-label="Password"
          required
          minLength={12}
        />
        <button type="submit" disabled={add.isPending}>
          Add user
        </button>
      </form>
      {(add.error ?? disable.error) && (
        <p className="error" role="alert">
          {(add.error ?? disable.error)?.message}
        </p>
      )}
      <table>
        <caption className="sr-only">Users</caption>
        <thead>
          <tr>
            <th scope="col">E-mail</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Teams</th>
            <th scope="col">Last sign-in</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.name}</td>
              <td>{ROLE_LABELS[u.role]}</td>
              <td>{u.teams.join(', ') || <span className="muted">—</span>}</td>
              <td>{day(u.lastSignInAt)}</td>
              <td>
                {u.disabledAt ? (
                  `disabled ${day(u.disabledAt)}`
                ) : u.email === self ? (
                  <span className="muted">you</span>
                ) : (
                  <button type="button" disabled={disable.isPending} onClick={() => disable.mutate(u.id)}>
                    Disable
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
