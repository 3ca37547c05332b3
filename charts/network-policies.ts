import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { componentLabels, selectorLabels, type Identity } from '../model/labels.js';

export interface NetworkPoliciesProps {
  /** The deployment's identity: policy names and pod selectors derive from it. */
  id: Identity;
  /** The members' redis TLS port (replication, and the portals' traffic). */
  redisPort: number;
  /** The members' sentinel TLS port (gossip, and the portals' questions). */
  sentinelPort: number;
  /** Port applications reach the portals on. */
  portalPort: number;
  /** The portals' stats/metrics port, open to the scraper only. */
  portalStatsPort: number;
  /** Ports of the members' metrics exporters. */
  metricsPorts: readonly number[];
  /** Namespace the Prometheus scraper runs in. */
  monitoringNamespace: string;
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

/**
 * The Kubernetes API server, for the rollout Job: its address depends on the cluster, and policies
 * match the endpoint after the Service's address is translated, so its usual ports, anywhere.
 */
const apiServer: k8s.NetworkPolicyEgressRule = { ports: [tcp(443), tcp(6443)] };

const dns: k8s.NetworkPolicyEgressRule = {
  to: [{ namespaceSelector: {} }],
  ports: [
    { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
    { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
  ],
};

/**
 * Deny by default, in and out; then allow only what the service needs: members ↔ members
 * (replication, sentinel gossip), applications → portals, portals → members, the scraper → the
 * exporter and stats ports, the rollout Job → the sentinels and the API server, and DNS (everything
 * is found by name).
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const { deployment } = props.id;
    const labels = componentLabels('member');
    const scraper = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.monitoringNamespace } } };
    const members = { matchLabels: selectorLabels(props.id, 'member') };
    const portals = { matchLabels: selectorLabels(props.id, 'portal') };
    const rollout = { matchLabels: selectorLabels(props.id, 'rollout') };
    const redisPorts = [tcp(props.redisPort), tcp(props.sentinelPort)];

    new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: `${deployment}-default-deny`, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new k8s.KubeNetworkPolicy(this, 'Members', {
      metadata: { name: `${deployment}-members`, labels },
      spec: {
        podSelector: members,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [{ podSelector: members }, { podSelector: portals }], ports: redisPorts },
          { from: [{ podSelector: rollout }], ports: [tcp(props.sentinelPort)] },
          { from: [scraper], ports: props.metricsPorts.map(tcp) },
        ],
        egress: [{ to: [{ podSelector: members }], ports: redisPorts }, dns],
      },
    });
    new k8s.KubeNetworkPolicy(this, 'Portals', {
      metadata: { name: `${deployment}-portals`, labels: componentLabels('portal') },
      spec: {
        podSelector: portals,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          // Applications anywhere (and a LoadBalancer's traffic) reach the TLS port; that is the service.
          { ports: [tcp(props.portalPort)] },
          { from: [scraper], ports: [tcp(props.portalStatsPort)] },
        ],
        egress: [{ to: [{ podSelector: members }], ports: redisPorts }, dns],
      },
    });
    new k8s.KubeNetworkPolicy(this, 'Rollout', {
      metadata: { name: `${deployment}-rollout`, labels: componentLabels('rollout') },
      spec: {
        podSelector: rollout,
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [{ podSelector: members }], ports: [tcp(props.sentinelPort)] }, apiServer, dns],
      },
    });
  }
}
