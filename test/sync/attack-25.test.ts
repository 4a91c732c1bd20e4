// Findings of the adversarial review of issue 25 that are fixed here, each with its regression test.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleet } from '../../lib/config/load';
import { buildApp, renderObjects, toYaml } from '../../lib/output/render';
import { rotate, RotateError } from '../../lib/secrets/rotate';
import { drFleet } from '../support/dr-fleet';
import { BASE_FLEET } from '../support/fleet';

describe('issue 25, attacked', () => {
  it('dbfleet rotate at a DR standby is refused (it was written and ignored), naming the environment to rotate in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-rotate-standby-'));
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, drFleet('per-service'));
    expect(() => rotate(file, 'orders', 'main-dr')).toThrow(RotateError);
    expect(() => rotate(file, 'orders', 'main-dr')).toThrow(/DR standby of "main": .*--environment main\b/);
  });

  it('the order of the developers list does not change the output', () => {
    const render = (text: string) => renderObjects(buildApp(parseFleet(text, 'fleet.yaml'))).map((o) => `${o.path}\n${toYaml(o.object)}`);
    const repoFleet = readFileSync(join(__dirname, '..', '..', 'fleet.yaml'), 'utf8');
    for (const text of [BASE_FLEET, repoFleet]) {
      const list = /^developers: \[(.*)\]$/m.exec(text)!;
      const reversed = text.replace(list[0], `developers: [${list[1].split(/,\s*/).reverse().join(', ')}]`);
      expect(reversed).not.toBe(text);
      expect(render(reversed)).toEqual(render(text));
    }
  });
});
