/**
 * How times are shown on pages and in the CLI: UTC, `2026-11-29 10:05 UTC`, to the minute, second or
 * millisecond. One definition for every page, component and command that prints a time.
 */
const LENGTH = { minute: 16, second: 19, millisecond: 23 } as const;

export function utcTime(value: Date | string, precision: keyof typeof LENGTH = 'minute'): string {
  const iso = typeof value === 'string' ? new Date(value).toISOString() : value.toISOString();
  return `${iso.replace('T', ' ').slice(0, LENGTH[precision])} UTC`;
}
