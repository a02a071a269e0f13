// Sums vitest JSON reports into one closing line "N passed, N failed, N skipped".
// In CI (CI=true), a skipped or missing interop/integration test fails the run: they must not skip.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const MUST_NOT_SKIP = new Set(['interop', 'integration']);
let passed = 0;
let failed = 0;
let skipped = 0;
let problems = 0;
for (const file of process.argv.slice(2)) {
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
