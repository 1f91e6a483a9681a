// How pages write times.

/** An absolute time in UTC, to the minute: "2026-01-31 17:05 UTC". */
export function utc(date: Date): string {
  return `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
