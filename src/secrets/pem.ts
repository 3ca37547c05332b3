/**
 * Joins PEM blocks into one file, each ending in a newline. Not every PEM string has a trailing
 * newline (`selfsigned`'s, which made the certificates of older state files, have none), and a
 * certificate glued to its key without one makes HAProxy refuse to start ("unable to load certificate").
 */
export function joinPem(...blocks: string[]): string {
  return blocks.map((b) => `${b.trim()}\n`).join('');
}
