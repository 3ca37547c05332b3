import { spawnSync } from 'node:child_process';

/** Which of `programs` are not on the PATH, as a sentence; undefined when all are. */
export function missingPrograms(...programs: string[]): string | undefined {
  const missing = programs.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  return missing.length ? `not installed: ${missing.join(', ')}` : undefined;
}
