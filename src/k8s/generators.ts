// Objects that kubectl's imperative commands generate (create deployment, expose, run),
// shaped as kubectl sends them to the API server, before server-side defaulting.

import type { KObject } from './types.ts';
import { KubewireError } from '../errors.ts';

export interface CreateDeploymentArgs {
  name: string;
  image: string[];
  replicas?: number;
  port?: number;
  namespace?: string;
}

/** kubectl create deployment NAME --image=I [--replicas=N] [--port=P]: label app=NAME, one container per image. */
export function generateDeployment(a: CreateDeploymentArgs): KObject {
  if (a.image.length === 0) throw new KubewireError('required flag(s) "image" not set');
  const labels = { app: a.name };
  const containers = a.image.map((image, i) => {
    // kubectl names containers after the image's last path segment, without tag or digest.
    const base = image.split('/').pop()!.split('@')[0].split(':')[0];
    const c: Record<string, unknown> = { image, name: base, resources: {} };
    if (a.port !== undefined && i === 0) c.ports = [{ containerPort: a.port }];
    return c;
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: a.name, namespace: a.namespace, labels: { ...labels } },
    spec: {
      replicas: a.replicas ?? 1,
      selector: { matchLabels: { ...labels } },
      strategy: {},
      template: {
        metadata: { labels: { ...labels } },
        spec: { containers },
      },
    },
    status: {},
  };
}

export interface ExposeArgs {
  /** The object being exposed (Deployment, ReplicaSet, Pod or Service). */
  target: KObject;
  name?: string;
  port?: number;
  targetPort?: string;
  protocol?: string;
  type?: string;
  portName?: string;
}

function selectorOf(o: KObject): Record<string, string> {
  const spec = (o.spec ?? {}) as Record<string, any>;
  switch (o.kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet': {
      const sel = spec.selector ?? {};
      if (sel.matchExpressions?.length) {
        throw new KubewireError(
          `couldn't retrieve selectors via --selector flag or introspection: the ${o.kind} "${o.metadata.name}" uses matchExpressions, which a Service selector cannot express`,
        );
      }
      return { ...(sel.matchLabels ?? {}) };
    }
    case 'Service':
      return { ...(spec.selector ?? {}) };
    case 'Pod':
      return { ...(o.metadata.labels ?? {}) };
    default:
      throw new KubewireError(`cannot expose a ${o.kind}`);
  }
}

/** Container ports of the exposed object's pod template, as kubectl expose introspects them. */
function templatePorts(o: KObject): Array<{ containerPort: number; protocol?: string; name?: string }> {
  const spec = (o.spec ?? {}) as Record<string, any>;
  const podSpec = o.kind === 'Pod' ? spec : spec.template?.spec;
  const out: Array<{ containerPort: number; protocol?: string; name?: string }> = [];
  for (const c of podSpec?.containers ?? []) for (const p of c.ports ?? []) out.push(p);
  return out;
}

/** kubectl expose TYPE NAME --port=P [--target-port=T] [--name=N] [--type=T] [--protocol=P]. */
export function generateService(a: ExposeArgs): KObject {
  const t = a.target;
  const selector = selectorOf(t);
  if (Object.keys(selector).length === 0) {
    throw new KubewireError(`couldn't retrieve selectors via --selector flag or introspection: the ${t.kind} "${t.metadata.name}" has no selector`);
  }
  let ports: Array<Record<string, unknown>>;
  if (a.port !== undefined) {
    const p: Record<string, unknown> = { port: a.port, protocol: a.protocol ?? 'TCP' };
    if (a.targetPort !== undefined) p.targetPort = /^\d+$/.test(a.targetPort) ? Number(a.targetPort) : a.targetPort;
    else p.targetPort = a.port;
    if (a.portName) p.name = a.portName;
    ports = [p];
  } else {
    const tp = templatePorts(t);
    if (tp.length === 0) {
      throw new KubewireError(`couldn't find port via --port flag or introspection`);
    }
    ports = tp.map((p, i) => {
      const r: Record<string, unknown> = { port: p.containerPort, protocol: a.protocol ?? p.protocol ?? 'TCP', targetPort: p.containerPort };
      if (tp.length > 1) r.name = `port-${i + 1}`;
      return r;
    });
  }
  const spec: Record<string, unknown> = { ports, selector };
  if (a.type) spec.type = a.type;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: a.name ?? t.metadata.name,
      namespace: t.metadata.namespace,
      labels: t.metadata.labels ? { ...t.metadata.labels } : undefined,
    },
    spec,
  };
}

export interface RunArgs {
  name: string;
  image: string;
  namespace?: string;
  port?: number;
  labels?: Record<string, string>;
  restart?: 'Always' | 'OnFailure' | 'Never';
  /** Words after `--`: container args, or the command with --command. */
  args?: string[];
  command?: boolean;
  env?: string[];
}

/** kubectl run NAME --image=I [--port=P] [--restart=R] [-- args...]: a bare Pod labelled run=NAME. */
export function generatePod(a: RunArgs): KObject {
  const container: Record<string, unknown> = { name: a.name, image: a.image, resources: {} };
  if (a.port !== undefined) container.ports = [{ containerPort: a.port }];
  if (a.args && a.args.length) container[a.command ? 'command' : 'args'] = [...a.args];
  if (a.env && a.env.length) {
    container.env = a.env.map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new KubewireError(`invalid env: ${kv} (expected NAME=VALUE)`);
      return { name: kv.slice(0, i), value: kv.slice(i + 1) };
    });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: a.name, namespace: a.namespace, labels: a.labels ?? { run: a.name } },
    spec: {
      containers: [container],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: a.restart ?? 'Always',
    },
    status: {},
  };
}
