// A CloudNativePG `Pooler` (postgresql.cnpg.io/v1): a Deployment of PgBouncer pods in front of one
// cluster's `-rw` or `-ro` Service, and a PodDisruptionBudget for it. A pooler belongs to exactly
// one cluster and cannot span clusters (cloudnative-pg@v1.30.0:docs/src/connection_pooling.md,
// "Limitations").
//
// What the operator does itself, so dbfleet leaves it alone:
// - authentication: it creates the `cnpg_pooler_pgbouncer` role, the `public.user_search()`
//   SECURITY DEFINER function in the `postgres` database and a TLS client certificate for it, and
//   configures PgBouncer with `auth_user = cnpg_pooler_pgbouncer`, `auth_dbname = postgres` and
//   `auth_query` through that function (only with no `authQuerySecret`/`serverTLSSecret` set: any
//   of those turns the integration off, which dbfleet never does);
// - the pod and container security context: non-root (UID 998), no privilege escalation, all
//   capabilities dropped, read-only root filesystem, the cluster's seccomp profile, forced over
//   the template (pkg/specs/pgbouncer/deployments.go, WithContainerSecurityContext(..., true));
// - the pod labels `cnpg.io/poolerName`, `cnpg.io/cluster` and `cnpg.io/podRole: pooler`, the
//   Service named after the pooler (port 5432) and the metrics port 9127 (`metrics`).
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  Pooler,
  PoolerSpecPgbouncerPoolMode,
  PoolerSpecTemplateSpecContainersResourcesLimits as Limit,
  PoolerSpecTemplateSpecContainersResourcesRequests as Request,
  PoolerSpecType,
} from '../../../imports/postgresql.cnpg.io';
import type { PoolMode, PoolerType } from '../../config/model';

/** PgBouncer's listen port and the pooler Service's port (pkg/management/pgbouncer/config/config.go). */
export const POOLER_PORT = 5432;
/** The PgBouncer exporter's port, container port name `metrics` (pkg/management/url/url.go). */
export const POOLER_METRICS_PORT = 9127;
/** The pod label carrying the pooler's name (pkg/utils/labels_annotations.go, PgbouncerNameLabel). */
export const POOLER_NAME_LABEL = 'cnpg.io/poolerName';

export interface CnpgPoolerProps {
  /** The Pooler's name (also its Deployment, Service, PodDisruptionBudget). */
  readonly name: string;
  /** The cluster's namespace: a Pooler must live next to its cluster. */
  readonly namespace: string;
  /** The CloudNativePG Cluster it serves (immutable once created). */
  readonly cluster: string;
  /** `rw` forwards to `<cluster>-rw` (the primary), `ro` to `<cluster>-ro` (the replicas). */
  readonly type: PoolerType;
  /** PgBouncer pods. */
  readonly instances: number;
  readonly poolMode: PoolMode;
  /**
   * PgBouncer parameters (the config layer has checked them against the operator's allowed list).
   * @default none: PgBouncer's and the operator's defaults
   */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly labels: Record<string, string>;
}

export class CnpgPooler extends Construct {
  readonly poolerName: string;
  readonly namespace: string;
  readonly cluster: string;
  readonly type: PoolerType;
  /** DNS name of the pooler's Service. */
  readonly host: string;
  readonly port = POOLER_PORT;
  readonly metricsPort = POOLER_METRICS_PORT;
  /** Labels selecting the pooler's pods. */
  readonly podSelector: Readonly<Record<string, string>>;
  /** The label that tells this pooler's pods apart. */
  readonly nameSelector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: CnpgPoolerProps) {
    super(scope, id);
    this.poolerName = props.name;
    this.namespace = props.namespace;
    this.cluster = props.cluster;
    this.type = props.type;
    this.host = `${props.name}.${props.namespace}.svc`;
    // cnpg.io/cluster too: pooler pods carry it, and `npm run plan` reads it off a policy's selector.
    this.podSelector = { 'cnpg.io/cluster': props.cluster, [POOLER_NAME_LABEL]: props.name };
    this.nameSelector = { [POOLER_NAME_LABEL]: props.name };
    const byPooler = { matchLabels: { [POOLER_NAME_LABEL]: props.name } };
    const highAvailability = props.instances > 1;

    new Pooler(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        cluster: { name: props.cluster },
        type: props.type === 'rw' ? PoolerSpecType.RW : PoolerSpecType.RO,
        instances: props.instances,
        pgbouncer: {
          poolMode: props.poolMode === 'transaction' ? PoolerSpecPgbouncerPoolMode.TRANSACTION : PoolerSpecPgbouncerPoolMode.SESSION,
          parameters: props.parameters && Object.keys(props.parameters).length > 0 ? { ...props.parameters } : undefined,
        },
        template: {
          spec: {
            // The operator finds its container by this name; `containers` is required by the schema.
            containers: [
              {
                name: 'pgbouncer',
                // PgBouncer is single-threaded and small; a CPU limit would only add latency.
                resources: {
                  requests: { cpu: Request.fromString('50m'), memory: Request.fromString('64Mi') },
                  limits: { memory: Limit.fromString('256Mi') },
                },
              },
            ],
            // Preferred, not required: a Deployment's rolling update surges one extra pod, which a
            // required anti-affinity could not place on a cluster with as many nodes as pods.
            affinity: highAvailability
              ? {
                  podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      {
                        weight: 100,
                        podAffinityTerm: { labelSelector: byPooler, topologyKey: 'kubernetes.io/hostname' },
                      },
                    ],
                  },
                }
              : undefined,
            topologySpreadConstraints: highAvailability
              ? [
                  {
                    maxSkew: 1,
                    topologyKey: 'topology.kubernetes.io/zone',
                    whenUnsatisfiable: 'ScheduleAnyway',
                    labelSelector: byPooler,
                  },
                ]
              : undefined,
          },
        },
      },
    });

    // With one pod a budget would only block node drains; with more, drains go one pod at a time.
    if (highAvailability) {
      new k8s.KubePodDisruptionBudget(this, 'Budget', {
        metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: byPooler },
      });
    }
  }
}
