// The DR drill on real PostgreSQL: what the rendered primary and standby sites mean, run for real.
//
// From the example fleet's rendered objects (never typed again here):
// - the primary site's Cluster archives WAL to its ObjectStore (destinationPath/serverName, its
//   compression): PostgreSQL's archive_command writes into a local folder standing in for that bucket;
// - the standby site's Cluster restores from its `replica.source` external cluster: restore_command
//   reads the folder of the bucket THAT names, recovery_target_timeline as CloudNativePG sets it;
// - archive_timeout is the rendered (or CloudNativePG's default) value, run at 1/300 scale so the
//   drill takes seconds: an RPO of n seconds here is n × 300 at full scale;
// - the app's password is what the primary site's PushSecret put in the store, read back at the
//   standby through the standby's own app ExternalSecret key.
// The drill: writes on the primary are seen on the standby; the primary is lost (immediate stop);
// the standby is promoted (pg_promote()); the app logs in there with its Secret and writes.
// RPO and RTO are measured and printed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveReplication, postgresDurationSeconds, type WalLocation } from '../../lib/backends/cloudnative-pg/archive-replication';
import { loadFleet } from '../../lib/config/load';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { extendFleet } from '../../charts';
import { postgresUnavailableReason, startPostgres, type PostgresServer } from '../support/postgres';

const root = join(__dirname, '..', '..');
const skip = postgresUnavailableReason();
const TIME_SCALE = 300;
const SERVICE_DATABASE = 'orders';

type Obj = KubernetesObject & { spec?: any };

interface Site {
  readonly environment: string;
  readonly objects: readonly Obj[];
  readonly cluster: Obj;
}

/** The rendered sites of the example fleet's DR pair, for the cluster holding SERVICE_DATABASE. */
function renderedSites(): { primary: Site; standby: Site } {
  const objects = renderObjects(buildApp(loadFleet(root), { extend: extendFleet }));
  const byEnvironment = new Map<string, Obj[]>();
  for (const r of objects) {
    const env = r.path.split('/')[0];
    if (!byEnvironment.has(env)) byEnvironment.set(env, []);
    byEnvironment.get(env)!.push(r.object as Obj);
  }
  const site = (predicate: (c: Obj) => boolean): Site => {
    for (const [environment, objs] of byEnvironment) {
      const database = objs.find((o) => o.kind === 'Database' && o.spec?.name === SERVICE_DATABASE);
      const cluster = objs.find((o) => o.kind === 'Cluster' && o.metadata.name === database?.spec?.cluster?.name);
      if (cluster && predicate(cluster)) return { environment, objects: objs, cluster };
    }
    throw new Error('no such site rendered');
  };
  const standby = site((c) => c.spec?.replica !== undefined && c.spec.replica.primary !== c.spec.replica.self);
  const primary = site((c) => c.spec?.replica?.self === standby.cluster.spec.replica.primary);
  return { primary, standby };
}

/** The folder standing in for a WAL location: bucket URL → local path, so two sites meet only if they name the same bucket path. */
function folderOf(buckets: string, location: WalLocation): string {
  const url = new URL(location.destinationPath);
  return join(buckets, url.protocol.replace(':', ''), url.host, url.pathname, location.serverName, 'wals');
}

/** PostgreSQL's archive_command / restore_command for a location, with its compression. */
function archiveCommand(folder: string, location: WalLocation): string {
  return location.compression === 'gzip'
    ? `test ! -f ${folder}/%f.gz && gzip -c %p > ${folder}/%f.gz`
    : `test ! -f ${folder}/%f && cp %p ${folder}/%f`;
}
function restoreCommand(folder: string, location: WalLocation): string {
  return location.compression === 'gzip' ? `gzip -dc ${folder}/%f.gz > %p` : `cp ${folder}/%f %p`;
}

