// API-server validation of the kinds kubewire stores, on plain (already defaulted) objects.
// Field paths and message texts follow k8s.io/apimachinery field.Error and
// pkg/apis/{core,apps,networking,discovery}/validation (create-time checks, Kubernetes 1.32 era).
// Pure and browser-safe: the control plane reuses it for objects made by commands.

import { compareQuantity, formatQuantity, parseQuantity } from '../inputs/quantity.ts';

export type PathSeg = string | number;

export type FieldErrorType = 'Required' | 'Invalid' | 'Duplicate' | 'Unsupported' | 'Forbidden' | 'NotFound' | 'TooLong';

export interface FieldError {
  type: FieldErrorType;
  /** Path segments from the object root, e.g. ["spec", "ports", 0, "port"]. */
  path: PathSeg[];
  /** "spec.ports[0].port". */
  field: string;
  /** `<field>: <body>` exactly as field.Error.Error() prints it. */
  message: string;
}

/** "spec.ports[0].port" from ["spec", "ports", 0, "port"]. */
export function fieldPathString(path: readonly PathSeg[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s;
}

// ---------- Go-style value rendering (field.Error uses %q for strings, %v for numbers, %#v otherwise)

/** strconv.Quote: printable characters as they are, \a \b \f \n \r \t \v, other controls as \xNN. */
function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (named[ch] !== undefined) out += named[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Renders a value the way field.Error's body does. */
export function goValue(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return `[]string{${v.map((x) => goQuote(x as string)).join(', ')}}`;
    return `[]interface {}{${v.map(goValue).join(', ')}}`;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.every(([, x]) => typeof x === 'string')) {
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `map[string]string{${entries.map(([k, x]) => `${goQuote(k)}:${goQuote(x as string)}`).join(', ')}}`;
    }
    return JSON.stringify(v);
  }
  return String(v);
}

/** Pre-rendered value (for Go struct literals that %#v would print). */
class Raw {
  constructor(readonly text: string) {}
}
function render(v: unknown): string {
  return v instanceof Raw ? v.text : goValue(v);
}

function mk(type: FieldErrorType, path: PathSeg[], body: string): FieldError {
  const field = fieldPathString(path);
  return { type, path, field, message: `${field}: ${body}` };
}
export const fieldErr = {
  required: (path: PathSeg[], detail = ''): FieldError => mk('Required', path, detail ? `Required value: ${detail}` : 'Required value'),
  invalid: (path: PathSeg[], value: unknown, detail: string): FieldError =>
    mk('Invalid', path, `Invalid value: ${render(value)}${detail ? `: ${detail}` : ''}`),
  duplicate: (path: PathSeg[], value: unknown): FieldError => mk('Duplicate', path, `Duplicate value: ${render(value)}`),
  notSupported: (path: PathSeg[], value: unknown, supported: readonly string[]): FieldError =>
    mk('Unsupported', path, `Unsupported value: ${render(value)}${supported.length ? `: supported values: ${supported.map(goQuote).join(', ')}` : ''}`),
  forbidden: (path: PathSeg[], detail: string): FieldError => mk('Forbidden', path, `Forbidden: ${detail}`),
  notFound: (path: PathSeg[], value: unknown): FieldError => mk('NotFound', path, `Not found: ${render(value)}`),
  tooLong: (path: PathSeg[], max: number): FieldError => mk('TooLong', path, `Too long: may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`),
};

