// Sums vitest JSON reports into one closing line "N passed, N failed, N skipped", after repeating
// the reliability suite's fuzz tallies (fuzz-*.tally, JSON, beside the reports).
// In CI (CI=true), a skipped or missing interop/reliability/integration test fails the run: they must not skip.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const MUST_NOT_SKIP = new Set(['interop', 'reliability', 'integration']);
const reports = process.argv.slice(2);
for (const format of ['bin', 'h5']) {
  const tallyFile = reports.length ? join(dirname(reports[0]), `fuzz-${format}.tally`) : '';
  if (!tallyFile || !existsSync(tallyFile)) continue;
  const t = JSON.parse(readFileSync(tallyFile, 'utf8'));
  console.log(
    `reliability fuzz ${format} (seed ${t.seed}): ${t.cases} cases, ${t.typedErrors} typed errors, ${t.correctLoads} correct loads, ` +
      `${t.wrongLoads} wrong loads, ${t.hangs} hangs, ${t.untypedErrors} untyped errors`,
  );
}
let passed = 0;
let failed = 0;
let skipped = 0;
let problems = 0;
for (const file of reports) {
  const project = basename(file, '.json');
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.log(`${project}: no report (the run crashed)`);
    problems++;
    continue;
  }
  const skippedHere = report.numPendingTests + report.numTodoTests;
  console.log(
    `${project}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skippedHere} skipped`,
  );
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += skippedHere;
  if (
    process.env.CI === 'true' &&
    MUST_NOT_SKIP.has(project) &&
    (skippedHere > 0 || report.numTotalTests === 0)
  ) {
    console.log(`${project}: tests were skipped or none ran; in CI they must all run`);
    problems++;
  }
  if (report.numFailedTestSuites > 0 && report.numFailedTests === 0) problems++;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || problems > 0 ? 1 : 0);
