// Regenerates golden/*.saved from the real iptables-restore/iptables-save (run as root).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases.ts';
import { netnsUsable, realRestoreSave } from '../real-iptables.node.ts';

const here = dirname(fileURLToPath(import.meta.url));
if (!netnsUsable()) {
  console.error('needs root and a working `ip netns` with iptables-nft');
  process.exit(1);
}
mkdirSync(join(here, 'golden'), { recursive: true });
for (const c of CASES) {
  const steps = c.steps.map((s) => ({ ...s, text: readFileSync(join(here, s.file), 'utf8') }));
  const r = realRestoreSave(steps, { family: c.family, saveCounters: c.saveCounters });
  if (!r.ok) {
    console.error(`${c.name}: real restore failed:\n${r.stderr}`);
    process.exitCode = 1;
    continue;
  }
  writeFileSync(join(here, 'golden', `${c.name}.saved`), r.saved);
  console.log(`${c.name}: ${r.saved.split('\n').length} lines`);
}
