import type { CollectionNote } from '../types';

/** How many examples one note quotes before it says how many there were in all. */
export const EXAMPLES_PER_NOTE = 3;

/** Problems found in one file, reported as one note per problem with a few examples. */
export class FileIssues {
  private readonly byProblem = new Map<
    string,
    { level: CollectionNote['level']; examples: string[]; count: number; resource?: string }
  >();
  constructor(private readonly file: string) {}

  get empty(): boolean {
    return this.byProblem.size === 0;
  }

  add(level: CollectionNote['level'], problem: string, example?: string, resource?: string): void {
    let entry = this.byProblem.get(problem);
    if (!entry) {
      entry = { level, examples: [], count: 0, resource };
      this.byProblem.set(problem, entry);
    }
    entry.count++;
    if (example && entry.examples.length < EXAMPLES_PER_NOTE) entry.examples.push(example);
  }

  flush(notes: CollectionNote[]): void {
    for (const [problem, e] of this.byProblem) {
      const more = e.count > e.examples.length ? `, … (${e.count} in all)` : '';
      const examples = e.examples.length ? `: ${e.examples.join(', ')}${more}` : e.count > 1 ? ` (${e.count} times)` : '';
      const note: CollectionNote = { level: e.level, source: this.file, message: `${this.file}: ${problem}${examples}` };
      if (e.resource) note.resource = e.resource;
      notes.push(note);
    }
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
