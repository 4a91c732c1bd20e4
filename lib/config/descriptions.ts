// Hover docs of fleet.yaml and services/*.yaml: the `description` of every key of the generated JSON
// Schemas (json-schema.ts), which editors show through yaml-language-server. Kept here, next to the
// schema rather than in it, so a new key without a description fails test/config/json-schema.test.ts
// (every property has one, every entry here is used) instead of going out undocumented.
//
// Keys are schema paths: `.` between keys, `*` for any map key (an environment, a group), `[]` for
// a list item. A property takes the entry of its full path, else of the longest trailing part of
// it (`overrides.*.storage` serves services[] and groups.*), so shapes used in several places are
// described once. The README's "Config reference" holds the longer story; keep the two in step.
export const KEY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  // Top level
  name: "The fleet's name (DNS label): app.kubernetes.io/part-of, the shared cluster's name under topology: shared, object name prefixes.",
  postgres:
    'PostgreSQL of every cluster: version, image, parameters. Each environment may override it (environments.<env>.postgres, same keys).',
  'postgres.version':
    'PostgreSQL major version (13–18). Required here or in every environment; an upgrade goes to one environment at a time.',
  'postgres.imageName':
    'Operand image, pinned: a <major>.<minor>… tag or an @sha256: digest (a floating tag is an error); its major must equal version. Default: a pinned official image for 15–18.',
  'postgres.parameters':
    'postgresql.conf parameters (booleans are written on/off), merged key by key with the environment, group and service values. Parameters the operator fixes (port, ssl, shared_preload_libraries, …) are errors.',
  'postgres.imageCatalog':
    'Render an ImageCatalog <fleet>-postgresql per environment and point the clusters at it by major (imageCatalogRef) instead of imageName. Default: false.',
  groups:
    'Every group a service names, declared here ({} or { overrides: { <env>: … } }): a typo in a service is an error, not a new cluster.',
  'groups.*.overrides':
    "Per environment: settings of the clusters that hold only this group's services (same keys as a service's overrides).",
  secretStore: 'The External Secrets store that holds every password.',
  'secretStore.kind': 'SecretStore or ClusterSecretStore.',
  'secretStore.name': 'Name of the SecretStore or ClusterSecretStore.',
  'secretStore.keyPrefix':
    'Remote keys are <keyPrefix>/<environment>/services/<service> and <keyPrefix>/<environment>/platform/…: services and platform values in separate trees.',
  'secretStore.refreshInterval': 'How often External Secrets re-reads the store (a duration). Default: 1h.',
  'secretStore.passwords':
    'generate: dbfleet creates each password once, in the cluster, and pushes it to the store (never overwriting); existing: every password must already be in the store. Default: generate.',
  'secretStore.operatorNamespace':
    "Namespace the External Secrets operator runs in; no service may use it as its namespace. Default: external-secrets (the operator's documented install).",
  developers: 'Developers (DNS labels) who get database access per environments.<env>.developerAccess.',
  operator: 'Where the CloudNativePG operator runs.',
  'operator.namespace': 'Namespace of the CloudNativePG operator (NetworkPolicies let it reach the clusters). Default: cnpg-system.',
  monitoring: 'Where Prometheus runs and which labels its selectors match.',
  'monitoring.namespace': 'Namespace of Prometheus: it may scrape the metrics ports; PrometheusRules go there. Default: monitoring.',
  'monitoring.ruleLabels': "Labels your Prometheus' ruleSelector matches, put on every PrometheusRule.",
  'monitoring.podMonitorLabels': "Labels your Prometheus' podMonitorSelector matches, put on every PodMonitor.",
  'monitoring.runbookBaseURL': 'Alerts link to <base>/<Alert>.md. Default: derived from gitops.repoURL.',
  gitops: 'Argo CD: without it no Application or AppProject is rendered.',
  'gitops.repoURL': 'This repository, as Argo CD reads it.',
  'gitops.targetRevision': 'Branch or tag Argo CD follows. Default: HEAD.',
  'gitops.project': 'Name of the AppProject (DNS label).',
  'gitops.argocdNamespace': 'Namespace Argo CD runs in. Default: argocd.',
  'gitops.path': 'Folder of the rendered manifests in the repository. Default: dist.',
  environments:
    'The environments (test, production, a DR site…), by name: each one renders its own clusters, namespaces and Argo CD Application.',
  services: 'The services, each with its own database and owning role. Services may also live one per file in services/*.yaml.',
  mongoSnapshots: 'MongoDB replica sets to snapshot consistently (fsync lock + VM snapshot) on a schedule, one CronJob each.',
  opsImage:
    "dbfleet's ops image (the prune-backups and restore-drill commands), built from this repository. Required with backups.postgres.retention or backups.restoreDrill.",

  // What an environment and an override size (environments.<env>, overrides.<env>)
  instances: 'Postgres instances per cluster (1 primary + replicas), 1–9.',
  storage: 'Data volume size of each instance, a Kubernetes quantity (e.g. 50Gi). Storage can grow, not shrink.',
  walStorage: 'A separate WAL volume of this size (a quantity). Default: the WAL is on the data volume.',
  storageClass: 'StorageClass of the volumes. Default: the cluster default.',
  resources: 'Requests of each Postgres instance ({ cpu, memory }); limits follow the environment qos. Default: none (BestEffort).',
  'resources.cpu': 'CPU request: cores (2, 1.5) or millicores (500m).',
  'resources.memory': 'Memory request, a quantity (e.g. 4Gi).',
  'overrides.*.postgres': "This cluster's extra postgresql.conf parameters.",
  'overrides.*.postgres.parameters': 'postgresql.conf parameters of this cluster, merged key by key over the environment and fleet values.',
  'overrides.*.pooler':
    'Turns a PgBouncer pooler on for this cluster or changes it ({ rw, ro }, partial entries). On a shared cluster all its services must agree on mode and parameters.',
  pooler: 'PgBouncer poolers in front of every cluster (opt-in): rw for the primary, ro for the replicas.',
  'pooler.rw': 'The read-write pooler (to the primary).',
  'pooler.ro': 'The read-only pooler (to the replicas).',
  'pooler.rw.instances': 'PgBouncer pods of the pooler, 1–20. Default: 2.',
  'pooler.ro.instances': 'PgBouncer pods of the pooler, 1–20. Default: 2.',
  'pooler.rw.poolMode':
    'session or transaction (transaction mode breaks session state: SET, advisory locks, LISTEN, prepared statements). Default: session.',
  'pooler.ro.poolMode':
    'session or transaction (transaction mode breaks session state: SET, advisory locks, LISTEN, prepared statements). Default: session.',
  'pooler.rw.parameters': 'PgBouncer parameters (only those CloudNativePG allows). Default: none.',
  'pooler.ro.parameters': 'PgBouncer parameters (only those CloudNativePG allows). Default: none.',

  // environments.<env>
  'environments.*.namespace': "Namespace of this environment's clusters.",
  'environments.*.topology':
    'How services map onto clusters: shared (one cluster for all), per-service (one each), grouped (one per group).',
  'environments.*.qos':
    'guaranteed: limits = requests (needs cpu and memory); burstable: requests, a memory limit, no CPU limit. Default: guaranteed.',
  'environments.*.postgres': "This environment's PostgreSQL: each key overrides the fleet's postgres (parameters merge key by key).",
  'environments.*.postgres.version': 'PostgreSQL major version of this environment (13–18). Default: the fleet postgres.version.',
  'environments.*.postgres.imageName': "Pinned operand image of this environment; its major must equal version. Default: the fleet's.",
  'environments.*.postgres.parameters': "postgresql.conf parameters, merged key by key over the fleet's.",
  'environments.*.postgres.imageCatalog': 'Use an ImageCatalog in this environment. Default: the fleet setting.',
  'environments.*.developerAccess': 'What developers may do here: read-write, read-only or none.',
  'environments.*.operator':
    "The Postgres operator of this environment's clusters: cloudnative-pg, zalando or aws-aurora. Default: cloudnative-pg.",
  'environments.*.zalando': "Settings only Zalando's postgres-operator has (operator: zalando only).",
  'environments.*.zalando.teamId': 'spec.teamId of every postgresql object (DNS label). Default: the fleet name.',
  'environments.*.zalando.teamIdPrefix':
    "Name clusters <teamId>-<name>, for the operator's enable_team_id_clustername_prefix. Default: false.",
  'environments.*.zalando.operatorNamespace':
    "Namespace of Zalando's operator (it reaches Patroni on 8008, Postgres on 5432). Default: postgres-operator.",
  'environments.*.zalando.dockerImage': "Spilo image (spec.dockerImage). Default: the operator's docker_image.",
  'environments.*.zalando.exporterImage':
    'postgres_exporter sidecar image. Default: a pinned quay.io/prometheuscommunity/postgres-exporter.',
  'environments.*.aws': 'Aurora PostgreSQL through ACK rds-controller (operator: aws-aurora only).',
  'environments.*.aws.region': 'AWS region, e.g. eu-central-1.',
  'environments.*.aws.subnetIDs': 'Private subnets (subnet-…) in at least two availability zones: the DB subnet group.',
  'environments.*.aws.securityGroupIDs': "The clusters' VPC security groups (sg-…): they, not NetworkPolicies, decide who reaches Aurora.",
  'environments.*.aws.serverless': 'Aurora Serverless v2 capacity in ACUs ({ minCapacity, maxCapacity }); or instanceClass.',
  'environments.*.aws.serverless.minCapacity': 'Lowest capacity in ACUs (0–256).',
  'environments.*.aws.serverless.maxCapacity': 'Highest capacity in ACUs (1–256).',
  'environments.*.aws.instanceClass': 'Provisioned instances of this class (e.g. db.r7g.large); or serverless.',
  'environments.*.aws.endpointId':
    "The account's and region's identifier in every RDS endpoint (<cluster>.cluster-<endpointId>.<region>.rds.amazonaws.com).",
  'environments.*.aws.accountID':
    "The clusters' 12-digit AWS account ID. Required on an environment with an Aurora standby region (standbyOf): the GlobalCluster names its primary DBCluster by ARN.",
  'environments.*.aws.globalClusterFrom':
    'An Aurora DR pair only: the environment whose clusters the GlobalClusters were made from; they keep its name (<fleet>-<env>-<cluster>-global) and stay in its output. Default: the source. After a promotion swaps the roles, set it to the former source (docs/runbooks/AuroraGlobalClusterPromotion.md).',
  'environments.*.aws.iamAuthentication': 'IAM database authentication: developers log in with IAM tokens. Default: true.',
  'environments.*.aws.backupRetentionDays': 'Point-in-time recovery window in days, 1–35. Default: 7.',
  'environments.*.aws.deletionProtection': 'Refuse deletion of the clusters in AWS. Default: true.',
  'environments.*.aws.kmsKeyID': "KMS key for storage encryption. Default: the account's aws/rds key.",
  'environments.*.sharedClusterName': 'Cluster name under topology: shared (DNS label). Default: the fleet name.',
  'environments.*.cluster': 'The Argo CD destination cluster ({ server } or { name }). Default: the cluster Argo CD runs in.',
  'environments.*.cluster.server': 'API server URL of the destination cluster.',
  'environments.*.cluster.name': 'Name of the destination cluster as registered in Argo CD.',
  'environments.*.backups': 'Backups of this environment: velero, postgres (scheduled backups), objectStore (WAL archive), restoreDrill.',
  'environments.*.backups.velero': 'A Velero Schedule of the database namespace (and optionally the services’ namespaces).',
  'environments.*.backups.velero.schedule': 'When Velero backs up: a 5-field cron (e.g. "0 3 * * *").',
  'environments.*.backups.velero.namespace': 'Namespace Velero runs in. Default: velero.',
  'environments.*.backups.velero.ttl': 'How long Velero keeps each backup (a duration). Default: 168h.',
  'environments.*.backups.velero.storageLocation': 'Velero BackupStorageLocation. Default: default.',
  'environments.*.backups.velero.snapshotVolumes': 'Take volume snapshots. Default: true.',
  'environments.*.backups.velero.includeServiceNamespaces': "Also back up the services' namespaces. Default: false.",
  'environments.*.backups.postgres': 'Scheduled backups of every cluster (ScheduledBackup).',
  'environments.*.backups.postgres.schedule': 'When: a 6-field cron, seconds first (e.g. "0 0 2 * * *").',
  'environments.*.backups.postgres.method':
    'volumeSnapshot, plugin (Barman Cloud; needs backups.objectStore) or logical (Zalando only). Default: volumeSnapshot.',
  'environments.*.backups.postgres.volumeSnapshotClass': 'VolumeSnapshotClass of volumeSnapshot backups. Default: the cluster default.',
  'environments.*.backups.postgres.pluginName':
    'The CNPG-I plugin of method: plugin; only the Barman Cloud plugin is configured by dbfleet.',
  'environments.*.backups.postgres.retention':
    'Volume-snapshot backups kept per cluster, enforced by the prune-backups CronJob (needs opsImage). Default: kept forever.',
  'environments.*.backups.postgres.retention.keep': 'Completed backups kept per cluster, newest first (≥ 1).',
  'environments.*.backups.postgres.retention.maxAge':
    'Completed backups older than this are deleted (a duration); the newest is never deleted.',
  'environments.*.backups.postgres.retention.schedule': 'When the pruning CronJob runs: a 5-field cron. Default: "41 * * * *".',
  'environments.*.backups.objectStore':
    'WAL archive and base backups in an S3-compatible object store for point-in-time recovery: the Barman Cloud plugin on CloudNativePG, WAL-G in Spilo on Zalando (s3:// only there).',
  'environments.*.backups.objectStore.destinationPath': 'Object store URL: s3://bucket/path, gs://bucket/path or https://….',
  'environments.*.backups.objectStore.endpointURL': 'Endpoint of an S3-compatible store other than AWS (e.g. MinIO).',
  'environments.*.backups.objectStore.credentials': 'Where the access key pair is in the secret store.',
  'environments.*.backups.objectStore.credentials.remoteKey': 'Key in the secret store holding the access key pair.',
  'environments.*.backups.objectStore.credentials.accessKeyIdProperty': 'Property of the access key ID. Default: accessKeyId.',
  'environments.*.backups.objectStore.credentials.secretAccessKeyProperty': 'Property of the secret access key. Default: secretAccessKey.',
  'environments.*.backups.objectStore.retention': 'Recovery window: <n>d, <n>w or <n>m. Default: 30d.',
  'environments.*.backups.objectStore.schedule':
    'When base backups are taken: a 6-field cron, seconds first (0 on Zalando, whose Spilo crontab runs on whole minutes).',
  'environments.*.backups.restoreDrill':
    "Restores each cluster's latest backup into a scratch cluster on a schedule and checks it (needs opsImage). On operator aws-aurora: a copy-on-write clone of each cluster (docs/aurora.md).",
  'environments.*.backups.restoreDrill.schedule': 'When the drill runs: a 5-field cron.',
  'environments.*.backups.restoreDrill.source':
    'What to restore from: objectStore or volumeSnapshot. Default: objectStore when the environment has one, else volumeSnapshot. Not set on operator aws-aurora (the drill clones).',
  'environments.*.backups.restoreDrill.timeout': 'How long one cluster may take to restore and become ready (a duration). Default: 1h.',
  'environments.*.backups.restoreDrill.clustersPerRun':
    'Restore only this many clusters per run, rotating through all. Default: every cluster.',
  'environments.*.backups.restoreDrill.pushgateway':
    "Push the drill's metrics (result, duration, recovered point in time) to this Pushgateway URL.",
  'environments.*.alerts': 'Thresholds of this environment\'s alerts (README "Monitoring" has the defaults).',
  'environments.*.alerts.severity': 'Severity label of the alerts: critical or warning.',
  'environments.*.alerts.replicationLagSeconds': 'Alert when a replica lags more than this many seconds.',
  'environments.*.alerts.connectionsWarningPercent': 'Warn when connections exceed this share of max_connections (1–100).',
  'environments.*.alerts.connectionsCriticalPercent': 'Critical when connections exceed this share of max_connections (1–100).',
  'environments.*.alerts.diskWarningPercent': 'Warn when a volume is fuller than this (1–100).',
  'environments.*.alerts.diskCriticalPercent': 'Critical when a volume is fuller than this (1–100).',
  'environments.*.alerts.longTransactionSeconds': 'Alert on a transaction open longer than this many seconds.',
  'environments.*.accessSchedule': 'When the developer-access CronJob re-applies privileges: a 5-field cron. Default: "17 * * * *".',
  'environments.*.standbyOf':
    'Disaster recovery: this environment is the standby site of the named one; its clusters replicate the source’s WAL archive (CloudNativePG replica clusters; Zalando: a `standby` section with s3_wal_path), and every key it does not set is the source’s. On Zalando, removing it promotes the standby (plan DANGER, no way back).',
  'environments.*.primarySite':
    'On a standby: the environment whose clusters are primary. Default: the source. Changing it without promotionTokens is a failover. CloudNativePG only (Zalando promotes by removing standbyOf).',
  'environments.*.switchoverTo':
    'On a standby: switchover step 1, the primary site demotes itself (written by dbfleet switchover). CloudNativePG only.',
  'environments.*.promotionTokens':
    "On a standby: switchover step 2, per cluster, the former primary's status.demotionToken (written by dbfleet switchover, with primarySite). CloudNativePG only.",
  'environments.*.readEndpoint':
    'On a standby: also render <service>-db-readonly Secrets (ro-uri, ro-host, ro-jdbc-uri, direct-ro-*) in every service namespace at this site, for read traffic served from the DR site, and a read-only pooler where pooling is on. Needs instances >= 2. Not inherited. Default: false.',

  'environments.*.egress':
    'Default-deny egress in the database namespace and the backups namespaces: each pod may connect only to cluster DNS and what it needs (docs/security.md "Network"). Off when absent.',
  'environments.*.egress.apiServer':
    "The Kubernetes API server as the pods reach it: its endpoints' CIDRs and ports after kube-proxy (e.g. 6443 on kubeadm, 443 on EKS). Needed by instances, poolers, the drill and prune-backups.",
  'environments.*.egress.objectStore':
    "The object store's CIDRs (e.g. S3's ranges for the region): WAL archive and base backups, a standby's source bucket, logical backups. Required with backups.objectStore or logical backups.",
  'environments.*.egress.database':
    "aws-aurora: the Aurora endpoints' CIDRs (the VPC subnets) and ports, for dbfleet's Jobs and the exporter. Required there.",
  'environments.*.egress.mongo': 'The MongoDB members mongo-snapshot connects to. Required when a mongo snapshot runs in this environment.',
  'environments.*.egress.snapshotAPI':
    'The cloud API the snapshot command calls to take VM snapshots. Required when a mongo snapshot runs in this environment.',
  'egress.apiServer.cidrs': 'CIDRs (NetworkPolicy ipBlock), e.g. 10.0.0.0/16; at least one.',
  'egress.apiServer.ports': 'TCP ports. Default: [443].',
  'egress.objectStore.cidrs': 'CIDRs (NetworkPolicy ipBlock), e.g. 10.0.0.0/16; at least one.',
  'egress.objectStore.ports': 'TCP ports. Default: [443].',
  'egress.database.cidrs': 'CIDRs (NetworkPolicy ipBlock), e.g. 10.0.0.0/16; at least one.',
  'egress.database.ports': 'TCP ports. Default: [5432].',
  'egress.mongo.cidrs': 'CIDRs (NetworkPolicy ipBlock), e.g. 10.0.0.0/16; at least one.',
  'egress.mongo.ports': 'TCP ports. Default: [27017].',
  'egress.snapshotAPI.cidrs': 'CIDRs (NetworkPolicy ipBlock), e.g. 10.0.0.0/16; at least one.',
  'egress.snapshotAPI.ports': 'TCP ports. Default: [443].',
  'environments.*.egress.dns': 'Where cluster DNS runs; every pod may reach it on UDP/TCP 53.',
  'environments.*.egress.dns.namespace': 'Namespace of cluster DNS. Default: kube-system.',
  'environments.*.egress.dns.podLabels': 'Labels of the DNS pods. Default: { k8s-app: kube-dns }.',

  // services[] (and services/*.yaml)
  'services[].name': 'The service (DNS label, unique): names its Database, Secrets and, under per-service, its cluster.',
  'services[].namespace': 'Where the app runs: its connection Secret is put there. Default: the service name.',
  'services[].group': 'The cluster under topology: grouped (required there); must be declared in groups.',
  'services[].database': 'Database name in Postgres. Default: the name with "-" as "_".',
  'services[].role': 'Owning LOGIN role. Default: the name with "-" as "_".',
  'services[].extensions': 'Extensions the Database creates (pgcrypto, uuid-ossp, …).',
  'services[].overrides': "Per environment: this service's cluster sized up or down (instances, storage, resources, parameters, pooler).",
  'services[].rotation': "Where the owner credential's rotation stands, per environment; written by dbfleet rotate. Absent: never rotated.",
  'services[].rotation.*.generation': 'Rotation generation (≥ 1; 0 is the credential before any rotation).',
  'services[].rotation.*.step': 'Rotation step: add, switch or done.',

  // mongoSnapshots[]
  'mongoSnapshots[].name': 'Name of the snapshot job: the CronJob is mongo-snapshot-<name>.',
  'mongoSnapshots[].namespace': 'Namespace of the CronJob (a restricted Namespace is rendered).',
  'mongoSnapshots[].environments': 'Environments that run it.',
  'mongoSnapshots[].schedule': 'When: a 5-field cron; runs never overlap.',
  'mongoSnapshots[].connectionSecret': "Where the replica set's connection string is in the secret store.",
  'mongoSnapshots[].connectionSecret.remoteKey': 'Key in the secret store.',
  'mongoSnapshots[].connectionSecret.property': 'Property of the connection string. Default: uri.',
  'mongoSnapshots[].image': 'The ops image, built from Dockerfile.ops.',
  'mongoSnapshots[].maxLagSeconds': 'Largest replication lag accepted before snapshotting (--max-lag-seconds). Default: 60.',
  'mongoSnapshots[].snapshotTimeout': 'How long the snapshot may take (--snapshot-timeout, a duration). Default: 30m.',
  'mongoSnapshots[].lockTimeout':
    'How long taking the fsync lock (its flush) may take before the next candidate node is tried (--lock-timeout, a duration). Default: 60s.',
  'mongoSnapshots[].unlockDeadline': 'How long the node may stay locked (--unlock-deadline, a duration). Default: 120s.',
  'mongoSnapshots[].pushgateway': 'Push run metrics to this Pushgateway URL, for alerting.',
  'mongoSnapshots[].snapshotCommand': 'Command that takes the VM snapshot (SNAPSHOT_COMMAND). Default: the image default.',
  'mongoSnapshots[].snapshotTools': 'An image holding make-vm-snapshot, copied into /opt/snapshot/bin by an initContainer.',
  'mongoSnapshots[].snapshotTools.image': 'The image holding the snapshot tools.',
  'mongoSnapshots[].snapshotTools.path': 'Absolute folder of the tools in that image. Default: /opt/snapshot/bin.',
};

/** The description of the property at `path` (segments as in KEY_DESCRIPTIONS), or undefined. */
export function keyDescription(path: readonly string[], used?: Set<string>): string | undefined {
  for (let from = 0; from < path.length; from++) {
    const key = path.slice(from).join('.');
    const description = KEY_DESCRIPTIONS[key];
    if (description !== undefined) {
      used?.add(key);
      return description;
    }
  }
  return undefined;
}
