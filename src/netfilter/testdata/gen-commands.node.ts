// Replays COMMAND_SEQUENCE with the real iptables/ip6tables in one scratch namespace and writes
// commands-expected.json (status, stdout, stderr of each call). Run as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMAND_SEQUENCE } from './commands.ts';

const ns = `kwt-${randomBytes(3).toString('hex')}-cmd`;
execFileSync('ip', ['netns', 'add', ns]);
try {
  const out = COMMAND_SEQUENCE.map((c) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, c.family === 6 ? 'ip6tables' : 'iptables', ...c.argv], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  });
  writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'commands-expected.json'), JSON.stringify(out, null, 1) + '\n');
  console.log(`${out.length} calls`);
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
}
