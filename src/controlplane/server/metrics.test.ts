// GET /metrics on a running control plane: the counters move with what happens (a rejected
// resource, a proxy connecting and being pushed a config, a NACK) and gauges show current state.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ACK_PATH, DISCOVERY_PATH } from '../../api/index.ts';
import { ControlPlane } from './control-plane.ts';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('control plane /metrics', () => {
  const cp = new ControlPlane({ port: 0 });
  let base = '';
  const streams: import('node:http').ClientRequest[] = [];

  before(async () => {
    base = `http://127.0.0.1:${await cp.listen()}`;
  });

  after(async () => {
    for (const s of streams) s.destroy();
    await cp.close();
  });

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return res.text();
  };

  test('serves build info, HELP and TYPE lines, and zeroed counters before anything happens', async () => {
    const text = await scrape();
    assert.match(text, /^# HELP isthmus_config_pushes_total /m);
    assert.match(text, /^# TYPE isthmus_config_push_duration_seconds histogram$/m);
    assert.match(text, /^isthmus_build_info\{version="[^"]+",node="v\d+[^"]*"\} 1$/m);
    assert.equal(sample(text, 'isthmus_connected_proxies{role="sidecar"}'), 0);
    assert.equal(sample(text, 'isthmus_config_pushes_total{result="success"}'), 0);
  });

  test('a rejected resource is counted by kind; stored ones show in the resources gauge', async () => {
    const r = cp.apply({ resources: [
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'bad', namespace: 'default' }, spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', port: { number: 99999 } } }] }] } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' }, spec: {} },
    ] });
    assert.ok(r.results[0]?.diagnostics.some((d) => d.severity === 'error'));
    const text = await scrape();
    assert.equal(sample(text, 'isthmus_config_rejected_total{group="networking.istio.io",kind="VirtualService"}'), 1);
    assert.equal(sample(text, 'isthmus_config_resources{group="core",kind="Namespace"}'), 1);
  });

  test('a proxy without a pod is an error push; once its pod exists it is pushed, timed, and its NACK counted', async () => {
    const node = { id: 'p1.default', role: 'sidecar', podName: 'p1', namespace: 'default' };
    const lines: string[] = [];
    let waiter: (() => void) | undefined;
    const req = request(`${base}${DISCOVERY_PATH}?node=${encodeURIComponent(JSON.stringify(node))}`, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
          waiter?.();
        }
      });
    });
    req.end();
    streams.push(req);
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => { waiter = r; setTimeout(r, 50); });
    };
    await until(() => cp.hub.statuses().some((s) => s.connected));
    let text = await scrape();
    assert.equal(sample(text, 'isthmus_connected_proxies{role="sidecar"}'), 1);
    assert.equal(sample(text, 'isthmus_config_pushes_total{result="error"}'), 1, 'no pod p1 yet: nothing can be generated');
    assert.equal(sample(text, 'isthmus_config_pushes_total{result="success"}'), 0);

    cp.apply({ platform: true, resources: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'default', labels: { app: 'p' } }, spec: { containers: [] }, status: { phase: 'Running', ready: true, podIP: '127.0.0.2' } } as never] });
    await until(() => lines.some((l) => l.startsWith('{"type":"config"')));
    const version = (JSON.parse(lines.find((l) => l.startsWith('{"type":"config"'))!) as { config: { version: string } }).config.version;
    await fetch(`${base}${ACK_PATH}`, { method: 'POST', body: JSON.stringify({ node: node.id, version, error: 'test refusal' }) });
    text = await scrape();
    assert.equal(sample(text, 'isthmus_config_pushes_total{result="success"}'), 1);
    assert.equal(sample(text, 'isthmus_config_pushes_total{result="nack"}'), 1);
    assert.equal(sample(text, 'isthmus_config_push_duration_seconds_count'), 1);
    assert.equal(sample(text, 'isthmus_config_push_duration_seconds_bucket{le="+Inf"}'), 1);
    assert.equal(sample(text, 'isthmus_config_resources{group="core",kind="Pod"}'), 1);
  });
});
