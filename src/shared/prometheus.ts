// A small Prometheus text-format (0.0.4) writer: counters, gauges and histograms, with labels.
// No dependencies, so every area (control plane, proxy) can use it.
//
// The hot path is a plain number: `labels(...)` finds or creates a series once, and callers keep
// the series to `inc()`/`observe()` on it. Each series builds its label string (and, for a
// histogram, every `_bucket{...,le="..."}` prefix) when it is created, so a scrape only formats
// numbers and joins precomputed strings.
//
//   const reg = new Registry();
//   const pushes = reg.counter({ name: 'x_pushes_total', help: 'Pushes.', labelNames: ['result'] });
//   const ok = pushes.labels('success');      // keep this
//   ok.inc();
//   res.end(reg.render());                   // with content-type PROMETHEUS_CONTENT_TYPE

/** The content type of what `Registry.render()` returns. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NEEDS_ESCAPE = /[\\"\n]/;

/** A label value as the text format writes it: `\` `"` and newline escaped. */
export function escapeLabelValue(v: string): string {
  // Most values need nothing; test first so they are returned as they are.
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A `# HELP` text: `\` and newline escaped (quotes are allowed there). */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value: Go's spelling of the non-finite numbers, JavaScript's of the rest. */
export function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

/** `{a="x",b="y"}`, or '' without labels. */
export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  let s = '{';
  for (let i = 0; i < names.length; i++) s += `${i ? ',' : ''}${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  return `${s}}`;
}

export interface MetricOptions<L extends string = string> {
  name: string;
  help: string;
  /** Label names, in the order `labels(...)` takes their values. */
  labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string = string> extends MetricOptions<L> {
  /** Upper bounds, strictly increasing; `+Inf` is added. */
  buckets: readonly number[];
}

type MetricType = 'counter' | 'gauge' | 'histogram';

abstract class Metric<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly #series = new Map<string, S>();
  readonly #header: string;

  constructor(type: MetricType, o: MetricOptions) {
    if (!METRIC_NAME.test(o.name)) throw new Error(`invalid metric name "${o.name}"`);
    const names = o.labelNames ?? [];
    for (const l of names) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new Error(`metric ${o.name}: invalid label name "${l}"`);
      if (type === 'histogram' && l === 'le') throw new Error(`metric ${o.name}: a histogram cannot have a label "le"`);
    }
    if (new Set(names).size !== names.length) throw new Error(`metric ${o.name}: duplicate label names`);
    this.name = o.name;
    this.help = o.help;
    this.labelNames = names;
    this.#header = `# HELP ${o.name} ${escapeHelp(o.help)}\n# TYPE ${o.name} ${type}\n`;
  }

  protected abstract create(labels: string): S;
  protected abstract write(s: S): string;

  /** The series with these label values (created on first use); keep it for the hot path. */
  labels(...values: string[]): S {
    if (values.length !== this.labelNames.length) {
      throw new Error(`metric ${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`);
    }
    // One label (the common case) needs no joined key.
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let s = this.#series.get(key);
    if (s === undefined) {
      s = this.create(formatLabels(this.labelNames, values));
      this.#series.set(key, s);
    }
    return s;
  }

  /** Drops one series (it disappears from the output). */
  remove(...values: string[]): void {
    this.#series.delete(values.length === 1 ? (values[0] as string) : values.join('\u0000'));
  }

  /** Drops every series. */
  clear(): void {
    this.#series.clear();
  }

  series(): IterableIterator<S> {
    return this.#series.values();
  }

  render(): string {
    let out = this.#header;
    for (const s of this.#series.values()) out += this.write(s);
    return out;
  }
}

export class CounterSeries {
  value = 0;
  /** `name{labels} ` */
  constructor(readonly prefix: string) {}

  inc(n = 1): void {
    this.value += n;
  }
}

export class GaugeSeries {
  value = 0;
  constructor(readonly prefix: string) {}

  set(v: number): void {
    this.value = v;
  }

  inc(n = 1): void {
    this.value += n;
  }

  dec(n = 1): void {
    this.value -= n;
  }
}

export class HistogramSeries {
  /** Observations per bucket, not cumulative (the scrape adds them up). The last is `+Inf`. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly bounds: readonly number[],
    readonly bucketPrefixes: readonly string[],
    readonly sumPrefix: string,
    readonly countPrefix: string,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    // Few buckets: a linear walk beats a binary search and allocates nothing.
    while (i < b.length && v > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += v;
    this.count++;
  }
}

export class Counter<L extends string = string> extends Metric<CounterSeries> {
  constructor(o: MetricOptions<L>) {
    super('counter', o);
    // Without labels there is one series, present (at 0) from the start.
    if (this.labelNames.length === 0) this.labels();
  }

  /** For a counter without labels. */
  inc(n = 1): void {
    this.labels().inc(n);
  }

  protected create(labels: string): CounterSeries {
    return new CounterSeries(`${this.name}${labels} `);
  }

  protected write(s: CounterSeries): string {
    return `${s.prefix}${formatValue(s.value)}\n`;
  }
}

export class Gauge<L extends string = string> extends Metric<GaugeSeries> {
  constructor(o: MetricOptions<L>) {
    super('gauge', o);
    if (this.labelNames.length === 0) this.labels();
  }

  /** For a gauge without labels. */
  set(v: number): void {
    this.labels().set(v);
  }

  /** Sets every existing series to 0 (before setting the ones measured now, at a scrape). */
  zero(): void {
    for (const s of this.series()) s.value = 0;
  }

  protected create(labels: string): GaugeSeries {
    return new GaugeSeries(`${this.name}${labels} `);
  }

  protected write(s: GaugeSeries): string {
    return `${s.prefix}${formatValue(s.value)}\n`;
  }
}

export class Histogram<L extends string = string> extends Metric<HistogramSeries> {
  readonly buckets: readonly number[];

  constructor(o: HistogramOptions<L>) {
    super('histogram', o);
    const b = o.buckets.filter((x) => x !== Infinity);
    for (let i = 0; i < b.length; i++) {
      if (!Number.isFinite(b[i]) || (i > 0 && (b[i] as number) <= (b[i - 1] as number))) {
        throw new Error(`metric ${o.name}: buckets must be finite and strictly increasing`);
      }
    }
    this.buckets = Object.freeze([...b]);
    if (this.labelNames.length === 0) this.labels();
  }

  /** For a histogram without labels. */
  observe(v: number): void {
    this.labels().observe(v);
  }

  protected create(labels: string): HistogramSeries {
    // `{a="x"}` -> `{a="x",le="0.5"}`; no labels -> `{le="0.5"}`.
    const inner = labels === '' ? '' : `${labels.slice(1, -1)},`;
    const les = [...this.buckets.map((b) => formatValue(b)), '+Inf'];
    return new HistogramSeries(
      this.buckets,
      les.map((le) => `${this.name}_bucket{${inner}le="${le}"} `),
      `${this.name}_sum${labels} `,
      `${this.name}_count${labels} `,
    );
  }

  protected write(s: HistogramSeries): string {
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < s.bucketPrefixes.length; i++) {
      cumulative += s.counts[i] as number;
      out += `${s.bucketPrefixes[i]}${formatValue(cumulative)}\n`;
    }
    return `${out}${s.sumPrefix}${formatValue(s.sum)}\n${s.countPrefix}${formatValue(s.count)}\n`;
  }
}

/** A set of metrics rendered together, in the order they were registered. */
export class Registry {
  readonly #metrics: Metric<unknown>[] = [];
  readonly #names = new Set<string>();
  readonly #collectors: (() => void)[] = [];

  #add<M extends Metric<unknown>>(m: M): M {
    if (this.#names.has(m.name)) throw new Error(`metric ${m.name} is already registered`);
    this.#names.add(m.name);
    this.#metrics.push(m);
    return m;
  }

  counter<L extends string>(o: MetricOptions<L>): Counter<L> {
    return this.#add(new Counter(o));
  }

  gauge<L extends string>(o: MetricOptions<L>): Gauge<L> {
    return this.#add(new Gauge(o));
  }

  histogram<L extends string>(o: HistogramOptions<L>): Histogram<L> {
    return this.#add(new Histogram(o));
  }

  /** Runs before every render: for values read when scraped (gauges of current state). */
  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  render(): string {
    for (const c of this.#collectors) c();
    let out = '';
    for (const m of this.#metrics) out += m.render();
    return out;
  }
}
