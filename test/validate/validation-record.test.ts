// The app records what it validated; the cdk8s plugin trusts only bytes that match the record and
// validates everything else. The plugin is loaded and run as cdk8s-cli does it (see
// cdk8s-plugin.test.ts); the app's half is synthesizeFleet with the SchemaChecker, as in main.ts.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaChecker } from '../../lib/output/schema-check';
import { synthesizeFleet } from '../../lib/output/synthesize';
import { BASE_FLEET } from '../support/fleet';

const requireHere = createRequire(__filename);
const cliLib = path.join(path.dirname(requireHere.resolve('cdk8s-cli/package.json')), 'lib');
const { PluginManager } = requireHere(path.join(cliLib, 'plugins', '_manager.js'));
const { ValidationPlugin } = requireHere(path.join(cliLib, 'plugins', 'validation.js'));

const repoRoot = path.resolve(__dirname, '..', '..');
// The properties of the plugin entry in the repository's cdk8s.yaml, which the app's check reads too.
const PROPERTIES = {};
const pluginEntry = (properties: object = PROPERTIES) => ({
  package: path.join(repoRoot, 'lib', 'validate', 'cdk8s-plugin.cjs'),
  class: 'DbfleetSchemaValidation',
  version: '0.1.0',
  properties,
});

/** A path as the plugin shows it: relative to the working directory when inside it. */
const shown = (file: string) => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let work: string;
const savedRecords = process.env.DBFLEET_VALIDATION_RECORDS;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-record-'));
  fs.writeFileSync(path.join(work, 'fleet.yaml'), BASE_FLEET);
  // Records of this test only, not the checkout's.
  process.env.DBFLEET_VALIDATION_RECORDS = path.join(work, 'records');
});

afterAll(() => {
  if (savedRecords === undefined) delete process.env.DBFLEET_VALIDATION_RECORDS;
  else process.env.DBFLEET_VALIDATION_RECORDS = savedRecords;
  fs.rmSync(work, { recursive: true, force: true });
});

/** The app's half of `cdk8s synth --output <dir>`: render, validate, write, record. */
async function appSynth(name: string, publish = false): Promise<{ outdir: string; manifests: string[] }> {
  const outdir = path.join(work, name);
  const checker = new SchemaChecker(path.join(repoRoot, 'cdk8s.yaml'));
  const code = await synthesizeFleet({
    configFile: path.join(work, 'fleet.yaml'),
    outdir,
    publishTo: publish ? path.join(work, `${name}-dist`) : undefined,
    validate: (objects) => checker.check(objects),
    written: (files) => {
      expect(checker.record(files)).toBeDefined();
    },
    log: () => undefined,
  });
  expect(code).toBe(0);
  // As the CLI lists them (lib/util.js findManifests).
  const manifests: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith('.yaml')) manifests.push(path.join(dir, e.name));
    }
  };
  walk(outdir);
  return { outdir, manifests };
}

/** The CLI's half: the plugin, loaded and run as cdk8s-cli does. */
async function pluginRun(manifests: string[], properties?: object) {
  const { plugin, context } = ValidationPlugin.load(
    pluginEntry(properties),
    { manifests },
    false,
    new PluginManager(path.join(work, 'plugins')),
  );
  const logged: string[] = [];
  context.logger.log = (line: string) => logged.push(line);
  await plugin.validate(context);
  const json = context.report.toJson();
  return {
    success: context.report.success as boolean,
    summary: json.summary.metadata as Record<string, string>,
    violations: json.violations,
    logged,
  };
}

