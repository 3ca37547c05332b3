import { codeFingerprint } from '../code-fingerprint.js';
import { generator } from '../version.js';

/** The code whose change changes what synth writes: the model, charts and the synth, input and secrets code. */
const renderingCode = ['model', 'charts', 'src/synth', 'src/config', 'src/secrets', 'src/version.ts', 'src/paths.ts', 'src/quick-yaml.ts', 'src/code-fingerprint.ts'];
/** Libraries whose version changes what synth writes. */
const renderingLibraries = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml', 'js-yaml', '@peculiar/asn1-ecc', '@peculiar/asn1-schema', '@peculiar/asn1-x509'];

let cached: Promise<string> | undefined;

/**
 * A hash of the generator as it runs: its version, the source of everything that renders, and the
 * versions of the libraries that do. Part of each deployment's input hash, so a changed generator
 * renders every deployment again even when its version was not bumped.
 */
export function generatorFingerprint(): Promise<string> {
  cached ??= codeFingerprint(generator, renderingCode, renderingLibraries);
  return cached;
}
