/**
 * Sorting of the list pages: `sort=<column>&dir=asc|desc` in the query string. Each list names its sortable
 * columns and each column's natural first direction (a score or a count descending, a name ascending); no
 * `sort` keeps the list's default order. A column header links to the same view sorted by it: the other
 * direction when it is already the sort column, else the column's natural direction, from page 1.
 */
import { z } from 'zod';

export const SORT_DIRS = ['asc', 'desc'] as const;
export type SortDir = (typeof SORT_DIRS)[number];

/** A list's sortable columns with their first direction. */
export type SortColumns<K extends string> = Readonly<Record<K, SortDir>>;

/** The `sort` and `dir` fields of a list's filter schema (both optional: none means the default order). */
export function sortFields<K extends string>(columns: SortColumns<K>) {
  const keys = Object.keys(columns) as [K, ...K[]];
  return {
    sort: z.enum(keys).optional(),
    dir: z.enum(SORT_DIRS).optional(),
  };
}

/** The direction a list is sorted in: the one asked for, else the column's natural one. */
export const sortDirOf = <K extends string>(columns: SortColumns<K>, sort: K, dir: SortDir | undefined): SortDir =>
  dir ?? columns[sort];

/** The `aria-sort` of a column header: its direction when the list is sorted by it, else none. */
export function ariaSort<K extends string>(
  columns: SortColumns<K>,
  current: { sort?: K; dir?: SortDir },
  column: K,
): 'ascending' | 'descending' | 'none' {
  if (current.sort !== column) return 'none';
  return sortDirOf(columns, column, current.dir) === 'asc' ? 'ascending' : 'descending';
}

/** What a click on a column header asks for: the other direction of the current column, else its natural one. */
export function nextSort<K extends string>(
  columns: SortColumns<K>,
  current: { sort?: K; dir?: SortDir },
  column: K,
): { sort: K; dir: SortDir } {
  if (current.sort === column) return { sort: column, dir: sortDirOf(columns, column, current.dir) === 'asc' ? 'desc' : 'asc' };
  return { sort: column, dir: columns[column] };
}
