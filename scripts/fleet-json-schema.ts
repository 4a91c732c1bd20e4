// `npm run fleet-schema`: rewrites the committed JSON Schemas of the fleet and service files from
// the zod schema (lib/config/json-schema.ts). Also part of `npm run import`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLEET_JSON_SCHEMA_FILES, fleetJsonSchema, jsonSchemaText, serviceJsonSchema } from '../lib/config/json-schema';

const root = join(__dirname, '..');
writeFileSync(join(root, FLEET_JSON_SCHEMA_FILES.fleet), jsonSchemaText(fleetJsonSchema()));
writeFileSync(join(root, FLEET_JSON_SCHEMA_FILES.service), jsonSchemaText(serviceJsonSchema()));
process.stderr.write(`wrote ${FLEET_JSON_SCHEMA_FILES.fleet} and ${FLEET_JSON_SCHEMA_FILES.service}\n`);
