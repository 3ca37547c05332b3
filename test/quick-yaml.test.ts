import { describe, expect, it } from 'vitest';
import { quickLoadAll } from '../src/quick-yaml.js';

describe('quickLoadAll', () => {
  it('reads plain documents, shell scripts with && included', () => {
    const text = 'kind: ConfigMap\ndata:\n  start.sh: |\n    #!/bin/sh\n    test -f x && exec redis-server\n---\nkind: Service\n';
    expect(quickLoadAll(text)).toEqual([{ kind: 'ConfigMap', data: { 'start.sh': '#!/bin/sh\ntest -f x && exec redis-server\n' } }, { kind: 'Service' }]);
  });

  it.each([
    ['an anchored mapping', 'a: &x {b: 1}\nc: *x\n'],
    ['an anchored scalar in a flow sequence', 'a: [&x 1, *x]\n'],
    ['an anchor in a later document', 'a: 1\n---\n- &x [1]\n- *x\n'],
  ])('leaves %s to the careful reader', (_, text) => {
    expect(quickLoadAll(text)).toBeUndefined();
  });

  it('leaves invalid YAML to the careful reader', () => {
    expect(quickLoadAll('a: [1\n')).toBeUndefined();
  });
});
