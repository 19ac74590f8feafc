// Objects for the standalone kube-proxy command: Services, EndpointSlices and Nodes read from
// YAML (multi-document), a JSON object, a JSON array or a List, exactly as given — no API
// defaulting, because kube-proxy itself applies none. Also reads a KubeProxyConfiguration.
// Browser-safe: takes text; reading files is the CLI's job.

import type { V1EndpointSlice, V1Node, V1Service } from '../k8s/types.ts';
import { KubewireError, type SourceLocation } from '../errors.ts';
import { parseYamlDocuments, subDoc, type SourceDoc } from '../inputs/yaml-source.ts';
import type { DetectLocalMode, ProxyConfig } from './config.ts';

export interface ProxyInputs {
  services: V1Service[];
  slices: V1EndpointSlice[];
  nodes: V1Node[];
  /** Objects of other kinds, ignored (kube-proxy does not watch them). */
  ignored: number;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function where(doc: SourceDoc, path: (string | number)[]): SourceLocation {
  return doc.locate(path);
}

function describe(o: Record<string, unknown>): string {
  const md = isObj(o.metadata) ? o.metadata : {};
  const ns = typeof md.namespace === 'string' ? `${md.namespace}/` : '';
  return `${String(o.kind)} ${ns}${typeof md.name === 'string' ? md.name : '<unnamed>'}`;
}

function checkObject(o: Record<string, unknown>, doc: SourceDoc): void {
  const md = o.metadata;
  if (!isObj(md) || typeof md.name !== 'string' || md.name === '') {
    throw new KubewireError(`${String(o.kind)} object has no metadata.name`, { where: where(doc, ['metadata']) });
  }
  if (md.namespace !== undefined && typeof md.namespace !== 'string') {
    throw new KubewireError(`${describe(o)}: metadata.namespace must be a string`, { where: where(doc, ['metadata', 'namespace']) });
  }
  const kind = o.kind;
  const spec = o.spec;
  if (kind === 'Service') {
    if (spec !== undefined && !isObj(spec)) throw new KubewireError(`${describe(o)}: spec must be an object`, { where: where(doc, ['spec']) });
    const ports = isObj(spec) ? spec.ports : undefined;
    if (ports !== undefined && !Array.isArray(ports)) {
      throw new KubewireError(`${describe(o)}: spec.ports must be a list`, { where: where(doc, ['spec', 'ports']) });
    }
    (Array.isArray(ports) ? ports : []).forEach((p, i) => {
      if (!isObj(p)) throw new KubewireError(`${describe(o)}: spec.ports[${i}] must be an object`, { where: where(doc, ['spec', 'ports', i]) });
      if (typeof p.port !== 'number' || !Number.isInteger(p.port)) {
        throw new KubewireError(`${describe(o)}: spec.ports[${i}].port must be an integer`, { where: where(doc, ['spec', 'ports', i]) });
      }
      if (p.nodePort !== undefined && (typeof p.nodePort !== 'number' || !Number.isInteger(p.nodePort))) {
        throw new KubewireError(`${describe(o)}: spec.ports[${i}].nodePort must be an integer`, { where: where(doc, ['spec', 'ports', i, 'nodePort']) });
      }
      if (p.protocol === undefined) {
        throw new KubewireError(
          `${describe(o)}: spec.ports[${i}].protocol is not set (the API server always sets it; objects are read without defaulting)`,
          { where: where(doc, ['spec', 'ports', i]) },
        );
      }
      if (p.protocol !== 'TCP' && p.protocol !== 'UDP' && p.protocol !== 'SCTP') {
        throw new KubewireError(`${describe(o)}: spec.ports[${i}].protocol must be TCP, UDP or SCTP`, {
          where: where(doc, ['spec', 'ports', i, 'protocol']),
        });
      }
    });
    for (const f of ['externalIPs', 'loadBalancerSourceRanges', 'clusterIPs'] as const) {
      const v = isObj(spec) ? spec[f] : undefined;
      if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) {
        throw new KubewireError(`${describe(o)}: spec.${f} must be a list of strings`, { where: where(doc, ['spec', f]) });
      }
    }
  } else if (kind === 'EndpointSlice') {
    if (o.endpoints !== undefined && o.endpoints !== null && !Array.isArray(o.endpoints)) {
      throw new KubewireError(`${describe(o)}: endpoints must be a list`, { where: where(doc, ['endpoints']) });
    }
    if (o.ports !== undefined && o.ports !== null && !Array.isArray(o.ports)) {
      throw new KubewireError(`${describe(o)}: ports must be a list`, { where: where(doc, ['ports']) });
    }
    ((o.endpoints as unknown[]) ?? []).forEach((e, i) => {
      if (!isObj(e)) throw new KubewireError(`${describe(o)}: endpoints[${i}] must be an object`, { where: where(doc, ['endpoints', i]) });
      if (e.addresses !== undefined && (!Array.isArray(e.addresses) || e.addresses.some((a) => typeof a !== 'string'))) {
        throw new KubewireError(`${describe(o)}: endpoints[${i}].addresses must be a list of strings`, {
          where: where(doc, ['endpoints', i, 'addresses']),
        });
      }
    });
    ((o.ports as unknown[]) ?? []).forEach((p, i) => {
      if (!isObj(p)) throw new KubewireError(`${describe(o)}: ports[${i}] must be an object`, { where: where(doc, ['ports', i]) });
      if (p.port !== undefined && p.port !== null && (typeof p.port !== 'number' || !Number.isInteger(p.port))) {
        throw new KubewireError(`${describe(o)}: ports[${i}].port must be an integer`, { where: where(doc, ['ports', i, 'port']) });
      }
      if (p.port !== undefined && p.port !== null && p.port !== 0 && p.name !== undefined && p.name !== null && p.protocol === undefined) {
        throw new KubewireError(
          `${describe(o)}: ports[${i}].protocol is not set (the API server always sets it; objects are read without defaulting)`,
          { where: where(doc, ['ports', i]) },
        );
      }
    });
  }
}

