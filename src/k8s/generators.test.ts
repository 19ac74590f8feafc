import { describe, it, expect } from 'vitest';
import { generateDeployment, generatePod, generateService } from './generators.ts';

describe('kubectl create deployment', () => {
  it('labels, selector and template use app=NAME and the image base name', () => {
    const d = generateDeployment({ name: 'nginx', image: ['docker.io/library/nginx:1.27'], replicas: 3, port: 80, namespace: 'default' });
    const spec = d.spec as any;
    expect(d.metadata.labels).toEqual({ app: 'nginx' });
    expect(spec.selector).toEqual({ matchLabels: { app: 'nginx' } });
    expect(spec.template.metadata.labels).toEqual({ app: 'nginx' });
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.containers).toEqual([
      { image: 'docker.io/library/nginx:1.27', name: 'nginx', resources: {}, ports: [{ containerPort: 80 }] },
    ]);
  });
  it('requires an image', () => {
    expect(() => generateDeployment({ name: 'x', image: [] })).toThrow(/image/);
  });
});

describe('kubectl expose', () => {
  const deploy = generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80, namespace: 'default' });
  it('takes the selector from the Deployment and maps port → target-port', () => {
    const s = generateService({ target: deploy, port: 8080, targetPort: '80' });
    expect(s.metadata.name).toBe('nginx');
    expect((s.spec as any).selector).toEqual({ app: 'nginx' });
    expect((s.spec as any).ports).toEqual([{ port: 8080, protocol: 'TCP', targetPort: 80 }]);
  });
  it('keeps a named target port as a string and defaults targetPort to port', () => {
    expect((generateService({ target: deploy, port: 8080, targetPort: 'http' }).spec as any).ports[0].targetPort).toBe('http');
    expect((generateService({ target: deploy, port: 8080 }).spec as any).ports[0].targetPort).toBe(8080);
  });
  it('introspects container ports when --port is absent', () => {
    expect((generateService({ target: deploy }).spec as any).ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  });
  it('refuses an object with no ports to introspect', () => {
    const d = generateDeployment({ name: 'x', image: ['busybox'] });
    expect(() => generateService({ target: d })).toThrow(/couldn't find port/);
  });
});

describe('kubectl run', () => {
  it('makes a Pod labelled run=NAME with args after --', () => {
    const p = generatePod({ name: 'busybox', image: 'busybox', args: ['sleep', '3600'], restart: 'Never' });
    expect(p.metadata.labels).toEqual({ run: 'busybox' });
    expect((p.spec as any).restartPolicy).toBe('Never');
    expect((p.spec as any).containers[0].args).toEqual(['sleep', '3600']);
  });
  it('rejects a malformed --env', () => {
    expect(() => generatePod({ name: 'b', image: 'busybox', env: ['NOVALUE'] })).toThrow(/NAME=VALUE/);
  });
});
