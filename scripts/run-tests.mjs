// Runs vitest, then prints its totals as one plain line ("N passed, N failed, N skipped")
// so any CI log reader can count them. Exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const out = 'out/test-results.json';
rmSync(out, { force: true });
const r = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
try {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  console.log(`${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped`);
} catch (e) {
  console.log(`test summary unavailable (${e.message})`);
}
process.exit(r.status ?? 1);
