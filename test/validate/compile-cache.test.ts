// The compile cache (lib/validate/compile-cache.ts): validators loaded from cached standalone code
// report exactly what validators compiled in memory report; a bad cache file is ignored and
// rebuilt, and a damaged V8 code cache ignored; a changed schema is a new cache key (never a stale
// validator); a cache folder that cannot be written only means compiling in memory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, loadValidator, type ValidationReport, type Validator } from '../../lib/validate';
import { compileCacheStats, compiledCacheKey } from '../../lib/validate/compile-cache';
import { SCHEMA_CACHE_ENV, schemaCacheDir } from '../../lib/validate/schema-source';
import { broken, valid, type Obj } from './fixtures';

const UNVALIDATED = ['example.com/v1/Gadget'];

// One object per failure class, built-ins and CRDs (the same breakages the per-project tests use),
// every valid fixture, and an unvalidated kind (envelope validator).
const objects: Obj[] = [
  ...Object.values(valid),
  broken('Cluster', (o) => {
    o.spec.instancs = 3;
  }), // unknown field
  broken('Cluster', (o) => {
    o.spec.instances = 'three';
  }), // type
  broken('Cluster', (o) => {
    o.spec.instances = 0;
  }), // minimum
  broken('Database', (o) => {
    delete o.spec.owner;
  }), // required
  broken('Database', (o) => {
    o.spec.ensure = 'maybe';
  }), // enum
  broken('Cluster', (o) => {
    o.spec.backup = { retentionPolicy: '30 days' };
  }), // pattern
  broken('Cluster', (o) => {
    o.spec.resources = { claims: [{ name: 'gpu' }, { name: 'gpu' }] };
  }), // list-map
  broken('Database', (o) => {
    o.metadata.name = 'postgres';
    o.spec.name = 'postgres';
  }), // CEL
  broken('PrometheusRule', (o) => {
    o.spec.groups[0].partial_response_strategy = 'never';
  }), // RE2-only pattern
  broken('PrometheusRule', (o) => {
    o.spec.groups.push(structuredClone(o.spec.groups[0]));
  }), // list-map
  broken('ServiceMonitor', (o) => {
    o.spec.scrapeProtocols = ['PrometheusProto', 'PrometheusProto'];
  }), // list-set
  broken('Deployment', (o) => {
    o.spec.template.spec.containers[0].resources.requests.cpu = '100 m';
  }), // Quantity
  broken('Secret', (o) => {
    o.data.username = 'not base64!';
  }), // format byte
  broken('Deployment', (o) => {
    o.spec.replicas = 2 ** 31;
  }), // format int32
  broken('Job', (o) => {
    o.spec.podFailurePolicy = { rules: [{ action: 'FailJob' }] };
  }), // oneOf
  broken('Service', (o) => {
    o.spec.ports.push({ name: 'pg2', port: 5432, protocol: 'TCP' });
  }), // built-in list-map
  broken('Service', (o) => {
    o.metadata.name = '1orders';
  }), // metadata
  { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'Bad_Name', extra: 1 } }, // envelope
];

let root: string;
const savedEnv = process.env[SCHEMA_CACHE_ENV];
const defaultCache = schemaCacheDir();

/** A fresh cache folder, seeded with the CRD parse cache (so only compilation is cold). */
function freshCacheDir(): string {
  const dir = fs.mkdtempSync(path.join(root, 'cache-'));
  if (defaultCache && fs.existsSync(defaultCache)) {
    for (const f of fs.readdirSync(defaultCache)) if (f.startsWith('crd-')) fs.copyFileSync(path.join(defaultCache, f), path.join(dir, f));
  }
  return dir;
}

