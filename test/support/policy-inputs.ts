import path from 'node:path';
import { findManifestFiles, groupByDeployment, readObjects, type PolicyInput } from '../../src/gate/documents.js';
import { projectRoot } from './repo.js';

/**
 * Every input the policy is known to judge, as the gate groups them: the samples and fixtures file
 * by file (each stands alone), the generator's output as synth writes it. For tests that hold the
 * policy to a property on all of them.
 */
export async function knownPolicyInputs(): Promise<PolicyInput[]> {
  const sources = [
    ['policies/samples', true],
    ...['insecure-redis', 'public-charts', 'unrelated-app'].map((f) => [`test/fixtures/${f}`, true] as const),
    ['dist', false],
  ] as const;
  return (await Promise.all(sources.map(([p, byFile]) => groupsOf(path.join(projectRoot, p), byFile)))).flat();
}

async function groupsOf(root: string, byFile: boolean): Promise<PolicyInput[]> {
  const files = (await findManifestFiles([root])).filter((f) => !f.endsWith('expected.yaml'));
  if (!byFile) return groupByDeployment((await Promise.all(files.map((f) => readObjects(f)))).flat(), [root]);
  const groups: PolicyInput[] = [];
  for (const file of files) groups.push(...groupByDeployment(await readObjects(file), [file]));
  return groups;
}
