import https from 'node:https';

/** What the API server answered when it refused a request: its Status message, as kubectl prints it. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
    /** The whole Status object the API server answered with (its details.causes name each refused field). */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  resourceVersion?: string;
  generation?: number;
  ownerReferences?: { kind: string; name: string }[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // biome-ignore lint: objects of any kind
  spec?: any;
  // biome-ignore lint: objects of any kind
  status?: any;
  [field: string]: unknown;
}

/**
 * A small client of the Kubernetes REST API for the engine tier: enough to create, read, patch and
 * list objects as a test needs, with the API server's own refusal messages. Everything a user would
 * do (applying dist/) goes through the real kubectl instead.
 */
export class Kube {
  private readonly agent: https.Agent;

  constructor(
    readonly server: string,
    private readonly token: string,
    ca: string,
    options: { maxSockets?: number } = {},
  ) {
    this.agent = new https.Agent({ ca, keepAlive: true, ...options });
  }

  request<T = KubeObject>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = https.request(
        new URL(path, this.server),
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              const json = /json/.test(res.headers['content-type'] ?? '');
              resolve((json && text ? JSON.parse(text) : text) as T);
              return;
            }
            let message = text;
            let reason: string | undefined;
            let body: Record<string, unknown> | undefined;
            try {
              body = JSON.parse(text) as Record<string, unknown>;
              message = (body.message as string | undefined) ?? text;
              reason = body.reason as string | undefined;
            } catch {
              // not a Status object: keep the text
            }
            reject(new KubeError(status, `${method} ${path}: ${message}`, reason, body));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** The object, or undefined where the API server says it does not exist. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  async list(path: string): Promise<KubeObject[]> {
    return (await this.get<{ items: KubeObject[] }>(path)).items;
  }

  create(path: string, object: unknown): Promise<KubeObject> {
    return this.request('POST', path, object);
  }

  mergePatch(path: string, patch: unknown): Promise<KubeObject> {
    return this.request('PATCH', path, patch, 'application/merge-patch+json');
  }

  delete(path: string): Promise<unknown> {
    return this.request('DELETE', path);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Polls `probe` until it returns a value other than undefined, or throws with `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      // A probe that finds the outcome it waits for impossible throws a FatalWait, which ends the wait.
      if (e instanceof FatalWait) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Thrown by a probe of `until` when what it waits for can no longer happen (a pod the API server refuses). */
export class FatalWait extends Error {}
