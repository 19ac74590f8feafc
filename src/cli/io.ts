// Reading user files for commands: paths, directories (kubectl -f DIR reads *.yaml|*.yml|*.json) and "-" for stdin.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KubewireError } from '../errors.ts';

export interface InputFile {
  file: string;
  text: string;
}

export function readInputs(paths: string[]): InputFile[] {
  const out: InputFile[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ file: '<stdin>', text: readFileSync(0, 'utf8') });
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new KubewireError(`the path "${p}" does not exist`);
    }
    if (st.isDirectory()) {
      const names = readdirSync(p).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
      for (const n of names) out.push({ file: join(p, n), text: readFileSync(join(p, n), 'utf8') });
    } else {
      out.push({ file: p, text: readFileSync(p, 'utf8') });
    }
  }
  if (out.length === 0) throw new KubewireError('no objects passed to apply (give -f FILE, a directory or -)');
  return out;
}
