import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { selectorLabels, type Identity } from '../model/labels.js';

export interface NetworkPoliciesProps {
  id: Identity;
  redisPort: number;
  sentinelPort: number;
  /** Port applications reach the portals on, and the portals' stats/metrics port. */
  portalPort: number;
  portalStatsPort: number;
  /** Ports of the members' metrics exporters. */
  metricsPorts: readonly number[];
  /** Namespace the Prometheus scraper runs in. */
  monitoringNamespace: string;
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

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
 * exporter and stats ports, and DNS (everything is found by name).
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const { deployment } = props.id;
    const labels = { 'app.kubernetes.io/component': 'member' };
    const scraper = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.monitoringNamespace } } };
    const members = { matchLabels: selectorLabels(props.id, 'member') };
    const portals = { matchLabels: selectorLabels(props.id, 'portal') };
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
          { from: [scraper], ports: props.metricsPorts.map(tcp) },
        ],
        egress: [{ to: [{ podSelector: members }], ports: redisPorts }, dns],
      },
    });
    new k8s.KubeNetworkPolicy(this, 'Portals', {
      metadata: { name: `${deployment}-portals`, labels: { 'app.kubernetes.io/component': 'portal' } },
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
  }
}