/** Reads Services, EndpointSlices and Nodes from one file's text. */
export function parseProxyInputs(text: string, file: string, into?: ProxyInputs): ProxyInputs {
  const out: ProxyInputs = into ?? { services: [], slices: [], nodes: [], ignored: 0 };
  const visit = (v: unknown, doc: SourceDoc): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, subDoc(doc, [i], item)));
      return;
    }
    if (!isObj(v)) throw new KubewireError('expected a Kubernetes object, a list of objects or a List', { where: doc.start });
    if (typeof v.kind !== 'string' || v.kind === '') {
      throw new KubewireError('object has no kind', { where: doc.start });
    }
    if (v.kind === 'List' || (v.kind.endsWith('List') && Array.isArray(v.items))) {
      if (!Array.isArray(v.items)) throw new KubewireError(`${v.kind} has no items list`, { where: doc.start });
      v.items.forEach((item, i) => visit(item, subDoc(doc, ['items', i], item)));
      return;
    }
    if (v.kind !== 'Service' && v.kind !== 'EndpointSlice' && v.kind !== 'Node') {
      out.ignored++;
      return;
    }
    checkObject(v, doc);
    const md = v.metadata as Record<string, unknown>;
    // Objects without a namespace are taken as kubectl would create them: in "default".
    const obj = v.kind === 'Node' ? v : { ...v, metadata: { ...md, namespace: (md.namespace as string | undefined) ?? 'default' } };
    if (v.kind === 'Service') out.services.push(obj as unknown as V1Service);
    else if (v.kind === 'EndpointSlice') out.slices.push(obj as unknown as V1EndpointSlice);
    else out.nodes.push(obj as unknown as V1Node);
  };
  for (const doc of parseYamlDocuments(text, file)) visit(doc.value, doc);
  return out;
}

