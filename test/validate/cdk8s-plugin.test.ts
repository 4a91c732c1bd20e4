// The local cdk8s validation plugin, loaded and run exactly as cdk8s-cli does it in `cdk8s synth`
// (lib/util.js validateApp): PluginManager.load via ValidationPlugin.load, then validate(context),
// then report.success decides whether synth fails.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { valid } from './fixtures';

const requireHere = createRequire(__filename);
const cliLib = path.join(path.dirname(requireHere.resolve('cdk8s-cli/package.json')), 'lib');
const { PluginManager } = requireHere(path.join(cliLib, 'plugins', '_manager.js'));
const { ValidationPlugin } = requireHere(path.join(cliLib, 'plugins', 'validation.js'));

const repoRoot = path.resolve(__dirname, '..', '..');
// The entry cdk8s.yaml carries. cdk8s resolves `./…` packages from its working directory (the repo
// root, where vitest runs too); an absolute path is the equivalent from anywhere else.
const config = {
  package: process.cwd() === repoRoot ? './lib/validate/cdk8s-plugin.cjs' : path.join(repoRoot, 'lib', 'validate', 'cdk8s-plugin.cjs'),
  class: 'DbfleetSchemaValidation',
  version: '0.1.0',
  properties: { unvalidatedKinds: ['example.com/v1/Gadget'] },
};

async function synthValidate(manifests: Record<string, unknown>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-synth-'));
  const files = Object.entries(manifests).map(([name, obj]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(obj));
    return file;
  });
  const { plugin, context } = ValidationPlugin.load(config, { manifests: files }, false, new PluginManager(path.join(dir, 'plugins')));
  const logged: string[] = [];
  context.logger.log = (line: string) => logged.push(line);
  await plugin.validate(context);
  return { success: context.report.success as boolean, json: context.report.toJson(), text: context.report.toString() as string, logged };
}

describe('cdk8s validation plugin', () => {
  it('passes valid manifests and lists unvalidated kinds', async () => {
    const r = await synthValidate({
      'cluster.yaml': valid.Cluster,
      // A kind no CRD in ../shared/crds defines.
      'gadget.yaml': { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'databases' }, spec: {} },
    });
    expect(r.success).toBe(true);
    expect(r.json.summary.metadata).toMatchObject({
      objects: '2',
      errors: '0',
      'CEL rules ran here': '6',
      'not validated (no schema)': '1',
    });
    expect(r.logged.some((l) => /^NOT VALIDATED \(no schema in .*\): .*gadget.yaml: Gadget\/databases/.test(l))).toBe(true);
  });

  it('fails the synth on an invalid object, one violation per problem', async () => {
    const r = await synthValidate({ 'cluster-orders.yaml': { ...valid.Cluster, spec: { ...valid.Cluster.spec, instances: 0 } } });
    expect(r.success).toBe(false);
    expect(r.json.violations).toHaveLength(1);
    expect(r.json.violations[0]).toMatchObject({
      ruleName: 'Cluster/orders: spec.instances: must be >= 1',
      violatingConstructs: [
        expect.objectContaining({
          resourceName: 'orders',
          locations: ['spec.instances'],
          manifestPath: expect.stringMatching(/cluster-orders.yaml$/),
        }),
      ],
    });
    expect(r.text).toContain('Recommendation:');
  });

  it('fails on a CEL rule violation', async () => {
    const r = await synthValidate({ 'database.yaml': { ...valid.Database, spec: { ...valid.Database.spec, name: 'postgres' } } });
    expect(r.success).toBe(false);
    expect(r.json.violations[0].ruleName).toBe('Database/orders-app: spec.name: the name postgres is reserved');
  });
});
