// The tests that hold for ANY fleet in fleet.yaml (+ services/*.yaml): they read the repository's
// own fleet, dist/ or charts and check what must be true whatever the fleet is (it loads, dist/ is
// current, every object validates, the invariants). test/adoption/replaced-fleet.test.ts runs
// them on a copy of the repository whose fleet.yaml is another team's fleet.
//
// Every other test uses its own fixture fleets (test/fixtures/fleets/, test/support/fleet.ts),
// never fleet.yaml. Add a test file here when it checks an invariant on the repository's fleet.
export const FLEET_INDEPENDENT_TESTS: readonly string[] = [
  'test/dist.test.ts',
  'test/validate/dist.test.ts',
  'test/config/json-schema.test.ts',
  'test/gitops/argocd.test.ts',
  'test/monitoring/schemas.test.ts',
  'test/monitoring/promtool.test.ts',
  'test/synth/atomic.test.ts',
];
