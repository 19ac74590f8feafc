import { describe, expect, it } from 'vitest';
import { renderGet } from './get.ts';
import { lookupResource } from './resources.ts';
import { at, obj, runningPod, stateWith } from './testing.ts';

// Tables below are written out as kubectl prints them: columns padded to the widest cell + 3
// (minimum 6), last column unpadded; ages follow HumanDuration against the logical clock.

const NODE = 'ip-192-168-12-34.us-west-2.compute.internal';

describe('kubectl get pods', () => {
  const state = stateWith([
    runningPod('web-1', 'default', 100),
    runningPod('longer-name-pod-2', 'default', 3000, { ip: '192.168.7.22', labels: { app: 'web', tier: 'fe' } }),
    runningPod('coredns-1', 'kube-system', 10, { labels: { 'k8s-app': 'kube-dns' } }),
  ], { clock: 3725 });

  it('prints NAME READY STATUS RESTARTS AGE in name order', () => {
    const r = renderGet(state, { resource: 'pods' });
    expect(r).toEqual({
      stdout:
        'NAME                READY   STATUS    RESTARTS   AGE\n' +
        'longer-name-pod-2   1/1     Running   0          12m\n' +
        'web-1               1/1     Running   0          60m\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('-o wide adds IP, NODE, NOMINATED NODE, READINESS GATES', () => {
    const r = renderGet(state, { resource: 'po', output: 'wide', names: ['web-1'] });
    expect(r.stdout).toBe(
      'NAME    READY   STATUS    RESTARTS   AGE   IP             NODE                                          NOMINATED NODE   READINESS GATES\n' +
      `web-1   1/1     Running   0          60m   192.168.5.10   ${NODE}   <none>           <none>\n`,
    );
  });

  it('-A puts NAMESPACE first; --show-labels puts LABELS last', () => {
    const r = renderGet(state, { resource: 'pod', allNamespaces: true, showLabels: true });
    expect(r.stdout).toBe(
      'NAMESPACE     NAME                READY   STATUS    RESTARTS   AGE   LABELS\n' +
      'default       longer-name-pod-2   1/1     Running   0          12m   app=web,tier=fe\n' +
      'default       web-1               1/1     Running   0          60m   app=web\n' +
      'kube-system   coredns-1           1/1     Running   0          61m   k8s-app=kube-dns\n',
    );
  });

  it('--no-headers prints the rows only', () => {
    expect(renderGet(state, { resource: 'pods', noHeaders: true }).stdout).toBe(
      'longer-name-pod-2   1/1   Running   0     12m\nweb-1               1/1   Running   0     60m\n',
    );
  });

  it('-l filters by label selector', () => {
    expect(renderGet(state, { resource: 'pods', selector: 'tier=fe' }).stdout).toBe(
      'NAME                READY   STATUS    RESTARTS   AGE\nlonger-name-pod-2   1/1     Running   0          12m\n',
    );
    expect(renderGet(state, { resource: 'pods', selector: 'app=web,tier!=fe' }).stdout).toContain('web-1');
    expect(renderGet(state, { resource: 'pods', selector: 'app notin (web)' })).toEqual({
      stdout: '', stderr: 'No resources found in default namespace.\n', exitCode: 0,
    });
  });

  it('computes STATUS as printPod does', () => {
    const waiting = (reason: string): object => ({ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason } } });
    const s = stateWith([
      obj('Pod', 'a-pending', 'default', 0, { spec: { containers: [{ name: 'app' }] }, status: { phase: 'Pending' } }),
      runningPod('b-creating', 'default', 0, { status: { phase: 'Pending' }, containerStatuses: [waiting('ContainerCreating')] }),
      runningPod('c-crash', 'default', 0, {
        containerStatuses: [{
          name: 'app', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: at(3600) } },
        }],
      }),
      runningPod('d-terminating', 'default', 0, { meta: { deletionTimestamp: at(3700) } }),
      runningPod('e-completed', 'default', 0, {
        status: { phase: 'Succeeded' },
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      }),
      runningPod('f-init', 'default', 0, {
        spec: { initContainers: [{ name: 'init' }] },
        status: {
          phase: 'Pending',
          conditions: [{ type: 'Initialized', status: 'False' }],
          initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { running: {} } }],
        },
        containerStatuses: [waiting('PodInitializing')],
      }),
      obj('Pod', 'g-evicted', 'default', 0, { spec: { containers: [{ name: 'app' }] }, status: { phase: 'Failed', reason: 'Evicted' } }),
      runningPod('h-oomkilled', 'default', 0, {
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
      }),
    ], { clock: 3725 });
    expect(renderGet(s, { resource: 'pods' }).stdout).toBe(
      'NAME            READY   STATUS              RESTARTS       AGE\n' +
      'a-pending       0/1     Pending             0              62m\n' +
      'b-creating      0/1     ContainerCreating   0              62m\n' +
      'c-crash         0/1     CrashLoopBackOff    5 (2m5s ago)   62m\n' +
      'd-terminating   1/1     Terminating         0              62m\n' +
      'e-completed     0/1     Completed           0              62m\n' +
      'f-init          0/1     Init:0/1            0              62m\n' +
      'g-evicted       0/1     Evicted             0              62m\n' +
      'h-oomkilled     0/1     OOMKilled           0              62m\n',
    );
  });
});

