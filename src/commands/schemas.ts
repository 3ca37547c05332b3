import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { makeFolder } from '../io.js';
import { outOption } from './common.js';
import type { Outcome } from './exit-codes.js';

export interface SchemasOptions {
  out: string;
}

export function schemasCommand(): Command {
  return new Command('schemas')
    .description('write the JSON Schemas of the input files (for editors) into a folder')
    .option('--out <dir>', 'output folder', outOption, 'schemas');
}

export async function schemasAction(opts: SchemasOptions): Promise<Outcome> {
  makeFolder(opts.out);
  const { inputJsonSchemas } = await import('../config/json-schema.js');
  for (const [name, content] of Object.entries(inputJsonSchemas())) {
    await writeFile(path.join(opts.out, name), content);
    process.stdout.write(`wrote ${path.join(opts.out, name)}\n`);
  }
  return 'ok';
}
