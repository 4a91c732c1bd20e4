// This repository's example fleet.yaml points yaml-language-server at the schema in lib/ (editors
// then show the hover docs of every key). Not in the fleet-independent suite: another team's
// fleet.yaml may point elsewhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the example fleet.yaml', () => {
  it('points yaml-language-server at lib/config/fleet.schema.json', () => {
    expect(readFileSync(join(__dirname, '..', '..', 'fleet.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=lib\/config\/fleet\.schema\.json\n/,
    );
  });
});
