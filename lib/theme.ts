/** The colour theme a person chose in the header (components/theme-switch.tsx), kept in a cookie the layout reads. */
export type Theme = 'light' | 'dark';
export const THEME_COOKIE = 'nhi_theme';

/** The cookie's value as a theme; anything else (none, or a value someone typed) follows the system. */
export function themeOf(value: string | undefined): Theme | null {
  return value === 'light' || value === 'dark' ? value : null;
}
