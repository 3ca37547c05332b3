import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import path from 'node:path';
import { quantityBytes } from '../../model/kubernetes-updates.js';
import { binaries, versions } from './binaries.js';
import type { ControlPlane } from './control-plane.js';
import { type KubeObject, KubeError, until } from './kube.js';
import { type Program, assertRunning, startProgram } from './processes.js';

/** The annotation kwok manages nodes by (and that no real node carries). */
const KWOK_NODE = { key: 'kwok.x-k8s.io/node', value: 'fake' };
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/**
 * Simulated nodes: kwok's controller plays the kubelet of every node annotated for it. Pods bound to
 * such a node become Running and Ready at once, whatever their containers would do (nothing runs).
 * `nodesPerZone` nodes in each zone, labelled as a cloud labels them, so the scheduler's zone pinning,
 * anti-affinity and spread constraints, and the disruption budgets, act on them as in a real region.
 */
export async function startNodes(
  cp: ControlPlane,
  dir: string,
  region: string,
  zones: readonly string[],
  options: { nodesPerZone?: number; realPods?: { instance: string; components: readonly string[] } } = {},
): Promise<Program> {
  const nodesPerZone = options.nodesPerZone ?? 3;
  const config = path.join(dir, 'kwok.yaml');
  // kwok's own fast stages (engine/build.sh copies them from its module).
  // kwok's defaulting leaves these at 0 when a configuration is given (and then refuses to start).
  writeFileSync(
    config,
    'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions:\n  nodeLeaseParallelism: 4\n  nodePlayStageParallelism: 4\n  podPlayStageParallelism: 4\n  podsOnNodeSyncParallelism: 1\n',
  );
  const kwok = startProgram(dir, 'kwok', binaries.kwok, [
    `--kubeconfig=${cp.kubeconfig}`,
    `--config=${config}`,
    `--config=${options.realPods ? stagesLeaving(dir, options.realPods) : path.join(path.dirname(binaries.kwok), 'stages.yaml')}`,
    `--manage-nodes-with-annotation-selector=${KWOK_NODE.key}=${KWOK_NODE.value}`,
    // kwok's kubelet API (logs, exec) on loopback only.
    '--server-address=127.0.0.1:0',
    '--node-lease-duration-seconds=40',
  ]);
  cp.programs.push(kwok);
  const names: string[] = [];
  for (const zone of zones) {
    for (let i = 0; i < nodesPerZone; i++) {
      const name = `${zone}-node-${i}`;
      names.push(name);
      await cp.kube.create('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { [KWOK_NODE.key]: KWOK_NODE.value },
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'topology.kubernetes.io/region': region,
            [ZONE_LABEL]: zone,
            type: 'kwok',
          },
        },
        status: {
          capacity: { cpu: '16', memory: '64Gi', pods: '110' },
          allocatable: { cpu: '16', memory: '64Gi', pods: '110' },
          nodeInfo: { kubeletVersion: `v${versions.kubernetes}-kwok`, architecture: 'amd64', operatingSystem: 'linux' },
        },
      });
    }
  }
  // The API server taints a new node not-ready; the node lifecycle controller lifts the taint once kwok
  // reports the node Ready. Until then nothing schedules.
  await until(`${names.length} kwok nodes Ready and untainted`, 90_000, async () => {
    assertRunning(kwok);
    const nodes = await cp.kube.list('/api/v1/nodes');
    const ready = nodes.filter(
      (n) =>
        (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') &&
        !(n.spec?.taints ?? []).some((t: { key: string }) => t.key.startsWith('node.kubernetes.io/')),
    );
    return ready.length === names.length ? true : undefined;
  });
  return kwok;
}

/**
 * kwok's stages, but that its pod stages (ready, complete, delete) leave alone the pods of `instance`
 * whose component is one of `components`: another stand-in (kubelet.ts) plays their kubelet.
 */
function stagesLeaving(dir: string, pods: { instance: string; components: readonly string[] }): string {
  const label = (key: string) => `(.metadata.labels["${key}"] // "")`;
  const leave = {
    key: `${label('app.kubernetes.io/instance')} + "/" + ${label('app.kubernetes.io/component')}`,
    operator: 'NotIn',
    values: pods.components.map((c) => `${pods.instance}/${c}`),
  };
  const stages = parseAllDocuments(readFileSync(path.join(path.dirname(binaries.kwok), 'stages.yaml'), 'utf8')).map((d) => d.toJS());
  for (const stage of stages) if (stage?.spec?.resourceRef?.kind === 'Pod') stage.spec.selector.matchExpressions.push(leave);
  const file = path.join(dir, 'stages.yaml');
  writeFileSync(file, stages.map((s) => stringify(s)).join('---\n'));
  return file;
}

