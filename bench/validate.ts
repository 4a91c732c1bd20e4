// npm run bench:validate — schema load + compile time, and validation throughput on a
// 1000-service × 2-environment render.
//
// Objects come from the app's own renderer (bench/fleet-generator.ts → lib/config/load →
// lib/output/render) when those modules are present; otherwise (the renderer is being built in
// parallel) from the generator below, which produces the same kinds in realistic shapes.
// Targets (issue 4): compile ≤ 3 s, ≥ 10,000 objects/s. Compile cache: cold compile (ajv, with the
// standalone code written to the cache) against warm load from the cache, in this process and in a
// fresh process validating dist/ (what each half of `cdk8s synth` pays).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { loadValidator, type ValidationReport, type Validator } from '../lib/validate';
import { compileCacheStats } from '../lib/validate/compile-cache';
import { SCHEMA_CACHE_ENV, schemaCacheDir } from '../lib/validate/schema-source';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const ENVIRONMENTS = ['production', 'staging'];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

type Obj = Record<string, unknown>;
interface Rendered {
  readonly path: string;
  readonly object: Obj;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Wall and CPU milliseconds of fn. CPU time is reported too because the machines this runs on are
 * shared (2 cores, other test suites running): wall time then measures the neighbours as well. */
function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = fn();
  const used = process.cpuUsage(cpu);
  return { value, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

/** The app's renderer, if it exists and accepts the generated fleet. */
function renderWithApp(services: number): { objects: Rendered[]; source: string } | undefined {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { syntheticFleet } = require('./fleet-generator') as { syntheticFleet: (n: number) => string };
    const { parseFleet } = require('../lib/config/load') as { parseFleet: (text: string, file: string) => unknown };
    const { buildApp, renderObjects } = require('../lib/output/render') as {
      buildApp: (f: unknown) => unknown;
      renderObjects: (app: unknown) => Rendered[];
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const objects = renderObjects(buildApp(parseFleet(syntheticFleet(services), 'bench-fleet.yaml')));
    return { objects, source: `app renderer (bench/fleet-generator.ts, ${services} services)` };
  } catch (error) {
    console.log(`(app renderer not usable: ${(error as Error).message.split('\n')[0]}; using the built-in generator)`);
    return undefined;
  }
}

/** Stand-alone generator: per environment a namespace, one CNPG cluster per 10 services with its
 * pooler, backups and monitoring, and per service a Database, ExternalSecret and NetworkPolicy. */
function generate(services: number): { objects: Rendered[]; source: string } {
  const objects: Rendered[] = [];
  const add = (env: string, object: Obj) => {
    const meta = object.metadata as { name: string };
    objects.push({ path: `${env}/${String(object.kind).toLowerCase()}-${meta.name}.yaml`, object });
  };
  for (const env of ENVIRONMENTS) {
    const ns = 'databases';
    const labels = { 'app.kubernetes.io/managed-by': 'dbfleet', 'dbfleet.io/environment': env };
    add(env, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });
    add(env, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny-ingress', namespace: ns, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    for (let c = 0; c < Math.ceil(services / 10); c++) {
      const cluster = `pg-${String(c).padStart(3, '0')}`;
      add(env, {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: cluster, namespace: ns, labels },
        spec: {
          instances: env === 'production' ? 3 : 1,
          imageName: 'ghcr.io/cloudnative-pg/postgresql:16.4',
          storage: { size: '20Gi', storageClass: 'fast' },
          walStorage: { size: '5Gi' },
          postgresql: { parameters: { max_connections: '300', shared_buffers: '1GB' }, synchronous: { method: 'any', number: 1 } },
          bootstrap: { initdb: { database: 'app', owner: 'app', localeProvider: 'icu', icuLocale: 'en-US' } },
          managed: {
            roles: Array.from({ length: 10 }, (_, i) => ({
              name: `svc${c * 10 + i}`,
              ensure: 'present',
              login: true,
              passwordSecret: { name: `svc${c * 10 + i}-db-credentials` },
            })),
          },
          monitoring: { enablePodMonitor: false },
          resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } },
          affinity: { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname' },
        },
      });
      add(env, {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Pooler',
        metadata: { name: `${cluster}-rw`, namespace: ns, labels },
        spec: { cluster: { name: cluster }, instances: 2, type: 'rw', pgbouncer: { poolMode: 'transaction' } },
      });
      add(env, {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'ScheduledBackup',
        metadata: { name: `${cluster}-daily`, namespace: ns, labels },
        spec: { schedule: '0 0 2 * * *', cluster: { name: cluster }, method: 'volumeSnapshot' },
      });
      add(env, {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata: { name: cluster, namespace: ns, labels },
        spec: { selector: { matchLabels: { 'cnpg.io/cluster': cluster } }, podMetricsEndpoints: [{ port: 'metrics', interval: '30s' }] },
      });
      add(env, {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: cluster, namespace: ns, labels },
        spec: {
          groups: [
            {
              name: `${cluster}.rules`,
              rules: [
                { alert: 'PostgresDown', expr: `cnpg_collector_up{cluster="${cluster}"} == 0`, for: '5m', labels: { severity: 'page' } },
              ],
            },
          ],
        },
      });
      for (let s = c * 10; s < Math.min(services, c * 10 + 10); s++) {
        const svc = `svc${s}`;
        add(env, {
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'Database',
          metadata: { name: svc, namespace: ns, labels },
          spec: { name: svc, owner: svc, cluster: { name: cluster }, ensure: 'present', databaseReclaimPolicy: 'retain' },
        });
        add(env, {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: `${svc}-db-credentials`, namespace: ns, labels },
          spec: {
            refreshInterval: '1h',
            secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
            target: { name: `${svc}-db-credentials`, creationPolicy: 'Owner' },
            data: [{ secretKey: 'password', remoteRef: { key: `dbfleet/${env}/${svc}`, property: 'password' } }],
          },
        });
        add(env, {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: `${svc}-to-${cluster}`, namespace: ns, labels },
          spec: {
            podSelector: { matchLabels: { 'cnpg.io/cluster': cluster } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [
                  {
                    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': svc } },
                    podSelector: { matchLabels: { app: svc } },
                  },
                ],
                ports: [{ port: 5432, protocol: 'TCP' }],
              },
            ],
          },
        });
      }
    }
    add(env, {
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: { name: `databases-${env}`, namespace: 'velero', labels },
      spec: { schedule: '0 1 * * *', template: { includedNamespaces: [ns], ttl: '720h0m0s', snapshotVolumes: true } },
    });
    add(env, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: `databases-${env}`, namespace: 'argocd', labels },
      spec: {
        project: 'databases',
        source: { repoURL: 'https://github.com/acme/dbfleet', path: `dist/${env}`, targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
  }
  return { objects, source: `built-in generator (${services} services × ${ENVIRONMENTS.length} environments)` };
}

