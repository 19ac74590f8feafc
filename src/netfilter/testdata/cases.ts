// Corpus for the differential tests: each case is fed to the real iptables-restore (fresh namespace)
// and to iptablesRestore; the real iptables-save output is kept in golden/<name>.saved (dates
// replaced by DATE) so the comparison also runs where namespaces are not available.
// Add a case: put its .rules file(s) here, list it below, then run
//   npx tsx src/netfilter/testdata/regen-golden.node.ts   (as root)

export interface CorpusStep {
  file: string;
  noflush?: boolean;
  counters?: boolean;
}

export interface CorpusCase {
  name: string;
  family: 4 | 6;
  steps: CorpusStep[];
  saveCounters?: boolean;
}

export const CASES: CorpusCase[] = [
  { name: 'kube-proxy-full-v4', family: 4, steps: [{ file: 'kube-proxy-full.v4.rules', noflush: true }] },
  { name: 'kube-proxy-full-v6', family: 6, steps: [{ file: 'kube-proxy-full.v6.rules', noflush: true }] },
  { name: 'aws-node-v4', family: 4, steps: [{ file: 'aws-node.v4.rules' }] },
  { name: 'calico-felix-v4', family: 4, steps: [{ file: 'calico-felix.v4.rules' }] },
  {
    name: 'aws-node-then-kube-proxy-noflush',
    family: 4,
    steps: [{ file: 'aws-node.v4.rules', noflush: true }, { file: 'kube-proxy-full.v4.rules', noflush: true }],
  },
  {
    name: 'kube-proxy-resync-noflush',
    family: 4,
    steps: [
      { file: 'aws-node.v4.rules', noflush: true },
      { file: 'kube-proxy-full.v4.rules', noflush: true },
      { file: 'kube-proxy-resync.step2.v4.rules', noflush: true },
    ],
  },
  {
    name: 'full-restore-replaces-tables',
    family: 4,
    steps: [{ file: 'kube-proxy-full.v4.rules', noflush: true }, { file: 'aws-node.v4.rules' }],
  },
  {
    name: 'commands-noflush',
    family: 4,
    steps: [
      { file: 'aws-node.v4.rules' },
      { file: 'commands.step2.v4.rules', noflush: true },
      { file: 'commands.step3.v4.rules', noflush: true },
      { file: 'commands.step4.v4.rules', noflush: true },
    ],
  },
  {
    name: 'policy-then-zero-same-block',
    family: 4,
    steps: [
      { file: 'aws-node.v4.rules' },
      { file: 'policy-zero.v4.rules', noflush: true },
    ],
  },
  { name: 'counters', family: 4, steps: [{ file: 'counters.v4.rules', counters: true }], saveCounters: true },
  { name: 'counters-ignored-without-c', family: 4, steps: [{ file: 'counters.v4.rules' }], saveCounters: true },
  { name: 'forms-basic', family: 4, steps: [{ file: 'forms-basic.v4.rules' }] },
  { name: 'forms-matches', family: 4, steps: [{ file: 'forms-matches.v4.rules' }] },
  { name: 'forms-targets', family: 4, steps: [{ file: 'forms-targets.v4.rules' }] },
  { name: 'forms-order', family: 4, steps: [{ file: 'forms-order.v4.rules' }] },
  { name: 'forms-tables', family: 4, steps: [{ file: 'forms-tables.v4.rules' }] },
  { name: 'forms-v6', family: 6, steps: [{ file: 'forms.v6.rules' }] },
  { name: 'forms-ports', family: 4, steps: [{ file: 'forms-ports.v4.rules' }] },
  { name: 'forms-options', family: 4, steps: [{ file: 'forms-options.v4.rules' }] },
  { name: 'kube-proxy-nfacct', family: 4, steps: [{ file: 'kube-proxy-nfacct.v4.rules', noflush: true }] },
  { name: 'family-lines-v4', family: 4, steps: [{ file: 'family-lines.rules' }] },
  { name: 'family-lines-v6', family: 6, steps: [{ file: 'family-lines.rules' }] },
];
