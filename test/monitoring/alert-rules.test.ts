// The pure rule builder: which alerts exist where, with which thresholds and severities.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../lib/config/load';
import type { Environment, Fleet } from '../../lib/config/model';
import {
  ALERT_NAMES,
  environmentAlertGroups,
  humanSeconds,
  mongoSnapshotCronJobName,
  veleroScheduleNames,
  type AlertRule,
} from '../../lib/monitoring/alert-rules';

const root = join(__dirname, '..', '..');
// The example fleet (a fixture copy of fleet.yaml): the expectations below are its thresholds.
const fleet = loadFleet(join(root, 'test', 'fixtures', 'fleets', 'example.yaml'));
const fixture = loadFleet(join(__dirname, 'fixtures', 'fleet.yaml'));
const env = (f: Fleet, name: string): Environment => f.environments.find((e) => e.name === name)!;
const rules = (f: Fleet, e: Environment): AlertRule[] => environmentAlertGroups(f, e).flatMap((g) => g.rules);
const byName = (rs: AlertRule[], alert: string) => rs.filter((r) => r.alert === alert);
const one = (rs: AlertRule[], alert: string) => {
  const found = byName(rs, alert);
  if (found.length !== 1) throw new Error(`expected one ${alert}, found ${found.length}`);
  return found[0];
};

const production = rules(fleet, env(fleet, 'production'));
const test = rules(fleet, env(fleet, 'test'));
const staging = rules(fixture, env(fixture, 'staging'));