/** The cache folder is read when the validator is created; the env is restored right after. */
function validatorWith(cache: string, options: { schemasDir?: string } = {}): Validator {
  process.env[SCHEMA_CACHE_ENV] = cache;
  try {
    return loadValidator({ ...options, unvalidatedKinds: UNVALIDATED });
  } finally {
    if (savedEnv === undefined) delete process.env[SCHEMA_CACHE_ENV];
    else process.env[SCHEMA_CACHE_ENV] = savedEnv;
  }
}

function validateAll(v: Validator): ValidationReport {
  return v.validateObjects(objects.map((object, i) => ({ object, location: { file: `o${i}.yaml` } })));
}

/** The reference: no cache at all (DBFLEET_SCHEMA_CACHE=off), as before the compile cache existed. */
let uncached: ValidationReport | undefined;
function uncachedReport(): ValidationReport {
  uncached ??= validateAll(validatorWith('off'));
  return uncached;
}

const compiledFiles = (cache: string) =>
  fs
    .readdirSync(path.join(cache, 'compiled'))
    .filter((f) => f.endsWith('.js'))
    .sort();
const stats = () => ({ ...compileCacheStats });

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dbfleet-compile-cache-'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('compile cache', () => {
  it('a validator loaded from the cache reports exactly what a fresh compile reports', () => {
    const uncached = uncachedReport();

    const cache = freshCacheDir();
    const before = stats();
    const cold = validateAll(validatorWith(cache));
    const afterCold = stats();
    expect(afterCold.loaded).toBe(before.loaded);
    expect(afterCold.stored).toBeGreaterThan(before.stored);
    expect(compiledFiles(cache)).toHaveLength(afterCold.stored - before.stored);

    const warm = validateAll(validatorWith(cache));
    const afterWarm = stats();
    expect(afterWarm.stored).toBe(afterCold.stored); // nothing compiled
    expect(afterWarm.loaded - afterCold.loaded).toBe(afterCold.stored - before.stored); // everything loaded
    expect(afterWarm.rejected).toBe(afterCold.rejected);

    // Not a vacuous comparison: every failure class above is reported.
    expect(uncached.issues.length).toBeGreaterThanOrEqual(18);
    expect(uncached.issues.map(formatIssue)).toContainEqual(
      expect.stringMatching(/: Service\/orders-db: spec\.ports\[1\]: Duplicate value: \{"port":5432,"protocol":"TCP"\}$/),
    );
    // The warm load wrote V8 code caches; a third validator runs from those.
    expect(fs.readdirSync(path.join(cache, 'compiled')).filter((f) => f.endsWith('.v8'))).toHaveLength(compiledFiles(cache).length);
    const codeCached = validateAll(validatorWith(cache));
    expect(stats().stored).toBe(afterCold.stored);

    expect(cold).toEqual(uncached);
    expect(warm).toEqual(uncached);
    expect(codeCached).toEqual(uncached);
    expect(JSON.stringify(warm)).toBe(JSON.stringify(uncached));
  });

  it('ignores a corrupted cache file and rebuilds it', () => {
    const cache = freshCacheDir();
    // Four compiled files: two CRD kinds, a built-in kind, the envelope of unvalidated kinds.
    const some = [
      broken('Cluster', (o) => {
        o.spec.instances = 0;
      }),
      broken('PrometheusRule', (o) => {
        o.spec.groups[0].partial_response_strategy = 'never';
      }),
      broken('Service', (o) => {
        o.spec.ports.push({ name: 'pg2', port: 5432, protocol: 'TCP' });
      }),
      objects[objects.length - 1],
    ];
    const check = (v: Validator) => v.validateObjects(some.map((object) => ({ object, location: { file: 'c.yaml' } })));
    const expected = check(validatorWith(cache));
    const files = compiledFiles(cache);
    expect(files.length).toBe(4);
    expect(expected.issues.length).toBeGreaterThanOrEqual(4);

    // Three kinds of damage: truncated, not JavaScript, JavaScript of the wrong shape.
    const damage = [
      (text: string) => text.slice(0, Math.floor(text.length / 2)),
      () => '\u0000\u0001 not javascript {{{',
      () => 'exports.key = "something else";',
    ];
    files.forEach((f, i) => {
      const file = path.join(cache, 'compiled', f);
      fs.writeFileSync(file, damage[i % damage.length](fs.readFileSync(file, 'utf8')));
    });

    const before = stats();
    expect(check(validatorWith(cache))).toEqual(expected);
    const after = stats();
    expect(after.rejected - before.rejected).toBe(files.length);
    expect(after.stored - before.stored).toBe(files.length);
    expect(after.loaded).toBe(before.loaded);

    // Rebuilt: the next validator loads every file.
    expect(check(validatorWith(cache))).toEqual(expected);
    expect(stats().loaded - after.loaded).toBe(files.length);
    expect(stats().rejected).toBe(after.rejected);

    // A damaged V8 code cache is never handed to V8: it is ignored and rewritten.
    const codeCaches = fs.readdirSync(path.join(cache, 'compiled')).filter((f) => f.endsWith('.v8'));
    expect(codeCaches).toHaveLength(files.length);
    for (const f of codeCaches) {
      const file = path.join(cache, 'compiled', f);
      const bytes = fs.readFileSync(file);
      for (let i = 64; i < bytes.length; i += 97) bytes[i] ^= 0xff;
      fs.writeFileSync(file, bytes);
    }
    const beforeV8 = stats();
    expect(check(validatorWith(cache))).toEqual(expected);
    expect(stats().loaded - beforeV8.loaded).toBe(files.length);
    expect(stats().rejected).toBe(beforeV8.rejected);
    expect(stats().storeFailed).toBe(beforeV8.storeFailed);
  });

  it('changes the key when the schema, the definitions or the input changes', () => {
    const schema = { type: 'object', properties: { replicas: { type: 'integer', maximum: 5 } } };
    const key = compiledCacheKey(JSON.stringify(schema), 'defs-a');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(compiledCacheKey(JSON.stringify(structuredClone(schema)), 'defs-a')).toBe(key);
    expect(compiledCacheKey(JSON.stringify({ ...schema, properties: { replicas: { type: 'integer', maximum: 6 } } }), 'defs-a')).not.toBe(
      key,
    );
    expect(compiledCacheKey(JSON.stringify(schema), 'defs-b')).not.toBe(key);
  });

  it('never reuses a stale validator when a CRD changes', () => {
    const cache = freshCacheDir();
    const schemas = fs.mkdtempSync(path.join(root, 'schemas-'));
    const crd = path.join(schemas, 'widgets.yaml');
    const original = fs.readFileSync(path.join(__dirname, 'fixtures', 'widgets-crd.yaml'), 'utf8');
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { size: '2Gi', replicas: 1, name: 'a', mode: 'x' },
    };
    const problems = () =>
      validatorWith(cache, { schemasDir: schemas })
        .validateObject(widget, { file: 'w.yaml' })
        .map((i) => `${i.path}: ${i.message}`);

    fs.writeFileSync(crd, original);
    expect(problems()).toEqual([]);
    const first = compiledFiles(cache);

    const changed = original.replace('mode: { type: string }', 'mode: { type: string, maxLength: 0 }');
    expect(changed).not.toBe(original);
    fs.writeFileSync(crd, changed);
    expect(problems()).toEqual(['spec.mode: must NOT have more than 0 characters']);
    const second = compiledFiles(cache);
    expect(second.length).toBe(first.length + 1);
  });

  it('compiles in memory when the cache folder cannot be written', () => {
    const cache = freshCacheDir();
    fs.writeFileSync(path.join(cache, 'compiled'), 'a file where the folder should be');
    const before = stats();
    const report = validateAll(validatorWith(cache));
    expect(stats().storeFailed).toBeGreaterThan(before.storeFailed);
    expect(stats().stored).toBe(before.stored);
    expect(report).toEqual(uncachedReport());
  });
});
