// The contract every database backend implements (CloudNativePG, Zalando's postgres-operator, …).
// The environment chart renders what every environment has (namespace, default-deny policy,
// generated passwords, app connection Secrets, Velero, MongoDB snapshots, alerts) and asks the
// backend for the rest: its clusters with their roles and databases, role credentials, developer
// access, monitoring, network policy, pooling, backups and drills. What a backend supports is
// plain data in its traits (traits.ts), which the config layer checks before anything renders.
import type { Construct } from 'constructs';
import type { Environment, Fleet, PostgresCluster, Service } from '../config/model';
import type { AlertRule, Context as AlertContext, RuleGroup } from '../monitoring/alert-rules';
import type { EgressPodGroup } from '../network/egress-policies';
import type { DangerRule } from '../plan/dangers';
import type { IPostgresCluster, PostgresClusterProps } from '../postgres/postgres-cluster';
import type { BackendTraits } from './traits';

/** Where a backend renders, and what it renders for. */
export interface EnvironmentScope {
  /**
   * The environment's chart: a backend adds its constructs here with ids derived from config
   * names, so object names never depend on order (and stay what they were before the contract).
   */
  readonly chart: Construct;
  readonly fleet: Fleet;
  readonly environment: Environment;
  /** The fleet's standard labels (labels.ts). */
  labelsFor(name: string, instance: string, component: string): Record<string, string>;
}

/** The hosts an app's connection Secret names (service-connection-secret.ts). */
export interface ConnectionEndpoints {
  /** Where the app writes: a pooler in front of the primary, or the primary itself. */
  readonly host: string;
  /** Where it reads: the replicas (or their pooler); the primary when there are none. */
  readonly readOnlyHost: string;
  /** The primary, bypassing any pooler. */
  readonly directHost: string;
  /** The replicas, bypassing any pooler; the primary when there are none. */
  readonly directReadOnlyHost: string;
}

/** A cluster as rendered by its backend. */
export interface RenderedCluster {
  /** The cluster's facts (hosts, selectors, ports). */
  readonly cluster: IPostgresCluster;
  /** Its apps' endpoints. */
  readonly endpoints: ConnectionEndpoints;
}

export interface Backend {
  readonly traits: BackendTraits;
  /** Environment-wide objects the clusters need first (an image catalog, an object store). */
  addEnvironmentObjects(scope: EnvironmentScope): void;
  /**
   * One cluster of the model with everything that goes with it: roles and databases, backups,
   * developer access, monitoring, network policy and pooling. `props` are the backend-neutral
   * cluster props the chart derives from the model (databases, owner and developer roles).
   */
  addCluster(scope: EnvironmentScope, cluster: PostgresCluster, props: PostgresClusterProps): RenderedCluster;
  /** A service's role credentials next to its cluster (the app's connection Secret is the chart's). */
  addServiceCredentials(scope: EnvironmentScope, service: Service, cluster: RenderedCluster): void;
  /** Environment-wide objects after the clusters (developer and access-role credentials, backup jobs). */
  addEnvironmentCredentials(scope: EnvironmentScope): void;
  /**
   * Backup objects of the database namespace that the operator creates without the fleet's labels,
   * as label → values, so the environment's Velero schedule selects them too. @default none
   */
  veleroAlsoMatching(environment: Environment): Record<string, readonly string[]> | undefined;
  /** The alert groups about the environment's clusters (none when it has no clusters). */
  clusterAlertGroups(ctx: AlertContext): RuleGroup[];
  /** The alerts about the backend's own backups, in the environment's `backups` group. */
  backupAlertRules(ctx: AlertContext): AlertRule[];
  /** The alerts about the environment's poolers (group `pgbouncer`). @default none */
  poolerAlertRules?(ctx: AlertContext): AlertRule[];
  /**
   * With `egress` on: every kind of pod the backend (or its operator) runs in the database
   * namespace and what each connects to; the chart renders them as `<name>-egress` policies
   * (lib/network/egress-policies.ts). Cluster DNS is every pod's already.
   */
  egressGroups(scope: EnvironmentScope): EgressPodGroup[];
  /** Plan rules only this backend needs (DANGER_RULES has the common ones). */
  readonly dangerRules: readonly DangerRule[];
}