describe('environmentAlertGroups', () => {
  it('names groups after fleet and environment', () => {
    expect(environmentAlertGroups(fleet, env(fleet, 'production')).map((g) => g.name)).toEqual([
      'acme-production.cnpg-availability',
      'acme-production.cnpg-capacity',
      'acme-production.cnpg-postgres',
      'acme-production.backups',
      'acme-production.backup-jobs',
      'acme-production.mongo-snapshot',
    ]);
    expect(environmentAlertGroups(fleet, env(fleet, 'test')).map((g) => g.name)).toEqual([
      'acme-test.cnpg-availability',
      'acme-test.cnpg-capacity',
      'acme-test.cnpg-postgres',
      'acme-test.backups',
      'acme-test.backup-jobs',
    ]);
  });

  it("uses each environment's thresholds from fleet.yaml", () => {
    expect(one(production, 'CNPGClusterHighReplicationLag').expr).toMatch(/\) > 30$/);
    expect(one(test, 'CNPGClusterHighReplicationLag').expr).toMatch(/\) > 120$/);
    expect(one(staging, 'CNPGClusterHighConnectionsWarning').expr).toMatch(/\* 100 > 70$/);
    expect(one(staging, 'CNPGClusterHighConnectionsCritical').expr).toMatch(/\* 100 > 90$/);
    expect(one(staging, 'CNPGClusterLowDiskSpaceWarning').expr).toMatch(/\* 100 > 60$/);
    expect(one(staging, 'CNPGClusterLowDiskSpaceCritical').expr).toMatch(/\* 100 > 85$/);
    expect(one(staging, 'CNPGClusterLongRunningTransaction').expr).toMatch(/\) > 600$/);
    expect(one(production, 'CNPGClusterLongRunningTransaction').expr).toMatch(/\) > 300$/);
  });

  it('pages in production and only warns in test (critical tier follows alerts.severity)', () => {
    const severities = (rs: AlertRule[]) => Object.fromEntries(rs.map((r) => [r.alert, r.labels.severity]));
    expect(severities(production)).toMatchObject({
      CNPGClusterOffline: 'critical',
      CNPGClusterHACritical: 'critical',
      CNPGClusterHighConnectionsCritical: 'critical',
      CNPGClusterLowDiskSpaceCritical: 'critical',
      CNPGClusterXIDWraparoundCritical: 'critical',
      CNPGClusterBackupNotRecent: 'critical',
      VeleroBackupNotRecent: 'critical',
      MongoSnapshotNotRecent: 'critical',
      CNPGClusterHAWarning: 'warning',
      CNPGClusterHighReplicationLag: 'warning',
    });
    expect(new Set(test.map((r) => r.labels.severity))).toEqual(new Set(['warning']));
    for (const r of production) expect(r.labels.environment).toBe('production');
    for (const r of test) expect(r.labels.environment).toBe('test');
  });

  it("scopes every CNPG selector to the environment's namespace and clusters", () => {
    expect(one(production, 'CNPGClusterHighConnectionsWarning').expr).toContain(
      'cnpg_backends_total{namespace="databases",cluster=~"catalog|customer-profiles|inventory|orders|payments"}',
    );
    expect(one(test, 'CNPGClusterHighConnectionsWarning').expr).toContain('cnpg_backends_total{namespace="databases",cluster=~"acme"}');
    expect(one(test, 'CNPGClusterMetricsAbsent').expr).toBe('absent(up{namespace="databases",cluster="acme"})');
  });

  it('gives every alert a severity, an environment, a templated summary and description, and a runbook in this repo', () => {
    for (const [f, rs] of [
      [fleet, production],
      [fleet, test],
      [fixture, staging],
    ] as const) {
      for (const r of rs) {
        expect(Object.keys(r.labels).sort(), r.alert).toEqual(['environment', 'severity']);
        expect(Object.keys(r.annotations).sort(), r.alert).toEqual(['description', 'runbook_url', 'summary']);
        expect(r.annotations.runbook_url).toBe(`${f.monitoring.runbookBaseURL}/${r.alert}.md`);
        expect(r.annotations.description.length, r.alert).toBeGreaterThan(40);
      }
    }
    expect(one(production, 'CNPGClusterOffline').annotations.description).toContain('{{ $labels.namespace }}/{{ $labels.cluster }}');
    expect(one(production, 'CNPGClusterHighConnectionsWarning').annotations.description).toContain('{{ $labels.pod }}');
    expect(fixture.monitoring.runbookBaseURL).toBe('https://runbooks.example.com/dbfleet');
  });

  it('has a runbook file for every alert it can render', () => {
    for (const alert of ALERT_NAMES) {
      const file = join(root, 'docs', 'runbooks', `${alert}.md`);
      expect(existsSync(file), `docs/runbooks/${alert}.md`).toBe(true);
      const text = readFileSync(file, 'utf8');
      expect(text, alert).toMatch(new RegExp(`^# ${alert}\\b`));
      for (const section of ['## Meaning', '## Check', '## Fix']) expect(text, `${alert}: ${section}`).toContain(section);
    }
  });

  it('raises HA and placement alerts only for clusters with standbys, sized per cluster', () => {
    expect(byName(test, 'CNPGClusterHACritical')).toEqual([]);
    expect(byName(test, 'CNPGClusterHAWarning')).toEqual([]);
    expect(byName(test, 'CNPGClusterInstancesOnSameNode')).toEqual([]);
    // orders has 5 instances in production (override), the others 3.
    expect(one(production, 'CNPGClusterHAWarning').expr).toMatch(
      /cluster=~"catalog\|customer-profiles\|inventory\|payments"}\) < 2 or .*cluster=~"orders"}\) < 4$/,
    );
    // fixture: alpha has 2 instances (critical only), beta 3.
    expect(one(staging, 'CNPGClusterHACritical').expr).toContain('cluster=~"alpha|beta"');
    expect(one(staging, 'CNPGClusterHAWarning').expr).toContain('cluster=~"beta"');
    expect(one(staging, 'CNPGClusterHAWarning').expr).not.toContain('alpha');
  });

  it("watches CNPG backups at 1.5 × the schedule's interval, with the metric of the backup method", () => {
    expect(one(production, 'CNPGClusterBackupNotRecent').expr).toBe(
      'time() - max by (namespace, cluster) (cnpg_collector_last_available_backup_timestamp{namespace="databases",cluster=~"catalog|customer-profiles|inventory|orders|payments"}) > 129600',
    );
    expect(one(staging, 'CNPGClusterBackupNotRecent').expr).toContain('barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{');
    expect(one(staging, 'CNPGClusterBackupNotRecent').expr).toMatch(/> 32400$/);
    const noBackups = { ...env(fleet, 'test'), backups: {} };
    expect(rules(fleet, noBackups).filter((r) => /Backup/.test(r.alert))).toEqual([]);
  });

  it('watches every Velero Schedule the chart renders, only when Velero is configured', () => {
    expect(veleroScheduleNames(fleet, env(fleet, 'production'))).toEqual(['acme-production-databases', 'acme-production-services']);
    expect(veleroScheduleNames(fleet, env(fleet, 'test'))).toEqual(['acme-test-databases']);
    expect(one(production, 'VeleroBackupNotRecent').expr).toBe(
      'time() - max by (schedule) (velero_backup_last_successful_timestamp{schedule=~"acme-production-databases|acme-production-services"}) > 129600' +
        ' or absent_over_time(velero_backup_last_successful_timestamp{schedule="acme-production-databases"}[36h])' +
        ' or absent_over_time(velero_backup_last_successful_timestamp{schedule="acme-production-services"}[36h])',
    );
    expect(byName(staging, 'VeleroBackupFailed')).toEqual([]);
    expect(byName(staging, 'VeleroBackupNotRecent')).toEqual([]);
  });

  it('watches each MongoDB snapshot of the environment by its CronJob, and the lock only where it pushes', () => {
    const snapshot = env(fleet, 'production').mongoSnapshots[0];
    expect(mongoSnapshotCronJobName(snapshot)).toBe('mongo-snapshot-catalog-mongo');
    expect(one(production, 'MongoSnapshotNotRecent').expr).toContain(
      'kube_cronjob_status_last_successful_time{namespace="backups",cronjob="mongo-snapshot-catalog-mongo"}) > 32400',
    );
    expect(byName(test, 'MongoSnapshotNotRecent')).toEqual([]);
    // production's snapshot pushes to a Pushgateway (fleet.yaml): the exit code is watched.
    expect(one(production, 'MongoSnapshotMemberMayBeLocked').labels).toMatchObject({ severity: 'critical', environment: 'production' });
    expect(one(staging, 'MongoSnapshotMemberMayBeLocked')).toMatchObject({
      expr:
        'max by (job, replica_set, member) (mongo_snapshot_member_locked{job="mongo-snapshot"}) == 1' +
        ' or on (replica_set) max by (job, replica_set) (mongo_snapshot_last_exit_code{job="mongo-snapshot"}) == 7' +
        ' or max by (job, replica_set, member) (mongo_snapshot_member_may_be_locked{job="mongo-snapshot"} == 1' +
        ' and on (job, replica_set, member, run) (mongo_snapshot_member_may_be_locked_renewed_timestamp_seconds{job="mongo-snapshot"} < time() - 120' +
        ' or mongo_snapshot_member_may_be_locked_deadline_timestamp_seconds{job="mongo-snapshot"} < time())' +
        ' unless on (job, replica_set, member, run) mongo_snapshot_member_may_be_locked_renewed_timestamp_seconds{job="mongo-snapshot"} + 120' +
        ' < on (job, replica_set, member) group_left max by (job, replica_set, member) (mongo_snapshot_member_proven_unlocked_timestamp_seconds{job="mongo-snapshot"}))',
      labels: { severity: 'critical', environment: 'staging' },
    });
    expect(one(staging, 'MongoSnapshotNotRecent').expr).toMatch(/> 5400 or /);
  });

  it('writes durations for humans and for Prometheus', () => {
    expect(humanSeconds(129600)).toBe('36h');
    expect(humanSeconds(86400)).toBe('24h');
    expect(humanSeconds(5400)).toBe('1h30m');
    expect(humanSeconds(45)).toBe('45s');
    expect(humanSeconds(0)).toBe('0s');
  });
});
