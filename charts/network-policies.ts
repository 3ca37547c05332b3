import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { selectorLabels, type Identity } from './labels.js';

export interface MemberNetworkPoliciesProps {
  id: Identity;
  redisPort: number;
  sentinelPort: number;
  /** Port of the members' metrics exporter. */
  metricsPort: number;
  /** Namespace the Prometheus scraper runs in. */
  monitoringNamespace: string;
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

/**
 * Deny by default, in and out; then allow only what the service needs: members ↔ members
 * (replication, sentinel gossip), portals → members, the scraper → the exporter port, and DNS
 * (members find each other by name).
 */
export class MemberNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: MemberNetworkPoliciesProps) {
    super(scope, id);
    const { deployment } = props.id;
    const labels = { 'app.kubernetes.io/component': 'member' };
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
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.monitoringNamespace } } }],
            ports: [tcp(props.metricsPort)],
          },
        ],
        egress: [
          { to: [{ podSelector: members }], ports: redisPorts },
          {
            to: [{ namespaceSelector: {} }],
            ports: [
              { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
              { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
            ],
          },
        ],
      },
    });
  }
}