describe('kubectl get (other kinds)', () => {
  it('nodes: STATUS from the Ready condition, ROLES from node-role labels; wide adds addresses and node info', () => {
    const node = obj('Node', NODE, undefined, 0, {
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.168.12.34' }, { type: 'Hostname', address: NODE }],
        nodeInfo: { kubeletVersion: 'v1.31.3-eks-59bf375', osImage: 'Amazon Linux 2023.6.20241212', kernelVersion: '6.1.119-129.201.amzn2023.x86_64', containerRuntimeVersion: 'containerd://1.7.23' },
      },
    }, { labels: { 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge' } });
    const s = stateWith([node], { clock: 7200 });
    expect(renderGet(s, { resource: 'no' }).stdout).toBe(
      'NAME                                          STATUS                     ROLES         AGE    VERSION\n' +
      `${NODE}   Ready,SchedulingDisabled   edge,worker   120m   v1.31.3-eks-59bf375\n`,
    );
    expect(renderGet(s, { resource: 'nodes', output: 'wide' }).stdout.split('\n')[1]).toBe(
      `${NODE}   Ready,SchedulingDisabled   edge,worker   120m   v1.31.3-eks-59bf375   192.168.12.34   <none>        Amazon Linux 2023.6.20241212   6.1.119-129.201.amzn2023.x86_64   containerd://1.7.23`,
    );
  });

  it('services: ports, <none>/<pending> external IPs, untruncated LB hostname, wide SELECTOR', () => {
    const lbHost = 'a1b2c3d4e5f6a7b8c9d0-1234567890.us-west-2.elb.amazonaws.com';
    const s = stateWith([
      obj('Service', 'kubernetes', 'default', 0, { spec: { type: 'ClusterIP', clusterIP: '10.100.0.1', clusterIPs: ['10.100.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } }),
      obj('Service', 'headless', 'default', 0, { spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'db' } } }),
      obj('Service', 'lb-pending', 'default', 0, { spec: { type: 'LoadBalancer', clusterIP: '10.100.9.9', clusterIPs: ['10.100.9.9'], ports: [{ port: 80, nodePort: 31234, protocol: 'TCP' }, { port: 53, nodePort: 30053, protocol: 'UDP' }] } }),
      obj('Service', 'lb', 'default', 0, {
        spec: { type: 'LoadBalancer', clusterIP: '10.100.8.8', clusterIPs: ['10.100.8.8'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }], selector: { app: 'web' } },
        status: { loadBalancer: { ingress: [{ hostname: lbHost }] } },
      }),
    ], { clock: 45 });
    expect(renderGet(s, { resource: 'svc' }).stdout).toBe(
      // EXTERNAL-IP is as wide as the 59-character hostname plus 3.
      `NAME         TYPE           CLUSTER-IP   ${'EXTERNAL-IP'.padEnd(62)}PORT(S)                     AGE\n` +
      `headless     ClusterIP      None         ${'<none>'.padEnd(62)}<none>                      45s\n` +
      `kubernetes   ClusterIP      10.100.0.1   ${'<none>'.padEnd(62)}443/TCP                     45s\n` +
      `lb           LoadBalancer   10.100.8.8   ${lbHost}   80:30080/TCP                45s\n` +
      `lb-pending   LoadBalancer   10.100.9.9   ${'<pending>'.padEnd(62)}80:31234/TCP,53:30053/UDP   45s\n`,
    );
    const wide = renderGet(s, { resource: 'services', output: 'wide', names: ['headless', 'kubernetes'] }).stdout;
    expect(wide).toBe(
      'NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE   SELECTOR\n' +
      'headless     ClusterIP   None         <none>        <none>    45s   app=db\n' +
      'kubernetes   ClusterIP   10.100.0.1   <none>        443/TCP   45s   <none>\n',
    );
  });

  it('endpointslices: ports and endpoints lists cut after 3 with "+ N more..."', () => {
    const eps = (n: number): object[] => Array.from({ length: n }, (_, i) => ({ addresses: [`192.168.5.${i + 1}`], conditions: { ready: true } }));
    const s = stateWith([
      obj('EndpointSlice', 'web-abcde', 'default', 0, { addressType: 'IPv4', ports: [{ name: '', port: 80, protocol: 'TCP' }], endpoints: eps(5) }),
      obj('EndpointSlice', 'empty-xyz', 'default', 0, { addressType: 'IPv4', ports: null, endpoints: null }),
      obj('EndpointSlice', 'multi-port', 'default', 0, {
        addressType: 'IPv4',
        ports: [{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }, { name: 'x' }],
        endpoints: eps(2),
      }),
    ], { clock: 130 });
    expect(renderGet(s, { resource: 'endpointslice' }).stdout).toBe(
      'NAME         ADDRESSTYPE   PORTS               ENDPOINTS                                         AGE\n' +
      'empty-xyz    IPv4          <unset>             <unset>                                           2m10s\n' +
      'multi-port   IPv4          1,2,3 + 2 more...   192.168.5.1,192.168.5.2                           2m10s\n' +
      'web-abcde    IPv4          80                  192.168.5.1,192.168.5.2,192.168.5.3 + 2 more...   2m10s\n',
    );
  });

  it('networkpolicies: POD-SELECTOR as a label selector string', () => {
    const s = stateWith([
      obj('NetworkPolicy', 'deny-all', 'default', 0, { spec: { podSelector: {}, policyTypes: ['Ingress'] } }),
      obj('NetworkPolicy', 'web', 'default', 0, { spec: { podSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] } } }),
    ], { clock: 86400 * 3 });
    expect(renderGet(s, { resource: 'netpol' }).stdout).toBe(
      'NAME       POD-SELECTOR            AGE\n' +
      'deny-all   <none>                  3d\n' +
      'web        app=web,tier in (a,b)   3d\n',
    );
  });

  it('deployments, replicasets, daemonsets with their wide columns', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'side', image: 'busybox' }] } };
    const s = stateWith([
      obj('Deployment', 'web', 'default', 0, { spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } }),
      obj('ReplicaSet', 'web-5d8f7c9b6', 'default', 0, { spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d8f7c9b6' } }, template }, status: { replicas: 3, readyReplicas: 2 } }),
      obj('DaemonSet', 'aws-node', 'kube-system', 0, {
        spec: { selector: { matchLabels: { 'k8s-app': 'aws-node' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'aws-node', image: 'amazon-k8s-cni:v1.19.0' }] } } },
        status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2 },
      }),
    ], { clock: 600 });
    expect(renderGet(s, { resource: 'deploy' }).stdout).toBe(
      'NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/3     3            2           10m\n',
    );
    expect(renderGet(s, { resource: 'deployments.apps', output: 'wide' }).stdout).toBe(
      'NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES               SELECTOR\n' +
      'web    2/3     3            2           10m   app,side     nginx:1.27,busybox   app=web\n',
    );
    expect(renderGet(s, { resource: 'rs' }).stdout).toBe(
      'NAME            DESIRED   CURRENT   READY   AGE\nweb-5d8f7c9b6   3         3         2       10m\n',
    );
    expect(renderGet(s, { resource: 'ds', namespace: 'kube-system', output: 'wide' }).stdout).toBe(
      'NAME       DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE   CONTAINERS   IMAGES                   SELECTOR\n' +
      'aws-node   2         2         2       2            2           kubernetes.io/os=linux   10m   aws-node     amazon-k8s-cni:v1.19.0   k8s-app=aws-node\n',
    );
  });

  it('namespaces are cluster-scoped: no NAMESPACE column even with -A', () => {
    const s = stateWith([
      obj('Namespace', 'default', undefined, 0, { status: { phase: 'Active' } }),
      obj('Namespace', 'kube-system', undefined, 0, { status: { phase: 'Active' } }),
    ], { clock: 90 });
    expect(renderGet(s, { resource: 'ns', allNamespaces: true }).stdout).toBe(
      'NAME          STATUS   AGE\ndefault       Active   90s\nkube-system   Active   90s\n',
    );
  });

  it('events: LAST SEEN TYPE REASON OBJECT MESSAGE; wide adds SUBOBJECT SOURCE FIRST SEEN COUNT NAME', () => {
    const s = stateWith([], {
      clock: 400,
      events: [
        { namespace: 'default', kind: 'Pod', name: 'web-1', type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/web-1 to n1', source: 'default-scheduler', count: 1, firstTimestamp: 100, lastTimestamp: 100 },
        { namespace: 'default', kind: 'Pod', name: 'web-1', type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', source: 'kubelet', count: 4, firstTimestamp: 200, lastTimestamp: 390 },
      ],
    });
    expect(renderGet(s, { resource: 'events' }).stdout).toBe(
      'LAST SEEN   TYPE      REASON      OBJECT      MESSAGE\n' +
      '5m          Normal    Scheduled   pod/web-1   Successfully assigned default/web-1 to n1\n' +
      '10s         Warning   BackOff     pod/web-1   Back-off restarting failed container\n',
    );
    // Names are "<object>.<Unix nanoseconds of the first occurrence, hex>", as client-go names them.
    const n1 = `web-1.${(BigInt(Date.UTC(2025, 0, 1) + 100_000) * 1000000n).toString(16)}`;
    const wide = renderGet(s, { resource: 'ev', output: 'wide' }).stdout.split('\n');
    expect(wide[0]).toBe('LAST SEEN   TYPE      REASON      OBJECT      SUBOBJECT   SOURCE              MESSAGE                                     FIRST SEEN   COUNT   NAME');
    expect(wide[1]).toBe(`5m          Normal    Scheduled   pod/web-1               default-scheduler   Successfully assigned default/web-1 to n1   5m           1       ${n1}`);
  });

  it('events: a kubelet event names its node as the source host', () => {
    const s = stateWith([runningPod('web-1', 'default', 0, { node: 'n1' })], {
      clock: 60,
      events: [{ namespace: 'default', kind: 'Pod', name: 'web-1', type: 'Normal', reason: 'Pulled', message: 'ok', source: 'kubelet', count: 1, firstTimestamp: 1, lastTimestamp: 1 }],
    });
    expect(renderGet(s, { resource: 'events', output: 'wide' }).stdout.split('\n')[1]).toMatch(/^59s\s+Normal\s+Pulled\s+pod\/web-1\s+kubelet, n1\s+ok\s+59s\s+1\s+web-1\.[0-9a-f]+$/);
    expect(renderGet(s, { resource: 'events', output: 'yaml' }).stdout).toContain('  source:\n    component: kubelet\n    host: n1\n');
  });
});

