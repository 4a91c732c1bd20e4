// `npm run mutate`: mutation testing of the modules whose mistakes hurt users most. Slow on two
// cores (each mutant reruns the tests that cover it), so it runs outside CI; the README records the
// scores of the last run (docs/mutation-testing.md: scope, the survivors and why each one lives).
// `npm run mutate -- --mutate <file>` narrows it to one module.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Only the tests that claim these modules' behaviour (vitest.stryker.config.mts says which and why);
  // `related` off, so vitest does not add every test that imports them.
  vitest: { configFile: 'vitest.stryker.config.mts', related: false },
  plugins: ['@stryker-mutator/*', './scripts/stryker-plugins.mjs'],
  // Log-call arguments and the lines of SQL/shell comments are not mutated (scripts/stryker-plugins.mjs says why).
  ignorers: ['log-text', 'comment-text'],
  // What one run can finish on this shared two-core machine (about 4 mutants a minute at load 20: every
  // mutant is a fresh vitest run). The modules left out, and why, are listed in docs/mutation-testing.md
  // ("Not measured"); `npm run mutate -- --mutate <file>` measures one of them on its own.
  mutate: [
    // output publication: the staged directory that replaces dist/ only as a whole
    'lib/output/replace-directory.ts',
    // rotation: the state machine of a credential rotation
    'lib/secrets/credential-rotation.ts',
    // mongo-snapshot: acquireLock (the primary checks before and after the lock, the lost-reply handling)
    'lib/mongo-snapshot/lock.ts:150-287',
  ],

  coverageAnalysis: 'perTest',
  // A mutant reached only while a module loads (or in a beforeAll) would need the whole test set
  // rerun with a fresh module graph; on two shared cores that is most of the run time. Such mutants
  // are reported as "ignored", counted per module in docs/mutation-testing.md.
  ignoreStatic: true,
  concurrency: 2,
  // The machine is shared: the initial run of the tests took 12 minutes at load 10-15.
  dryRunTimeoutMinutes: 40,
  timeoutMS: 30000,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html', 'progress-file'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['build', '.cdk8s.out', 'reports', 'node_modules/.cache', 'dist.staging-*', 'dist.previous-*', '.scratch'],
  // The sandbox is .stryker-tmp/sandbox-*: tests find ../shared through the link npm run mutate makes.
  cleanTempDir: false,
};
