import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { cookies } from 'next/headers';
import { HealthBadge } from '@/components/health-badge';
import { ThemeSwitch } from '@/components/theme-switch';
import { THEME_COOKIE, themeOf } from '@/lib/theme';
import { UserMenu } from '@/components/user-menu';
import { csrfOf, optionalViewer, PAGE_ACCESS } from '@/lib/auth/page';
import { refusal } from '@/lib/auth/authorize';
import { ROLE_LABELS } from '@/lib/auth/roles';
import { Providers } from './providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'NHI Dashboard', template: '%s · NHI Dashboard' },
  description: 'Machine identities of your Kubernetes clusters: inventory, owners, RBAC reach and escalation paths.',
};

const NAV: [keyof typeof PAGE_ACCESS, string][] = [
  ['/', 'Overview'],
  ['/identities', 'Identities'],
  ['/workloads', 'Workloads'],
  ['/credentials', 'Credentials'],
  ['/risk', 'Risk'],
  ['/teams', 'Teams'],
  ['/ownership', 'Ownership'],
  ['/findings', 'Findings'],
  ['/queue', 'Queue'],
  ['/exceptions', 'Exceptions'],
  ['/anomalies', 'Anomalies'],
  ['/check', 'Check'],
  ['/admission', 'Admission'],
  ['/reports', 'Reports'],
  ['/trail', 'Trail'],
  ['/users', 'Users'],
];

export default async function RootLayout({ children }: { children: ReactNode }) {
  const viewer = await optionalViewer();
  const theme = themeOf((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <html lang="en" data-theme={theme ?? undefined}>
      <head>
        {/* The session's CSRF token, sent back by the app's own state-changing requests (components/post-json.ts). */}
        <meta name="csrf-token" content={csrfOf(viewer)} />
      </head>
      <body>
        <a className="skip-link" href="#content">
          Skip to content
        </a>
        <Providers>
          {viewer?.demo && (
            <div className="demo-banner" role="status" data-testid="demo-banner">
              Demo: signed in automatically as {viewer.name} ({ROLE_LABELS[viewer.role]}) on bundled demo data. Do not expose this
              server; run <code>npx nhi web</code> for a real deployment, with sign-in.
            </div>
          )}
          <header className="topbar">
            <Link className="brand" href="/">
              <span className="brand-mark" aria-hidden>
                ◆
              </span>{' '}
              NHI Dashboard
            </Link>
            {viewer && (
              <nav aria-label="Main">
                {NAV.filter(([path]) => !refusal(viewer, PAGE_ACCESS[path])).map(([path, label]) => (
                  <Link key={path} href={path}>
                    {label}
                  </Link>
                ))}
              </nav>
            )}
            <HealthBadge />
            <ThemeSwitch initial={theme} />
            {viewer && (
              <UserMenu
                name={viewer.name}
                email={viewer.email}
                role={ROLE_LABELS[viewer.role]}
                teams={viewer.teams.map((t) => t.name)}
              />
            )}
          </header>
          <main className="content" id="content" tabIndex={-1}>
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}
