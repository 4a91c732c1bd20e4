// The vitest configuration Stryker runs in its sandbox (`npm run mutate`, stryker.config.mjs).
// Only the tests that CLAIM the behaviour of the mutated modules run here, so each module's score
// says how well its own tests guard it (docs/mutation-testing.md explains the choice):
// - left out: test/backends/contract.test.ts, whose guard reads the sources and flags Stryker's
//   instrumented code (e.g. the `operator === ""` mutants) as a contract breach in every run;
// - left out: the property-based invariants, the whole-fleet, dist/ and package tests. They
//   exercise these modules only in passing, cost seconds per mutant, and would turn a score into
//   "the whole suite" rather than "the tests that say they prove this".
// - left out: tests that reach the modules only through a child process (the `cdk8s synth` tests,
//   the mongo-snapshot simulator e2e tests run the built bundle): Stryker activates a mutant in the
//   test process only, so those can neither cover nor kill one.
// - left out: the real-PostgreSQL tests (test/access/matrix.test.ts, test/secrets/rotation-postgres.test.ts,
//   test/security). Their `it`s are steps of one scenario: Stryker reruns only the `it`s that reach a
//   mutant, and a step run without the steps before it fails whatever the mutant (a false kill). And
//   each rerun starts PostgreSQL again, tens of seconds per mutant on this machine.
// - left out: tests that only pass the modules' output along. test/access/developer-access.test.ts
//   compares the rendered SQL with privilegesSql() itself (a mutant changes both sides alike);
//   test/plan/model.test.ts is about the plan model and renders a whole fleet per test, which made a
//   surviving dangers.ts mutant cost a minute (test/plan/dangers.test.ts claims the dangers).
// - one module at a time: `MUTATE_TESTS=test/plan/dangers.test.ts npm run mutate -- --mutate lib/plan/dangers.ts`
//   runs only that module's tests (comma-separated), so the initial run does not pay for the others'.
import { defineConfig } from 'vitest/config';

const DEFAULT_TESTS = [
  'test/output/render.test.ts',
  'test/output/replace-directory.test.ts',
  'test/secrets/credential-rotation.test.ts',
  'test/mongo-snapshot/lock.test.ts',
];

export default defineConfig({
  test: {
    include: process.env.MUTATE_TESTS ? process.env.MUTATE_TESTS.split(',') : DEFAULT_TESTS,
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
