// The entry of every worker thread: workers do not inherit the main thread's TypeScript loader, so
// each registers tsx itself, then runs the named export of the module a task names.
import { register } from 'tsx/esm/api';

register();

export default async function run({ module, name, input }) {
  const loaded = await import(module);
  return loaded[name](input);
}
