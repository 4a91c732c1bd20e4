// In CI nothing may be skipped (.ci/run): a test that skips itself for want of a tool (openssl, mongosh,
// PostgreSQL, the MongoDB simulator) proves nothing there. Each test file guards its own prerequisites with
// `skipIf`; this reporter is the one place that turns any skip into a failed run, so a new guard cannot
// silently hollow out CI (issue 33: the KubeClient HTTPS and mongosh runbook tests skipped without a word).
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const module of testModules)
      for (const test of module.children.allTests())
        if (test.result().state === 'skipped') skipped.push(`${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`);
    if (skipped.length === 0) return;
    console.error(`\n${skipped.length} test(s) skipped; in CI nothing may be skipped:\n${skipped.map((s) => `  - ${s}`).join('\n')}`);
    process.exitCode = 1;
  }
}