/** A cache folder holding only the CRD parse cache of the default one: compilation starts cold. */
function parseCacheOnly(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-bench-compile-'));
  const from = schemaCacheDir();
  if (from && fs.existsSync(from))
    for (const f of fs.readdirSync(from)) if (f.startsWith('crd-')) fs.copyFileSync(path.join(from, f), path.join(dir, f));
  return dir;
}

/** loadValidator with DBFLEET_SCHEMA_CACHE set (read when the validator is created). */
function validatorWithCache(cache: string, unvalidatedKinds: string[]): Validator {
  const saved = process.env[SCHEMA_CACHE_ENV];
  process.env[SCHEMA_CACHE_ENV] = cache;
  try {
    return loadValidator({ unvalidatedKinds });
  } finally {
    if (saved === undefined) delete process.env[SCHEMA_CACHE_ENV];
    else process.env[SCHEMA_CACHE_ENV] = saved;
  }
}

/** Wall time of a fresh `node --import tsx` process validating dist/ (as the cdk8s plugin does). */
function freshProcessMs(cache: string): number {
  const script = `const { loadValidator } = require(${JSON.stringify(path.resolve(__dirname, '..', 'lib', 'validate'))});
const r = loadValidator({ unvalidatedKinds: ['argoproj.io/v1alpha1/AppProject'] }).validateDirectory('dist');
if (r.issues.length) process.exit(1);`;
  const start = performance.now();
  execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
    env: { ...process.env, [SCHEMA_CACHE_ENV]: cache },
    stdio: 'inherit',
  });
  return performance.now() - start;
}

