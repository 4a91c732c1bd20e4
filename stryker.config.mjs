// `npm run mutate`: mutation testing of the modules whose mistakes hurt users most. Slow on two
// cores (each mutant reruns the tests that cover it), so it runs outside CI; the README records the
// scores of the last run. `npm run mutate -- --mutate <file>` narrows it to one module.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.mts', related: true },
  mutate: [
    'lib/access/privileges-sql.ts',
    'lib/secrets/rotation*.ts',
    'lib/output/replace-directory.ts',
    'lib/output/synthesize.ts',
    'lib/plan/dangers.ts',
    'lib/mongo-snapshot/lock.ts',
    'lib/mongo-snapshot/select.ts',
    'lib/mongo-snapshot/run.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 120000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['build', '.cdk8s.out', 'reports', 'node_modules/.cache'],
  // The sandbox is .stryker-tmp/sandbox-*: tests find ../shared through the link npm run mutate makes.
  cleanTempDir: false,
};
