import { readFileSync } from 'node:fs';
import { fromRoot } from './paths.js';

const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { name: string; version: string };

/** The generator's name and version, recorded in every object and in dist/index.json. */
export const generator = { name: pkg.name, version: pkg.version };