function kindsOf(objects: Rendered[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(String(o.object.kind), (counts.get(String(o.object.kind)) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

function main(): void {
  const unvalidatedKinds = ['argoproj.io/v1alpha1/AppProject'];
  const render = renderWithApp(SERVICES) ?? generate(SERVICES);
  const { objects } = render;
  console.log(`bench:validate — ${objects.length} objects from the ${render.source}`);
  console.log(`kinds: ${kindsOf(objects)}`);

  // 0. Cold load: the CRD YAML parsed from scratch (an empty parse cache), as on a fresh checkout.
  const coldCache = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-bench-cache-'));
  process.env.DBFLEET_SCHEMA_CACHE = coldCache;
  const cold = timed(() => loadValidator({ unvalidatedKinds }));
  delete process.env.DBFLEET_SCHEMA_CACHE;
  fs.rmSync(coldCache, { recursive: true, force: true });
  void cold.value;

  // 1. Load (read every CRD, parsed or from the parse cache, and the k8s definitions) and compile every kind:
  // without any cache (ajv only), with an empty compile cache (ajv + standalone code written), and
  // from a warm compile cache (no ajv at all): the first warm load also writes V8's code caches,
  // which later loads use.
  const load = timed(() => loadValidator({ unvalidatedKinds }));
  const uncached = validatorWithCache('off', unvalidatedKinds);
  const compiledNoCache = timed(() => uncached.compileAll());
  const compileCache = parseCacheOnly();
  const compiled = timed(() => validatorWithCache(compileCache, unvalidatedKinds).compileAll());
  const stored = compileCacheStats.stored;
  const firstWarm = timed(() => validatorWithCache(compileCache, unvalidatedKinds).compileAll());
  const full = validatorWithCache(compileCache, unvalidatedKinds);
  const loadedBefore = compileCacheStats.loaded;
  const warm = timed(() => full.compileAll());
  const loaded = compileCacheStats.loaded - loadedBefore;
  const cel = full.celRules();

  // 2. Lazy path, as the app and the CLI run: a fresh validator compiles (or loads) only the kinds it meets.
  const validateFresh = (cache: string) =>
    timed(() =>
      validatorWithCache(cache, unvalidatedKinds).validateObjects(objects.map((o) => ({ object: o.object, location: { file: o.path } }))),
    );
  const coldLazyCache = parseCacheOnly();
  const lazyCold = validateFresh(coldLazyCache);
  validateFresh(coldLazyCache); // writes the V8 code caches
  const lazy = validateFresh(coldLazyCache);
  fs.rmSync(coldLazyCache, { recursive: true, force: true });

  // 2b. A fresh process validating dist/ (the cdk8s plugin's half of a synth): cold compile cache, then warm.
  let processCold: number | undefined;
  let processWarm: number | undefined;
  if (fs.existsSync('dist')) {
    const processCache = parseCacheOnly();
    processCold = freshProcessMs(processCache);
    freshProcessMs(processCache); // writes the V8 code caches
    processWarm = freshProcessMs(processCache);
    fs.rmSync(processCache, { recursive: true, force: true });
  }

  // 3. Throughput after compilation: validateObject on in-memory objects (what main.ts does).
  const inMemory: Array<{ wallMs: number; cpuMs: number }> = [];
  let report: ValidationReport = lazy.value;
  for (let i = 0; i < RUNS; i++) {
    const run = timed(() => full.validateObjects(objects.map((o) => ({ object: o.object, location: { file: o.path } }))));
    report = run.value;
    inMemory.push(run);
  }

  // 4. End to end from disk, one object per file like dist/ (read + YAML parse + validate).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-bench-validate-'));
  for (const o of objects) {
    fs.mkdirSync(path.dirname(path.join(dir, o.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, o.path), YAML.stringify(o.object));
  }
  const fromDisk: Array<{ wallMs: number; cpuMs: number }> = [];
  for (let i = 0; i < RUNS; i++) fromDisk.push(timed(() => full.validateDirectory(dir)));
  fs.rmSync(dir, { recursive: true, force: true });
  const sizeOf = (extension: string) =>
    fs
      .readdirSync(path.join(compileCache, 'compiled'))
      .filter((f) => f.endsWith(extension))
      .reduce((n, f) => n + fs.statSync(path.join(compileCache, 'compiled', f)).size, 0);
  const cacheBytes = sizeOf('.js');
  const codeCacheBytes = sizeOf('.v8');
  fs.rmSync(compileCache, { recursive: true, force: true });

  const ms = (t: { wallMs: number; cpuMs: number }) => `${t.wallMs.toFixed(0)} ms wall / ${t.cpuMs.toFixed(0)} ms CPU`;
  const rate = (runs: Array<{ wallMs: number; cpuMs: number }>) => {
    const wall = median(runs.map((r) => r.wallMs));
    const cpu = median(runs.map((r) => r.cpuMs));
    return `${wall.toFixed(0)} ms wall = ${Math.round(objects.length / (wall / 1000))} objects/s; ${cpu.toFixed(0)} ms CPU = ${Math.round(objects.length / (cpu / 1000))} objects/s`;
  };
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log('');
  console.log('| measure | value |');
  console.log('|---|---|');
  console.log(`| objects | ${objects.length} |`);
  console.log(`| schema load (${full.knownKinds.length} kinds; CRD parse cached in node_modules/.cache) | ${ms(load)} |`);
  console.log(`| schema load, cold (CRD YAML parsed, no cache) | ${ms(cold)} |`);
  console.log(`| compile all ${compiledNoCache.value.kinds} kinds, no compile cache (ajv + CEL) | ${ms(compiledNoCache)} |`);
  console.log(
    `| compile all, cold compile cache (ajv + CEL + standalone code written: ${stored} files, ${(cacheBytes / 1e6).toFixed(1)} MB) | ${ms(compiled)} |`,
  );
  console.log(
    `| first warm load (${loaded} validators loaded, V8 code caches written: ${(codeCacheBytes / 1e6).toFixed(1)} MB, CEL compiled) | ${ms(firstWarm)} |`,
  );
  console.log(`| **compile all, warm compile cache** (${loaded} validators loaded with their code caches, CEL compiled) | ${ms(warm)} |`);
  console.log(
    `| load + compile all (target ≤ 3000 ms) | warm: ${(load.wallMs + warm.wallMs).toFixed(0)} ms wall / ${(load.cpuMs + warm.cpuMs).toFixed(0)} ms CPU; cold compile cache: ${(load.wallMs + compiled.wallMs).toFixed(0)} ms wall; cold parse + compile: ${(cold.wallMs + compiled.wallMs).toFixed(0)} ms wall |`,
  );
  console.log(
    `| fresh validator: load + lazy compile of the kinds used + validate all | cold compile cache: ${ms(lazyCold)}; warm: ${ms(lazy)} |`,
  );
  if (processCold !== undefined && processWarm !== undefined) {
    console.log(
      `| fresh process: \`node --import tsx\`, validateDirectory('dist') | cold compile cache: ${processCold.toFixed(0)} ms wall; warm: ${processWarm.toFixed(0)} ms wall |`,
    );
  }
  console.log(`| validate in memory, compiled (median of ${RUNS}; target ≥ 10000 objects/s) | ${rate(inMemory)} |`);
  console.log(`| validate from disk, read + YAML parse included (median of ${RUNS}) | ${rate(fromDisk)} |`);
  console.log(
    `| CEL rules in the CRDs | ${cel.length} (${cel.filter((r) => r.status === 'checked').length} run, ${cel.filter((r) => r.status === 'transition').length} transition, ${cel.filter((r) => r.status === 'not-checked').length} not checked) |`,
  );
  console.log(
    `| CEL evaluations per run | ${report.celStats.ran} ran, ${report.celStats.transitionSkipped} transition skipped, ${report.celStats.notChecked} not checked |`,
  );
  console.log(`| errors found | ${report.issues.length} |`);
  if (compiledNoCache.value.failed.length) console.log(`kinds that failed to compile: ${compiledNoCache.value.failed.join('; ')}`);
  if (report.issues.length) console.log(`first error: ${JSON.stringify(report.issues[0])}`);
}

main();
