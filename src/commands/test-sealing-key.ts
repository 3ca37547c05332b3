import { Command } from 'commander';
import { ROOT_HELP, rootOption } from './common.js';
import type { Outcome } from './exit-codes.js';

export interface TestSealingKeyOptions {
  root: string;
}

export function testSealingKeyCommand(): Command {
  return new Command('test-sealing-key')
    .description("make a TEST-ONLY sealing key pair for a cluster without a real Sealed Secrets controller, and point the cluster file at its certificate")
    .argument('<cluster>', 'the cluster (clusters/<cluster>.yaml, which must exist)')
    .option('--root <dir>', ROOT_HELP, rootOption, '.');
}

export async function testSealingKeyAction(cluster: string, opts: TestSealingKeyOptions): Promise<Outcome> {
  const { makeTestSealingKey } = await import('../secrets/test-sealing-key.js');
  const made = await makeTestSealingKey(opts.root, cluster);
  process.stdout.write(
    [
      `test-sealing-key: ${made.created ? 'made' : 'kept'} a TEST-ONLY key pair for cluster ${cluster}`,
      `  certificate ${made.certificate} (clusters/${cluster}.yaml sealedSecrets.certificate names it)`,
      `  private key ${made.privateKey} (git-ignored: anyone holding it opens every secret sealed for ${cluster})`,
      '  For trying only: a real cluster file names the certificate its own controller prints (kubeseal --fetch-cert).',
      '',
    ].join('\n'),
  );
  return 'ok';
}
