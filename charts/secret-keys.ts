// Transitional: the drill and the member scripts' renderer still import these from here while they
// are being reworked; the facts live in model/secrets.ts. Remove once nothing imports this module.
export * from '../model/secrets.js';
