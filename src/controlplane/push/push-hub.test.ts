import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveryMessage, ProxyNode, Resource } from '../../api/index.ts';
import { buildSnapshot } from '../../model/index.ts';
import { PushHub } from './push-hub.ts';

const pod: Resource = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a-1', namespace: 'default', labels: { app: 'a' } },
  spec: { containers: [{ name: 'a' }] }, status: { phase: 'Running', ready: true, podIP: '127.9.0.2' },
};
const svc = (port: number): Resource => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'default' }, spec: { selector: { app: 'a' }, ports: [{ port }] } });
const node: ProxyNode = { id: 'a-1.default', role: 'sidecar', podName: 'a-1', namespace: 'default' };

function stream() {
  const sent: DiscoveryMessage[] = [];
  return { sent, s: { send: (m: DiscoveryMessage) => void sent.push(m), close: () => {} } };
}

test('a proxy gets config on connect and on change, never the same version twice; ACK makes it SYNCED, NACK is recorded', async () => {
  const hub = new PushHub(buildSnapshot([pod, svc(80)], 1));
  const { sent, s } = stream();
  hub.connect(node, s, '');
  assert.equal(sent.length, 1);
  const v1 = (sent[0] as { config: { version: string } }).config.version;
  hub.update(buildSnapshot([pod, svc(80)], 2));
  assert.equal(sent.length, 1, 'an unchanged config is not resent');
  hub.update(buildSnapshot([pod, svc(81)], 3));
  assert.equal(sent.length, 2);
  const v2 = (sent[1] as { config: { version: string } }).config.version;
  assert.notEqual(v1, v2);
  hub.ack({ node: node.id, version: v2, error: 'cannot bind' });
  assert.deepEqual(hub.statuses()[0]?.nacked, { version: v2, error: 'cannot bind' });
  assert.deepEqual(await hub.whenSettled(5000), { synced: [], pending: [], nacked: [node.id] });
  hub.update(buildSnapshot([pod, svc(82)], 4));
  const v3 = (sent[2] as { config: { version: string } }).config.version;
  const settled = hub.whenSettled(5000);
  hub.ack({ node: node.id, version: v3 });
  assert.deepEqual(await settled, { synced: [node.id], pending: [], nacked: [] });
  assert.equal(hub.statuses()[0]?.nacked, undefined);
});

test('a proxy reconnecting with the current version is sent nothing and counts as synced', async () => {
  const snap = buildSnapshot([pod, svc(80)], 1);
  const first = stream();
  const hub = new PushHub(snap);
  hub.connect(node, first.s, '');
  const v = (first.sent[0] as { config: { version: string } }).config.version;
  const hub2 = new PushHub(snap);
  const again = stream();
  const disconnect = hub2.connect(node, again.s, v);
  assert.equal(again.sent.length, 0);
  assert.deepEqual(await hub2.whenSettled(100), { synced: [node.id], pending: [], nacked: [] });
  disconnect();
  assert.equal(hub2.statuses()[0]?.connected, false);
});

test('an unknown pod gets no config and the reason is kept in its status', () => {
  const hub = new PushHub(buildSnapshot([svc(80)], 1));
  const { sent, s } = stream();
  hub.connect(node, s, '');
  assert.equal(sent.length, 0);
  assert.match(hub.statuses()[0]?.generateError ?? '', /no pod default\/a-1/);
});
