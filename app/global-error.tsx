'use client';

import { ErrorPanel } from '@/components/error-panel';
import './globals.css';

/** When the root layout itself fails: the whole document is replaced. */
export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body>
        <main className="content">
          <ErrorPanel title="The dashboard could not be shown" digest={error.digest} onRetry={reset} />
        </main>
      </body>
    </html>
  );
}
