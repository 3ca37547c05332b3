import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { renderAlertRules } from './config/alert-rules.js';
import { componentLabels, selectorLabels, type Identity } from '../model/labels.js';

export interface MonitoringProps {
  /** The deployment's identity: object names, selectors and the alerts' labels derive from it. */
  id: Identity;
  /** Names of the member pods' metrics ports (their exporters'). */
  memberMetricPorts: readonly string[];
  /** Name of the portal pods' stats port, which serves their metrics over TLS. */
  portalStatsPort: string;
  /** ConfigMap, and its key, holding the CA the portals' TLS stats endpoint is verified against. */
  caConfigMap: { name: string; key: string };
  /** The name the portals' certificate is verified for. */
  portalServerName: string;
  /** How many sentinels there are: an alert fires when fewer see each other. */
  sentinels: number;
  /**
   * The backup CronJob and the oldest its last success may be, for the backup alerts.
   * @default no backup alerts
   */
  backup?: { cronJob: string; maxAgeSeconds: number };
}

const MONITORING = 'monitoring.coreos.com/v1';

/**
 * Prometheus Operator objects: PodMonitors for the members' exporters and the portals' TLS stats
 * endpoint, and the deployment's alert rules (PrometheusRule).
 */
export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { deployment, namespace } = props.id;
    const labels = componentLabels('monitoring');
    const members = `${deployment}-members`;
    const portals = `${deployment}-portals`;
    new ApiObject(this, 'Members', {
      apiVersion: MONITORING,
      kind: 'PodMonitor',
      metadata: { name: members, labels },
      spec: {
        selector: { matchLabels: selectorLabels(props.id, 'member') },
        podMetricsEndpoints: props.memberMetricPorts.map((port) => ({ port, interval: '15s' })),
      },
    });
    new ApiObject(this, 'Portals', {
      apiVersion: MONITORING,
      kind: 'PodMonitor',
      metadata: { name: portals, labels },
      spec: {
        selector: { matchLabels: selectorLabels(props.id, 'portal') },
        podMetricsEndpoints: [
          {
            port: props.portalStatsPort,
            path: '/metrics',
            scheme: 'https',
            interval: '15s',
            tlsConfig: { ca: { configMap: props.caConfigMap }, serverName: props.portalServerName },
          },
        ],
      },
    });
    new ApiObject(this, 'Alerts', {
      apiVersion: MONITORING,
      kind: 'PrometheusRule',
      metadata: { name: `${deployment}-alerts`, labels },
      spec: {
        groups: renderAlertRules({
          deployment,
          namespace,
          // A PodMonitor's targets get job="<namespace>/<name>".
          membersJob: `${namespace}/${members}`,
          portalsJob: `${namespace}/${portals}`,
          sentinels: props.sentinels,
          ...(props.backup ? { backup: props.backup } : {}),
        }),
      },
    });
  }
}
