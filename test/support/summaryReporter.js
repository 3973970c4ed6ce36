/**
 * Adds one plain line, `N passed, N failed`, that CI and people can read at a glance. It goes to
 * stderr, where jest writes its own summary, so the two come out in order.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numRuntimeErrorTestSuites;
    const suiteNote = failedSuites > 0 ? ` (${failedSuites} test files failed to run)` : '';
    process.stderr.write(
      `\n${results.numPassedTests} passed, ${results.numFailedTests + failedSuites} failed${skipped ? `, ${skipped} skipped` : ''}${suiteNote}\n`,
    );
  }
}
module.exports = SummaryReporter;
