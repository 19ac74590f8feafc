// Runs every ERROR_CASES input through the real iptables-restore and records its message (normalised)
// and the line kubewire blames, into errors.json. Run as root.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CASES } from './error-cases.ts';
import { realRestoreSave } from '../real-iptables.node.ts';
import { iptablesRestore } from '../restore.ts';
import { emptyNetfilter } from '../types.ts';
import { KubewireError } from '../../errors.ts';
import { normaliseError } from './gen-fuzz.node.ts';

const out = ERROR_CASES.map((c) => {
  const r = realRestoreSave([{ text: c.text }], { family: c.family });
  if (r.ok) throw new Error(`${c.name}: the real tool accepted it`);
  let line: number | undefined;
  try {
    iptablesRestore(emptyNetfilter(), c.text, { family: c.family });
  } catch (e) {
    if (e instanceof KubewireError) line = e.where?.line;
  }
  return { name: c.name, family: c.family, text: c.text, real: normaliseError(r.stderr), line };
});
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'errors.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`${out.length} cases`);
