import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * Whether the addresses a drill is about to use are taken already, and by whom: another drill on
 * the same --subnet, most often, or any program listening there. Without this check the drill's
 * members could not bind (or, with network namespaces, the drill's own address was on another
 * interface and nothing reached the bridge) and it ended, a minute later, in "timed out waiting for a
 * primary". Linux only (/proc); elsewhere nothing is found and the drill runs as before.
 */
export function addressesInUse(subnet: string, ips: readonly string[], namespaces: boolean): string | undefined {
  if (namespaces) {
    // The bridge's /24 is reached through an interface the drill adds here; the same subnet on another
    // interface (another drill's rgd<pid>, or anything else) takes the route.
    // From iproute2 (which namespaces need anyway), not os.networkInterfaces(): libuv leaves out
    // interfaces that are down or have no carrier, whose routes still take the subnet.
    for (const line of execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).split('\n')) {
      const [, name, address] = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line) ?? [];
      if (name && address?.startsWith(`${subnet}.`)) {
        return `${address} (the drill's subnet ${subnet}.0/24) is already on interface ${name}${drillOf(name)}: stop it, or run this drill with another --subnet`;
      }
    }
    return undefined;
  }
  const listeners = ipv4Listeners().filter((l) => ips.includes(l.address));
  if (listeners.length === 0) return undefined;
  const owners = socketOwners(new Set(listeners.map((l) => l.inode)));
  const described = listeners.map((l) => `${l.address}:${l.port}${owners.has(l.inode) ? ` (${owners.get(l.inode)})` : ''}`);
  return `address${listeners.length > 1 ? 'es' : ''} already in use: ${described.join(', ')}; probably another drill on --subnet ${subnet}: stop it, or run this drill with another --subnet`;
}

/** "(another drill, process 1234: node .../redis-gitops.mjs drill orders)" when the interface is a drill's (rgd<pid>). */
function drillOf(name: string): string {
  const pid = /^rgd(\d+)$/.exec(name)?.[1];
  if (!pid) return '';
  const command = commandLine(Number(pid));
  return command ? ` (another drill, process ${pid}: ${command})` : ` (left by a drill, process ${pid}, that no longer runs: ip link del ${name})`;
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || undefined;
  } catch {
    return undefined;
  }
}

interface Listener {
  address: string;
  port: number;
  inode: string;
}

/** Listening TCP sockets of this network namespace (/proc/net/tcp: little-endian hex address, state 0A). */
function ipv4Listeners(): Listener[] {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return [];
  }
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 9 && f[3] === '0A')
    .map((f) => {
      const [hexAddress, hexPort] = f[1]!.split(':') as [string, string];
      const address = [3, 2, 1, 0].map((i) => Number.parseInt(hexAddress.slice(i * 2, i * 2 + 2), 16)).join('.');
      return { address, port: Number.parseInt(hexPort, 16), inode: f[9]! };
    });
}

/** Socket inode → "name, process pid" for the processes this one may look into. */
function socketOwners(inodes: Set<string>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode) && !owners.has(inode)) owners.set(inode, `${commandLine(Number(pid))?.split(' ')[0] ?? 'process'}, process ${pid}`);
    }
  }
  return owners;
}
