import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { HealthBadge } from '@/components/health-badge';
import { Providers } from './providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'NHI Dashboard', template: '%s · NHI Dashboard' },
  description: 'Machine identities of your Kubernetes clusters: inventory, owners, RBAC reach and escalation paths.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <header className="topbar">
            <Link className="brand" href="/">
              <span className="brand-mark" aria-hidden>
                ◆
              </span>{' '}
              NHI Dashboard
            </Link>
            <nav aria-label="Main">
              <Link href="/">Overview</Link>
              <Link href="/identities">Identities</Link>
              <Link href="/credentials">Credentials</Link>
              <Link href="/risk">Risk</Link>
              <Link href="/findings">Findings</Link>
              <Link href="/exceptions">Exceptions</Link>
              <Link href="/anomalies">Anomalies</Link>
              <Link href="/reports">Reports</Link>
              <Link href="/trail">Trail</Link>
            </nav>
            <HealthBadge />
          </header>
          <main className="content">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
