import type { LocalCluster, LocalMember } from './cluster.js';
import { keysMissingOn } from './redis-clients.js';

/** The ledger of writes confirmed with WAIT 1, across every scenario of a drill: none may ever go missing. */
export class ConfirmedWrites {
  private readonly keys: string[] = [];

  constructor(private readonly cluster: LocalCluster) {}

  record(keys: readonly string[]): void {
    this.keys.push(...keys);
  }

  /** The confirmed writes `member` does not hold (read straight from its redis). */
  missingOn(member: LocalMember): Promise<string[]> {
    return keysMissingOn(this.cluster, member, this.keys);
  }
}
