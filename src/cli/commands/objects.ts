// kubectl-style object commands: apply, delete, create deployment|namespace, expose, run.
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';
import { admitObject, parseObjects } from '../../inputs/k8s-objects.ts';
import { generateDeployment, generatePod, generateService } from '../../k8s/generators.ts';
import type { KObject } from '../../k8s/types.ts';
import { readInputs } from '../io.ts';
import { commitOperation, openSession } from '../session.ts';
import { isNamespaced, notFoundMessage, objectKey, pluralRef, resourceRef, resolveKind } from '../../k8s/resources.ts';
import { parseIntOpt } from './_common.ts';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function nsOpts(ns: string | undefined) {
  return { namespace: ns ?? 'default', enforceNamespace: ns !== undefined };
}

export function register(program: Command): void {
  program
    .command('apply')
    .description('create or update objects from YAML/JSON files (multi-document, List), directories or - (stdin)')
    .requiredOption('-f, --filename <file>', 'file, directory or - (repeatable)', collect, [])
    .option('-n, --namespace <ns>', 'namespace for objects that do not name one')
    .action((opts: { filename: string[]; namespace?: string }, cmd: Command) => {
      const files = readInputs(opts.filename);
      const objects: KObject[] = [];
      for (const f of files) objects.push(...parseObjects(f.text, f.file, nsOpts(opts.namespace)).objects);
      const placed = objects;
      const s = openSession(cmd);
      const r = commitOperation(s, { op: 'apply', source: files.map((f) => f.file).join(','), objects: placed });
      for (const x of r.results) process.stdout.write(`${resourceRef(x.kind)}/${x.name} ${x.action}\n`);
    });

  program
    .command('delete')
    .description('delete objects named in files (-f) or by TYPE NAME...')
    .argument('[type]', 'resource type, e.g. deployment, svc, pod')
    .argument('[names...]', 'object names')
    .option('-f, --filename <file>', 'file, directory or - (repeatable)', collect, [])
    .option('-n, --namespace <ns>', 'namespace', undefined)
    .action((type: string | undefined, names: string[], opts: { filename: string[]; namespace?: string }, cmd: Command) => {
      let refs: Array<{ kind: string; namespace?: string; name: string }> = [];
      let source: string;
      if (opts.filename.length) {
        if (type) throw new KubewireError('cannot give both -f and a resource type');
        const files = readInputs(opts.filename);
        const objs: KObject[] = [];
        for (const f of files) objs.push(...parseObjects(f.text, f.file, nsOpts(opts.namespace)).objects);
        refs = objs.map((o) => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }));
        source = files.map((f) => f.file).join(',');
      } else {
        if (!type) throw new KubewireError('you must provide one or more resources by argument or filename (-f)');
        if (names.length === 0) throw new KubewireError(`resource(s) were provided, but no name was specified`);
        const kind = resolveKind(type);
        refs = names.map((name) => ({ kind, namespace: isNamespaced(kind) ? (opts.namespace ?? 'default') : undefined, name }));
        source = 'command line';
      }
      const s = openSession(cmd);
      for (const r of refs) {
        if (!s.stored.state.objects[objectKey({ kind: r.kind, metadata: { name: r.name, namespace: r.namespace } })]) {
          throw new KubewireError(notFoundMessage(r.kind, r.name));
        }
      }
      const r = commitOperation(s, { op: 'delete', source, refs });
      for (const x of r.results) process.stdout.write(`${resourceRef(x.kind)} "${x.name}" deleted\n`);
    });

  const create = program.command('create').description('create an object from flags (like kubectl create)');
  create
    .command('deployment')
    .description('create a Deployment (label app=NAME)')
    .argument('<name>')
    .requiredOption('--image <image>', 'container image (repeatable)', collect, [])
    .option('--replicas <n>', 'number of replicas', parseIntOpt('--replicas', 0, 10000), 1)
    .option('--port <port>', 'containerPort to expose', parseIntOpt('--port', 1, 65535))
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action((name: string, opts: { image: string[]; replicas: number; port?: number; namespace: string }, cmd: Command) => {
      const obj = generateDeployment({ name, image: opts.image, replicas: opts.replicas, port: opts.port, namespace: opts.namespace });
      createOne(cmd, obj, 'created');
    });
  create
    .command('namespace')
    .description('create a Namespace')
    .argument('<name>')
    .action((name: string, _o: unknown, cmd: Command) => {
      createOne(cmd, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'created');
    });

  program
    .command('expose')
    .description('expose a deployment, replicaset, pod or service as a new Service')
    .argument('<type>', 'deployment, replicaset, pod or service')
    .argument('<name>')
    .option('--port <port>', 'the port the Service serves on', parseIntOpt('--port', 1, 65535))
    .option('--target-port <port>', 'container port (number or name) the Service forwards to')
    .option('--name <name>', 'name of the new Service (default: the exposed object\'s)')
    .option('--protocol <proto>', 'TCP, UDP or SCTP')
    .option('--type <type>', 'ClusterIP, NodePort or LoadBalancer')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action((type: string, name: string, opts: { port?: number; targetPort?: string; name?: string; protocol?: string; type?: string; namespace: string }, cmd: Command) => {
      const kind = resolveKind(type);
      const s = openSession(cmd);
      const target = s.stored.state.objects[objectKey({ kind, metadata: { name, namespace: opts.namespace } })];
      if (!target) throw new KubewireError(notFoundMessage(kind, name));
      const svc = generateService({ target, name: opts.name, port: opts.port, targetPort: opts.targetPort, protocol: opts.protocol, type: opts.type });
      createOne(cmd, svc, 'exposed');
    });

  program
    .command('run')
    .description('run a Pod (label run=NAME); words after -- are its arguments')
    .argument('<name>')
    .argument('[args...]', 'container arguments (after --)')
    .requiredOption('--image <image>', 'container image')
    .option('--port <port>', 'containerPort', parseIntOpt('--port', 1, 65535))
    .option('--restart <policy>', 'Always, OnFailure or Never', 'Always')
    .option('--command', 'treat the words after -- as the command, not arguments')
    .option('--env <NAME=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action((name: string, args: string[], opts: { image: string; port?: number; restart: string; command?: boolean; env: string[]; namespace: string }, cmd: Command) => {
      if (!['Always', 'OnFailure', 'Never'].includes(opts.restart)) {
        throw new KubewireError(`invalid restart policy: ${opts.restart} (must be Always, OnFailure or Never)`);
      }
      const pod = generatePod({
        name,
        image: opts.image,
        namespace: opts.namespace,
        port: opts.port,
        restart: opts.restart as 'Always',
        args,
        command: opts.command,
        env: opts.env,
      });
      createOne(cmd, pod, 'created');
    });
}

function createOne(cmd: Command, raw: KObject, verb: string): void {
  const obj = admitObject(raw, raw.metadata.namespace ?? 'default');
  const s = openSession(cmd);
  const key = objectKey(obj);
  if (s.stored.state.objects[key]) {
    throw new KubewireError(`Error from server (AlreadyExists): ${pluralRef(obj.kind)} "${obj.metadata.name}" already exists`);
  }
  commitOperation(s, { op: 'apply', source: 'command line', objects: [obj] });
  process.stdout.write(`${resourceRef(obj.kind)}/${obj.metadata.name} ${verb}\n`);
}