// ---------- apimachinery util/validation string checks (return messages)

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${qualifiedNameFmt})?`;
const reLabel = new RegExp(`^${dns1123LabelFmt}$`);
const reSubdomain = new RegExp(`^${dns1123SubdomainFmt}$`);
const re1035 = new RegExp(`^${dns1035LabelFmt}$`);
const reQualified = new RegExp(`^${qualifiedNameFmt}$`);
const reLabelValue = new RegExp(`^${labelValueFmt}$`);

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let s = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) s += ' or ';
    s += `'${e}', `;
  });
  return `${s}regex used for validation is '${fmt}')`;
}
const maxLen = (n: number) => `must be no more than ${n} characters`;

export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!reLabel.test(v))
    errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", dns1123LabelFmt, 'my-name', '123-abc'));
  return errs;
}
export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!reSubdomain.test(v))
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", dns1123SubdomainFmt, 'example.com'));
  return errs;
}
export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!re1035.test(v))
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `${regexError("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (!reQualified.test(name))
    errs.push(`name part ${regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}
export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!reLabelValue.test(v))
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}
export function isValidPortNum(p: number): string[] {
  return Number.isInteger(p) && p >= 1 && p <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}
export function isValidPortName(p: string): string[] {
  const errs: string[] = [];
  if (p.length > 15) errs.push(maxLen(15));
  if (!/^[-a-z0-9]+$/.test(p)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(p)) errs.push('must contain at least one letter (a-z)');
  if (p.includes('--')) errs.push('must not contain consecutive hyphens (-)');
  if (p.length > 0 && (p[0] === '-' || p[p.length - 1] === '-')) errs.push('must not begin or end with a hyphen (-)');
  return errs;
}

// ---------- IP/CIDR parsing (netutils.ParseIPSloppy / ParseCIDRSloppy: leading zeros allowed)

/** IPv4 as a 32-bit number, or null. Accepts leading zeros like ParseIPSloppy. */
export function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    n = n * 256 + o;
  }
  return n;
}
function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  const parts = s.split('::');
  if (parts.length > 2) return false;
  const groups = (x: string) => (x === '' ? [] : x.split(':'));
  const all = parts.flatMap(groups);
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (parseIPv4(last) === null) return false;
    count += 1;
    all.pop();
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return parts.length === 2 ? count < 8 : count === 8;
}
export function isIP(s: string): boolean {
  return parseIPv4(s) !== null || isIPv6(s);
}
/** IPv4 CIDR → [network, prefix], or null. Host bits may be set (ParseCIDRSloppy masks them). */
export function parseCIDRv4(s: string): { net: number; prefix: number } | null {
  const i = s.indexOf('/');
  if (i < 0) return null;
  const ip = parseIPv4(s.slice(0, i));
  const ps = s.slice(i + 1);
  if (ip === null || !/^\d{1,3}$/.test(ps)) return null;
  const prefix = Number(ps);
  if (prefix > 32) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { net: (ip & mask) >>> 0, prefix };
}
function isCIDR(s: string): boolean {
  if (parseCIDRv4(s)) return true;
  const i = s.indexOf('/');
  if (i < 0) return false;
  const ps = s.slice(i + 1);
  return isIPv6(s.slice(0, i)) && /^\d{1,3}$/.test(ps) && Number(ps) <= 128;
}
const cidrMsg = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';
const ipMsg = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

// ---------- plain-object access helpers

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) out[k] = str(x);
  return out;
};

// ---------- metadata, labels, selectors

export function validateLabels(labels: unknown, path: PathSeg[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj(labels))) {
    for (const m of isQualifiedName(k)) errs.push(fieldErr.invalid(path, k, m));
    for (const m of isValidLabelValue(str(v))) errs.push(fieldErr.invalid(path, str(v), m));
  }
  return errs;
}

function validateAnnotations(ann: unknown, path: PathSeg[]): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(obj(ann))) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErr.invalid(path, k, m));
    total += k.length + str(v).length;
  }
  if (total > 256 * 1024) errs.push(fieldErr.tooLong(path, 256 * 1024));
  return errs;
}

export type NameValidator = (name: string) => string[];

export function validateObjectMeta(meta: unknown, namespaced: boolean, nameFn: NameValidator, path: PathSeg[] = ['metadata']): FieldError[] {
  const m = obj(meta);
  const errs: FieldError[] = [];
  const name = str(m.name);
  const gen = str(m.generateName);
  if (gen) for (const msg of nameFn(gen.replace(/-$/, 'a'))) errs.push(fieldErr.invalid([...path, 'generateName'], gen, msg));
  if (!name) errs.push(fieldErr.required([...path, 'name'], 'name or generateName is required'));
  else for (const msg of nameFn(name)) errs.push(fieldErr.invalid([...path, 'name'], name, msg));
  if (namespaced) {
    const ns = str(m.namespace);
    if (!ns) errs.push(fieldErr.required([...path, 'namespace'], ''));
    else for (const msg of isDNS1123Label(ns)) errs.push(fieldErr.invalid([...path, 'namespace'], ns, msg));
  }
  errs.push(...validateLabels(m.labels, [...path, 'labels']));
  errs.push(...validateAnnotations(m.annotations, [...path, 'annotations']));
  return errs;
}


export function validateLabelSelector(sel: unknown, path: PathSeg[]): FieldError[] {
  if (sel === undefined || sel === null) return [];
  const s = obj(sel);
  const errs: FieldError[] = validateLabels(s.matchLabels, [...path, 'matchLabels']);
  arr(s.matchExpressions).forEach((e, i) => {
    const ex = obj(e);
    const p: PathSeg[] = [...path, 'matchExpressions', i];
    const op = str(ex.operator);
    const values = arr(ex.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(fieldErr.required([...p, 'values'], 'must be specified when `operator` is \'In\' or \'NotIn\''));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(fieldErr.forbidden([...p, 'values'], 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    } else {
      errs.push(fieldErr.invalid([...p, 'operator'], op, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(str(ex.key))) errs.push(fieldErr.invalid([...p, 'key'], str(ex.key), m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(str(v))) errs.push(fieldErr.invalid([...p, 'values', j], str(v), m));
    });
  });
  return errs;
}

/** True when `labels` satisfy the LabelSelector (matchLabels AND matchExpressions). */
export function selectorMatches(sel: unknown, labels: Record<string, string>): boolean {
  const s = obj(sel);
  for (const [k, v] of Object.entries(strMap(s.matchLabels))) if (labels[k] !== v) return false;
  for (const e of arr(s.matchExpressions)) {
    const ex = obj(e);
    const key = str(ex.key);
    const values = arr(ex.values).map(str);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (str(ex.operator)) {
      case 'In':
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function validateNonnegative(v: unknown, path: PathSeg[]): FieldError[] {
  if (typeof v === 'number' && v < 0) return [fieldErr.invalid(path, v, 'must be greater than or equal to 0')];
  return [];
}

// ---------- pods

const protocols = ['SCTP', 'TCP', 'UDP'];

function validateContainerPorts(ports: unknown, path: PathSeg[]): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((pp, i) => {
    const p = obj(pp);
    const ip: PathSeg[] = [...path, i];
    const name = str(p.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) errs.push(fieldErr.invalid([...ip, 'name'], name, m));
      else if (names.has(name)) errs.push(fieldErr.duplicate([...ip, 'name'], name));
      else names.add(name);
    }
    const cp = p.containerPort;
    if (cp === undefined || cp === null || cp === 0) errs.push(fieldErr.required([...ip, 'containerPort'], ''));
    else for (const m of isValidPortNum(Number(cp))) errs.push(fieldErr.invalid([...ip, 'containerPort'], cp, m));
    if (p.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0)
      for (const m of isValidPortNum(Number(p.hostPort))) errs.push(fieldErr.invalid([...ip, 'hostPort'], p.hostPort, m));
    const proto = str(p.protocol);
    if (!proto) errs.push(fieldErr.required([...ip, 'protocol'], ''));
    else if (!protocols.includes(proto)) errs.push(fieldErr.notSupported([...ip, 'protocol'], proto, protocols));
  });
  return errs;
}

/** validateHandler + validateProbe (+ successThreshold 1 for liveness and startup probes). */
function validateProbe(probe: unknown, path: PathSeg[], mustSucceedOnce: boolean): FieldError[] {
  if (!isObj(probe)) return [];
  const errs: FieldError[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length === 0) errs.push(fieldErr.required(path, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(fieldErr.forbidden([...path, handlers[1]!], 'may not specify more than 1 handler type'));
  if (isObj(probe.httpGet)) {
    const h = probe.httpGet;
    if (!str(h.path)) errs.push(fieldErr.required([...path, 'httpGet', 'path'], ''));
    errs.push(...validatePortNumOrName(h.port, [...path, 'httpGet', 'port']));
    const scheme = str(h.scheme);
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(fieldErr.notSupported([...path, 'httpGet', 'scheme'], scheme, ['HTTP', 'HTTPS']));
  }
  if (isObj(probe.tcpSocket)) errs.push(...validatePortNumOrName(probe.tcpSocket.port, [...path, 'tcpSocket', 'port']));
  if (isObj(probe.exec) && arr(probe.exec.command).length === 0) errs.push(fieldErr.required([...path, 'exec', 'command'], ''));
  if (isObj(probe.grpc)) for (const m of isValidPortNum(Number(probe.grpc.port))) errs.push(fieldErr.invalid([...path, 'grpc', 'port'], probe.grpc.port, m));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'])
    errs.push(...validateNonnegative(probe[k], [...path, k]));
  if (mustSucceedOnce && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1)
    errs.push(fieldErr.invalid([...path, 'successThreshold'], probe.successThreshold, 'must be 1'));
  return errs;
}

/** validateContainerCommon: name, image, termination message policy, ports, env, mounts, pull policy. */
function validateContainerCommon(c: Obj, cp: PathSeg[], volumes: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(fieldErr.required([...cp, 'name'], ''));
  else for (const m of isDNS1123Label(name)) errs.push(fieldErr.invalid([...cp, 'name'], name, m));
  if (!str(c.image)) errs.push(fieldErr.required([...cp, 'image'], ''));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(fieldErr.required([...cp, 'terminationMessagePolicy'], ''));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError')
    errs.push(fieldErr.notSupported([...cp, 'terminationMessagePolicy'], tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validateContainerPorts(c.ports, [...cp, 'ports']));
  arr(c.env).forEach((ee, j) => {
    const e = obj(ee);
    const n = str(e.name);
    if (!n) errs.push(fieldErr.required([...cp, 'env', j, 'name'], ''));
    else if (/[\x00-\x1f\x7f=]|[^\x20-\x7e]/.test(n))
      errs.push(fieldErr.invalid([...cp, 'env', j, 'name'], n, "a valid environment variable name must consist only of printable ASCII characters other than '='"));
  });
  const mountPaths = new Set<string>();
  arr(c.volumeMounts).forEach((mm, j) => {
    const m = obj(mm);
    const mp: PathSeg[] = [...cp, 'volumeMounts', j];
    const vname = str(m.name);
    if (!vname) errs.push(fieldErr.required([...mp, 'name'], ''));
    else if (!volumes.has(vname)) errs.push(fieldErr.notFound([...mp, 'name'], vname));
    const mpath = str(m.mountPath);
    if (!mpath) errs.push(fieldErr.required([...mp, 'mountPath'], ''));
    else if (mountPaths.has(mpath)) errs.push(fieldErr.invalid([...mp, 'mountPath'], mpath, 'must be unique'));
    mountPaths.add(mpath);
  });
  const ipp = str(c.imagePullPolicy);
  if (!ipp) errs.push(fieldErr.required([...cp, 'imagePullPolicy'], ''));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(ipp)) errs.push(fieldErr.notSupported([...cp, 'imagePullPolicy'], ipp, ['Always', 'IfNotPresent', 'Never']));
  errs.push(...validateResources(c.resources, [...cp, 'resources']));
  return errs;
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** validateResourceRequirements for a container (names, non-negative values, requests ≤ limits). */
function validateResources(res: unknown, path: PathSeg[]): FieldError[] {
  const r = obj(res);
  const errs: FieldError[] = [];
  const limits = obj(r.limits);
  const requests = obj(r.requests);
  const check = (name: string, raw: unknown, p: PathSeg[]): void => {
    const qualified = name.includes('/') ? isQualifiedName(name) : [];
    if (!name.includes('/') && !STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-'))
      errs.push(fieldErr.invalid(p, name, 'must be a standard resource for containers'));
    for (const m of qualified) errs.push(fieldErr.invalid(p, name, m));
    const q = parseQuantity(typeof raw === 'number' ? raw : str(raw));
    if (q && q.num < 0n) errs.push(fieldErr.invalid(p, formatQuantity(q), 'must be greater than or equal to 0'));
  };
  for (const [name, raw] of Object.entries(limits)) check(name, raw, [...path, 'limits', name]);
  for (const [name, raw] of Object.entries(requests)) {
    check(name, raw, [...path, 'requests', name]);
    if (!(name in limits)) continue;
    const q = parseQuantity(typeof raw === 'number' ? raw : str(raw));
    const l = parseQuantity(typeof limits[name] === 'number' ? (limits[name] as number) : str(limits[name]));
    if (!q || !l) continue;
    const overcommit = STANDARD_CONTAINER_RESOURCES.has(name) || !(name.startsWith('hugepages-') || name.includes('/'));
    if (!overcommit && compareQuantity(q, l) !== 0)
      errs.push(fieldErr.invalid([...path, 'requests'], formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(l)}`));
    else if (compareQuantity(q, l) > 0)
      errs.push(fieldErr.invalid([...path, 'requests'], formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(l)}`));
  }
  return errs;
}

/** ValidateTolerations. */
function validateTolerations(list: unknown, path: PathSeg[]): FieldError[] {
  const errs: FieldError[] = [];
  arr(list).forEach((tt, i) => {
    const t = obj(tt);
    const tp: PathSeg[] = [...path, i];
    const key = str(t.key);
    const op = str(t.operator);
    const value = str(t.value);
    const effect = str(t.effect);
    if (key) for (const m of isQualifiedName(key)) errs.push(fieldErr.invalid([...tp, 'key'], key, m));
    if (!key && op !== 'Exists')
      errs.push(fieldErr.invalid([...tp, 'operator'], op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== 'NoExecute')
      errs.push(fieldErr.invalid([...tp, 'effect'], effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length) errs.push(fieldErr.invalid([...tp, 'operator'], value, msgs.join(';')));
    } else if (op === 'Exists') {
      if (value) {
        const secs = typeof t.tolerationSeconds === 'number' ? '(*int64)(0xc000010000)' : '(*int64)(nil)';
        errs.push(
          fieldErr.invalid(
            [...tp, 'operator'],
            new Raw(`core.Toleration{Key:${goQuote(key)}, Operator:${goQuote(op)}, Value:${goQuote(value)}, Effect:${goQuote(effect)}, TolerationSeconds:${secs}}`),
            "value must be empty when `operator` is 'Exists'",
          ),
        );
      }
    } else {
      errs.push(fieldErr.notSupported([...tp, 'operator'], op, ['Equal', 'Exists']));
    }
    if (effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect))
      errs.push(fieldErr.notSupported([...tp, 'effect'], effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
  });
  return errs;
}

export function validatePodSpec(specIn: unknown, path: PathSeg[]): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  // volumes
  const vnames = new Set<string>();
  arr(spec.volumes).forEach((vv, i) => {
    const name = str(obj(vv).name);
    const vp: PathSeg[] = [...path, 'volumes', i, 'name'];
    if (!name) errs.push(fieldErr.required(vp, ''));
    else {
      for (const m of isDNS1123Label(name)) errs.push(fieldErr.invalid(vp, name, m));
      if (vnames.has(name)) errs.push(fieldErr.duplicate(vp, name));
      vnames.add(name);
    }
  });
  // containers (validateContainers)
  const containers = arr(spec.containers);
  const names = new Set<string>();
  if (containers.length === 0) errs.push(fieldErr.required([...path, 'containers'], ''));
  containers.forEach((cc, i) => {
    const c = obj(cc);
    const cp: PathSeg[] = [...path, 'containers', i];
    errs.push(...validateContainerCommon(c, cp, vnames));
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErr.duplicate([...cp, 'name'], name));
    else names.add(name);
    errs.push(...validateProbe(c.readinessProbe, [...cp, 'readinessProbe'], false));
    errs.push(...validateProbe(c.livenessProbe, [...cp, 'livenessProbe'], true));
    errs.push(...validateProbe(c.startupProbe, [...cp, 'startupProbe'], true));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null)
      errs.push(fieldErr.forbidden([...cp, 'restartPolicy'], 'may not be set for non-init containers'));
  });
  // host ports are unique across all containers (AccumulateUniqueHostPorts: "<proto>/<hostIP>/<port>")
  const hostPorts = new Set<string>();
  containers.forEach((cc, i) =>
    arr(obj(cc).ports).forEach((pp, j) => {
      const p = obj(pp);
      if (typeof p.hostPort !== 'number' || p.hostPort === 0) return;
      const key = `${str(p.protocol)}/${str(p.hostIP)}/${p.hostPort}`;
      if (hostPorts.has(key)) errs.push(fieldErr.duplicate([...path, 'containers', i, 'ports', j, 'hostPort'], key));
      hostPorts.add(key);
    }),
  );
  // init containers: names unique across both lists
  arr(spec.initContainers).forEach((cc, i) => {
    const c = obj(cc);
    const cp: PathSeg[] = [...path, 'initContainers', i];
    errs.push(...validateContainerCommon(c, cp, vnames));
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErr.duplicate([...cp, 'name'], name));
    else names.add(name);
  });
  // validatePodHostNetworkDeps
  if (spec.hostNetwork === true) {
    for (const list of ['containers', 'initContainers'])
      arr(spec[list]).forEach((cc, i) =>
        arr(obj(cc).ports).forEach((pp, j) => {
          const p = obj(pp);
          if (p.hostPort !== p.containerPort)
            errs.push(fieldErr.invalid([...path, list, i, 'ports', j, 'containerPort'], p.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
        }),
      );
  }
  const rp = str(spec.restartPolicy);
  const rps = ['Always', 'OnFailure', 'Never'];
  if (!rp) errs.push(fieldErr.required([...path, 'restartPolicy'], ''));
  else if (!rps.includes(rp)) errs.push(fieldErr.notSupported([...path, 'restartPolicy'], rp, rps));
  const dp = str(spec.dnsPolicy);
  const dps = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (!dp) errs.push(fieldErr.required([...path, 'dnsPolicy'], ''));
  else if (!dps.includes(dp)) errs.push(fieldErr.notSupported([...path, 'dnsPolicy'], dp, dps));
  errs.push(...validateLabels(spec.nodeSelector, [...path, 'nodeSelector']));
  if (spec.serviceAccountName)
    for (const m of isDNS1123Subdomain(str(spec.serviceAccountName))) errs.push(fieldErr.invalid([...path, 'serviceAccountName'], str(spec.serviceAccountName), m));
  if (spec.nodeName !== undefined && spec.nodeName !== '')
    for (const m of isDNS1123Subdomain(str(spec.nodeName))) errs.push(fieldErr.invalid([...path, 'nodeName'], str(spec.nodeName), m));
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds <= 0)
    errs.push(fieldErr.invalid([...path, 'activeDeadlineSeconds'], spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  if (spec.hostname) for (const m of isDNS1123Label(str(spec.hostname))) errs.push(fieldErr.invalid([...path, 'hostname'], str(spec.hostname), m));
  if (spec.subdomain) for (const m of isDNS1123Label(str(spec.subdomain))) errs.push(fieldErr.invalid([...path, 'subdomain'], str(spec.subdomain), m));
  errs.push(...validateTolerations(spec.tolerations, [...path, 'tolerations']));
  errs.push(...validateNonnegative(spec.terminationGracePeriodSeconds, [...path, 'terminationGracePeriodSeconds']));
  return errs;
}

export function validatePod(pod: unknown): FieldError[] {
  const p = obj(pod);
  return [...validateObjectMeta(p.metadata, true, isDNS1123Subdomain), ...validatePodSpec(p.spec, ['spec'])];
}

function validatePodTemplate(tmpl: unknown, path: PathSeg[]): FieldError[] {
  const t = obj(tmpl);
  const m = obj(t.metadata);
  const errs: FieldError[] = [];
  errs.push(...validateLabels(m.labels, [...path, 'metadata', 'labels']));
  errs.push(...validateAnnotations(m.annotations, [...path, 'metadata', 'annotations']));
  errs.push(...validatePodSpec(t.spec, [...path, 'spec']));
  return errs;
}

/**
 * The selector as labels.Selector sees it: absent → Nothing (matches no labels), empty → Everything.
 * Returns null for Everything (no match check), else a predicate.
 */
function selectorPredicate(selector: unknown): ((labels: Record<string, string>) => boolean) | null {
  if (!isObj(selector)) return () => false;
  if (Object.keys(obj(selector.matchLabels)).length + arr(selector.matchExpressions).length === 0) return null;
  return (labels) => selectorMatches(selector, labels);
}

function templateLabelsValue(tmpl: unknown): unknown {
  const raw = obj(obj(tmpl).metadata).labels;
  return isObj(raw) ? strMap(raw) : new Raw('map[string]string(nil)');
}

/** ValidatePodTemplateSpecForReplicaSet (Deployments and ReplicaSets). */
function validateTemplateForReplicaSet(tmpl: unknown, selector: unknown, path: PathSeg[]): FieldError[] {
  const errs: FieldError[] = [];
  const t = obj(tmpl);
  const matches = selectorPredicate(selector);
  if (matches && !matches(strMap(obj(t.metadata).labels)))
    errs.push(fieldErr.invalid([...path, 'metadata', 'labels'], templateLabelsValue(t), '`selector` does not match template `labels`'));
  errs.push(...validatePodTemplate(t, path));
  const rp = str(obj(t.spec).restartPolicy);
  if (rp !== 'Always') errs.push(fieldErr.notSupported([...path, 'spec', 'restartPolicy'], rp, ['Always']));
  if (obj(t.spec).activeDeadlineSeconds !== undefined)
    errs.push(fieldErr.forbidden([...path, 'spec', 'activeDeadlineSeconds'], 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  return errs;
}

/** %#v of a (dereferenced) *metav1.LabelSelector. */
function labelSelectorLiteral(sel: Obj): Raw {
  const mlText = isObj(sel.matchLabels) ? goValue(strMap(sel.matchLabels)) : 'map[string]string(nil)';
  const me = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => {
          const x = obj(e);
          const vals = Array.isArray(x.values) ? `[]string{${x.values.map((v) => goQuote(str(v))).join(', ')}}` : '[]string(nil)';
          return `v1.LabelSelectorRequirement{Key:${goQuote(str(x.key))}, Operator:${goQuote(str(x.operator))}, Values:${vals}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new Raw(`v1.LabelSelector{MatchLabels:${mlText}, MatchExpressions:${me}}`);
}

/** %#v of an intstr.IntOrString. */
function intstrLiteral(v: unknown): Raw {
  if (typeof v === 'string') return new Raw(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`);
  return new Raw(`intstr.IntOrString{Type:0, IntVal:${typeof v === 'number' ? v : 0}, StrVal:""}`);
}

function validateControllerSelector(spec: Obj, path: PathSeg[], what: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(spec.selector)) {
    errs.push(fieldErr.required([...path, 'selector'], ''));
    return errs;
  }
  errs.push(...validateLabelSelector(spec.selector, [...path, 'selector']));
  const sel = spec.selector;
  if (Object.keys(obj(sel.matchLabels)).length + arr(sel.matchExpressions).length === 0)
    errs.push(fieldErr.invalid([...path, 'selector'], labelSelectorLiteral(sel), `empty selector is invalid for ${what}`));
  return errs;
}

// intstr: number, or string (named port / percentage)
function validatePortNumOrName(v: unknown, path: PathSeg[]): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof v === 'number') for (const m of isValidPortNum(v)) errs.push(fieldErr.invalid(path, v, m));
  else if (typeof v === 'string') for (const m of isValidPortName(v)) errs.push(fieldErr.invalid(path, v, m));
  else errs.push(fieldErr.invalid(path, v ?? '', 'must be an integer or a string'));
  return errs;
}

/** getIntOrPercentValue: the number, or the percentage's number. */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v);
    return m ? Number(m[1]) : 0;
  }
  return 0;
}

/** ValidatePositiveIntOrPercent. */
function validatePositiveIntOrPercent(v: unknown, path: PathSeg[]): FieldError[] {
  if (typeof v === 'string' && !/^[0-9]+%$/.test(v))
    return [fieldErr.invalid(path, intstrLiteral(v), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  if (typeof v === 'number' && v < 0) return [fieldErr.invalid(path, v, 'must be greater than or equal to 0')];
  return [];
}

/** IsNotMoreThan100Percent. */
function validateNotMoreThan100Percent(v: unknown, path: PathSeg[]): FieldError[] {
  if (typeof v === 'string' && /^[0-9]+%$/.test(v) && intOrPercentValue(v) > 100)
    return [fieldErr.invalid(path, intstrLiteral(v), 'must not be greater than 100%')];
  return [];
}

export function validateDeployment(d: unknown): FieldError[] {
  const o = obj(d);
  const spec = obj(o.spec);
  const sp: PathSeg[] = ['spec'];
  const errs = validateObjectMeta(o.metadata, true, isDNS1123Subdomain);
  errs.push(...validateNonnegative(spec.replicas, [...sp, 'replicas']));
  errs.push(...validateControllerSelector(spec, sp, 'deployment'));
  errs.push(...validateTemplateForReplicaSet(spec.template, spec.selector, [...sp, 'template']));
  // ValidateDeploymentStrategy
  const st = obj(spec.strategy);
  const type = str(st.type);
  const stPath: PathSeg[] = [...sp, 'strategy'];
  if (type === 'Recreate') {
    if (st.rollingUpdate !== undefined && st.rollingUpdate !== null)
      errs.push(fieldErr.forbidden([...stPath, 'rollingUpdate'], "may not be specified when strategy `type` is 'Recreate'"));
  } else if (type === 'RollingUpdate') {
    if (!isObj(st.rollingUpdate)) errs.push(fieldErr.required([...stPath, 'rollingUpdate'], 'this should be defaulted and never be nil'));
    else {
      const ru = st.rollingUpdate;
      const rp: PathSeg[] = [...stPath, 'rollingUpdate'];
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, [...rp, 'maxUnavailable']));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, [...rp, 'maxSurge']));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
        errs.push(fieldErr.invalid([...rp, 'maxUnavailable'], intstrLiteral(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      errs.push(...validateNotMoreThan100Percent(ru.maxUnavailable, [...rp, 'maxUnavailable']));
    }
  } else {
    const ru = isObj(st.rollingUpdate) ? '(*apps.RollingUpdateDeployment)(0xc000010000)' : '(*apps.RollingUpdateDeployment)(nil)';
    errs.push(fieldErr.notSupported(stPath, new Raw(`apps.DeploymentStrategy{Type:${goQuote(type)}, RollingUpdate:${ru}}`), ['Recreate', 'RollingUpdate']));
  }
  errs.push(...validateNonnegative(spec.minReadySeconds, [...sp, 'minReadySeconds']));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, [...sp, 'revisionHistoryLimit']));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, [...sp, 'progressDeadlineSeconds']));
    const mrs = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
    if (spec.progressDeadlineSeconds <= mrs)
      errs.push(fieldErr.invalid([...sp, 'progressDeadlineSeconds'], spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export function validateReplicaSet(d: unknown): FieldError[] {
  const o = obj(d);
  const spec = obj(o.spec);
  const sp: PathSeg[] = ['spec'];
  const errs = validateObjectMeta(o.metadata, true, isDNS1123Subdomain);
  errs.push(...validateNonnegative(spec.replicas, [...sp, 'replicas']));
  errs.push(...validateNonnegative(spec.minReadySeconds, [...sp, 'minReadySeconds']));
  // (the upstream text really says "deployment" for ReplicaSets too)
  errs.push(...validateControllerSelector(spec, sp, 'deployment'));
  errs.push(...validateTemplateForReplicaSet(spec.template, spec.selector, [...sp, 'template']));
  return errs;
}

export function validateDaemonSet(d: unknown): FieldError[] {
  const o = obj(d);
  const spec = obj(o.spec);
  const sp: PathSeg[] = ['spec'];
  const tmpl = obj(spec.template);
  const errs = validateObjectMeta(o.metadata, true, isDNS1123Subdomain);
  errs.push(...validateLabelSelector(spec.selector, [...sp, 'selector']));
  const matches = selectorPredicate(spec.selector);
  if (matches && !matches(strMap(obj(tmpl.metadata).labels)))
    errs.push(fieldErr.invalid([...sp, 'template', 'metadata', 'labels'], templateLabelsValue(tmpl), '`selector` does not match template `labels`'));
  if (isObj(spec.selector) && Object.keys(obj(spec.selector.matchLabels)).length + arr(spec.selector.matchExpressions).length === 0)
    errs.push(fieldErr.invalid([...sp, 'selector'], labelSelectorLiteral(spec.selector), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplate(tmpl, [...sp, 'template']));
  const rp = str(obj(tmpl.spec).restartPolicy);
  if (rp !== 'Always') errs.push(fieldErr.notSupported([...sp, 'template', 'spec', 'restartPolicy'], rp, ['Always']));
  const ads = obj(tmpl.spec).activeDeadlineSeconds;
  if (ads !== undefined && ads !== null)
    errs.push(fieldErr.invalid([...sp, 'template', 'spec', 'activeDeadlineSeconds'], ads, 'activeDeadlineSeconds in DaemonSet is not Supported'));
  errs.push(...validateNonnegative(spec.minReadySeconds, [...sp, 'minReadySeconds']));
  // ValidateDaemonSetUpdateStrategy
  const us = obj(spec.updateStrategy);
  const type = str(us.type);
  const usPath: PathSeg[] = [...sp, 'updateStrategy'];
  if (type === 'RollingUpdate') {
    if (!isObj(us.rollingUpdate)) errs.push(fieldErr.required([...usPath, 'rollingUpdate'], ''));
    else {
      const ru = us.rollingUpdate;
      const rpth: PathSeg[] = [...usPath, 'rollingUpdate'];
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, [...rpth, 'maxUnavailable']));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, [...rpth, 'maxSurge']));
      errs.push(...validateNotMoreThan100Percent(ru.maxUnavailable, [...rpth, 'maxUnavailable']));
      errs.push(...validateNotMoreThan100Percent(ru.maxSurge, [...rpth, 'maxSurge']));
      const hasU = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasS = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasU && hasS) errs.push(fieldErr.invalid([...rpth, 'maxSurge'], intstrLiteral(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasU && !hasS) errs.push(fieldErr.required([...rpth, 'maxUnavailable'], 'cannot be 0 when maxSurge is 0'));
    }
  } else if (type !== 'OnDelete') {
    const ru = isObj(us.rollingUpdate) ? '(*apps.RollingUpdateDaemonSet)(0xc000010000)' : '(*apps.RollingUpdateDaemonSet)(nil)';
    errs.push(fieldErr.notSupported(usPath, new Raw(`apps.DaemonSetUpdateStrategy{Type:${goQuote(type)}, RollingUpdate:${ru}}`), ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, [...sp, 'revisionHistoryLimit']));
  return errs;
}

// ---------- services

export interface ServiceValidationOptions {
  /** When given, a requested clusterIP outside it fails like the registry's allocator does. */
  serviceCIDR?: string;
  /** NodePort range (default 30000-32767). */
  nodePortRange?: [number, number];
}

function servicePortKeyLiteral(protocol: string, port: number): Raw {
  return new Raw(
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

/**
 * The registry's allocator checks on create (run before validation, as BeginCreate is): a requested
 * clusterIP outside the service CIDR, or a requested nodePort outside the node-port range.
 */
export function validateServiceAllocation(svc: unknown, opts: ServiceValidationOptions = {}): FieldError[] {
  const spec = obj(obj(svc).spec);
  const errs: FieldError[] = [];
  const type = str(spec.type);
  if (type === 'ExternalName') return errs;
  const clusterIPs = arr(spec.clusterIPs).map(str);
  const ips = clusterIPs.length ? clusterIPs : spec.clusterIP ? [str(spec.clusterIP)] : [];
  const c = opts.serviceCIDR ? parseCIDRv4(opts.serviceCIDR) : null;
  const first = ips[0];
  if (c && first !== undefined && first !== 'None') {
    const n = parseIPv4(first);
    const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    if (n !== null && ((n & mask) >>> 0) !== c.net)
      errs.push(
        fieldErr.invalid(['spec', 'clusterIPs'], ips, `failed to allocate IP ${first}: provided IP is not in the valid range. The range of valid IPs is ${opts.serviceCIDR}`),
      );
  }
  if (errs.length) return errs;
  const [lo, hi] = opts.nodePortRange ?? [30000, 32767];
  if (type === 'NodePort' || type === 'LoadBalancer') {
    arr(spec.ports).forEach((pp, i) => {
      const np = obj(pp).nodePort;
      if (typeof np === 'number' && np !== 0 && (np < lo || np > hi)) {
        if (errs.length === 0)
          errs.push(
            fieldErr.invalid(['spec', 'ports', i, 'nodePort'], np, `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`),
          );
      }
    });
  }
  return errs;
}

export function validateService(svc: unknown, opts: ServiceValidationOptions = {}): FieldError[] {
  const alloc = validateServiceAllocation(svc, opts);
  const v = validateServiceSpec(svc);
  // Real order: allocation (BeginCreate) fails first; its errors are the only ones reported.
  return alloc.length ? alloc : v;
}

function validateServiceSpec(svc: unknown): FieldError[] {
  const o = obj(svc);
  const spec = obj(o.spec);
  const sp: PathSeg[] = ['spec'];
  const errs = validateObjectMeta(o.metadata, true, isDNS1035Label);
  const type = str(spec.type);
  const ports = arr(spec.ports);
  const clusterIP = str(spec.clusterIP);
  const clusterIPs = arr(spec.clusterIPs).map(str);
  const headless = clusterIP === 'None' || clusterIPs[0] === 'None';
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(fieldErr.required([...sp, 'ports'], ''));
  if (type === 'LoadBalancer') {
    ports.forEach((pp, i) => {
      // kube-apiserver refuses to expose the kubelet port through a cloud load balancer.
      if (obj(pp).port === 10250)
        errs.push(fieldErr.invalid([...sp, 'ports', i], 10250, 'may not expose port 10250 externally since it is used by kubelet'));
    });
  }
  if ((type === 'NodePort' || type === 'LoadBalancer') && headless)
    errs.push(fieldErr.invalid([...sp, 'clusterIPs', 0], 'None', `may not be set to 'None' for ${type} services`));
  if (type === 'ExternalName') {
    if (clusterIPs.length > 0 || (clusterIP && clusterIP !== ''))
      errs.push(fieldErr.forbidden([...sp, 'clusterIPs'], 'may not be set for ExternalName services'));
    if (arr(spec.ipFamilies).length > 0) errs.push(fieldErr.forbidden([...sp, 'ipFamilies'], 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null)
      errs.push(fieldErr.forbidden([...sp, 'ipFamilyPolicy'], 'may not be set for ExternalName services'));
    const en = str(spec.externalName).replace(/\.$/, '');
    if (!en) errs.push(fieldErr.required([...sp, 'externalName'], ''));
    else for (const m of isDNS1123Subdomain(en)) errs.push(fieldErr.invalid([...sp, 'externalName'], str(spec.externalName), m));
  }
  const names = new Set<string>();
  ports.forEach((pp, i) => {
    const p = obj(pp);
    const pp2: PathSeg[] = [...sp, 'ports', i];
    const name = str(p.name);
    if (ports.length > 1 && !name) errs.push(fieldErr.required([...pp2, 'name'], ''));
    else if (name) {
      for (const m of isDNS1123Label(name)) errs.push(fieldErr.invalid([...pp2, 'name'], name, m));
      if (names.has(name)) errs.push(fieldErr.duplicate([...pp2, 'name'], name));
      else names.add(name);
    }
    const port = typeof p.port === 'number' ? p.port : 0;
    for (const m of isValidPortNum(port)) errs.push(fieldErr.invalid([...pp2, 'port'], port, m));
    const proto = str(p.protocol);
    if (!proto) errs.push(fieldErr.required([...pp2, 'protocol'], ''));
    else if (!protocols.includes(proto)) errs.push(fieldErr.notSupported([...pp2, 'protocol'], proto, protocols));
    errs.push(...validatePortNumOrName(p.targetPort, [...pp2, 'targetPort']));
  });
  errs.push(...validateLabels(spec.selector, [...sp, 'selector']));
  const sa = str(spec.sessionAffinity);
  if (!sa) errs.push(fieldErr.required([...sp, 'sessionAffinity'], ''));
  else if (sa !== 'ClientIP' && sa !== 'None') errs.push(fieldErr.notSupported([...sp, 'sessionAffinity'], sa, ['ClientIP', 'None']));
  else if (sa === 'ClientIP') {
    const t = obj(obj(obj(spec.sessionAffinityConfig).clientIP)).timeoutSeconds;
    if (typeof t !== 'number' || t <= 0 || t > 86400)
      errs.push(fieldErr.invalid([...sp, 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds'], t ?? 0, 'must be greater than 0 and less than 86400'));
  } else if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fieldErr.forbidden([...sp, 'sessionAffinityConfig'], 'must not be set when session affinity is None'));
  }
  // ValidateServiceClusterIPsRelatedFields (the strategy has synced clusterIP and clusterIPs)
  const ipsPath: PathSeg[] = [...sp, 'clusterIPs'];
  const allIPs = clusterIPs.length ? clusterIPs : clusterIP ? [clusterIP] : [];
  if (type !== 'ExternalName') {
    if (clusterIP && clusterIPs.length > 0 && clusterIPs[0] !== clusterIP)
      errs.push(fieldErr.invalid(ipsPath, clusterIPs, 'first value must match `clusterIP`'));
    const seenFam = new Set<string>();
    arr(spec.ipFamilies).forEach((f, i) => {
      if (f !== 'IPv4' && f !== 'IPv6') errs.push(fieldErr.notSupported([...sp, 'ipFamilies', i], str(f), ['IPv4', 'IPv6']));
      if (seenFam.has(str(f))) errs.push(fieldErr.duplicate([...sp, 'ipFamilies', i], str(f)));
      seenFam.add(str(f));
    });
    const pol = spec.ipFamilyPolicy;
    if (pol !== undefined && pol !== null && !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(str(pol)))
      errs.push(fieldErr.notSupported([...sp, 'ipFamilyPolicy'], str(pol), ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
    allIPs.forEach((ip, i) => {
      if (i === 0 && ip === 'None') {
        if (allIPs.length > 1) errs.push(fieldErr.invalid(ipsPath, allIPs, "'None' must be the first and only value"));
        return;
      }
      if (!isIP(ip)) errs.push(fieldErr.invalid([...ipsPath, i], ip, ipMsg));
    });
  }
  arr(spec.externalIPs).forEach((ip, i) => {
    if (!isIP(str(ip))) errs.push(fieldErr.invalid([...sp, 'externalIPs', i], str(ip), ipMsg));
  });
  const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
  if (!type) errs.push(fieldErr.required([...sp, 'type'], ''));
  else if (!types.includes(type)) errs.push(fieldErr.notSupported([...sp, 'type'], type, types));
  if (type === 'ClusterIP') {
    ports.forEach((pp, i) => {
      const np = obj(pp).nodePort;
      if (np !== undefined && np !== 0) errs.push(fieldErr.forbidden([...sp, 'ports', i, 'nodePort'], "may not be used when `type` is 'ClusterIP'"));
    });
  }
  // Nodeport checks: range (validation) and duplicates, for NodePort and LoadBalancer.
  if (type === 'NodePort' || type === 'LoadBalancer') {
    const seen = new Set<string>();
    ports.forEach((pp, i) => {
      const p = obj(pp);
      const np = p.nodePort;
      if (typeof np !== 'number' || np === 0) return;
      for (const m of isValidPortNum(np)) errs.push(fieldErr.invalid([...sp, 'ports', i, 'nodePort'], np, m));
      const key = `${str(p.protocol)}/${np}`;
      if (seen.has(key)) errs.push(fieldErr.duplicate([...sp, 'ports', i, 'nodePort'], np));
      seen.add(key);
    });
  }
  const seenPorts = new Set<string>();
  ports.forEach((pp, i) => {
    const p = obj(pp);
    const key = `${str(p.protocol)}/${String(p.port)}`;
    if (seenPorts.has(key)) errs.push(fieldErr.duplicate([...sp, 'ports', i], servicePortKeyLiteral(str(p.protocol), Number(p.port))));
    seenPorts.add(key);
  });
  // loadBalancerSourceRanges (the field path really is capitalised upstream)
  const lbsr = arr(spec.loadBalancerSourceRanges);
  if (lbsr.length > 0) {
    const fp: PathSeg[] = [...sp, 'LoadBalancerSourceRanges'];
    if (type !== 'LoadBalancer') errs.push(fieldErr.forbidden(fp, "may only be used when `type` is 'LoadBalancer'"));
    lbsr.forEach((v, i) => {
      const c = str(v).trim();
      if (!isCIDR(c)) errs.push(fieldErr.invalid([...fp, i], c, cidrMsg));
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer')
    errs.push(fieldErr.forbidden([...sp, 'allocateLoadBalancerNodePorts'], "may only be used when `type` is 'LoadBalancer'"));
  // externalTrafficPolicy
  const externallyAccessible = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
  const etp = spec.externalTrafficPolicy;
  if (!externallyAccessible) {
    if (etp !== undefined && etp !== '')
      errs.push(fieldErr.invalid([...sp, 'externalTrafficPolicy'], str(etp), 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(fieldErr.required([...sp, 'externalTrafficPolicy'], ''));
  else if (etp !== 'Cluster' && etp !== 'Local') errs.push(fieldErr.notSupported([...sp, 'externalTrafficPolicy'], str(etp), ['Cluster', 'Local']));
  const needsHealthCheck = type === 'LoadBalancer' && etp === 'Local';
  const hc = spec.healthCheckNodePort;
  if (!needsHealthCheck && typeof hc === 'number' && hc !== 0)
    errs.push(fieldErr.invalid([...sp, 'healthCheckNodePort'], hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  else if (needsHealthCheck && typeof hc === 'number' && hc !== 0)
    for (const m of isValidPortNum(hc)) errs.push(fieldErr.invalid([...sp, 'healthCheckNodePort'], hc, m));
  // internalTrafficPolicy (validateServiceInternalTrafficFieldsValue)
  const itp = spec.internalTrafficPolicy;
  if ((itp === undefined || itp === null) && (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP'))
    errs.push(fieldErr.required([...sp, 'internalTrafficPolicy'], 'must be specified'));
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local')
    errs.push(fieldErr.notSupported([...sp, 'internalTrafficPolicy'], str(itp), ['Cluster', 'Local']));
  return errs;
}

// ---------- namespaces, endpoint slices, network policies

export function validateNamespace(ns: unknown): FieldError[] {
  return validateObjectMeta(obj(ns).metadata, false, isDNS1123Label);
}

export function validateEndpointSlice(es: unknown): FieldError[] {
  const o = obj(es);
  const errs = validateObjectMeta(o.metadata, true, isDNS1123Subdomain);
  const at = str(o.addressType);
  const types = ['FQDN', 'IPv4', 'IPv6'];
  if (!at) errs.push(fieldErr.required(['addressType'], ''));
  else if (!types.includes(at)) errs.push(fieldErr.notSupported(['addressType'], at, types));
  arr(o.endpoints).forEach((ee, i) => {
    const e = obj(ee);
    const addrs = arr(e.addresses);
    if (addrs.length === 0) errs.push(fieldErr.required(['endpoints', i, 'addresses'], 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(fieldErr.invalid(['endpoints', i, 'addresses'], addrs.length, 'must have at most 100 items'));
    addrs.forEach((a, j) => {
      const s = str(a);
      const p: PathSeg[] = ['endpoints', i, 'addresses', j];
      if (at === 'IPv4' && parseIPv4(s) === null) errs.push(fieldErr.invalid(p, s, 'must be a valid IPv4 address'));
      if (at === 'IPv6' && !isIPv6(s)) errs.push(fieldErr.invalid(p, s, 'must be a valid IPv6 address'));
      if (at === 'FQDN') for (const m of isDNS1123Subdomain(s)) errs.push(fieldErr.invalid(p, s, m));
    });
    if (e.nodeName) for (const m of isDNS1123Subdomain(str(e.nodeName))) errs.push(fieldErr.invalid(['endpoints', i, 'nodeName'], str(e.nodeName), m));
    if (e.hostname) for (const m of isDNS1123Label(str(e.hostname))) errs.push(fieldErr.invalid(['endpoints', i, 'hostname'], str(e.hostname), m));
  });
  const names = new Set<string>();
  arr(o.ports).forEach((pp, i) => {
    const p = obj(pp);
    const name = str(p.name);
    if (name) for (const m of isDNS1123Label(name)) errs.push(fieldErr.invalid(['ports', i, 'name'], name, m));
    if (names.has(name)) errs.push(fieldErr.duplicate(['ports', i, 'name'], name));
    names.add(name);
    const proto = str(p.protocol);
    if (!proto) errs.push(fieldErr.required(['ports', i, 'protocol'], ''));
    else if (!protocols.includes(proto)) errs.push(fieldErr.notSupported(['ports', i, 'protocol'], proto, protocols));
    if (p.port !== undefined && p.port !== null)
      for (const m of isValidPortNum(Number(p.port))) errs.push(fieldErr.invalid(['ports', i, 'port'], p.port, m));
  });
  return errs;
}

function validateNetworkPolicyPort(pp: unknown, path: PathSeg[]): FieldError[] {
  const p = obj(pp);
  const errs: FieldError[] = [];
  const proto = str(p.protocol);
  if (proto && proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP') errs.push(fieldErr.notSupported([...path, 'protocol'], proto, ['TCP', 'UDP', 'SCTP']));
  const port = p.port;
  const endPort = p.endPort;
  const hasEnd = endPort !== undefined && endPort !== null;
  if (port !== undefined && port !== null) {
    if (typeof port === 'number') {
      for (const m of isValidPortNum(port)) errs.push(fieldErr.invalid([...path, 'port'], port, m));
      if (hasEnd) {
        // (upstream reports the port, not the endPort, as the bad value here)
        if (Number(endPort) < port) errs.push(fieldErr.invalid([...path, 'endPort'], port, 'must be greater than or equal to `port`'));
        for (const m of isValidPortNum(Number(endPort))) errs.push(fieldErr.invalid([...path, 'endPort'], endPort, m));
      }
    } else {
      if (hasEnd) errs.push(fieldErr.invalid([...path, 'endPort'], endPort, 'may not be specified when `port` is non-numeric'));
      for (const m of isValidPortName(str(port))) errs.push(fieldErr.invalid([...path, 'port'], str(port), m));
    }
  } else if (hasEnd) {
    errs.push(fieldErr.invalid([...path, 'endPort'], endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validateIPBlock(b: unknown, path: PathSeg[]): FieldError[] {
  const ipb = obj(b);
  const errs: FieldError[] = [];
  const cidr = str(ipb.cidr);
  if (!cidr) return [fieldErr.required([...path, 'cidr'], '')];
  if (!isCIDR(cidr)) {
    errs.push(fieldErr.invalid([...path, 'cidr'], cidr, cidrMsg));
    return errs;
  }
  const parent = parseCIDRv4(cidr);
  arr(ipb.except).forEach((e, i) => {
    const ep: PathSeg[] = [...path, 'except', i];
    const s = str(e);
    if (!isCIDR(s)) {
      errs.push(fieldErr.invalid(ep, s, cidrMsg));
      return;
    }
    const ex = parseCIDRv4(s);
    if (!parent || !ex) {
      // IPv6 / mixed families: contained only when both are IPv4 here.
      if (!parent !== !ex) errs.push(fieldErr.invalid(ep, s, 'must be a strict subset of `cidr`'));
      return;
    }
    const mask = parent.prefix === 0 ? 0 : (0xffffffff << (32 - parent.prefix)) >>> 0;
    const contains = ((ex.net & mask) >>> 0) === parent.net;
    if (!contains || parent.prefix >= ex.prefix) errs.push(fieldErr.invalid(ep, s, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function validatePeer(pp: unknown, path: PathSeg[]): FieldError[] {
  const p = obj(pp);
  const errs: FieldError[] = [];
  let n = 0;
  if (p.podSelector !== undefined && p.podSelector !== null) {
    n++;
    errs.push(...validateLabelSelector(p.podSelector, [...path, 'podSelector']));
  }
  if (p.namespaceSelector !== undefined && p.namespaceSelector !== null) {
    n++;
    errs.push(...validateLabelSelector(p.namespaceSelector, [...path, 'namespaceSelector']));
  }
  if (p.ipBlock !== undefined && p.ipBlock !== null) {
    n++;
    errs.push(...validateIPBlock(p.ipBlock, [...path, 'ipBlock']));
  }
  if (n === 0) errs.push(fieldErr.required(path, 'must specify a peer'));
  else if (p.ipBlock !== undefined && p.ipBlock !== null && n > 1) errs.push(fieldErr.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function validateNetworkPolicy(np: unknown): FieldError[] {
  const o = obj(np);
  const spec = obj(o.spec);
  const sp: PathSeg[] = ['spec'];
  const errs = validateObjectMeta(o.metadata, true, isDNS1123Subdomain);
  errs.push(...validateLabelSelector(spec.podSelector, [...sp, 'podSelector']));
  arr(spec.ingress).forEach((rr, i) => {
    const r = obj(rr);
    arr(r.ports).forEach((p, j) => errs.push(...validateNetworkPolicyPort(p, [...sp, 'ingress', i, 'ports', j])));
    arr(r.from).forEach((p, j) => errs.push(...validatePeer(p, [...sp, 'ingress', i, 'from', j])));
  });
  arr(spec.egress).forEach((rr, i) => {
    const r = obj(rr);
    arr(r.ports).forEach((p, j) => errs.push(...validateNetworkPolicyPort(p, [...sp, 'egress', i, 'ports', j])));
    arr(r.to).forEach((p, j) => errs.push(...validatePeer(p, [...sp, 'egress', i, 'to', j])));
  });
  const pts = arr(spec.policyTypes);
  if (pts.length > 2) {
    const lit = new Raw(`[]networking.PolicyType{${pts.map((t) => goQuote(str(t))).join(', ')}}`);
    errs.push(fieldErr.invalid([...sp, 'policyTypes'], lit, 'may not specify more than two policyTypes'));
    return errs;
  }
  pts.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldErr.notSupported([...sp, 'policyTypes', i], str(t), ['Ingress', 'Egress']));
  });
  return errs;
}

// ---------- dispatch and the kubectl error text

/** Validates one object of a supported kind; [] when valid. Unknown kinds validate only metadata. */
export function validateObject(o: { kind: string; [k: string]: unknown }, opts: ServiceValidationOptions = {}): FieldError[] {
  switch (o.kind) {
    case 'Pod':
      return validatePod(o);
    case 'Service':
      return validateService(o, opts);
    case 'Deployment':
      return validateDeployment(o);
    case 'ReplicaSet':
      return validateReplicaSet(o);
    case 'DaemonSet':
      return validateDaemonSet(o);
    case 'Namespace':
      return validateNamespace(o);
    case 'EndpointSlice':
      return validateEndpointSlice(o);
    case 'NetworkPolicy':
      return validateNetworkPolicy(o);
    default:
      return validateObjectMeta(o.metadata, true, isDNS1123Subdomain);
  }
}

/**
 * kubectl's rendering of a 422 Invalid: one cause on the same line, several as a bulleted list
 * (`The Service "x" is invalid: \n* a\n* b`).
 */
export function invalidMessage(kind: string, name: string, errs: readonly FieldError[]): string {
  const head = `The ${kind} ${goQuote(name)} is invalid: `;
  if (errs.length === 1) return head + errs[0]!.message;
  return head + '\n' + errs.map((e) => `* ${e.message}`).join('\n');
}
