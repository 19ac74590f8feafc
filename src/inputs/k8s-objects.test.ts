import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { admitObject, InvalidObjectsError, parseObjects } from './k8s-objects.ts';
import { parseClusterFile } from './cluster-file.ts';
import type { KObject } from '../k8s/types.ts';

const examples = join(import.meta.dirname, '..', '..', 'examples');
type Any = Record<string, any>;

function err(text: string, file = 'm.yaml'): KubewireError {
  try {
    parseObjects(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(KubewireError);
    return e as KubewireError;
  }
  throw new Error('expected an error');
}

const nginx = readFileSync(join(examples, 'nginx.yaml'), 'utf8');

describe('examples', () => {
  it('every example manifest parses, every example cluster file loads', () => {
    for (const f of readdirSync(examples)) {
      const text = readFileSync(join(examples, f), 'utf8');
      if (f.startsWith('cluster')) expect(() => parseClusterFile(text, f), f).not.toThrow();
      else expect(parseObjects(text, f).objects.length, f).toBeGreaterThan(0);
    }
  });

  it('nginx.yaml: the Deployment and Service, defaulted as the API server stores them', () => {
    const { objects, locations } = parseObjects(nginx, 'nginx.yaml');
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['Deployment/default/nginx', 'Service/default/nginx']);
    const d = objects[0] as Any;
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0]).toMatchObject({ image: 'nginx', imagePullPolicy: 'Always', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    const s = objects[1] as Any;
    expect(s.spec.ports).toEqual([{ port: 8080, targetPort: 80, protocol: 'TCP' }]);
    expect(locations.map((l) => l.line)).toEqual([2, 24]);
    expect(locations[1]!.locate(['spec', 'ports', 0, 'port'])).toEqual({ file: 'nginx.yaml', line: 32, column: 13 });
  });
});

describe('real-world manifests', () => {
  it('kubectl create/run/expose --dry-run=client -o yaml output parses (creationTimestamp: null, strategy: {}, status: {})', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: nginx
  name: nginx
spec:
  replicas: 1
  selector:
    matchLabels:
      app: nginx
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: nginx
    spec:
      containers:
      - image: nginx
        name: nginx
        resources: {}
status: {}
---
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: busybox
  name: busybox
spec:
  containers:
  - image: busybox
    name: busybox
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
---
apiVersion: v1
kind: Service
metadata:
  creationTimestamp: null
  labels:
    app: nginx
  name: nginx
spec:
  ports:
  - port: 8080
    protocol: TCP
    targetPort: 80
  selector:
    app: nginx
status:
  loadBalancer: {}
`;
    const { objects } = parseObjects(text, 'dry-run.yaml');
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Pod', 'Service']);
    expect((objects[0] as Any).spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  });

  it('a Deployment using the common fields kubewire does not model still parses', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations: {team: payments}
spec:
  replicas: 2
  revisionHistoryLimit: 5
  minReadySeconds: 5
  selector:
    matchExpressions:
    - {key: app, operator: In, values: [api]}
  template:
    metadata:
      labels: {app: api, tier: backend}
    spec:
      serviceAccountName: api
      nodeSelector: {kubernetes.io/os: linux}
      tolerations:
      - {key: dedicated, operator: Equal, value: api, effect: NoSchedule}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              labelSelector: {matchLabels: {app: api}}
              topologyKey: topology.kubernetes.io/zone
      securityContext: {runAsNonRoot: true, fsGroup: 2000}
      volumes:
      - name: config
        configMap: {name: api-config, defaultMode: 0644}
      - name: scratch
        emptyDir: {}
      containers:
      - name: api
        image: registry.example.com:5000/shop/api@sha256:0123
        args: ["--port=8080"]
        env:
        - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        - {name: MODE, value: "prod"}
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /healthz, port: http}
        livenessProbe:
          tcpSocket: {port: 8080}
          initialDelaySeconds: 10
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        volumeMounts:
        - {name: config, mountPath: /etc/api}
        - {name: scratch, mountPath: /tmp}
        securityContext: {allowPrivilegeEscalation: false}
`;
    const d = parseObjects(text, 'api.yaml').objects[0] as Any;
    const c = d.spec.template.spec.containers[0];
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.env[0].valueFrom.fieldRef.apiVersion).toBe('v1');
    expect(d.spec.template.spec.volumes[0].configMap.defaultMode).toBe(420);
    expect(c.livenessProbe).toMatchObject({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  });
});

