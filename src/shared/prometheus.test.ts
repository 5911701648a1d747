import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Histogram, Registry, escapeHelp, escapeLabelValue, formatValue } from './prometheus.ts';

describe('prometheus text writer', () => {
  test('label values escape backslash, double quote and newline, and nothing else', () => {
    assert.equal(escapeLabelValue('plain value/with:chars'), 'plain value/with:chars');
    assert.equal(escapeLabelValue('a\\b'), 'a\\\\b');
    assert.equal(escapeLabelValue('say "hi"'), 'say \\"hi\\"');
    assert.equal(escapeLabelValue('line1\nline2'), 'line1\\nline2');
    assert.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n');
  });

  test('help text escapes backslash and newline but keeps quotes', () => {
    assert.equal(escapeHelp('a "b" c\\d\ne'), 'a "b" c\\\\d\\ne');
  });

  test('values: integers and decimals as they are, Go spelling for infinities and NaN', () => {
    assert.equal(formatValue(3), '3');
    assert.equal(formatValue(0.25), '0.25');
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(-Infinity), '-Inf');
    assert.equal(formatValue(NaN), 'NaN');
  });

  test('a counter with labels writes HELP, TYPE and one line per series, escaped', () => {
    const reg = new Registry();
    const c = reg.counter({ name: 'demo_requests_total', help: 'Requests "served".\nSecond line.', labelNames: ['path', 'code'] });
    c.labels('/a\\b', '200').inc();
    c.labels('/a\\b', '200').inc(2);
    c.labels('say "x"\nnext', '503').inc();
    assert.equal(
      reg.render(),
      '# HELP demo_requests_total Requests "served".\\nSecond line.\n' +
        '# TYPE demo_requests_total counter\n' +
        'demo_requests_total{path="/a\\\\b",code="200"} 3\n' +
        'demo_requests_total{path="say \\"x\\"\\nnext",code="503"} 1\n',
    );
  });

  test('the series returned by labels() is the same object every time: callers keep it', () => {
    const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['a', 'b'] });
    const s = c.labels('1', '2');
    assert.equal(c.labels('1', '2'), s);
    assert.notEqual(c.labels('12', ''), s, 'values are kept apart, not concatenated');
  });

  test('metrics without labels render at 0 from the start', () => {
    const reg = new Registry();
    reg.counter({ name: 'a_total', help: 'A.' });
    reg.gauge({ name: 'b', help: 'B.' }).set(-1.5);
    assert.equal(reg.render(), '# HELP a_total A.\n# TYPE a_total counter\na_total 0\n# HELP b B.\n# TYPE b gauge\nb -1.5\n');
  });

  test('a metric with labels and no series yet writes only its HELP and TYPE', () => {
    const reg = new Registry();
    reg.counter({ name: 'c_total', help: 'C.', labelNames: ['kind'] });
    assert.equal(reg.render(), '# HELP c_total C.\n# TYPE c_total counter\n');
  });

  test('a histogram writes cumulative buckets with le last among labels, +Inf, _sum and _count', () => {
    const reg = new Registry();
    const h = reg.histogram({ name: 'lat_seconds', help: 'Latency.', labelNames: ['op'], buckets: [0.1, 0.5, 1] });
    const s = h.labels('push');
    for (const v of [0.05, 0.1, 0.3, 0.7, 2]) s.observe(v);
    assert.equal(
      reg.render(),
      '# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n' +
        'lat_seconds_bucket{op="push",le="0.1"} 2\n' +
        'lat_seconds_bucket{op="push",le="0.5"} 3\n' +
        'lat_seconds_bucket{op="push",le="1"} 4\n' +
        'lat_seconds_bucket{op="push",le="+Inf"} 5\n' +
        'lat_seconds_sum{op="push"} 3.15\n' +
        'lat_seconds_count{op="push"} 5\n',
    );
  });

  test('a histogram without labels puts le alone in braces', () => {
    const h = new Histogram({ name: 'h', help: 'H.', buckets: [1] });
    h.observe(5);
    assert.match(h.render(), /^h_bucket\{le="1"\} 0\nh_bucket\{le="\+Inf"\} 1\nh_sum 5\nh_count 1\n$/m);
  });

  test('gauges set at scrape time through onCollect; zero() keeps series, remove() drops one', () => {
    const reg = new Registry();
    const g = reg.gauge({ name: 'res', help: 'Resources.', labelNames: ['kind'] });
    let state: Record<string, number> = { A: 2, B: 1 };
    reg.onCollect(() => {
      g.zero();
      for (const [k, n] of Object.entries(state)) g.labels(k).set(n);
    });
    assert.match(reg.render(), /res\{kind="A"\} 2\nres\{kind="B"\} 1\n/);
    state = { B: 4 };
    assert.match(reg.render(), /res\{kind="A"\} 0\nres\{kind="B"\} 4\n/);
    g.remove('A');
    assert.doesNotMatch(reg.render(), /kind="A"/);
  });

  test('bad names, label counts and buckets fail loudly', () => {
    const reg = new Registry();
    assert.throws(() => reg.counter({ name: '1bad', help: '' }), /invalid metric name/);
    assert.throws(() => reg.counter({ name: 'ok_total', help: '', labelNames: ['bad-label'] }), /invalid label name/);
    assert.throws(() => reg.counter({ name: 'ok2_total', help: '', labelNames: ['__reserved'] }), /invalid label name/);
    assert.throws(() => reg.histogram({ name: 'h1', help: '', labelNames: ['le'], buckets: [1] }), /cannot have a label "le"/);
    assert.throws(() => reg.histogram({ name: 'h2', help: '', buckets: [1, 1] }), /strictly increasing/);
    const c = reg.counter({ name: 'dup_total', help: '', labelNames: ['a'] });
    assert.throws(() => reg.counter({ name: 'dup_total', help: '' }), /already registered/);
    assert.throws(() => c.labels('x', 'y'), /expected 1 label values/);
  });

  test('the output parses as the text format: every sample line is name{labels} value', () => {
    const reg = new Registry();
    const c = reg.counter({ name: 'm_total', help: 'M.', labelNames: ['v'] });
    for (const v of ['a', 'b"c', 'd\\e', 'f\ng', '']) c.labels(v).inc();
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+]+|[+-]Inf|NaN)$/;
    for (const line of reg.render().trimEnd().split('\n')) {
      if (!line.startsWith('#')) assert.match(line, sample);
    }
  });
});
