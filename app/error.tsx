'use client';

import { ErrorPanel } from '@/components/error-panel';

/** Any page that throws while rendering (the layout, with its navigation, stays). */
export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorPanel title="This page could not be shown" digest={error.digest} onRetry={reset} />;
}
