/** One mistake in one input file: where it is and what is expected instead. */
export interface InputError {
  file: string;
  /** Dotted field path such as `redis.memory` or `access.platform[0].role`; empty for the whole file. */
  field: string;
  line?: number;
  column?: number;
  message: string;
}

export class InputErrors extends Error {
  constructor(readonly errors: InputError[]) {
    super(errors.map(formatInputError).join('\n'));
    this.name = 'InputErrors';
  }
}

export function formatInputError(e: InputError): string {
  const where = e.line === undefined ? e.file : `${e.file}:${e.line}:${e.column}`;
  return e.field ? `${where}: ${e.field}: ${e.message}` : `${where}: ${e.message}`;
}
