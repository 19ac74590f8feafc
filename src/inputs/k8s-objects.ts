// Kubernetes manifests (YAML, multi-document; JSON object, array or List) → defaulted, validated
// objects, as `kubectl apply -f` would get them stored. Errors name file:line:column of the field.
// Browser-safe: takes text + file name.

import { KubewireError, formatWhere, type SourceLocation } from '../errors.ts';
import type { KObject } from '../k8s/types.ts';
import { defaultObject, NAMESPACED_KINDS } from '../k8s/defaults.ts';
import { invalidMessage, validateObject, type FieldError, type ServiceValidationOptions } from '../k8s/validation.ts';
import { parseYamlDocuments, subDoc, type PathSeg, type SourceDoc } from './yaml-source.ts';
import { strictDecodeErrors } from './k8s-schema.ts';

/** apiVersion each supported kind is served at. */
export const SUPPORTED_KINDS: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  Pod: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
};

/** Kinds a real cluster serves (at these versions) that kubewire does not model. */
const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  ConfigMap: 'v1',
  Secret: 'v1',
  ServiceAccount: 'v1',
  Endpoints: 'v1',
  PersistentVolumeClaim: 'v1',
  PersistentVolume: 'v1',
  LimitRange: 'v1',
  ResourceQuota: 'v1',
  StatefulSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
};

/** Where an object came from; `locate` maps a field path inside it to file:line:column. */
export interface ObjectLocation extends SourceLocation {
  locate(path: readonly PathSeg[]): SourceLocation;
}

export interface ObjectCause {
  field: string;
  /** `<field>: <body>` as the API server words it. */
  message: string;
  where: SourceLocation;
}

export interface InvalidObject {
  kind: string;
  name: string;
  /** kubectl's text, e.g. `The Service "nginx" is invalid: spec.ports[0].port: Invalid value: ...`. */
  message: string;
  causes: ObjectCause[];
}

/** Thrown when one or more objects of a file are invalid; every invalid object is reported. */
export class InvalidObjectsError extends KubewireError {
  readonly invalid: InvalidObject[];
  constructor(invalid: InvalidObject[]) {
    const first = invalid[0]!;
    const lines = invalid.map((o, i) => (i === 0 ? o.message : `${formatWhere(o.causes[0]?.where)}${o.message}`));
    super(lines.join('\n'), { where: first.causes[0]?.where });
    this.invalid = invalid;
  }
}

export interface ParseObjectsOptions {
  /** Request namespace (kubectl -n); default "default". */
  namespace?: string;
  /** When true (kubectl -n given explicitly), an object in another namespace is an error. */
  enforceNamespace?: boolean;
  /** Passed to Service validation (cluster IP range, node-port range). */
  service?: ServiceValidationOptions;
  /**
   * Like kubectl apply: keep going past a bad object and return its error in `errors` (the
   * good objects are still returned). YAML syntax errors always throw. Default: throw.
   */
  continueOnError?: boolean;
}

