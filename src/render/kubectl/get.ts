// `kubectl get` over the cluster state: tables (with -o wide, -A, --show-labels, -l), and
// -o yaml|json|name, with kubectl's messages and exit codes.

import type { ClusterState } from '../../control-plane/types.ts';
import type { KObject } from '../../k8s/types.ts';
import { allEventObjects } from './events.ts';
import { parseSelector } from './labels.ts';
import { lookupResource, nameOutputPrefix, qualifiedResource, type ResourceInfo } from './resources.ts';
import { toKubectlJson, toKubectlYaml } from './serialize.ts';
import { renderTable, type TableRow } from './table.ts';
import { clockOf, type RenderClock } from './time.ts';

export interface GetRequest {
  resource: string;
  names?: string[];
  namespace?: string;
  allNamespaces?: boolean;
  output?: 'wide' | 'yaml' | 'json' | 'name';
  selector?: string;
  showLabels?: boolean;
  /** --no-headers: table rows only. */
  noHeaders?: boolean;
  /** Epoch of the logical clock in ms; see clockOf for the default. */
  epochMs?: number;
}

export interface RenderResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const fail = (message: string): RenderResult => ({ stdout: '', stderr: `error: ${message}\n`, exitCode: 1 });

/** Objects of one resource type, events included, in API-server (etcd key) order. */
export function objectsOf(state: ClusterState, info: ResourceInfo, clock: RenderClock): KObject[] {
  const objs = info.kind === 'Event'
    ? allEventObjects(state, clock)
    : Object.values(state.objects).filter((o) => o.kind === info.kind);
  return objs.sort((a, b) => {
    const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
    const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Strips what `kubectl get -o yaml|json` does not show (managedFields). */
function forOutput(o: KObject): KObject {
  if (!o.metadata?.managedFields) return o;
  const { managedFields: _drop, ...metadata } = o.metadata;
  return { ...o, metadata: metadata as KObject['metadata'] };
}

function listOf(items: KObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items: items.map(forOutput), kind: 'List', metadata: { resourceVersion: '' } };
}

/** `kubectl get all`: the "all" category as kubectl expands it, in kubectl's order. */
const ALL_CATEGORY = ['pods', 'services', 'daemonsets', 'deployments', 'replicasets'];

/**
 * kubectl get. `resource` may name several types ("svc,endpointslices") or "all"; then each
 * type prints as its own table (kind-prefixed names, a blank line between tables) and -o
 * yaml|json prints one List of everything.
 */
export function renderGet(state: ClusterState, req: GetRequest): RenderResult {
  // TYPE/NAME form ("pod/web-1") names the object in the resource argument.
  const slash = req.resource.indexOf('/');
  if (slash > 0 && !req.resource.includes(',')) {
    if (req.names && req.names.length > 0) {
      return fail('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. \'kubectl get resource/<resource_name>\' instead of \'kubectl get resource resource/<resource_name>\'');
    }
    return renderGet(state, { ...req, resource: req.resource.slice(0, slash), names: [req.resource.slice(slash + 1)] });
  }
  const args = req.resource.split(',').filter((x) => x !== '');
  const expanded = args.flatMap((a) => (a.toLowerCase() === 'all' ? ALL_CATEGORY : [a]));
  const infos: ResourceInfo[] = [];
  for (const a of expanded) {
    const info = lookupResource(a);
    if (!info) return fail(`the server doesn't have a resource type "${a}"`);
    if (!infos.includes(info)) infos.push(info);
  }
  if (infos.length === 0) return fail(`the server doesn't have a resource type "${req.resource}"`);
  const names = req.names ?? [];
  if (req.showLabels && req.output !== undefined && req.output !== 'wide') {
    return fail(`--show-labels option cannot be used with ${req.output} printer`);
  }
  if (names.length > 0 && req.selector) return fail('name cannot be provided when a selector is specified');
  if (names.length > 0 && req.allNamespaces) return fail('a resource cannot be retrieved by name across all namespaces');
  const namespace = req.namespace || 'default';
  const clock = clockOf(state, req.epochMs);
  let matchLabels: (labels: Record<string, string> | undefined) => boolean = () => true;
  if (req.selector !== undefined && req.selector !== '') {
    try {
      matchLabels = parseSelector(req.selector);
    } catch (e) {
      return fail((e as Error).message);
    }
  }

  const groups: { info: ResourceInfo; found: KObject[] }[] = [];
  const errors: string[] = [];
  for (const info of infos) {
    const inScope = objectsOf(state, info, clock).filter(
      (o) => !info.namespaced || req.allNamespaces || (o.metadata.namespace ?? '') === namespace,
    );
    let found: KObject[];
    if (names.length > 0) {
      found = [];
      for (const name of names) {
        const o = inScope.find((x) => x.metadata.name === name);
        if (o && matchLabels(o.metadata.labels)) found.push(o);
        else errors.push(`Error from server (NotFound): ${qualifiedResource(info)} "${name}" not found`);
      }
    } else {
      found = inScope.filter((o) => matchLabels(o.metadata.labels));
    }
    groups.push({ info, found });
  }

  const stderr = errors.map((e) => e + '\n').join('');
  const exitCode = errors.length > 0 ? 1 : 0;
  const output = req.output;
  const all = groups.flatMap((g) => g.found);

  if (output === 'yaml' || output === 'json') {
    // One name is "single item implied": if exactly one object came back it prints as itself, not a List.
    const single = names.length === 1;
    if (single && all.length === 0) return { stdout: '', stderr, exitCode };
    const obj = single && all.length === 1 ? forOutput(all[0]) : listOf(all);
    const stdout = output === 'yaml' ? toKubectlYaml(obj) : toKubectlJson(obj);
    return { stdout, stderr, exitCode };
  }
  if (output === 'name') {
    const stdout = groups.flatMap((g) => g.found.map((o) => `${nameOutputPrefix(g.info)}/${o.metadata.name}\n`)).join('');
    return { stdout, stderr, exitCode };
  }

  // Several types requested: names are shown as kind/name (kind.group/name), as with -o name.
  const withKind = infos.length > 1;
  const tables: string[] = [];
  for (const { info, found } of groups) {
    const withNamespace = req.allNamespaces === true && info.namespaced;
    const rows: TableRow[] = found.map((o) => {
      const cells = info.printRow(o, { clock, wide: true });
      if (withKind) {
        const i = info.kind === 'Event' ? cells.length - 1 : 0;
        cells[i] = `${nameOutputPrefix(info)}/${cells[i]}`;
      }
      return { cells, namespace: o.metadata.namespace ?? '', labels: o.metadata.labels as Record<string, string> | undefined };
    });
    const table = renderTable(info.columns, rows, {
      wide: output === 'wide', withNamespace, showLabels: req.showLabels, noHeaders: req.noHeaders,
    });
    if (table !== '') tables.push(table);
  }
  const stdout = tables.join('\n');
  if (stdout === '' && errors.length === 0) {
    const allNamespaced = !req.allNamespaces && infos.every((i) => i.namespaced);
    const msg = allNamespaced ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n';
    return { stdout, stderr: msg, exitCode: 0 };
  }
  return { stdout, stderr, exitCode };
}
