import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { KubewireError } from '../../errors.ts';
import { kubeProxyRulesCommand, register } from './kube-proxy.ts';

const dir = mkdtempSync(join(tmpdir(), 'kwt-kp-cli-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const yamlObjs = `
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: ns1}
spec:
  clusterIP: 172.30.0.41
  ports:
  - {name: p80, port: 80, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc1-abc
  namespace: ns1
  labels: {kubernetes.io/service-name: svc1}
addressType: IPv4
endpoints:
- addresses: [10.180.0.1]
ports:
- {name: p80, port: 80, protocol: TCP}
`;

const upstreamFlags = { nodeName: 'test-node', nodeIp: ['192.168.0.2'], clusterCidr: '10.0.0.0/8', markLiteral: '0x4000', randomFully: false };

describe('kubewire kube-proxy rules', () => {
  it('reads multi-document YAML without defaulting and prints the restore input', () => {
    const r = kubeProxyRulesCommand({ filename: [file('a.yaml', yamlObjs)], ...upstreamFlags, nfacctCounters: 'none' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O\n',
    );
    expect(r.stdout).toContain('-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80\n');
    expect(r.stdout.startsWith('*filter\n')).toBe(true);
    expect(r.stdout.endsWith('COMMIT\n')).toBe(true);
  });

  it('reads a JSON array and a List and gives the same output as YAML', () => {
    const yaml = kubeProxyRulesCommand({ filename: [file('b.yaml', yamlObjs)], ...upstreamFlags });
    const objs = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc1', namespace: 'ns1' }, spec: { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] } },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'svc1-abc', namespace: 'ns1', labels: { 'kubernetes.io/service-name': 'svc1' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.180.0.1'] }],
        ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
      },
    ];
    const arr = kubeProxyRulesCommand({ filename: [file('c.json', JSON.stringify(objs))], ...upstreamFlags });
    const list = kubeProxyRulesCommand({ filename: [file('d.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }))], ...upstreamFlags });
    expect(arr.stdout).toBe(yaml.stdout);
    expect(list.stdout).toBe(yaml.stdout);
  });

  it('applies flags: IPv6 family, masquerade bit, no random-fully, liberal conntrack', () => {
    const r = kubeProxyRulesCommand({
      filename: [file('e.yaml', yamlObjs)],
      nodeName: 'n',
      nodeIp: ['2001:db8::1'],
      masqueradeBit: 15,
      randomFully: false,
      conntrackTcpBeLiberal: true,
    });
    expect(r.stdout).toContain('-A KUBE-MARK-MASQ -j MARK --or-mark 0x00008000\n');
    expect(r.stdout).toContain('-j MASQUERADE\n');
    expect(r.stdout).not.toContain('INVALID');
    expect(r.stdout).toContain('! -d ::1/128 -j KUBE-NODEPORTS'); // IPv6 proxier: the IPv4 service is ignored
    expect(r.stdout).not.toContain('172.30.0.41');
  });

  it('takes node IPs and zone from the Node object and settings from a KubeProxyConfiguration', () => {
    const nodeYaml = `
apiVersion: v1
kind: Node
metadata: {name: test-node, labels: {topology.kubernetes.io/zone: zone-a}}
status:
  addresses:
  - {type: InternalIP, address: 192.168.0.2}
`;
    const cfg = file(
      'kp.yaml',
      `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: 10.0.0.0/8
iptables: {masqueradeAll: false, masqueradeBit: 14, localhostNodePorts: false}
nodePortAddresses: [primary]
`,
    );
    const r = kubeProxyRulesCommand({ filename: [file('f.yaml', yamlObjs), file('node.yaml', nodeYaml)], nodeName: 'test-node', config: cfg });
    expect(r.stdout).toContain('--dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n');
    expect(r.stdout).toContain('-d 192.168.0.2 -j KUBE-NODEPORTS\n');
    expect(r.stdout).not.toContain('KUBE-FIREWALL');
  });

  it('reports bad input with the file, line and object', () => {
    const bad = file(
      'bad.yaml',
      `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.0.0.1
  ports:
  - {name: http, port: 80}
`,
    );
    let err: unknown;
    try {
      kubeProxyRulesCommand({ filename: [bad], nodeName: 'n' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubewireError);
    expect((err as KubewireError).message).toContain('Service default/web: spec.ports[0].protocol is not set');
    expect((err as KubewireError).where?.file).toBe(bad);
    expect((err as KubewireError).where?.line).toBe(7);
    expect(() => kubeProxyRulesCommand({ filename: [file('g.yaml', yamlObjs)] })).toThrow(/--node-name is required/);
    expect(() => kubeProxyRulesCommand({ filename: [file('h.yaml', yamlObjs)], nodeName: 'n', nodeIp: ['nope'] })).toThrow(/invalid --node-ip/);
  });

  it('registers `kube-proxy rules` with --flag=value booleans', async () => {
    const program = new Command('kubewire').exitOverride();
    register(program);
    let out = '';
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(
        ['kube-proxy', 'rules', '-f', file('i.yaml', yamlObjs), '--node-name', 'test-node', '--localhost-nodeports=false', '--random-fully=false', '--nfacct-counters', 'none'],
        { from: 'user' },
      );
    } finally {
      process.stdout.write = orig;
    }
    expect(out).toContain('-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS');
    expect(out).toContain('-j MASQUERADE\n');
  });

  it('--format save prints what iptables-save shows after the sync on an empty node', () => {
    const r = kubeProxyRulesCommand({ filename: [file('j.yaml', yamlObjs)], ...upstreamFlags, markLiteral: undefined, nfacctCounters: 'none', format: 'save' });
    expect(r.stdout).toContain('*mangle\n:PREROUTING ACCEPT [0:0]\n');
    expect(r.stdout).toContain(':KUBE-PROXY-CANARY - [0:0]\n');
    expect(r.stdout).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n');
    expect(r.stdout).toContain(
      '-A KUBE-SVC-XPGD46QRK7WJZT7O ! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ\n',
    );
    expect(r.stdout).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n');
    expect(() => kubeProxyRulesCommand({ filename: [file('k.yaml', yamlObjs)], nodeName: 'n', format: 'json' })).toThrow(/invalid --format/);
  });

  it('--node-address lists the local addresses matched by --nodeport-addresses', () => {
    const r = kubeProxyRulesCommand({
      filename: [file('l.yaml', yamlObjs)],
      ...upstreamFlags,
      nodeportAddresses: '192.168.0.0/16',
      nodeAddress: ['192.168.0.2', '192.168.7.9', '10.0.0.1'],
    });
    expect(r.stdout).toContain('-d 192.168.0.2 -j KUBE-NODEPORTS\n');
    expect(r.stdout).toContain('-d 192.168.7.9 -j KUBE-NODEPORTS\n');
    expect(r.stdout).not.toContain('-d 10.0.0.1 -j KUBE-NODEPORTS');
  });
});

