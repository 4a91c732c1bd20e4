// CloudNativePG's Cluster transition rules: cloudnative-pg@v1.30.0
// internal/webhook/v1/cluster_webhook.go `validateClusterChanges`, run on an update from the
// object at the base revision to the object rendered now. The webhook compares with the live
// object (and, for the major version, with status.pgDataImageInfo); dbfleet compares with what
// it rendered before, which is what the live object holds once Argo CD has synced it.
// Each refusal carries the way forward, since the update itself can never be applied.
import { clusterMajor } from './cnpg-cluster';
import { CNPG, CNPG_CLUSTER_WEBHOOK, refuser, specOf, type AdmissionViolation, type Loose } from './rule';
import { parseQuantity } from './values';

type Refuse = (path: string, message: string) => void;

interface ClusterUpdateRule {
  readonly func: string;
  check(before: Loose, after: Loose, refuse: Refuse): void;
}

/** api/v1 SetDefaults: postgresUID and postgresGID default to 26 (the postgres user of the images). */
const DEFAULT_POSTGRES_ID = 26;

function storageShrink(path: string, from: Loose | undefined, to: Loose | undefined, refuse: Refuse, way: string): void {
  const a = parseQuantity(from?.size);
  const b = parseQuantity(to?.size);
  if (a === undefined || b === undefined || a <= b) return;
  refuse(path, `can't shrink existing storage from ${from?.size} to ${to?.size}. Way forward: ${way}`);
}

export const CLUSTER_UPDATE_RULES: readonly ClusterUpdateRule[] = [
  {
    func: 'validateImageChange',
    check: (before, after, refuse) => {
      const from = clusterMajor(before);
      const to = clusterMajor(after);
      if (from === undefined || to === undefined) return;
      const path = specOf(after).imageCatalogRef ? 'spec.imageCatalogRef.major' : 'spec.imageName';
      if (from > to)
        refuse(
          path,
          `can't downgrade from major ${from} to ${to}. Way forward: a major version cannot go back in place; keep ${from}, or restore a backup taken on ${to} (or a dump) into a new cluster and move the services to it`,
        );
      if (from < to && to < 16)
        refuse(
          path,
          `major upgrades are only supported to version 16 or higher (${from} → ${to}). Way forward: upgrade to 16 or later, or dump and restore into a new ${to} cluster`,
        );
    },
  },
  {
    // Switchover updates swap the image and the configuration in one step; both at once are refused.
    func: 'validateConfigurationChange',
    check: (before, after, refuse) => {
      const a = specOf(before);
      const b = specOf(after);
      if ((a.imageName ?? '') === (b.imageName ?? '') || b.primaryUpdateMethod !== 'switchover') return;
      const pa = (a.postgresql?.parameters ?? {}) as Record<string, string>;
      const pb = (b.postgresql?.parameters ?? {}) as Record<string, string>;
      const changed = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].filter((k) => pa[k] !== pb[k]).sort();
      if (changed.length > 0)
        refuse(
          'spec.imageName',
          `Can't change image name and configuration at the same time when \`primaryUpdateMethod\` is set to \`switchover\` (parameters changed: ${changed.join(', ')}). Way forward: change the image in one merge and the parameters in the next`,
        );
    },
  },
  {
    func: 'validateStorageChange',
    check: (before, after, refuse) =>
      storageShrink(
        'spec.storage',
        specOf(before).storage as Loose | undefined,
        specOf(after).storage as Loose | undefined,
        refuse,
        'volumes only grow; to get a smaller volume, create a new cluster of that size (a new name) and restore or replicate into it',
      ),
  },
  {
    func: 'validateWalStorageChange',
    check: (before, after, refuse) => {
      const from = specOf(before).walStorage as Loose | undefined;
      const to = specOf(after).walStorage as Loose | undefined;
      if (!from) return;
      if (!to) {
        refuse(
          'spec.walStorage',
          `walStorage cannot be disabled once configured (it was ${from.size}). Way forward: keep walStorage for this cluster; a cluster without a separate WAL volume must be a new cluster (a new name) restored or replicated from this one`,
        );
        return;
      }
      storageShrink('spec.walStorage', from, to, refuse, 'the WAL volume only grows; keep its size or grow it');
    },
  },
  {
    func: 'validateUnixPermissionIdentifierChange',
    check: (before, after, refuse) => {
      for (const [key, label] of [
        ['postgresGID', 'GID'],
        ['postgresUID', 'UID'],
      ] as const) {
        const a = (specOf(before)[key] as number | undefined) || DEFAULT_POSTGRES_ID;
        const b = (specOf(after)[key] as number | undefined) || DEFAULT_POSTGRES_ID;
        if (a !== b) refuse(`spec.${key}`, `${label} is an immutable field in the spec (${a} → ${b}). Way forward: keep ${a}`);
      }
    },
  },
  {
    func: 'validateWALLevelChange',
    check: (before, after, refuse) => {
      const from = (specOf(before).postgresql?.parameters?.wal_level as string | undefined) ?? '';
      const to = (specOf(after).postgresql?.parameters?.wal_level as string | undefined) ?? '';
      if (to === 'minimal' && from !== '' && from !== to)
        refuse(
          'spec.postgresql.parameters.wal_level',
          `Change of \`wal_level\` to \`minimal\` not allowed on an existing cluster (from ${from}). Way forward: keep wal_level at ${from}`,
        );
    },
  },
];

/** Every refusal of the Cluster webhook's update checks for `before` → `after` (the create checks of `after` aside). */
export function clusterUpdateViolations(before: Loose, after: Loose): AdmissionViolation[] {
  const out: AdmissionViolation[] = [];
  for (const rule of CLUSTER_UPDATE_RULES) {
    rule.check(before, after, refuser(`cnpg.cluster.${rule.func}`, { repo: CNPG, file: CNPG_CLUSTER_WEBHOOK, func: rule.func }, out));
  }
  return out;
}
