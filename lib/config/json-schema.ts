// JSON Schemas of the fleet file and of a service file (services/*.yaml), generated from the zod
// schema (schema.ts) so the two never disagree. Editors use them through a
// `# yaml-language-server: $schema=…` line; `dbfleet schema` prints them; the committed copies
// (FLEET_JSON_SCHEMA_FILES) are kept current by test/config/json-schema.test.ts.
// Cross-field rules (name collisions, cron arithmetic…) are not expressible here: the loader
// still checks them with file:line errors.
import { z } from 'zod';
import { keyDescription } from './descriptions';
import { fleetSchema } from './schema';

type JsonSchema = Record<string, unknown>;

/** Where the committed schemas live, relative to the package root. */
export const FLEET_JSON_SCHEMA_FILES = {
  fleet: 'lib/config/fleet.schema.json',
  service: 'lib/config/service.schema.json',
} as const;

/** The command that rewrites the committed schemas. */
export const JSON_SCHEMA_COMMAND = 'npm run fleet-schema';

/** The fleet file's JSON Schema (draft-07, what editors' YAML language servers support best). */
export function fleetJsonSchema(): JsonSchema {
  // io: 'input': keys with defaults are optional in the file. Refinements (quantities, durations)
  // cannot be expressed and are left to the loader.
  const schema = z.toJSONSchema(fleetSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  // Services may all live in services/*.yaml: fleet.yaml alone need not list any.
  schema.required = (schema.required as string[]).filter((key) => key !== 'services');
  delete (schema.properties as Record<string, JsonSchema>).services.minItems;
  // A standby (standbyOf) inherits what it leaves out from its source, namespace included: it requires nothing else.
  const environment = (schema.properties as Record<string, JsonSchema>).environments.additionalProperties as JsonSchema;
  const required = environment.required as string[];
  delete environment.required;
  Object.assign(environment, { if: { required: ['standbyOf'] }, then: { required: ['standbyOf'] }, else: { required } });
  describeProperties(schema, []);
  return {
    $schema: schema.$schema,
    title: 'dbfleet fleet file (fleet.yaml)',
    description:
      'The fleet: environments, services and their databases. Reference: the README of the dbfleet package ("Config reference").',
    ...withoutKey(schema, '$schema'),
  };
}

/** The JSON Schema of one service file: the same keys as an entry of `services:`. */
export function serviceJsonSchema(): JsonSchema {
  const fleet = fleetJsonSchema();
  const item = ((fleet.properties as Record<string, JsonSchema>).services.items ?? {}) as JsonSchema;
  return {
    $schema: fleet.$schema,
    title: 'dbfleet service file (services/*.yaml)',
    description: 'One service of the fleet: the same keys as an entry of `services:` in fleet.yaml.',
    ...item,
    // Shared definitions, when zod extracts any, are referenced from the root.
    ...(fleet.definitions ? { definitions: fleet.definitions } : {}),
  };
}

/** The text of a committed schema file. */
export function jsonSchemaText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/**
 * Sets the hover doc (`description`) of every property from descriptions.ts; `used` collects the
 * entries taken (the test checks that none is stale). A property without one keeps none, and
 * test/config/json-schema.test.ts fails.
 */
export function describeProperties(node: unknown, path: readonly string[], used?: Set<string>): void {
  if (typeof node !== 'object' || node === null) return;
  const schema = node as JsonSchema;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  for (const [key, property] of Object.entries(properties ?? {})) {
    const description = keyDescription([...path, key], used);
    // The description goes first, where a reader of the file looks.
    if (description !== undefined) properties![key] = { description, ...withoutKey(property, 'description') };
    describeProperties(properties![key], [...path, key], used);
  }
  if (typeof schema.additionalProperties === 'object') describeProperties(schema.additionalProperties, [...path, '*'], used);
  if (schema.items !== undefined) {
    const itemPath = path.length === 0 ? ['[]'] : [...path.slice(0, -1), `${path[path.length - 1]}[]`];
    for (const item of Array.isArray(schema.items) ? schema.items : [schema.items]) describeProperties(item, itemPath, used);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[key])) for (const option of schema[key] as unknown[]) describeProperties(option, path, used);
  }
  for (const key of ['if', 'then', 'else'] as const) describeProperties(schema[key], path, used);
}

function withoutKey(object: JsonSchema, key: string): JsonSchema {
  return Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));
}
