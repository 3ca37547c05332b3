import { z } from 'zod';
import { ClusterSchema, DeploymentSchema } from './schema.js';

/**
 * The input schemas as JSON Schema, for yaml-language-server (the `# yaml-language-server: $schema=`
 * line at the top of each input file). Input view: fields with defaults are optional.
 */
export function inputJsonSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, title: string) =>
    `${JSON.stringify({ title, ...z.toJSONSchema(schema, { io: 'input' }) }, null, 2)}\n`;
  return {
    'cluster.schema.json': render(ClusterSchema, 'redis-gitops cluster'),
    'deployment.schema.json': render(DeploymentSchema, 'redis-gitops deployment'),
  };
}
