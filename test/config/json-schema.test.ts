// The JSON Schemas editors use for fleet.yaml and services/*.yaml are generated from the zod
// schema and committed; they must be current, and accept and reject what the loader does (for
// what JSON Schema can express).
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { starterFiles } from '../../lib/cli/starter-files';
import { KEY_DESCRIPTIONS } from '../../lib/config/descriptions';
import {
  describeProperties,
  FLEET_JSON_SCHEMA_FILES,
  fleetJsonSchema,
  jsonSchemaText,
  JSON_SCHEMA_COMMAND,
  serviceJsonSchema,
} from '../../lib/config/json-schema';
import { BASE_FLEET } from '../support/fleet';

const root = join(__dirname, '..', '..');
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

describe('fleet JSON Schema', () => {
  it(`is committed as generated from lib/config/schema.ts (run \`${JSON_SCHEMA_COMMAND}\` after changing the schema)`, () => {
    for (const [file, schema] of [
      [FLEET_JSON_SCHEMA_FILES.fleet, fleetJsonSchema()],
      [FLEET_JSON_SCHEMA_FILES.service, serviceJsonSchema()],
    ] as const) {
      expect(
        readFileSync(join(root, file), 'utf8') === jsonSchemaText(schema),
        `${file} is stale: run \`${JSON_SCHEMA_COMMAND}\` and commit it`,
      ).toBe(true);
    }
  });

  it('accepts valid fleets and service files, split or not', () => {
    const fleet = ajv.compile(fleetJsonSchema());
    const service = ajv.compile(serviceJsonSchema());
    for (const file of ['fleet.yaml', 'test/monitoring/fixtures/fleet.yaml']) {
      expect(fleet(YAML.parse(readFileSync(join(root, file), 'utf8'))), `${file}: ${ajv.errorsText(fleet.errors)}`).toBe(true);
    }
    const base = YAML.parse(BASE_FLEET) as { services: unknown[] };
    expect(fleet(base)).toBe(true);
    const { services, ...head } = base;
    expect(fleet(head), 'fleet.yaml of a split fleet lists no services').toBe(true);
    for (const s of services) expect(service(s), ajv.errorsText(service.errors)).toBe(true);
  });

  it('rejects unknown keys, wrong types and enum values where the loader does', () => {
    const fleet = ajv.compile(fleetJsonSchema());
    const service = ajv.compile(serviceJsonSchema());
    const base = YAML.parse(BASE_FLEET) as Record<string, any>;
    expect(fleet({ ...base, colour: 'blue' })).toBe(false);
    expect(fleet({ ...base, environments: { test: { ...base.environments.test, topology: 'sharded' } } })).toBe(false);
    expect(fleet({ ...base, postgres: { version: 12 } })).toBe(false);
    expect(service({ name: 'orders', databse: 'x' })).toBe(false);
    expect(service({ name: 'Orders' })).toBe(false);
    expect(service({ namespace: 'orders' }), 'name is required').toBe(false);
  });

  // Issue 27: "the JSON Schema has 1 description in 33 KB (no hover docs in editors)".
  it('every key of fleet.yaml and of services/*.yaml has a description (hover docs), and no description is stale', () => {
    const undescribed: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, any>;
      for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, any>)) {
        if (typeof property.description !== 'string' || property.description.length < 10) undescribed.push(`${path}.${key}`);
        walk(property, `${path}.${key}`);
      }
      if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${path}.*`);
      if (schema.items) walk(schema.items, `${path}[]`);
      for (const k of ['anyOf', 'oneOf', 'allOf', 'if', 'then', 'else']) for (const option of [schema[k]].flat()) walk(option, path);
    };
    let properties = 0;
    for (const schema of [fleetJsonSchema(), serviceJsonSchema()]) {
      walk(schema, '');
      properties += JSON.stringify(schema).split('"description"').length - 1;
    }
    expect(undescribed, 'add these to lib/config/descriptions.ts').toEqual([]);
    expect(properties).toBeGreaterThan(200);
    const used = new Set<string>();
    describeProperties(JSON.parse(JSON.stringify(fleetJsonSchema())), [], used);
    expect(
      Object.keys(KEY_DESCRIPTIONS).filter((key) => !used.has(key)),
      'descriptions of keys the schema no longer has',
    ).toEqual([]);
  });

  // The example fleet.yaml's own line is checked in example-fleet-schema.test.ts: this file is in the
  // fleet-independent suite, which runs against other teams' fleet.yaml too (test/adoption).
  it('the starter files point yaml-language-server at the schemas', () => {
    const v = '1.0.0';
    const files = starterFiles({
      name: 'acme',
      dbfleetSpec: '^0.1.0',
      dbfleetVersion: '0.1.0',
      versions: { cdk8s: v, constructs: v, cdk8sCli: v, tsx: v, typescript: v, typesNode: v },
    });
    const yamlFiles = [...files.keys()].filter((f) => /^(fleet|services\/[^/]+)\.yaml$/.test(f));
    expect(yamlFiles).toContain('fleet.yaml');
    expect(yamlFiles.some((f) => f.startsWith('services/'))).toBe(true);
    for (const f of yamlFiles) {
      const schema =
        f === 'fleet.yaml' ? 'node_modules/dbfleet/lib/config/fleet.schema.json' : '../node_modules/dbfleet/lib/config/service.schema.json';
      expect(files.get(f), f).toMatch(new RegExp(`^# yaml-language-server: \\$schema=${schema.replaceAll('.', '\\.')}\n`));
    }
  });
});
