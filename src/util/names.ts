/**
 * A name from a file (a sweep's `name:`, a file name) made into one path segment: only letters,
 * digits, `.`, `_` and `-`, never leading or trailing dots or dashes. So `..`, `a/b` or `/etc`
 * can never step out of the root the segment is joined to.
 */
export function pathSegment(raw: string, fallback: string): string {
  return raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || fallback;
}