describe('kubectl get messages and errors', () => {
  const state = stateWith([runningPod('web-1', 'default', 0), obj('Namespace', 'default', undefined, 0)], { clock: 10 });

  it('reports empty results as kubectl does', () => {
    expect(renderGet(state, { resource: 'pods', namespace: 'kube-system' })).toEqual({ stdout: '', stderr: 'No resources found in kube-system namespace.\n', exitCode: 0 });
    expect(renderGet(state, { resource: 'svc', allNamespaces: true })).toEqual({ stdout: '', stderr: 'No resources found\n', exitCode: 0 });
    expect(renderGet(state, { resource: 'nodes' })).toEqual({ stdout: '', stderr: 'No resources found\n', exitCode: 0 });
  });

  it('names the qualified resource in NotFound errors and still prints what was found', () => {
    expect(renderGet(state, { resource: 'pods', names: ['x'] })).toEqual({ stdout: '', stderr: 'Error from server (NotFound): pods "x" not found\n', exitCode: 1 });
    expect(renderGet(state, { resource: 'deploy', names: ['web'] }).stderr).toBe('Error from server (NotFound): deployments.apps "web" not found\n');
    expect(renderGet(state, { resource: 'netpol', names: ['p'] }).stderr).toBe('Error from server (NotFound): networkpolicies.networking.k8s.io "p" not found\n');
    const mixed = renderGet(state, { resource: 'po', names: ['nope', 'web-1'] });
    expect(mixed.stdout).toBe('NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          10s\n');
    expect(mixed.exitCode).toBe(1);
  });

  it('accepts the TYPE/NAME form', () => {
    expect(renderGet(state, { resource: 'pod/web-1', output: 'name' }).stdout).toBe('pod/web-1\n');
    expect(renderGet(state, { resource: 'po/nope' }).stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
  });

  it('rejects names together with a selector', () => {
    expect(renderGet(state, { resource: 'pods', names: ['web-1'], selector: 'app=web' }).stderr).toBe('error: name cannot be provided when a selector is specified\n');
  });

  it('rejects --show-labels with a non-table output', () => {
    expect(renderGet(state, { resource: 'pods', output: 'yaml', showLabels: true }).stderr).toBe('error: --show-labels option cannot be used with yaml printer\n');
  });

  it('rejects unknown resource types and names with -A', () => {
    expect(renderGet(state, { resource: 'foo' })).toEqual({ stdout: '', stderr: 'error: the server doesn\'t have a resource type "foo"\n', exitCode: 1 });
    expect(renderGet(state, { resource: 'pods', names: ['a'], allNamespaces: true }).stderr).toBe(
      'error: a resource cannot be retrieved by name across all namespaces\n',
    );
  });
});

describe('kubectl get -o yaml|json|name', () => {
  const ns = obj('Namespace', 'default', undefined, 0, { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }, { labels: { 'kubernetes.io/metadata.name': 'default' }, resourceVersion: '12', uid: 'u-1' });
  const state = stateWith([ns], { clock: 10 });

  it('one named object prints the object itself', () => {
    expect(renderGet(state, { resource: 'namespace', names: ['default'], output: 'yaml' }).stdout).toBe(
      'apiVersion: v1\n' +
      'kind: Namespace\n' +
      'metadata:\n' +
      '  creationTimestamp: "2025-01-01T00:00:00Z"\n' +
      '  labels:\n' +
      '    kubernetes.io/metadata.name: default\n' +
      '  name: default\n' +
      '  resourceVersion: "12"\n' +
      '  uid: u-1\n' +
      'spec:\n' +
      '  finalizers:\n' +
      '  - kubernetes\n' +
      'status:\n' +
      '  phase: Active\n',
    );
  });

  it('a listing prints a v1 List, even of one item or none', () => {
    expect(renderGet(state, { resource: 'ns', output: 'yaml' }).stdout).toMatch(/^apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n[\s\S]*\nkind: List\nmetadata:\n  resourceVersion: ""\n$/);
    expect(renderGet(state, { resource: 'pods', output: 'yaml' }).stdout).toBe('apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n');
    expect(renderGet(state, { resource: 'pods', output: 'json' }).stdout).toBe(
      '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n',
    );
  });

  it('-o json of one object uses 4-space indentation', () => {
    const out = renderGet(state, { resource: 'ns', names: ['default'], output: 'json' }).stdout;
    expect(out.startsWith('{\n    "apiVersion": "v1",\n    "kind": "Namespace",\n    "metadata": {\n        "creationTimestamp": "2025-01-01T00:00:00Z",\n')).toBe(true);
    expect(JSON.parse(out).metadata.uid).toBe('u-1');
  });

  it('-o name prints resource/name with the API group', () => {
    const s = stateWith([ns, obj('Deployment', 'web', 'default', 0), runningPod('web-1', 'default', 0)]);
    expect(renderGet(s, { resource: 'ns', output: 'name' }).stdout).toBe('namespace/default\n');
    expect(renderGet(s, { resource: 'deploy', output: 'name' }).stdout).toBe('deployment.apps/web\n');
    expect(renderGet(s, { resource: 'po', output: 'name' }).stdout).toBe('pod/web-1\n');
  });
});

describe('resource names and aliases', () => {
  it.each([
    ['pods', 'Pod'], ['pod', 'Pod'], ['po', 'Pod'], ['nodes', 'Node'], ['node', 'Node'], ['no', 'Node'],
    ['services', 'Service'], ['service', 'Service'], ['svc', 'Service'], ['endpointslices', 'EndpointSlice'],
    ['endpointslice', 'EndpointSlice'], ['networkpolicies', 'NetworkPolicy'], ['networkpolicy', 'NetworkPolicy'],
    ['netpol', 'NetworkPolicy'], ['deployments', 'Deployment'], ['deploy', 'Deployment'], ['replicasets', 'ReplicaSet'],
    ['rs', 'ReplicaSet'], ['daemonsets', 'DaemonSet'], ['ds', 'DaemonSet'], ['namespaces', 'Namespace'], ['ns', 'Namespace'],
    ['events', 'Event'], ['ev', 'Event'], ['deployments.apps', 'Deployment'], ['Pods', 'Pod'],
    ['endpointslices.discovery.k8s.io', 'EndpointSlice'],
  ])('%s -> %s', (arg, kind) => {
    expect(lookupResource(arg)?.kind).toBe(kind);
  });
  it('rejects a wrong group', () => {
    expect(lookupResource('pods.apps')).toBeUndefined();
    expect(lookupResource('endpoints')).toBeUndefined();
  });
});

describe('kubectl get with several types', () => {
  const s = stateWith([
    runningPod('web-1', 'default', 0),
    obj('Service', 'web', 'default', 0, { spec: { type: 'ClusterIP', clusterIP: '10.100.3.4', clusterIPs: ['10.100.3.4'], ports: [{ port: 80, protocol: 'TCP' }] } }),
    obj('Deployment', 'web', 'default', 0, { spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 } }),
  ], { clock: 5 });

  it('prints one table per type with kind-prefixed names and a blank line between tables', () => {
    expect(renderGet(s, { resource: 'svc,deploy' }).stdout).toBe(
      'NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n' +
      'service/web   ClusterIP   10.100.3.4   <none>        80/TCP    5s\n' +
      '\n' +
      'NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n' +
      'deployment.apps/web   1/1     1            1           5s\n',
    );
  });

  it('expands "all" to pods, services, daemonsets, deployments, replicasets and skips empty types', () => {
    const out = renderGet(s, { resource: 'all' }).stdout;
    expect(out.split('\n\n').map((t) => t.split('\n')[1].split(' ')[0])).toEqual(['pod/web-1', 'service/web', 'deployment.apps/web']);
  });

  it('combines all types into one List for -o yaml', () => {
    const y = renderGet(s, { resource: 'po,svc', output: 'yaml' }).stdout;
    expect(y.match(/^  kind: \w+$/gm)).toEqual(['  kind: Pod', '  kind: Service']);
  });

  it('says "No resources found" when every type is empty', () => {
    expect(renderGet(stateWith([]), { resource: 'svc,deploy' }).stderr).toBe('No resources found in default namespace.\n');
    expect(renderGet(stateWith([]), { resource: 'svc,nodes' }).stderr).toBe('No resources found\n');
  });
});