/** Fields of a KubeProxyConfiguration (kubeproxy.config.k8s.io v1alpha1/v1alpha2) kubewire uses. */
export function parseKubeProxyConfiguration(text: string, file: string): Partial<ProxyConfig> {
  const docs = parseYamlDocuments(text, file).filter((d) => d.value !== null);
  if (docs.length !== 1 || !isObj(docs[0].value)) {
    throw new KubewireError(`${file}: expected one KubeProxyConfiguration object`);
  }
  const doc = docs[0];
  const v = doc.value as Record<string, unknown>;
  if (v.kind !== 'KubeProxyConfiguration') {
    throw new KubewireError(`expected kind KubeProxyConfiguration, got ${JSON.stringify(v.kind)}`, { where: doc.start });
  }
  const bad = (path: (string | number)[], msg: string): never => {
    throw new KubewireError(`KubeProxyConfiguration: ${path.join('.')} ${msg}`, { where: doc.locate(path) });
  };
  const str = (path: string[]): string | undefined => {
    let cur: unknown = v;
    for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
    if (cur === undefined || cur === null) return undefined;
    if (typeof cur !== 'string') bad(path, 'must be a string');
    return cur as string;
  };
  const bool = (path: string[]): boolean | undefined => {
    let cur: unknown = v;
    for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
    if (cur === undefined || cur === null) return undefined;
    if (typeof cur !== 'boolean') bad(path, 'must be true or false');
    return cur as boolean;
  };
  const int = (path: string[]): number | undefined => {
    let cur: unknown = v;
    for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
    if (cur === undefined || cur === null) return undefined;
    if (typeof cur !== 'number' || !Number.isInteger(cur)) bad(path, 'must be an integer');
    return cur as number;
  };
  const mode = str(['mode']);
  if (mode !== undefined && mode !== '' && mode !== 'iptables') {
    bad(['mode'], `is ${JSON.stringify(mode)}; kubewire models kube-proxy's iptables mode only`);
  }
  const c: Partial<ProxyConfig> = {};
  const cc = str(['clusterCIDR']);
  if (cc !== undefined) c.clusterCIDR = cc;
  const dlm = str(['detectLocalMode']);
  if (dlm !== undefined && dlm !== '') {
    if (!['ClusterCIDR', 'NodeCIDR', 'BridgeInterface', 'InterfaceNamePrefix'].includes(dlm)) {
      bad(['detectLocalMode'], 'must be ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix');
    }
    c.detectLocalMode = dlm as DetectLocalMode;
  }
  const bi = str(['detectLocal', 'bridgeInterface']);
  if (bi !== undefined) c.bridgeInterface = bi;
  const ip = str(['detectLocal', 'interfaceNamePrefix']);
  if (ip !== undefined) c.interfaceNamePrefix = ip;
  const ma = bool(['iptables', 'masqueradeAll']) ?? bool(['masqueradeAll']);
  if (ma !== undefined) c.masqueradeAll = ma;
  const mb = int(['iptables', 'masqueradeBit']);
  if (mb !== undefined) c.masqueradeBit = mb;
  const lnp = bool(['iptables', 'localhostNodePorts']);
  if (lnp !== undefined) c.localhostNodePorts = lnp;
  const host = str(['hostnameOverride']);
  if (host) c.nodeName = host.toLowerCase().trim();
  const npa = v.nodePortAddresses;
  if (npa !== undefined && npa !== null) {
    if (!Array.isArray(npa) || npa.some((x) => typeof x !== 'string')) bad(['nodePortAddresses'], 'must be a list of strings');
    c.nodePortAddresses = npa as string[];
  }
  const liberal = bool(['conntrack', 'tcpBeLiberal']);
  if (liberal !== undefined) c.conntrackTCPBeLiberal = liberal;
  const fg = v.featureGates;
  if (isObj(fg) && typeof fg.PreferSameTrafficDistribution === 'boolean') {
    c.preferSameTrafficDistribution = fg.PreferSameTrafficDistribution;
  }
  return c;
}
