import type { DeploymentSecrets } from '../../model/secrets.js';
import type { Deployment } from '../config/load.js';
import { renderDeployment, type DeploymentOutput } from './render.js';

export interface RenderChunk {
  deployments: Deployment[];
  generatorVersion: string;
  secrets: Map<string, DeploymentSecrets>;
}

/** Renders a chunk of deployments (in a worker thread): name → output. */
export function renderChunk({ deployments, generatorVersion, secrets }: RenderChunk): Map<string, DeploymentOutput> {
  return new Map(deployments.map((d) => [d.name, renderDeployment(d, generatorVersion, secrets.get(d.name)!)]));
}
