import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROXY_METRICS_PATH, SCRAPE_INTERVAL, prometheusConfig, targetsFile } from './prometheus.ts';

test('the targets file has one group per proxy, with Kubernetes-style labels, sorted by namespace and pod', () => {
  const parsed = JSON.parse(targetsFile([
    { address: '127.0.0.1:2', namespace: 'default', pod: 'reviews-v1-a-b', role: 'sidecar', app: 'reviews', version: 'v1' },
    { address: '127.0.0.1:1', namespace: 'istio-system', pod: 'istio-ingressgateway-x-y', role: 'gateway', app: 'istio-ingressgateway' },
  ])) as unknown;
  assert.deepEqual(parsed, [
    { targets: ['127.0.0.1:2'], labels: { namespace: 'default', pod: 'reviews-v1-a-b', role: 'sidecar', app: 'reviews', version: 'v1' } },
    { targets: ['127.0.0.1:1'], labels: { namespace: 'istio-system', pod: 'istio-ingressgateway-x-y', role: 'gateway', app: 'istio-ingressgateway' } },
  ]);
  assert.deepEqual(JSON.parse(targetsFile([])), []);
});

test('the config scrapes the control plane statically and proxies through file_sd, every SCRAPE_INTERVAL', () => {
  const text = prometheusConfig({ controlPlane: '127.0.0.1:15010', targetsPath: '/h/state/prometheus/targets/proxies.json' });
  const cfg = JSON.parse(text.slice(text.indexOf('{'))) as {
    global: { scrape_interval: string };
    scrape_configs: { job_name: string; metrics_path: string; static_configs?: { targets: string[] }[]; file_sd_configs?: { files: string[] }[] }[];
  };
  assert.equal(cfg.global.scrape_interval, SCRAPE_INTERVAL);
  const [cp, proxies] = cfg.scrape_configs;
  assert.equal(cp?.metrics_path, '/metrics');
  assert.deepEqual(cp?.static_configs?.[0]?.targets, ['127.0.0.1:15010']);
  assert.equal(proxies?.metrics_path, PROXY_METRICS_PATH);
  assert.deepEqual(proxies?.file_sd_configs?.[0]?.files, ['/h/state/prometheus/targets/proxies.json']);
});