/**
 * Stands in for the cluster's CSI provisioner and cloud load balancer, which a real cluster runs and
 * this one cannot: a loop that
 * - provisions each claim of a WaitForFirstConsumer class once the scheduler has chosen its node
 *   (`volume.kubernetes.io/selected-node`): a PersistentVolume pre-bound to the claim, of the class's
 *   provisioner, reclaim policy and the claim's size, with node affinity to the node's *zone* (as block
 *   storage is zonal); the PV controller then binds them and the scheduler places the pod;
 * - expands each bound claim that asks for more than its capacity, when its class allows expansion, as
 *   the CSI driver's external-resizer does: the PersistentVolume's capacity grows, then the claim's
 *   `status.capacity` (a driver that needs no node step; the filesystem growth on the node is kubelet's,
 *   and no kubelet runs here);
 * - gives each LoadBalancer Service an ingress host name under `.invalid` (a name that never resolves:
 *   no traffic can follow it), which is what Argo CD's health check of such a Service waits for.
 * Claims of Immediate classes are left alone: nothing here generates one.
 */
export function startCloudStandIn(cp: ControlPlane): { stop: () => Promise<void>; provisioned: string[]; resized: string[] } {
  const provisioned: string[] = [];
  const resized: string[] = [];
  let running = true;
  let lastError: unknown;
  const step = async () => {
    const claims = await cp.kube.list('/api/v1/persistentvolumeclaims');
    for (const claim of claims) {
      const node = claim.metadata.annotations?.['volume.kubernetes.io/selected-node'];
      if (!node || claim.spec.volumeName || claim.metadata.deletionTimestamp) continue;
      const sc = await cp.kube.find(`/apis/storage.k8s.io/v1/storageclasses/${claim.spec.storageClassName}`);
      if (!sc || sc.volumeBindingMode !== 'WaitForFirstConsumer') continue;
      const zone = (await cp.kube.get(`/api/v1/nodes/${node}`)).metadata.labels?.[ZONE_LABEL];
      const name = `pv-${claim.metadata.uid}`;
      try {
        await cp.kube.create('/api/v1/persistentvolumes', persistentVolumeFor(claim, sc, name, zone));
        provisioned.push(`${claim.metadata.namespace}/${claim.metadata.name} → ${name} in ${zone}`);
      } catch (e) {
        if (!(e instanceof KubeError && e.status === 409)) throw e;
      }
    }
    for (const claim of claims) {
      const [requested, capacity] = [claim.spec.resources?.requests?.storage, claim.status?.capacity?.storage];
      if (claim.status?.phase !== 'Bound' || !requested || !capacity || quantityBytes(requested) <= quantityBytes(capacity)) continue;
      const sc = await cp.kube.find(`/apis/storage.k8s.io/v1/storageclasses/${claim.spec.storageClassName}`);
      if (!sc?.allowVolumeExpansion) continue;
      const pv = await cp.kube.get(`/api/v1/persistentvolumes/${claim.spec.volumeName}`);
      if (quantityBytes(pv.spec.capacity.storage) < quantityBytes(requested)) {
        await cp.kube.request('PATCH', `/api/v1/persistentvolumes/${pv.metadata.name}`, { spec: { capacity: { storage: requested } } }, 'application/merge-patch+json');
      }
      await cp.kube.request(
        'PATCH',
        `/api/v1/namespaces/${claim.metadata.namespace}/persistentvolumeclaims/${claim.metadata.name}/status`,
        { status: { capacity: { storage: requested } } },
        'application/merge-patch+json',
      );
      resized.push(`${claim.metadata.namespace}/${claim.metadata.name} ${capacity} → ${requested}`);
    }
    for (const svc of await cp.kube.list('/api/v1/services')) {
      if (svc.spec.type !== 'LoadBalancer' || svc.status?.loadBalancer?.ingress?.length) continue;
      await cp.kube.request('PATCH', `/api/v1/namespaces/${svc.metadata.namespace}/services/${svc.metadata.name}/status`, {
        status: { loadBalancer: { ingress: [{ hostname: `${svc.metadata.name}.${svc.metadata.namespace}.lb.engine.invalid` }] } },
      }, 'application/merge-patch+json');
    }
  };
  const loop = (async () => {
    while (running) {
      try {
        await step();
        lastError = undefined;
      } catch (e) {
        lastError = e;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return {
    provisioned,
    resized,
    stop: async () => {
      running = false;
      await loop;
      if (lastError) console.warn(`cloud stand-in: last error: ${(lastError as Error).message}`);
    },
  };
}

function persistentVolumeFor(claim: KubeObject, sc: KubeObject, name: string, zone: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': sc.provisioner as string } },
    spec: {
      capacity: { storage: claim.spec.resources.requests.storage },
      accessModes: claim.spec.accessModes,
      volumeMode: claim.spec.volumeMode ?? 'Filesystem',
      storageClassName: sc.metadata.name,
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid },
      csi: { driver: sc.provisioner, volumeHandle: name, fsType: 'ext4' },
      ...(zone ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: [zone] }] }] } } } : {}),
    },
  };
}
