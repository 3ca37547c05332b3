/**
 * Joins PEM blocks into one file, each ending in a newline. PEM strings from `selfsigned` have no
 * trailing newline, and a certificate glued to its key without one makes HAProxy refuse to start
 * ("unable to load certificate").
 */
export function joinPem(...blocks: string[]): string {
  return blocks.map((b) => `${b.trim()}\n`).join('');
}
