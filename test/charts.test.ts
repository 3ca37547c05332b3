import { beforeAll, describe, expect, it } from 'vitest';
import { renderManifests, type Manifest } from './support/render.js';

// What only the whole output shows: each chart and construct is tested alone under test/constructs/.
describe('the rendered repository', () => {
  let manifests: Map<string, Manifest>;
  beforeAll(async () => {
    manifests = await renderManifests();
  });

  it('labels every object with the app.kubernetes.io set and the generator version', () => {
    for (const [file, m] of manifests) {
      expect(Object.keys(m.metadata.labels ?? {}), file).toEqual(
        expect.arrayContaining([
          'app.kubernetes.io/name',
          'app.kubernetes.io/instance',
          'app.kubernetes.io/component',
          'app.kubernetes.io/part-of',
          'app.kubernetes.io/managed-by',
          'app.kubernetes.io/version',
        ]),
      );
      expect(m.metadata.labels!['redis-gitops.dev/generator-version'], file).toBe('0.0.0-test');
      expect(m.metadata.name, file).not.toMatch(/-c8[0-9a-f]{6}$/);
    }
  });

  it("puts every data volume on the encrypted StorageClass its cluster's chart creates", () => {
    const storageClasses = new Map([...manifests].filter(([, m]) => m.kind === 'StorageClass').map(([file, m]) => [file.split('/')[0], m.metadata.name]));
    const claims = [...manifests].filter(([, m]) => m.kind === 'StatefulSet');
    expect(claims.length).toBeGreaterThan(0);
    for (const [file, sts] of claims) {
      for (const claim of sts.spec.volumeClaimTemplates) expect(claim.spec.storageClassName, file).toBe(storageClasses.get(file.split('/')[0]));
    }
  });
});