/** What the store holds after the primary site's PushSecrets ran: `<remoteKey>#<property>` → value. */
function storeFromPushSecrets(site: Site): Map<string, string> {
  const store = new Map<string, string>();
  let n = 0;
  for (const push of site.objects.filter((o) => o.kind === 'PushSecret'))
    for (const d of push.spec?.data ?? [])
      store.set(`${d.match.remoteRef.remoteKey}#${d.match.remoteRef.property}`, `pw-${++n}-${Date.now()}`);
  return store;
}

/** The app's login as the site's app ExternalSecret renders it, with the password read from the store. */
function appLogin(site: Site, store: Map<string, string>): { user: string; password: string | undefined; database: string } {
  const secret = site.objects.find(
    (o) =>
      o.kind === 'ExternalSecret' && o.spec?.target?.template?.data?.dbname === SERVICE_DATABASE && o.spec?.target?.template?.data?.uri,
  );
  if (!secret) throw new Error(`${site.environment}: no app ExternalSecret for ${SERVICE_DATABASE}`);
  const ref = secret.spec.data.find((d: { secretKey: string }) => d.secretKey === 'password').remoteRef;
  const data = secret.spec.target.template.data;
  return { user: data.username, password: store.get(`${ref.key}#${ref.property}`), database: data.dbname };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip)('DR drill on real PostgreSQL: archive-fed standby, loss of the primary, promotion', () => {
  let buckets: string;
  let primary: PostgresServer | undefined;
  let standby: PostgresServer | undefined;

  beforeAll(() => {
    buckets = mkdtempSync(join(tmpdir(), 'dbfleet-buckets-'));
  });
  afterAll(async () => {
    await standby?.stop();
    await primary?.stop();
    rmSync(buckets, { recursive: true, force: true });
  });

  it('replays the archive at the standby, promotes it, and the app logs in there with the same Secret', async () => {
    const sites = renderedSites();
    const atPrimary = archiveReplication(sites.primary.cluster, sites.primary.objects);
    const atStandby = archiveReplication(sites.standby.cluster, sites.standby.objects);
    expect(atPrimary.archiveTo, 'the primary archives its WAL').toBeDefined();
    expect(atStandby.restoreFrom, 'the standby restores from a source').toBeDefined();
    const archiveFolder = folderOf(buckets, atPrimary.archiveTo!);
    const restoreFolder = folderOf(buckets, atStandby.restoreFrom!);
    // The object store is a bucket: the folder exists before anyone writes to it, the primary's
    // and (if the rendering is right, the same) the one the standby reads.
    for (const folder of [archiveFolder, restoreFolder]) mkdirSync(folder, { recursive: true });
    // As root, the servers run as the `postgres` OS user (test/support/postgres.ts): the buckets are theirs.
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', buckets]);

    const archiveTimeout = Math.max(1, Math.round(postgresDurationSeconds(atPrimary.archiveTimeout) / TIME_SCALE));
    primary = await startPostgres({
      settings: [
        'wal_level = replica',
        'archive_mode = on',
        `archive_command = '${archiveCommand(archiveFolder, atPrimary.archiveTo!)}'`,
        `archive_timeout = ${archiveTimeout}`,
      ],
    });
    // The service's database and owner, password from the store (what the primary site's PushSecret pushed).
    const store = storeFromPushSecrets(sites.primary);
    const app = appLogin(sites.primary, store);
    expect(app.password, 'the primary site reads the password its PushSecret pushed').toBeDefined();
    primary.psql('postgres', `CREATE ROLE ${app.user} LOGIN PASSWORD '${app.password}'`);
    const admin = await primary.connect({ user: primary.superuser, password: primary.superuserPassword, database: 'postgres' });
    await admin.query(`CREATE DATABASE ${app.database} OWNER ${app.user}`);
    await admin.end();
    const writer = await primary.connect({ user: app.user, password: app.password!, database: app.database });
    await writer.query(
      "CREATE TABLE drill (id serial PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp(), site text NOT NULL DEFAULT 'primary')",
    );
    await writer.query('INSERT INTO drill DEFAULT VALUES');
    primary.psql('postgres', 'SELECT pg_catalog.pg_switch_wal()');
    standby = await startPostgres({
      standbyOf: primary,
      settings: [
        `restore_command = '${restoreCommand(restoreFolder, atStandby.restoreFrom!)}'`,
        `recovery_target_timeline = '${atStandby.recoveryTargetTimeline}'`,
      ],
    });
    const standbyServer = standby;

    // Writes on the primary reach the standby through the archive alone (no streaming connection).
    const reader = () => standbyServer.connect({ user: app.user, password: app.password!, database: app.database });
    const seen = async (id: number) => {
      const c = await reader();
      try {
        const r = await c.query('SELECT count(*)::int AS n FROM drill WHERE id >= $1', [id]);
        return r.rows[0].n > 0 ? true : undefined;
      } finally {
        await c.end();
      }
    };
    const { rows } = await writer.query('INSERT INTO drill DEFAULT VALUES RETURNING id');
    await waitFor('a write on the primary to be replayed at the standby', 30_000, () => seen(rows[0].id));

    // Steady writes, then the primary is lost at once.
    const writeUntil = Date.now() + 4_000;
    while (Date.now() < writeUntil) {
      await writer.query('INSERT INTO drill DEFAULT VALUES');
      await new Promise((r) => setTimeout(r, 50));
    }
    const { rows: last } = await writer.query('SELECT count(*)::int AS n, max(written_at) AS at FROM drill');
    await writer.end();
    await primary.stop();
    primary = undefined;
    const disaster = Date.now();

    // Replay what reached the archive, then promote.
    let replayed = '';
    for (let stable = 0; stable < 10;) {
      const lsn = standbyServer.psql('postgres', 'SELECT pg_catalog.pg_last_wal_replay_lsn()').trim();
      stable = lsn === replayed ? stable + 1 : 0;
      replayed = lsn;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(standbyServer.psql('postgres', 'SELECT pg_catalog.pg_promote(true, 60)').trim()).toBe('t');

    // The app's Secret at the standby site: its own ExternalSecret's key, read from the same store.
    const drApp = appLogin(sites.standby, store);
    expect(drApp.password, "the standby site's app Secret reads the key the primary site's PushSecret wrote").toBe(app.password);
    const promoted = await waitFor('the app to log in and write on the promoted side', 30_000, async () => {
      const c = await standbyServer.connect({ user: drApp.user, password: drApp.password!, database: drApp.database });
      await c.query("INSERT INTO drill (site) VALUES ('promoted')");
      return c;
    });
    const rto = (Date.now() - disaster) / 1000;
    // Rows the primary committed that reached the promoted side (ids may be reused after a loss: count them).
    const { rows: survived } = await promoted.query("SELECT count(*)::int AS n, max(written_at) AS at FROM drill WHERE site = 'primary'");
    await promoted.end();
    const rpo = (new Date(last[0].at).getTime() - new Date(survived[0].at).getTime()) / 1000;
    console.log(
      `DR drill (${sites.primary.environment} → ${sites.standby.environment}, archive_timeout ${atPrimary.archiveTimeout} at 1/${TIME_SCALE}: ${archiveTimeout}s): ` +
        `RPO ${rpo.toFixed(2)} s of writes lost (${last[0].n - survived[0].n} of ${last[0].n} rows; ≈ ${((rpo * TIME_SCALE) / 60).toFixed(1)} min at full scale), ` +
        `RTO ${rto.toFixed(2)} s from the loss of the primary to the app writing on the promoted side`,
    );
    // Bounded by archive_timeout (plus one restore poll): what the cross-site alerts assume.
    expect(rpo).toBeLessThanOrEqual(archiveTimeout + 2);
    expect(rpo).toBeGreaterThanOrEqual(0);
    expect(survived[0].n).toBeGreaterThanOrEqual(rows[0].id);
    expect(existsSync(archiveFolder) && readdirSync(archiveFolder).length).toBeGreaterThan(0);
  }, 180_000);
});
