import type { DeploymentSecrets } from '../../model/secrets.js';
import type { Deployment } from '../config/load.js';
import { moduleOf } from '../paths.js';
import { noProgress, type Progress } from '../progress.js';
import { Threads, workersFor } from '../workers/pool.js';
import type { DeploymentOutput } from './render.js';
import type { RenderChunk } from './render-worker.js';

/** Below this many deployments to render, starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 64;

/**
 * Deployments a worker renders per task: small tasks stream results back while the others render,
 * where one task per thread held a whole share of the fleet's files in the thread at once (3000
 * deployments took 4.6x as long as 1000).
 */
const RENDER_CHUNK = 50;

/**
 * The render threads' young generation (twice V8's default of 48 MB). A deployment's objects
 * live until it is written, and its files until its chunk returns: with the default, scavenges
 * copied them over and over (garbage collection was ~30% of rendering). Cold synth at 1000
 * deployments, four runs each, alternating: 11.55 s on average with the default, 11.06 s with
 * this, for ~90 MB more memory.
 */
const RENDER_YOUNG_GENERATION_MB = 96;

/**
 * Deployments rendered as they are handed over: with many to render, in worker threads (one per
 * core), each chunk sent as soon as it is full. Synth hands a deployment over as
 * soon as its secrets are resolved, so a cold synth renders on the other core while this thread
 * still generates and seals secrets (the two ran one after the other: this thread idled through
 * rendering, the other core through the secrets).
 */
export class RenderQueue {
  /** Started with the first chunk sent: a synth that renders nothing (or little) starts none. */
  private threads: Threads | undefined;
  private readonly workers: number;
  private pending: Deployment[] = [];
  private readonly secrets = new Map<string, DeploymentSecrets>();
  private readonly tasks: Promise<Map<string, DeploymentOutput>>[] = [];
  private count = 0;
  private done = 0;
  private rendering = false;

  /**
   * `expected`: at most how many deployments will be handed over (below WORKER_THRESHOLD, no threads).
   * `onRendered` hears of each chunk's outputs as they come back; what it throws fails finish().
   */
  constructor(
    expected: number,
    private readonly generatorVersion: string,
    private readonly progress: Progress = noProgress,
    private readonly onRendered: (outputs: ReadonlyMap<string, DeploymentOutput>) => void = () => {},
  ) {
    this.workers = workersFor(expected, WORKER_THRESHOLD);
  }

  add(deployment: Deployment, secrets: DeploymentSecrets): void {
    this.pending.push(deployment);
    this.secrets.set(deployment.name, secrets);
    this.count++;
    if (this.workers && this.pending.length >= RENDER_CHUNK) this.send();
  }

  /**
   * Every deployment handed over, rendered: name → output. The progress shows the rendering phase
   * from here (the deployments rendered while secrets were resolved count as done).
   */
  async finish(): Promise<Map<string, DeploymentOutput>> {
    if (this.count) this.progress.phase('rendering', this.count, 'deployments');
    this.rendering = true;
    this.progress.advance(this.done);
    try {
      // Fewer than a chunk in all: rendered here, as starting threads would cost more.
      if (!this.threads) {
        // cdk8s and the charts load only to render: a synth that renders nothing loads none of them.
        const outputs = this.count ? (await import('./render-worker.js')).renderChunk(this.chunk()) : new Map<string, DeploymentOutput>();
        this.onRendered(outputs);
        return outputs;
      }
      if (this.pending.length) this.send();
      return new Map((await Promise.all(this.tasks)).flatMap((r) => [...r]));
    } finally {
      await this.close();
    }
  }

  /** Stops the threads (after an error elsewhere: what they render is not wanted). */
  async close(): Promise<void> {
    const threads = this.threads;
    this.threads = undefined;
    await threads?.destroy();
  }

  private chunk(): RenderChunk {
    const deployments = this.pending;
    this.pending = [];
    return { deployments, generatorVersion: this.generatorVersion, secrets: new Map(deployments.map((d) => [d.name, this.secrets.get(d.name)!])) };
  }

  private send(): void {
    const chunk = this.chunk();
    this.threads ??= new Threads(this.workers, moduleOf('src/synth/render-worker.ts'), undefined, RENDER_YOUNG_GENERATION_MB);
    const task = this.threads.submit<RenderChunk, Map<string, DeploymentOutput>>('renderChunk', chunk).then((output) => {
      this.onRendered(output);
      this.done += chunk.deployments.length;
      if (this.rendering) this.progress.advance(chunk.deployments.length);
      return output;
    });
    // Awaited in finish; a failure before then is not left unhandled.
    task.catch(() => {});
    this.tasks.push(task);
  }
}
