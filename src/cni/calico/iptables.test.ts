// Felix's chains for a v3.28 VXLAN node against a real Calico v3.28.0 node (operator install,
// VXLAN, kube-proxy iptables; `iptables -n -L` dump with one workload cali839f4f93e61 in
// calico-system, published in a public kubeadm walkthrough): every rule-hash comment of every
// chain below is taken from that dump. Newer-version hook placement from other real dumps.
import { describe, expect, it } from 'vitest';
import { felixChainName, felixChains, felixHooks, ruleHashes } from './iptables.ts';
import { parseCalicoVersion, versionFeatures } from './version.ts';
import { DEFAULT_CALICO } from './plugin.ts';

const v328 = versionFeatures(parseCalicoVersion('v3.28.0'));
const chains = felixChains({ features: v328, settings: DEFAULT_CALICO, vxlan: true, endpoints: [{ iface: 'cali839f4f93e61', namespace: 'calico-system' }] });
const hashesOf = (table: string, name: string) => {
  const c = chains.find((x) => x.table === table && x.name === name);
  if (!c) throw new Error(`no chain ${table}/${name}`);
  return ruleHashes(c.name, c.rules);
};

describe('real Calico v3.28.0 VXLAN node', () => {
  it.each([
    ['filter', 'cali-INPUT', ['J76FwxInZIsk7uKY', 'EDCNTTxYfggApx8C', 'H03xYXARh4e8pwd4', 'MN6K3isIWBigb1Va', 'OSYphBLwOgic22Hz', 'rmi2_piRVmfeiwVp', 'F7Q8zu44qIbOVben']],
    ['filter', 'cali-OUTPUT', ['Mq1_rAdXXH3YkrzW', '69FkRTJDvD5Vu6Vl', '-QZG79DohFjalQBb', 'iC1pSPgbvgQzkUk_', '4Zh7KtRvt4W5AEBR', 'Y0k-bqjt-5CUqyUq']],
    ['filter', 'cali-FORWARD', ['vjrMJCRpqwy5oRoX', 'A_sPAO0mcxbT9mOV', '8ZoYfO5HKXWbB3pk', 'jdEuaPBe14V2hutn', '12bc6HljsMKsmfr-', 'NOSxoaGx8OIstr1z']],
    ['filter', 'cali-wl-to-host', ['Ee9Sbo10IpVujdIY', 'nSZbcOoG1xPONxb8']],
    ['filter', 'cali-from-wl-dispatch', ['SrG1j21I2siK_yQD', 'S20STpYL4dv_pcZY']],
    ['filter', 'cali-to-wl-dispatch', ['4Fqv_-9RZ2vgyLDb', '1Dz_2BWm_qJtjSng']],
    [
      'filter',
      'cali-fw-cali839f4f93e61',
      ['OMdV1VmYvgay0Ju_', '9GTJTvgFoQSuHKyd', 'z8vZgauvdvTX14jS', 'WJxdljn16dqhpgmF', 'rzce_8ES3RZZ9abT', 'cr3QRQN7OZshnwZM', 'yQFK3WKtWLN-RIEH', 'bGNGJdfsMA4VCnAZ', '4jKZ60Lo3ApMmZll', 'tzuXKpDyOxEZ7V_o'],
    ],
    ['filter', 'cali-tw-cali839f4f93e61', ['aAGPL5ce-sfWvtEi', 'uGYjECSJP78AgcRn', 'MwKebX5wAu_THC67', 'AgNwg8ifzTwYQcWu', '7Wl-PUKK1Kcq6eU-', 'Kn5_KGJdoAzoXq9Q', 'xHcktBvIC6Kjdl7A', 'hHYkwi_qPKC7uR09']],
    ['filter', 'cali-pri-kns.calico-system', ['hLANj-OVIyT53h_j']],
    ['filter', 'cali-pro-kns.calico-system', ['gWxJzCZXxl31NR0P']],
    ['filter', 'cali-pri-_og73BH3DuNOZrbBKFW', ['OzmBDJrkeSSUiXhX']],
    ['filter', 'cali-pro-_og73BH3DuNOZrbBKFW', ['09a9ZBFOA1dZ4RN5']],
    ['nat', 'cali-POSTROUTING', ['Z-c7XtVd2Bq7s_hA', 'nYKhEzDlr11Jccal', 'e9dnSgSVNmIcpVhP']],
    ['nat', 'cali-PREROUTING', ['r6XmIziWUJsdOK6Z']],
    ['nat', 'cali-OUTPUT', ['GBTAv2p5CwevEyJm']],
    ['nat', 'cali-nat-outgoing', ['flqWnvo8yq4ULQLa']],
  ])('%s %s', (table, name, want) => {
    expect(hashesOf(table, name)).toEqual(want);
  });

  it('service-account profile chain name is hashed (ksa.calico-system.default → cali-pri-_og73BH3DuNOZrbBKFW)', () => {
    expect(felixChainName('cali-pri-', 'ksa.calico-system.default')).toBe('cali-pri-_og73BH3DuNOZrbBKFW');
  });

  it('hooks: nat POSTROUTING inserted on top in v3.28 (O3lY…), appended after kube-proxy from v3.29 (0i8p…)', () => {
    const hook = (v: string) => felixHooks(versionFeatures(parseCalicoVersion(v))).find((h) => h.table === 'nat' && h.chain === 'POSTROUTING')!;
    expect(hook('v3.28.0').mode).toBe('insert');
    expect(ruleHashes('POSTROUTING', hook('v3.28.0').rules)).toEqual(['O3lYWMrLQYEMJtB5']);
    expect(hook('v3.32.1').mode).toBe('append');
    expect(ruleHashes('POSTROUTING*appends*', hook('v3.32.1').rules)).toEqual(['0i8pjzKKPyA34aQD']);
  });
});
