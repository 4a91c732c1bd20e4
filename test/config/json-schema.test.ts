// The JSON Schemas editors use for fleet.yaml and services/*.yaml are generated from the zod
// schema and committed; they must be current, and accept and reject what the loader does (for
// what JSON Schema can express).
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
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
});
