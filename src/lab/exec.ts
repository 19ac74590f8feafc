// What `lab exec` / `lab ssh` may run and how probes are bounded (browser-safe, pure).

/** Tools `lab ssh` runs in a node's namespace (read-only views and bounded probes). */
export const NODE_TOOLS = ['ip', 'bridge', 'iptables-save', 'ip6tables-save', 'iptables', 'ip6tables', 'conntrack', 'ipset', 'ss', 'sysctl'];
/** Busybox applets `lab exec` offers in a pod's namespace (Debian's busybox binary). */
export const BUSYBOX_APPLETS = ['wget', 'nslookup', 'ping', 'traceroute', 'nc'];

/**
 * Bounds a probe: ping sends 4 packets within 10 s and waits 2 s for the last reply unless told otherwise. (wget is bounded by
 * --timeout only: Debian's busybox 1.35 wget crashes with -T when the connection is refused.)
 */
export function boundedArgv(argv: string[]): string[] {
  const prog = argv[0];
  if (BUSYBOX_APPLETS.includes(prog)) {
    const rest = argv.slice(1);
    if (prog === 'ping' && !rest.some((a) => a === '-c' || /^-c\d+$/.test(a))) rest.unshift('-c', '4');
    if (prog === 'ping' && !rest.some((a) => a === '-w' || /^-w\d+$/.test(a))) rest.unshift('-w', '10');
    if (prog === 'ping' && !rest.some((a) => a === '-W' || /^-W\d+$/.test(a))) rest.unshift('-W', '2');
    return ['busybox', prog, ...rest];
  }
  return argv;
}

/** The program name of argv (basename), or an error message when it is not allowed. */
export function allowedProgram(argv: string[], node: boolean): { prog: string; error?: string } {
  const prog = argv[0]?.split('/').pop() ?? '';
  if (NODE_TOOLS.includes(prog) || BUSYBOX_APPLETS.includes(prog)) return { prog };
  const list = node ? [...NODE_TOOLS, ...BUSYBOX_APPLETS] : [...BUSYBOX_APPLETS, ...NODE_TOOLS];
  return { prog, error: `lab ${node ? 'ssh' : 'exec'} runs ${list.join(', ')}; not "${argv[0] ?? ''}"` };
}
