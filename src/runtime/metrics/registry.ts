/**
 * GET /metrics: the catalogue (catalogue.ts) exported through prom-client's registry, which
 * writes the Prometheus text format (HELP, TYPE, escaping), plus prom-client's default process
 * and event-loop metrics. Counters and gauges are read from one status snapshot per scrape;
 * histograms from the runtime's instruments, which the request path records into without
 * allocating (histogram.ts).
 */
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import type { ServerStatus } from '../status.ts';
import { metricCatalogue, type HistogramMetric, type Labels, type MetricSpec, type ScalarMetric } from './catalogue.ts';
import type { Instruments } from './instruments.ts';

/** One exported value as prom-client's registry formats it (its metrics' `get()` shape). */
interface ExportedValue {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
}

const gaugesNamedAsCounters = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export class MetricsExporter {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly registry = new Registry();
  /** The status every counter and gauge of one scrape reads. */
  private snapshot: ServerStatus | null = null;

  constructor(
    nodeName: string,
    private readonly status: () => ServerStatus,
    private readonly instruments: Instruments,
  ) {
    this.registry.setDefaultLabels({ node: nodeName });
    collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names like counters; promtool's lint refuses them. The same counts,
    // by type of handle, request and resource, stay (nodejs_active_handles{type} and the like).
    for (const name of gaugesNamedAsCounters) this.registry.removeSingleMetric(name);
    for (const spec of metricCatalogue) this.registry.registerMetric(this.adapt(spec));
  }

  async render(): Promise<string> {
    this.snapshot = this.status();
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = null;
    }
  }

  /**
   * A catalogue entry as a metric prom-client's registry can format: it asks each for `get()`
   * (name, help, type and values) — the shape its own Counter, Gauge and Histogram return.
   */
  private adapt(spec: MetricSpec): Metric {
    const values = spec.type === 'histogram' ? () => this.histogramValues(spec) : () => this.scalarValues(spec);
    const metric = {
      name: spec.name,
      help: spec.help,
      type: spec.type,
      aggregator: 'sum',
      get: () => ({ name: spec.name, help: spec.help, type: spec.type, aggregator: 'sum', values: values() }),
      reset: () => {},
    };
    return metric as unknown as Metric;
  }

  private scalarValues(spec: ScalarMetric): ExportedValue[] {
    return spec.samples(this.snapshot ?? this.status()).map(({ labels, value }) => ({ labels, value }));
  }

  private histogramValues(spec: HistogramMetric): ExportedValue[] {
    const values: ExportedValue[] = [];
    for (const { labels, histogram } of spec.series(this.instruments)) {
      let cumulative = 0;
      histogram.bounds.forEach((bound, i) => {
        cumulative += histogram.counts[i]!;
        values.push({ metricName: `${spec.name}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative });
      });
      values.push({ metricName: `${spec.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: histogram.count });
      values.push({ metricName: `${spec.name}_sum`, labels, value: histogram.sum });
      values.push({ metricName: `${spec.name}_count`, labels, value: histogram.count });
    }
    return values;
  }
}