export interface ParsedObjects {
  objects: KObject[];
  /** One per object, same order. */
  locations: ObjectLocation[];
  /** Errors of objects left out (only with continueOnError), in document order. */
  errors: KubewireError[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's json.Marshal of an unstructured object: keys sorted, no spaces. */
function goJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${goJSON(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function expand(doc: SourceDoc): SourceDoc[] {
  const v = doc.value;
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.flatMap((item, i) => expand(subDoc(doc, [i], item)));
  if (isObj(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
    return (v.items as unknown[]).flatMap((item, i) => expand(subDoc(doc, ['items', i], item)));
  }
  return [doc];
}

function checkKind(o: Obj, doc: SourceDoc, file: string): void {
  if (typeof o.kind !== 'string' || o.kind === '')
    throw new KubewireError(`unable to decode ${JSON.stringify(file)}: Object 'Kind' is missing in '${goJSON(o)}'`, { where: doc.start });
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '')
    throw new KubewireError(`unable to decode ${JSON.stringify(file)}: Object 'apiVersion' is missing in '${goJSON(o)}'`, { where: doc.start });
  const kind = o.kind;
  const av = o.apiVersion;
  if (SUPPORTED_KINDS[kind] === av) return;
  const meta = isObj(o.metadata) ? o.metadata : {};
  if (KNOWN_UNSUPPORTED[kind] === av)
    throw new KubewireError(
      `kind "${kind}" (${av}) is not simulated by kubewire; supported kinds: ${Object.entries(SUPPORTED_KINDS)
        .map(([k, v]) => `${k} (${v})`)
        .join(', ')}`,
      { where: doc.locate(['kind']) },
    );
  throw new KubewireError(
    `resource mapping not found for name: ${JSON.stringify(String(meta.name ?? ''))} namespace: ${JSON.stringify(String(meta.namespace ?? ''))} from ${JSON.stringify(file)}: no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(av)}\nensure CRDs are installed first`,
    { where: doc.locate(['kind']) },
  );
}

function causesOf(errs: FieldError[], doc: SourceDoc): ObjectCause[] {
  return errs.map((e) => ({ field: e.field, message: e.message, where: doc.locate(e.path) }));
}

/**
 * Parses, defaults (as the API server's scheme does) and validates every object in `text`.
 * Throws KubewireError for syntax errors, unknown kinds, strict-decoding errors (unknown fields,
 * wrong types) and InvalidObjectsError (all invalid objects at once) for validation failures.
 */
export function parseObjects(text: string, file: string, opts: ParseObjectsOptions = {}): ParsedObjects {
  const docs = parseYamlDocuments(text, file).flatMap(expand);
  const objects: KObject[] = [];
  const locations: ObjectLocation[] = [];
  const errors: KubewireError[] = [];
  const invalid: InvalidObject[] = [];
  const namespace = opts.namespace ?? 'default';
  for (const doc of docs) {
    let result: Admitted;
    try {
      result = admitDoc(doc, file, namespace, opts);
    } catch (e) {
      if (!(e instanceof KubewireError) || !opts.continueOnError) throw e;
      errors.push(e);
      continue;
    }
    if (!result.ok) {
      if (opts.continueOnError) errors.push(new InvalidObjectsError([result.invalid]));
      else invalid.push(result.invalid);
      continue;
    }
    objects.push(result.object);
    locations.push({ ...doc.start, locate: (p) => doc.locate(p) });
  }
  if (invalid.length > 0) throw new InvalidObjectsError(invalid);
  return { objects, locations, errors };
}

/** One document: kind check, strict decoding, defaulting, validation. */
type Admitted = { ok: true; object: KObject } | { ok: false; invalid: InvalidObject };

function admitDoc(doc: SourceDoc, file: string, namespace: string, opts: ParseObjectsOptions): Admitted {
  const o = doc.value;
  if (!isObj(o)) throw new KubewireError(`unable to decode ${JSON.stringify(file)}: expected an object, got ${goJSON(o)}`, { where: doc.start });
  checkKind(o, doc, file);
  const kind = o.kind as string;
  const meta = isObj(o.metadata) ? o.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const strict = strictDecodeErrors(o);
  if (strict.length > 0) {
    const head = `error when creating ${JSON.stringify(file)}: ${kind} in version "v1" cannot be handled as a ${kind}: `;
    const typeErr = strict.find((e) => e.type !== 'unknown');
    if (typeErr) throw new KubewireError(head + typeErr.message, { where: doc.locate(typeErr.path) });
    throw new KubewireError(`${head}strict decoding error: ${strict.map((e) => e.message).join(', ')}`, { where: doc.locateKey(strict[0]!.path) });
  }
  if (opts.enforceNamespace && NAMESPACED_KINDS.has(kind) && typeof meta.namespace === 'string' && meta.namespace !== '' && meta.namespace !== namespace) {
    throw new KubewireError(
      `the namespace from the provided object ${JSON.stringify(meta.namespace)} does not match the namespace ${JSON.stringify(namespace)}. You must pass '--namespace=${meta.namespace}' to perform this operation.`,
      { where: doc.locate(['metadata', 'namespace']) },
    );
  }
  if (!name && typeof meta.generateName === 'string' && meta.generateName !== '')
    // kubectl apply needs a name to find the live object
    throw new KubewireError(`from ${meta.generateName}: cannot use generate name with apply`, { where: doc.locate(['metadata', 'generateName']) });
  const defaulted = defaultObject(o as unknown as KObject, namespace);
  const errs = validateObject(defaulted, opts.service);
  if (errs.length > 0) return { ok: false, invalid: { kind, name, message: invalidMessage(kind, name, errs), causes: causesOf(errs, doc) } };
  return { ok: true, object: defaulted };
}

/**
 * Defaults and validates an object that has no source text (made by a command such as
 * `kubectl create deployment`); throws InvalidObjectsError like parseObjects.
 */
export function admitObject(o: KObject, namespace = 'default', service?: ServiceValidationOptions, where: SourceLocation = { file: 'command line' }): KObject {
  const defaulted = defaultObject(o, namespace);
  const errs = validateObject(defaulted, service);
  if (errs.length > 0) {
    const name = defaulted.metadata?.name ?? '';
    throw new InvalidObjectsError([
      { kind: o.kind, name, message: invalidMessage(o.kind, name, errs), causes: errs.map((e) => ({ field: e.field, message: e.message, where })) },
    ]);
  }
  return defaulted;
}
