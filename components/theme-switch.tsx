'use client';

import { useState } from 'react';
import { THEME_COOKIE, type Theme } from '@/lib/theme';

/**
 * Light, dark or the system's choice. The choice is a cookie, so the server renders `data-theme` on <html>
 * and the page never flashes the other theme; "system" removes it and the CSS follows prefers-color-scheme.
 */
export function ThemeSwitch({ initial }: { initial: Theme | null }) {
  const [theme, setTheme] = useState<Theme | 'system'>(initial ?? 'system');
  const choose = (next: Theme | 'system') => {
    setTheme(next);
    const root = document.documentElement;
    if (next === 'system') {
      root.removeAttribute('data-theme');
      document.cookie = `${THEME_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
    } else {
      root.dataset.theme = next;
      document.cookie = `${THEME_COOKIE}=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
    }
  };
  return (
    <label className="theme-switch small">
      <span className="sr-only">Theme</span>
      <select aria-label="Theme" value={theme} onChange={(e) => choose(e.target.value as Theme | 'system')}>
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
