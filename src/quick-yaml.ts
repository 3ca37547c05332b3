import { CORE_SCHEMA, loadAll } from 'js-yaml';

/**
 * The documents of a plain YAML text, read with js-yaml (about 8x faster than the yaml library), or
 * undefined when the text is anything but plain: invalid, or with anchors (aliases to them are how a
 * "billion laughs" file explodes; the yaml library caps them). Callers then read it again with the
 * yaml library, for its positions in messages and its limits.
 */
export function quickLoadAll(text: string): unknown[] | undefined {
  let anchored = false;
  try {
    const docs = loadAll(text, undefined, {
      // The YAML 1.2 core schema, as the yaml library reads by default: no timestamps, no merge keys.
      schema: CORE_SCHEMA,
      // js-yaml reports each node it closes with its anchor, if any. (A search for `&` in the text
      // would send every shell script with `&&` the slow way.)
      listener: (event, state) => {
        if (event === 'close' && typeof (state as { anchor?: unknown }).anchor === 'string') anchored = true;
      },
    });
    return anchored ? undefined : docs;
  } catch {
    return undefined;
  }
}
