// Fleet-level admission errors: the CloudNativePG Cluster webhook's checks
// (lib/validate/admission/cnpg-cluster.ts) run on each cluster the fleet would render, and each
// refusal reported where the user wrote the value that causes it (fleet → environment → group →
// service override), as file:line like every config error. The rendered objects are checked
// again by the validator; this pass is what turns e.g. a fleet-wide `shared_buffers: 4GB` with a
// `memory: 1Gi` test environment into an error on the line that says 4GB, naming the environment.
import { backendTraits } from '../backends/traits';
import { clusterViolations } from '../validate/admission/cnpg-cluster';
import type { ConfigProblem } from './load';
import type { PostgresCluster } from './model';
import { imageProblem } from './postgres-image';
import { parameterProblem } from './postgres-parameters';
import type { FleetInput, OverrideInput } from './schema';

const CNPG_CLUSTER_KIND = 'postgresql.cnpg.io/Cluster';

type Path = ConfigProblem['path'];
type Report = (path: Path, message: string, atKey?: boolean) => void;

/** Where a cluster's setting comes from: the most specific place that gives it its value. */
class Provenance {
  private readonly overrides: Array<{ path: Path; o: OverrideInput }>;

  constructor(
    private readonly input: FleetInput,
    private readonly envName: string,
    cluster: PostgresCluster,
  ) {
    const indexes = cluster.services.map((s) => input.services.findIndex((x) => x.name === s.name)).filter((i) => i >= 0);
    const env = input.environments[envName];
    // As in build-model.ts sizeCluster: group settings apply to a cluster holding only that group.
    const groups = new Set(indexes.map((i) => input.services[i].group));
    const group = env.topology !== 'shared' && groups.size === 1 ? [...groups][0] : undefined;
    const groupOverride = group !== undefined ? (input.groups[group]?.overrides as Record<string, OverrideInput>)?.[envName] : undefined;
    this.overrides = [
      ...indexes
        .filter((i) => input.services[i].overrides[envName])
        .map((i) => ({ path: ['services', i, 'overrides', envName] as Path, o: input.services[i].overrides[envName] })),
      ...(groupOverride ? [{ path: ['groups', group!, 'overrides', envName] as Path, o: groupOverride }] : []),
    ];
  }

  parameter(key: string, value: string): Path {
    for (const { path, o } of this.overrides) if (o.postgres?.parameters?.[key] === value) return [...path, 'postgres', 'parameters', key];
    const env = this.input.environments[this.envName];
    if (env.postgres?.parameters?.[key] !== undefined) return ['environments', this.envName, 'postgres', 'parameters', key];
    if (this.input.postgres.parameters?.[key] !== undefined) return ['postgres', 'parameters', key];
    return ['environments', this.envName];
  }

  memory(value: string | undefined): Path {
    for (const { path, o } of this.overrides) if (o.resources?.memory === value) return [...path, 'resources', 'memory'];
    return ['environments', this.envName, 'resources', 'memory'];
  }

  size(key: 'storage' | 'walStorage', value: string | undefined): Path {
    for (const { path, o } of this.overrides) if (o[key] === value) return [...path, key];
    return ['environments', this.envName, key];
  }

  image(): Path {
    return this.input.environments[this.envName].postgres?.imageName !== undefined
      ? ['environments', this.envName, 'postgres', 'imageName']
      : ['postgres', 'imageName'];
  }
}

/** The Cluster as lib/postgres/cnpg-cluster.ts renders it, as far as the webhook's checks read it. */
function clusterObject(c: PostgresCluster): Record<string, unknown> {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: c.name, namespace: c.namespace },
    spec: {
      instances: c.instances,
      ...(c.imageCatalog ? { imageCatalogRef: { major: c.postgresVersion } } : { imageName: c.imageName }),
      ...(c.resources ? { resources: c.resources } : {}),
      ...(c.parameters && Object.keys(c.parameters).length > 0 ? { postgresql: { parameters: c.parameters } } : {}),
      primaryUpdateStrategy: 'unsupervised',
      storage: { size: c.storage },
      ...(c.walStorage ? { walStorage: { size: c.walStorage } } : {}),
    },
  };
}

/**
 * Reports each CloudNativePG webhook refusal of the environment's clusters at the fleet setting
 * that causes it; one problem per setting and refusal, naming every cluster it affects.
 * Parameters and images that parameterProblem / imageProblem already report are left to them.
 */
export function checkClusterAdmission(input: FleetInput, envName: string, clusters: readonly PostgresCluster[], report: Report): void {
  // Only for backends that render CloudNativePG Clusters (the webhook these rules come from).
  if (!backendTraits(input.environments[envName].operator).clusterKinds.includes(CNPG_CLUSTER_KIND)) return;
  const found = new Map<string, { path: Path; message: string; clusters: string[] }>();
  for (const cluster of clusters) {
    const from = new Provenance(input, envName, cluster);
    const add = (path: Path, message: string) => {
      const key = `${JSON.stringify(path)}\u0000${message}`;
      const entry = found.get(key) ?? { path, message, clusters: [] };
      entry.clusters.push(cluster.name);
      found.set(key, entry);
    };
    for (const v of clusterViolations(clusterObject(cluster))) {
      const parameter = /^spec\.postgresql\.parameters(?:\.([A-Za-z0-9_$.]+)|\["(.+)"\])$/.exec(v.path);
      if (parameter) {
        const key = parameter[1] ?? parameter[2];
        if (parameterProblem(key)) continue;
        add(from.parameter(key, cluster.parameters?.[key] ?? ''), v.message);
      } else if (v.path === 'spec.resources.requests' && v.rule === 'cnpg.cluster.validateResources') {
        // shared_buffers above the memory request: reported where shared_buffers is set, naming
        // where the memory comes from (both are the user's to change).
        const memory = cluster.resources?.requests.memory;
        const memoryPath = from.memory(memory);
        add(
          from.parameter('shared_buffers', cluster.parameters?.shared_buffers ?? ''),
          `shared_buffers ${cluster.parameters?.shared_buffers} is more than the ${memory} memory request (${memoryPath.join('.')}): ${v.message}`,
        );
      } else if (v.path === 'spec.imageName') {
        if (imageProblem(cluster.imageName, cluster.postgresVersion)) continue;
        add(from.image(), v.message);
      } else if (v.path === 'spec.storage.size' || v.path === 'spec.walStorage.size') {
        const key = v.path === 'spec.storage.size' ? 'storage' : 'walStorage';
        add(from.size(key, key === 'storage' ? cluster.storage : cluster.walStorage), v.message);
      } else {
        add(['environments', envName], `${v.path}: ${v.message}`);
      }
    }
  }
  for (const { path, message, clusters: names } of found.values()) {
    const which = names.length === 1 ? `cluster "${names[0]}"` : `clusters ${names.map((n) => `"${n}"`).join(', ')}`;
    report(path, `${which} in environment ${envName}: ${message}`);
  }
}
