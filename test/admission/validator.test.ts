// The admission stage runs wherever dbfleet validates: the library (validateObject, which main.ts
// runs before writing dist/), `dbfleet validate` / `npm run validate`, and the cdk8s plugin.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadValidator, type Validator } from '../../lib/validate';
import { runCli } from '../../lib/validate/cli';
import { valid } from '../validate/fixtures';

let v: Validator;
beforeAll(() => {
  v = loadValidator();
});

const minimal = {
  ...valid.Cluster,
  spec: { ...valid.Cluster.spec, instances: 3, postgresql: { parameters: { wal_level: 'minimal', max_wal_senders: '0' } } },
};

describe('the admission stage in the validator', () => {
  it('a Cluster the webhook refuses is an error of rule "admission" naming the upstream function', () => {
    const issues = v.validateObject(minimal, { file: 'cluster.yaml' });
    expect(issues.map((i) => [i.rule, i.path])).toEqual([['admission', 'spec.postgresql.parameters.wal_level']]);
    expect(issues[0].message).toContain('cloudnative-pg@v1.30.0 internal/webhook/v1/cluster_webhook.go validateConfiguration');
  });

  it('is not run on an object the schema already rejects (the API server stops before the webhooks)', () => {
    const issues = v.validateObject({ ...minimal, spec: { ...minimal.spec, instances: 0 } }, { file: 'cluster.yaml' });
    expect(issues.map((i) => i.rule)).toEqual(['schema']);
  });

  it('npm run validate reports it and exits 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-admission-'));
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), JSON.stringify(minimal));
    const err: string[] = [];
    const code = runCli([dir, '--config', path.join(dir, 'none.yaml')], {
      out: { write: () => true },
      err: { write: (s: string) => err.push(s) },
    });
    expect(code).toBe(1);
    expect(err.join('')).toContain('spec.postgresql.parameters.wal_level: refused by CloudNativePG');
  });

  it('the cdk8s plugin fails the synth on it', async () => {
    const requireHere = createRequire(__filename);
    const cliLib = path.join(path.dirname(requireHere.resolve('cdk8s-cli/package.json')), 'lib');
    const { PluginManager } = requireHere(path.join(cliLib, 'plugins', '_manager.js'));
    const { ValidationPlugin } = requireHere(path.join(cliLib, 'plugins', 'validation.js'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-admission-plugin-'));
    const file = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(file, JSON.stringify(minimal));
    const config = {
      package: path.resolve(__dirname, '..', '..', 'lib', 'validate', 'cdk8s-plugin.cjs'),
      class: 'DbfleetSchemaValidation',
      version: '0.1.0',
      properties: {},
    };
    const { plugin, context } = ValidationPlugin.load(config, { manifests: [file] }, false, new PluginManager(path.join(dir, 'plugins')));
    context.logger.log = () => undefined;
    await plugin.validate(context);
    expect(context.report.success).toBe(false);
    const json = context.report.toJson();
    expect(json.violations).toHaveLength(1);
    expect(json.violations[0].fix).toContain('docs/admission.md');
  });

  it('every object dbfleet renders in dist/ passes the admission rules', () => {
    const report = v.validateDirectory(path.join(__dirname, '..', '..', 'dist'));
    expect(report.issues.filter((i) => i.rule === 'admission')).toEqual([]);
  });
});
