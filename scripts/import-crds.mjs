// Regenerates imports/ from the upstream CRDs in ../shared/crds (never copied into the project).
// cdk8s import writes one file per API group, so all CRDs of a group go in one multi-document
// input; importing them one by one would make each overwrite the last.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const crds = resolve(process.env.DBFLEET_SCHEMAS ?? join(import.meta.dirname, '..', '..', 'shared', 'crds'));
const groups = {
  'postgresql.cnpg.io': [
    'cloudnative-pg/postgresql.cnpg.io_clusters.yaml',
    'cloudnative-pg/postgresql.cnpg.io_databases.yaml',
    'cloudnative-pg/postgresql.cnpg.io_poolers.yaml',
    'cloudnative-pg/postgresql.cnpg.io_scheduledbackups.yaml',
    'cloudnative-pg/postgresql.cnpg.io_backups.yaml',
    'cloudnative-pg/postgresql.cnpg.io_databaseroles.yaml',
    'cloudnative-pg/postgresql.cnpg.io_imagecatalogs.yaml',
    'cloudnative-pg/postgresql.cnpg.io_clusterimagecatalogs.yaml',
  ],
  'barmancloud.cnpg.io': ['plugin-barman-cloud/barmancloud.cnpg.io_objectstores.yaml'],
  'acid.zalan.do': ['zalando-postgres-operator/postgresql.crd.yaml'],
  'velero.io': ['velero/velero.io_schedules.yaml', 'velero/velero.io_backups.yaml'],
  'monitoring.coreos.com': [
    'prometheus-operator/monitoring.coreos.com_podmonitors.yaml',
    'prometheus-operator/monitoring.coreos.com_prometheusrules.yaml',
    'prometheus-operator/monitoring.coreos.com_servicemonitors.yaml',
  ],
  'argoproj.io': ['argo-cd/application-crd.yaml', 'argo-cd/applicationset-crd.yaml', 'argo-cd/appproject-crd.yaml'],
  'external-secrets.io': [
    'external-secrets/external-secrets.io_externalsecrets.yaml',
    'external-secrets/external-secrets.io_pushsecrets.yaml',
  ],
  'generators.external-secrets.io': ['external-secrets/generators.external-secrets.io_passwords.yaml'],
  'rds.services.k8s.aws': [
    'ack-rds-controller/rds.services.k8s.aws_dbclusters.yaml',
    'ack-rds-controller/rds.services.k8s.aws_dbinstances.yaml',
    'ack-rds-controller/rds.services.k8s.aws_dbsubnetgroups.yaml',
    'ack-rds-controller/rds.services.k8s.aws_dbclusterparametergroups.yaml',
    'ack-rds-controller/rds.services.k8s.aws_globalclusters.yaml',
  ],
  'services.k8s.aws': ['ack-rds-controller/services.k8s.aws_fieldexports.yaml'],
};

// `node scripts/import-crds.mjs [outdir]` (default imports/; the freshness test uses a temp dir).
const outdir = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'imports'));
const tmp = mkdtempSync(join(tmpdir(), 'dbfleet-import-'));
try {
  for (const [group, files] of Object.entries(groups)) {
    const input = join(tmp, `${group}.yaml`);
    writeFileSync(input, files.map((f) => readFileSync(join(crds, f), 'utf8').replace(/^---\n/, '')).join('\n---\n'));
    console.error(`importing ${group} (${files.length} CRD${files.length > 1 ? 's' : ''})`);
    execFileSync(
      process.execPath,
      [
        join(import.meta.dirname, '..', 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'),
        'import',
        input,
        '--output',
        outdir,
        '--language',
        'typescript',
        '--no-check-upgrade',
      ],
      // Run outside the project: with a cdk8s.yaml in its working folder, `cdk8s import`
      // rewrites that file (adding the temp inputs under `imports:`, dropping its comments).
      { stdio: ['ignore', 'ignore', 'inherit'], cwd: tmp },
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