describe('formats', () => {
  it('JSON object, JSON array and kind: List', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    expect(parseObjects(JSON.stringify(pod), 'p.json').objects).toHaveLength(1);
    expect(parseObjects(JSON.stringify([pod, { ...pod, metadata: { name: 'b' } }]), 'p.json').objects.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    const list = parseObjects(readFileSync(join(examples, 'nodeport.json'), 'utf8'), 'nodeport.json');
    expect((list.objects[0] as Any).spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Cluster' });
    expect(list.locations[0]!.locate(['spec', 'ports', 0, 'nodePort']).line).toBe(12);
  });

  it('skips empty documents and honours the request namespace', () => {
    const r = parseObjects(`---\n${nginx}\n---\n`, 'x.yaml', { namespace: 'web' });
    expect(r.objects.every((o) => o.metadata.namespace === 'web')).toBe(true);
  });

  it('an object in another namespace than an explicit -n is refused like kubectl', () => {
    const text = nginx.replace('name: nginx\n  labels', 'name: nginx\n  namespace: prod\n  labels');
    expect(() => parseObjects(text, 'x.yaml', { namespace: 'dev', enforceNamespace: true })).toThrow(
      'the namespace from the provided object "prod" does not match the namespace "dev". You must pass \'--namespace=prod\' to perform this operation.',
    );
  });

  it('YAML syntax errors carry the line', () => {
    const e = err('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n');
    expect(e.where?.file).toBe('m.yaml');
    expect(e.where?.line).toBeGreaterThanOrEqual(4);
  });
});

describe('kinds and decoding', () => {
  it('unknown kind/version like kubectl', () => {
    const e = err('apiVersion: apps/v1beta1\nkind: Deployment\nmetadata:\n  name: web\n');
    expect(e.message).toBe(
      'resource mapping not found for name: "web" namespace: "" from "m.yaml": no matches for kind "Deployment" in version "apps/v1beta1"\nensure CRDs are installed first',
    );
    expect(e.where).toEqual({ file: 'm.yaml', line: 2, column: 7 });
  });

  it('kinds a cluster has but kubewire does not simulate', () => {
    expect(err('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n').message).toMatch(/^kind "ConfigMap" \(v1\) is not simulated by kubewire/);
  });

  it('generateName cannot be used with apply', () => {
    expect(err('apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: web-\nspec:\n  containers: [{name: c, image: x}]\n').message).toBe(
      'from web-: cannot use generate name with apply',
    );
  });

  it('missing kind', () => {
    expect(err('apiVersion: v1\nmetadata:\n  name: c\n').message).toBe(`unable to decode "m.yaml": Object 'Kind' is missing in '{"apiVersion":"v1","metadata":{"name":"c"}}'`);
  });

  it('unknown fields are rejected with their path (strict field validation)', () => {
    const e = err(nginx.replace('containerPort: 80', 'containerport: 80'));
    expect(e.message).toBe(
      'error when creating "m.yaml": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].ports[0].containerport"',
    );
    expect(e.where).toEqual({ file: 'm.yaml', line: 22, column: 15 });
  });

  it('wrong types are rejected like encoding/json', () => {
    const e = err(nginx.replace('replicas: 3', 'replicas: "3"'));
    expect(e.message).toBe(
      'error when creating "m.yaml": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    expect(e.where?.line).toBe(9);
  });

  it('an unquoted yes is a YAML 1.1 boolean, which a label value cannot be', () => {
    const e = err('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    canary: yes\nspec:\n  containers: [{name: c, image: busybox}]\n');
    expect(e.message).toBe(
      'error when creating "m.yaml": Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string',
    );
    expect(e.where?.line).toBe(6);
  });
});

describe('json number errors', () => {
  it('a fractional number into an int names the number, as encoding/json does', () => {
    expect(err(nginx.replace('replicas: 3', 'replicas: 2.5')).message).toContain(
      'json: cannot unmarshal number 2.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });
});

describe('resource quantities', () => {
  const withRes = (res: string) => nginx.replace('containerPort: 80\n', `containerPort: 80\n          resources:\n${res}`);
  it('are parsed at decode time like resource.ParseQuantity', () => {
    expect(parseObjects(withRes('            requests: {cpu: 250m, memory: 64Mi}\n            limits: {cpu: 1, memory: 1e9}\n'), 'q.yaml').objects).toHaveLength(2);
    expect(err(withRes('            limits: {memory: 1GB}\n')).message).toBe(
      "error when creating \"m.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(err(withRes('            limits: {memory: 1mi}\n')).message).toContain("unable to parse quantity's suffix");
  });
});

describe('validation errors', () => {
  it('Service port out of range, with the port line', () => {
    const e = err(nginx.replace('port: 8080', 'port: 70000'));
    expect(e).toBeInstanceOf(InvalidObjectsError);
    expect(e.message).toBe('The Service "nginx" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
    expect(e.where).toEqual({ file: 'm.yaml', line: 32, column: 13 });
  });

  it('all errors of an object together, each with its own line', () => {
    const bad = nginx.replace('name: nginx\n  labels', 'name: Nginx\n  labels').replace('labels:\n        app: nginx', 'labels:\n        app: web');
    const e = err(bad) as InvalidObjectsError;
    expect(e.invalid).toHaveLength(1);
    expect(e.message.split('\n')[0]).toBe('The Deployment "Nginx" is invalid: ');
    expect(e.invalid[0]!.causes.map((c) => [c.field, c.where.line])).toEqual([
      ['metadata.name', 5],
      ['spec.template.metadata.labels', 16],
    ]);
    expect(e.invalid[0]!.causes[1]!.message).toBe('spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`');
  });

  it('every invalid object of a file is reported', () => {
    const bad = nginx.replace('replicas: 3', 'replicas: -3').replace('port: 8080', 'port: 0');
    const e = err(bad) as InvalidObjectsError;
    expect(e.invalid.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    expect(e.message).toContain('\nm.yaml:32:13: The Service "nginx" is invalid:');
  });

  it('a required field that is absent points at its parent', () => {
    const e = err('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n') as InvalidObjectsError;
    expect(e.message).toBe('The Pod "p" is invalid: spec.containers[0].image: Required value');
    expect(e.where?.line).toBe(7);
  });

  it('continueOnError keeps the good objects and returns each bad one, like kubectl apply', () => {
    const bad = nginx.replace('port: 8080', 'port: 70000') + '---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n';
    const r = parseObjects(bad, 'm.yaml', { continueOnError: true });
    expect(r.objects.map((o) => o.kind)).toEqual(['Deployment']);
    expect(r.errors.map((e) => e.message.split(':')[0])).toEqual(['The Service "nginx" is invalid', 'kind "Secret" (v1) is not simulated by kubewire; supported kinds']);
    expect(r.errors[0]!.where?.line).toBe(32);
  });

  it('an absent map field points at the key of its parent', () => {
    const e = err(nginx.replace('  selector:\n    matchLabels:\n      app: nginx\n  template:', '  template:')) as InvalidObjectsError;
    expect(e.invalid[0]!.causes[0]).toMatchObject({ field: 'spec.selector', where: { line: 8, column: 1 } });
  });

  it('NetworkPolicy except outside cidr', () => {
    const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock:
        cidr: 10.0.0.0/16
        except: [10.1.0.0/24]
`;
    const e = err(text);
    expect(e.message).toBe('The NetworkPolicy "np" is invalid: spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`');
    expect(e.where?.line).toBe(11);
  });

  it('clusterIP outside the cluster service CIDR when the range is given', () => {
    const text = nginx.replace('spec:\n  selector:\n    app: nginx\n  ports', 'spec:\n  clusterIP: 10.0.0.10\n  selector:\n    app: nginx\n  ports');
    expect(() => parseObjects(text, 'm.yaml', { service: { serviceCIDR: '10.100.0.0/16' } })).toThrow(/failed to allocate IP 10\.0\.0\.10/);
  });
});

describe('admitObject (objects made by commands)', () => {
  it('defaults and validates', () => {
    const d = admitObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'busybox' }] } } as unknown as KObject);
    expect((d as Any).spec.dnsPolicy).toBe('ClusterFirst');
    expect(() => admitObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'X' }, spec: { containers: [{ name: 'x', image: 'busybox' }] } } as unknown as KObject)).toThrow(
      /^The Pod "X" is invalid: metadata\.name: Invalid value: "X"/,
    );
  });
});
