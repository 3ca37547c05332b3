// The entry of every worker thread: it runs the named export of the module a task names. A compiled
// CLI names compiled modules; run from the sources, workers do not inherit the main thread's
// TypeScript loader, so they register tsx themselves.
let registered;

export default async function run({ module, name, input }) {
  if (module.endsWith('.ts')) registered ??= import('tsx/esm/api').then(({ register }) => register());
  await registered;
  const loaded = await import(module);
  return loaded[name](input);
}
