'use client';

/** The CSRF token the layout rendered for this session (empty when signed out). */
export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

/** Headers of a state-changing JSON request to the app's own routes: content type and the CSRF token. */
export const jsonHeaders = () => ({ 'content-type': 'application/json', 'x-csrf-token': csrfToken() });

/** POSTs JSON to one of the app's own routes; the error message of a refusal becomes the thrown Error's. */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify(body) });
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new Error(data.error ?? `the server answered ${res.status}`);
  return data as T;
}
