import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { PostgresCluster, RestoreDrill } from '../config/model';
import { ACCESS_CLIENT_LABEL } from '../network/cluster-ingress-policy';
import { RESTORE_DRILL_CLUSTER, RESTORE_DRILL_NAME } from './backup-names';
import { OpsCronJob } from './ops-cron-job';
import { RestoreDrillAdmissionPolicy } from './restore-drill-admission-policy';
import { ownerSecretNames, restoreDrillArgs } from './restore-drill-args';

/** CloudNativePG's instance status port, which the operator polls. */
const CNPG_STATUS_PORT = 8000;
const POSTGRES_PORT = 5432;

export interface RestoreDrillCronJobProps {
  readonly environment: string;
  /** The database namespace: the scratch cluster is restored here (see the class comment). */
  readonly namespace: string;
  readonly clusters: readonly PostgresCluster[];
  /**
   * Database → Secret of the login its access Job uses as the owner (the app slot's Secret, in
   * `namespace`): the drill checks each restored database with it, never as a superuser.
   */
  readonly ownerSecrets: Readonly<Record<string, string>>;
  readonly drill: RestoreDrill;
  /** The environment's ObjectStore, for drills from the object store. */
  readonly objectStoreName?: string;
  /** Namespace of the Postgres operator (it must reach the scratch instances). */
  readonly operatorNamespace: string;
  readonly image: string;
  readonly labels: Record<string, string>;
}

/**
 * The scheduled restore drill: the `restore-drill` ops command restores the latest backup of each
 * cluster, one after the other, into the scratch Cluster `restore-drill-scratch`, checks every
 * service database, reports, and deletes the scratch cluster again (also after a failure).
 *
 * The scratch cluster lives in the database namespace, not a namespace of its own: VolumeSnapshots
 * are namespaced and a PVC can only be provisioned from a snapshot in its own namespace (the
 * cross-namespace data source is an alpha Kubernetes feature), and CloudNativePG resolves
 * `barmanObjectName` in the Cluster's namespace. So one model serves both sources, and no
 * namespace has to be created at run time. The Role is as narrow as RBAC allows: Clusters can be
 * created (RBAC cannot restrict `create` by name; creating an existing name fails, so no cluster
 * can be replaced) but read only by name and deleted only if named `restore-drill-scratch`;
 * Backups listed; the owner Secrets of the restored databases read by name, the scratch cluster's
 * superuser Secret not at all (it has no superuser access): the restore is physical, so each
 * owner's role and password hash are in it and each database is checked as its owner (issue 24,
 * as the access Jobs do). Note what this means: the drill's token can restore, and therefore read,
 * the data of every backup here, and holds every owner's password.
 * What RBAC cannot say (what a created Cluster may contain) a ValidatingAdmissionPolicy says:
 * RestoreDrillAdmissionPolicy admits only the scratch Cluster the drill builds.
 */
export class RestoreDrillCronJob extends Construct {
  readonly cronJobName: string;

  constructor(scope: Construct, id: string, props: RestoreDrillCronJobProps) {
    super(scope, id);
    const d = props.drill;
    const clusterNames = props.clusters.map((c) => c.name);
    const databases = props.clusters.flatMap((c) => c.services.map((s) => s.database));
    const missing = databases.filter((db) => !props.ownerSecrets[db]);
    if (missing.length > 0)
      throw new Error(`environment ${props.environment}: the restore drill has no owner Secret for database(s) ${missing.join(', ')}`);
    const ownerSecrets = ownerSecretNames(Object.fromEntries(databases.map((db) => [db, props.ownerSecrets[db]])));
    const job = new OpsCronJob(this, 'Job', {
      name: RESTORE_DRILL_NAME,
      namespace: props.namespace,
      image: props.image,
      args: restoreDrillArgs({
        namespace: props.namespace,
        environment: props.environment,
        source: d.source,
        drill: d,
        owners: Object.fromEntries(databases.map((db) => [db, props.ownerSecrets[db]])),
        clusters: props.clusters.map((c) => ({ name: c.name, databases: c.services.map((s) => s.database) })),
        backendFlags: d.source === 'objectStore' && props.objectStoreName ? ['--object-store', props.objectStoreName] : [],
      }),
      schedule: d.schedule,
      activeDeadlineSeconds: d.activeDeadlineSeconds,
      // A failed drill is a finding, not a transient error: retrying only hides it and doubles the load.
      backoffLimit: 0,
      // Room to delete the scratch cluster after SIGTERM.
      terminationGracePeriodSeconds: 60,
      rules: [
        { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['create'] },
        {
          apiGroups: ['postgresql.cnpg.io'],
          resources: ['clusters'],
          verbs: ['get'],
          resourceNames: [...clusterNames, RESTORE_DRILL_CLUSTER].sort(),
        },
        { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['delete'], resourceNames: [RESTORE_DRILL_CLUSTER] },
        { apiGroups: ['postgresql.cnpg.io'], resources: ['backups'], verbs: ['list'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ownerSecrets },
      ],
      labels: props.labels,
      podLabels: { [ACCESS_CLIENT_LABEL]: RESTORE_DRILL_CLUSTER },
    });
    this.cronJobName = job.cronJobName;

    new RestoreDrillAdmissionPolicy(this, 'AdmissionPolicy', {
      namespace: props.namespace,
      serviceAccount: RESTORE_DRILL_NAME,
      scratchCluster: RESTORE_DRILL_CLUSTER,
      sourceClusters: clusterNames,
      images: props.clusters.filter((c) => !c.imageCatalog).map((c) => c.imageName),
      imageCatalogs: props.clusters.flatMap((c) => (c.imageCatalog ? [c.imageCatalog] : [])),
      objectStore: d.source === 'objectStore' ? props.objectStoreName : undefined,
      labels: props.labels,
    });

    // The namespace denies all ingress: the scratch instances need the operator, each other, and the drill.
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
    new k8s.KubeNetworkPolicy(this, 'Ingress', {
      metadata: { name: `${RESTORE_DRILL_NAME}-ingress`, namespace: props.namespace, labels: props.labels },
      spec: {
        podSelector: { matchLabels: { 'cnpg.io/cluster': RESTORE_DRILL_CLUSTER } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': RESTORE_DRILL_CLUSTER } } }],
            ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT),
          },
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.operatorNamespace } } }],
            ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT),
          },
          { from: [{ podSelector: { matchLabels: { [ACCESS_CLIENT_LABEL]: RESTORE_DRILL_CLUSTER } } }], ports: tcp(POSTGRES_PORT) },
        ],
      },
    });
  }
}