describe('validation record between the app and the cdk8s plugin', () => {
  it('trusts every file the app validated and wrote, without validating anything again', async () => {
    const { manifests } = await appSynth('untouched');
    const r = await pluginRun(manifests);
    expect(r.success).toBe(true);
    expect(r.summary).toMatchObject({
      objects: String(manifests.length),
      'trusted (validated by the app, bytes unchanged)': String(manifests.length),
      'validated by this plugin': '0',
    });
    expect(r.logged[0]).toMatch(
      new RegExp(
        `^dbfleet: trusted ${manifests.length} objects in ${manifests.length} file\\(s\\): their bytes are exactly what the app validated`,
      ),
    );
  });

  it('a file changed by hand after the app validated it is validated and reported; the rest is trusted', async () => {
    const { outdir, manifests } = await appSynth('edited');
    const cluster = path.join(outdir, 'production', 'cluster-orders.yaml');
    fs.writeFileSync(cluster, fs.readFileSync(cluster, 'utf8').replace(/^ {2}instances: 5$/m, '  instances: 0'));
    const r = await pluginRun(manifests);
    expect(r.success).toBe(false);
    expect(r.summary).toMatchObject({
      'trusted (validated by the app, bytes unchanged)': String(manifests.length - 1),
      'validated by this plugin': '1',
      errors: '1',
    });
    expect(r.logged).toContain(`  ${shown(cluster)}: changed since the app validated it`);
    expect(r.violations).toEqual([
      expect.objectContaining({
        ruleName: 'Cluster/orders: spec.instances: must be >= 1',
        violatingConstructs: [expect.objectContaining({ manifestPath: shown(cluster) })],
      }),
    ]);
  });

  it('a harmless hand edit is validated too (and passes): trust is by bytes, not by outcome', async () => {
    const { outdir, manifests } = await appSynth('harmless');
    const database = path.join(outdir, 'production', 'database-orders.yaml');
    fs.appendFileSync(database, '# reviewed\n');
    const r = await pluginRun(manifests);
    expect(r.success).toBe(true);
    expect(r.summary).toMatchObject({
      'validated by this plugin': '1',
      'trusted (validated by the app, bytes unchanged)': String(manifests.length - 1),
    });
  });

  it('in the CLI folder (one file per environment) only the changed document is validated, named with its dist/ file', async () => {
    const { outdir, manifests } = await appSynth('bundles', true);
    expect(manifests.map((m) => path.basename(m)).sort()).toEqual(['production.yaml', 'test.yaml']);
    const production = path.join(outdir, 'production.yaml');
    const text = fs.readFileSync(production, 'utf8');
    fs.writeFileSync(production, text.replace(/^ {2}instances: 5$/m, '  instances: 0'));
    const r = await pluginRun(manifests);
    const objects = Number(r.summary.objects);
    expect(r.success).toBe(false);
    expect(r.summary).toMatchObject({
      'validated by this plugin': '1',
      'trusted (validated by the app, bytes unchanged)': String(objects - 1),
    });
    expect(r.logged.find((l) => l.includes('changed since the app validated it'))).toMatch(
      new RegExp(
        `^ {2}${escape(shown(production))}#\\d+ \\(.*-dist/production/cluster-orders.yaml\\): changed since the app validated it$`,
      ),
    );
    expect(r.violations[0].ruleName).toBe('Cluster/orders: spec.instances: must be >= 1');
  });

  it('a file the app did not write is validated', async () => {
    const { outdir, manifests } = await appSynth('added');
    const extra = path.join(outdir, 'production', 'configmap-extra.yaml');
    fs.writeFileSync(extra, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  labels:\n    enabled: on\n');
    const r = await pluginRun([...manifests, extra]);
    expect(r.success).toBe(false);
    expect(r.logged).toContain(`  ${shown(extra)}: not written by the app`);
    // `on` is YAML 1.1's true, as the API server reads it: not a string label value.
    expect(r.violations[0].ruleName).toMatch(/^ConfigMap\/extra: metadata\.labels\.enabled: /);
  });

  it('a record made with other settings is not trusted: everything is validated, and the report says why', async () => {
    const { manifests } = await appSynth('other-settings');
    const r = await pluginRun(manifests, { unvalidatedKinds: ['example.com/v1/Gadget'] });
    expect(r.success).toBe(true);
    expect(r.summary).toMatchObject({
      'trusted (validated by the app, bytes unchanged)': '0',
      'validated by this plugin': String(manifests.length),
    });
    expect(r.logged[0]).toBe(
      `dbfleet: validating ${manifests.length} document(s) here (all of them: the record was made by another validator or schema set)`,
    );
  });

  it('without a record (records off), everything is validated', async () => {
    const { manifests } = await appSynth('no-record');
    process.env.DBFLEET_VALIDATION_RECORDS = 'off';
    try {
      const r = await pluginRun(manifests);
      expect(r.summary).toMatchObject({
        'trusted (validated by the app, bytes unchanged)': '0',
        'validated by this plugin': String(manifests.length),
      });
      expect(r.logged[0]).toMatch(/\(all of them: validation records are off/);
    } finally {
      process.env.DBFLEET_VALIDATION_RECORDS = path.join(work, 'records');
    }
  });
});
