import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { backupTool } from './backup-tools.js';
import { dieWithDrill } from './programs.js';
import { waitFor } from './waits.js';

/**
 * A real S3-compatible server on a loopback address: versitygw over a folder (its posix backend),
 * serving TLS with a certificate the caller's CA signed, with one access key. Objects are files
 * under `<dir>/data/<bucket>/`, so a test can read what reached the bucket byte for byte.
 */
export class LocalS3 {
  readonly accessKeyId = `AK${randomBytes(9).toString('hex').toUpperCase()}`;
  readonly secretAccessKey = randomBytes(24).toString('base64url');
  readonly dataDir: string;
  private child: ChildProcess | undefined;

  constructor(
    readonly ip: string,
    readonly port: number,
    readonly dir: string,
    /** Its certificate and key, and the command prefix that runs it in its network namespace (empty on loopback). */
    private readonly server: { certFile: string; keyFile: string; exec: readonly string[] },
    /** The region it signs for: a request signed for another is refused (AuthorizationHeaderMalformed). */
    readonly region: string,
  ) {
    this.dataDir = path.join(dir, 'data');
  }

  get endpoint(): string {
    return `https://${this.ip}:${this.port}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const bin = backupTool('versitygw');
    if (!bin) throw new Error('versitygw is not built (.ci/run builds it into .tools/)');
    mkdirSync(this.dataDir, { recursive: true });
    mkdirSync(path.join(this.dir, 'meta'), { recursive: true });
    const log = createWriteStream(path.join(this.dir, 'versitygw.log'), { flags: 'a' });
    const args = ['--port', `${this.ip}:${this.port}`, '--cert', this.server.certFile, '--key', this.server.keyFile, '--region', this.region, '--quiet',
      // Metadata in a folder of its own rather than extended attributes, which tmpfs may refuse.
      'posix', '--sidecar', path.join(this.dir, 'meta'), this.dataDir];
    const [file, ...rest] = [...this.server.exec, ...dieWithDrill(), bin, ...args];
    this.child = spawn(file!, rest, {
      env: { ...process.env, ROOT_ACCESS_KEY: this.accessKeyId, ROOT_SECRET_KEY: this.secretAccessKey },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    await waitFor(`versitygw to listen on ${this.ip}:${this.port}`, 20, async () => {
      if (this.child?.exitCode !== null) throw new Error(`versitygw exited (${this.child?.exitCode}); see ${path.join(this.dir, 'versitygw.log')}`);
      return listening(this.ip, this.port);
    });
  }

  /** Creates a bucket (a folder of the posix backend). */
  createBucket(bucket: string): void {
    mkdirSync(path.join(this.dataDir, bucket), { recursive: true });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
    await exited;
  }

  stopNow(): void {
    if (this.child?.pid && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
