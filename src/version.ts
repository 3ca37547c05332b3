import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** The generator's name and version, recorded in every object and in dist/index.json. */
export const generator = { name: pkg.name, version: pkg.version };
