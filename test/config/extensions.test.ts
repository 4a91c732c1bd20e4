// A service's extensions render in a canonical order (issue 25: their order in the fleet file
// changed the Database objects and the access SQL), each after the extensions it requires.
import { describe, expect, it } from 'vitest';
import { canonicalExtensions } from '../../lib/config/extensions';
import { buildApp, renderObjects, toYaml } from '../../lib/output/render';
import { BASE_FLEET, fleetOf } from '../support/fleet';

const render = (extensions: string) => {
  const text = BASE_FLEET.replace('    extensions: [pgcrypto]\n', `    extensions: ${extensions}\n`);
  expect(text).toContain(`extensions: ${extensions}`);
  return renderObjects(buildApp(fleetOf(text))).map((o) => `${o.path}\n${toYaml(o.object)}`);
};

describe('extensions are canonical', () => {
  it('sorted by name, deduplicated, each after what it requires (no CASCADE in CloudNativePG’s Database controller)', () => {
    expect(canonicalExtensions(['pg_trgm', 'earthdistance', 'cube', 'pg_trgm'])).toEqual(['cube', 'earthdistance', 'pg_trgm']);
    expect(canonicalExtensions(['uuid-ossp', 'earthdistance', 'citext', 'cube'])).toEqual(['citext', 'cube', 'earthdistance', 'uuid-ossp']);
    // A requirement that is not listed is not added: PostgreSQL reports it, naming it.
    expect(canonicalExtensions(['earthdistance'])).toEqual(['earthdistance']);
  });

  it('the rendered output is the same whatever the order in the fleet file', () => {
    const a = render('[pg_trgm, earthdistance, cube]');
    const b = render('[cube, pg_trgm, earthdistance]');
    expect(b).toEqual(a);
    const database = a.find((t) => t.includes('kind: Database\n') && t.includes('name: cube'))!;
    expect(database.indexOf('name: cube')).toBeLessThan(database.indexOf('name: earthdistance'));
    expect(database.indexOf('name: earthdistance')).toBeLessThan(database.indexOf('name: pg_trgm'));
  });
});
