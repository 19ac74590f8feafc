// kubectl-style output: `kubectl get` tables / -o yaml|json|name and `kubectl describe` text.
// The CLI and the web UI call renderGet/renderDescribe; resources resolve through the registry.

export { RESOURCES, lookupResource, qualifiedResource, nameOutputPrefix, type ResourceInfo } from './resources.ts';
export { renderGet, type GetRequest, type RenderResult } from './get.ts';
export { renderDescribe, DESCRIBABLE_KINDS, type DescribeRequest } from './describe.ts';
export { humanDuration, clockOf, since, toMs, rfc1123z, DEFAULT_EPOCH_MS, type RenderClock, type TimeLike } from './time.ts';
export { toKubectlJson, toKubectlYaml } from './serialize.ts';
