import { execFileSync } from 'node:child_process';
import { running } from './abandoned.js';

/**
 * Network namespaces for the drill, so that a partition is a real one: each member and portal runs in
 * a Linux network namespace of its own, wired by a veth pair to a bridge in a hub namespace, and the
 * drill itself (the observer and the clients) reaches the bridge through one more veth pair. A
 * partition drops packets silently where they arrive, so a cut-off process keeps running and keeps
 * serving whoever still reaches it, and its peers see timeouts, not refusals.
 *
 * The drop rules are policy-routing rules (`ip rule ... blackhole`, iproute2 only): the kernel looks
 * arriving packets up in the routing rules too, and a blackhole rule discards them without an answer.
 * The rule that finds local addresses (priority 0) is moved behind them, at 100. (nftables would do as
 * well, but its `nft` program is not installed here and the tc actions are not in this kernel.)
 *
 * Everything is named after the drill's process id, and removed by `dispose`, also on a failure or
 * Ctrl-C (the caller's exit handler calls it): deleting a namespace deletes its end of every veth pair.
 */
export interface NetworkNode {
  /** Member or portal name. */
  name: string;
  /** Its addresses; the first is the one it is known by. */
  addresses: string[];
}

/** Where a drop rule applies: an address, and a TCP port on the receiving side (every port when absent). */
export interface Endpoint {
  address: string;
  port?: number;
}

export class DrillNetwork {
  private readonly namespaces = new Map<string, string>();
  private readonly hub: string;
  private readonly observerLink: string;
  private readonly rules: { ns: string; spec: string[] }[] = [];
  private disposed = false;

  private constructor(
    /** First three octets of the bridge's /24. */
    readonly subnet: string,
    private readonly tag: string,
  ) {
    this.hub = `${tag}-hub`;
    this.observerLink = tag;
  }

  /** The observer's (the drill's own) address on the bridge: it is never cut off. */
  get observer(): string {
    return `${this.subnet}.1`;
  }

  /**
   * Why namespaces cannot be made here (not root, no `ip`, a kernel or sandbox that refuses them),
   * or undefined when they can: tried for real, with a namespace that is removed at once.
   */
  static unavailable(): string | undefined {
    if (process.platform !== 'linux') return `network namespaces are Linux only (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return 'network namespaces need root (the drill runs as an ordinary user)';
    const probe = `rgd${process.pid}-probe`;
    try {
      execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
      execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
      return undefined;
    } catch (error) {
      const e = error as { stderr?: Buffer; message: string };
      return `cannot make a network namespace: ${(e.stderr?.toString() || e.message).trim()}`;
    }
  }

  /**
   * Removes what drills that no longer run left behind: their namespaces and observer links, named
   * rgd<pid> after a process that is gone. A drill killed outright (SIGKILL, a CI runner's timeout, a
   * crash of the machine's session) cannot dispose of them, and its observer link keeps the subnet's
   * address, so every later drill on that --subnet was refused until someone ran `ip link del`.
   * The name says whose they are; a drill whose process still runs is left alone. Returns the names removed.
   */
  static reclaimAbandoned(): string[] {
    const gone = (name: string) => {
      const pid = Number(/^rgd(\d+)(?:-|$)/.exec(name)?.[1]);
      return pid > 0 && !running(pid);
    };
    const namespaces = ipOutput('netns', 'list').map((line) => line.split(' ')[0]!).filter(gone);
    const links = ipOutput('-o', 'link', 'show')
      .map((line) => /^\d+:\s+([^@:\s]+)/.exec(line)?.[1] ?? '')
      .filter(gone);
    // Links first: deleting a veth removes its pair at once, while a deleted namespace's links go in
    // the background (the observer link could still hold the subnet when the drill looks next).
    for (const link of links) ip('link', 'del', link);
    for (const ns of namespaces) ip('netns', 'del', ns);
    return [...namespaces, ...links];
  }

  /** Creates the hub with its bridge, a namespace per node on it, and the observer's link. */
  static create(subnet: string, nodes: readonly NetworkNode[]): DrillNetwork {
    const network = new DrillNetwork(subnet, `rgd${process.pid}`);
    try {
      network.build(nodes);
    } catch (error) {
      network.dispose();
      throw error;
    }
    return network;
  }

  private build(nodes: readonly NetworkNode[]): void {
    ip('netns', 'add', this.hub);
    this.namespaces.set('hub', this.hub);
    ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.hub, 'link', 'set', 'br0', 'up');
    nodes.forEach((node, i) => {
      const ns = `${this.tag}-${i}`;
      ip('netns', 'add', ns);
      this.namespaces.set(node.name, ns);
      ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', this.hub);
      ip('-n', this.hub, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
      for (const address of node.addresses) ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      // Drop rules must come before the lookup of local addresses, or arriving packets never reach them.
      ip('-n', ns, 'rule', 'add', 'pref', '100', 'lookup', 'local');
      ip('-n', ns, 'rule', 'del', 'pref', '0');
    });
    ip('link', 'add', this.observerLink, 'type', 'veth', 'peer', 'name', 'observer', 'netns', this.hub);
    ip('-n', this.hub, 'link', 'set', 'observer', 'master', 'br0', 'up');
    ip('addr', 'add', `${this.observer}/24`, 'dev', this.observerLink);
    ip('link', 'set', this.observerLink, 'up');
  }

  /** The command prefix that runs a program inside a node's namespace. */
  exec(node: string): string[] {
    return ['ip', 'netns', 'exec', this.namespace(node)];
  }

  private namespace(node: string): string {
    const ns = this.namespaces.get(node);
    if (!ns) throw new Error(`no network namespace for ${node}`);
    return ns;
  }

  /** Drops, silently, what arrives at node `to` from `from` (an address), on `to`'s port `port` or any. */
  drop(from: string, to: { node: string; port?: number }): void {
    const spec = ['from', from, 'iif', 'eth0', ...(to.port === undefined ? [] : ['ipproto', 'tcp', 'dport', String(to.port)]), 'blackhole'];
    const ns = this.namespace(to.node);
    ip('-n', ns, 'rule', 'add', 'pref', '10', ...spec);
    this.rules.push({ ns, spec });
  }

  /** Whether any drop rule is in place. */
  get partitioned(): boolean {
    return this.rules.length > 0;
  }

  /** Removes every drop rule: the partition heals (connections that survived carry on). */
  heal(): void {
    for (const rule of this.rules.splice(0)) ip('-n', rule.ns, 'rule', 'del', 'pref', '10', ...rule.spec);
  }

  /** Removes the namespaces and the observer's link (synchronous: an exit handler calls it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // The observer link first: deleting it frees the subnet at once (see reclaimAbandoned).
    try {
      ip('link', 'del', this.observerLink);
    } catch {
      // Never made (a failed build), or already gone.
    }
    for (const ns of this.namespaces.values()) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Already gone.
      }
    }
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function ipOutput(...args: string[]): string[] {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n').filter(Boolean);
}
