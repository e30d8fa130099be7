// The long run of the property suite: the same properties `npm test` runs at CI size, FUZZ_RUNS
// runs each (default 100000). Usage: npm run fuzz, or FUZZ_RUNS=1000000 npm run fuzz.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = process.env.FUZZ_RUNS ?? '100000';
if (!/^[1-9][0-9]*$/.test(runs)) {
  console.error(`FUZZ_RUNS must be a whole number of runs per property, such as 100000 (got "${runs}").`);
  process.exit(2);
}
const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const result = spawnSync(process.execPath, [mocha, '--no-config', '--node-option', 'import=tsx', '--timeout', '0', 'test/unit/properties.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs },
});
process.exit(result.status ?? 1);
