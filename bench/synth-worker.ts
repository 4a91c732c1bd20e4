// One synth of one fleet file, as main.ts does it (render, schema check, write), reporting its
// own wall time and peak RSS as JSON on stdout. Run by bench/synth.ts in a fresh process per size,
// from the same bundle cache as the app (`node scripts/bundle-cache.cjs bench/synth-worker.ts …`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaCheck } from '../lib/output/schema-check';
import { synthesizeFleet } from '../lib/output/synthesize';

async function main(): Promise<void> {
  const [configFile, validate] = process.argv.slice(-2);
  const out = mkdtempSync(join(tmpdir(), 'dbfleet-bench-'));
  let objects = 0;
  let rendered: ReadonlyArray<{ path: string; object: unknown }> = [];
  const start = performance.now();
  const code = await synthesizeFleet({
    configFile,
    outdir: join(out, 'dist'),
    validate:
      validate === 'validate'
        ? (all) => {
            objects = all.length;
            rendered = all;
            return schemaCheck(all);
          }
        : (all) => {
            objects = all.length;
            rendered = all;
            return [];
          },
    log: () => undefined,
  });
  const wallMs = performance.now() - start;
  // After the timing: the largest object (its JSON, as the API server stores it).
  let largestBytes = 0;
  let largestPath = '';
  for (const o of rendered) {
    const bytes = Buffer.byteLength(JSON.stringify(o.object));
    if (bytes > largestBytes) {
      largestBytes = bytes;
      largestPath = o.path;
    }
  }
  rmSync(out, { recursive: true, force: true });
  process.stdout.write(
    JSON.stringify({
      code,
      objects,
      wallMs,
      largestBytes,
      largestPath,
      processMs: process.uptime() * 1000,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

void main();
