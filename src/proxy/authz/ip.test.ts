import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, IpScratch, parseCidr, parseIpInto } from './ip.ts';

function parse(s: string): string {
  const ip = new IpScratch();
  if (!parseIpInto(s, 0, s.length, ip)) return 'invalid';
  if (ip.family === 4) return `v4 ${[ip.v4 >>> 24, (ip.v4 >>> 16) & 255, (ip.v4 >>> 8) & 255, ip.v4 & 255].join('.')}`;
  return `v6 ${[...ip.v6].map((g) => g.toString(16)).join(':')}`;
}

test('parseIpInto: IPv4, IPv6 forms, mapped, zones, brackets, spaces', () => {
  assert.equal(parse('1.2.3.4'), 'v4 1.2.3.4');
  assert.equal(parse(' 10.0.0.1 '), 'v4 10.0.0.1');
  assert.equal(parse('::'), 'v6 0:0:0:0:0:0:0:0');
  assert.equal(parse('::1'), 'v6 0:0:0:0:0:0:0:1');
  assert.equal(parse('2001:db8::'), 'v6 2001:db8:0:0:0:0:0:0');
  assert.equal(parse('2001:DB8:0:0:1::2'), 'v6 2001:db8:0:0:1:0:0:2');
  assert.equal(parse('1:2:3:4:5:6:7:8'), 'v6 1:2:3:4:5:6:7:8');
  assert.equal(parse('::ffff:127.0.0.1'), 'v4 127.0.0.1');
  assert.equal(parse('64:ff9b::1.2.3.4'), 'v6 64:ff9b:0:0:0:0:102:304');
  assert.equal(parse('fe80::1%eth0'), 'v6 fe80:0:0:0:0:0:0:1');
  assert.equal(parse('[::1]'), 'v6 0:0:0:0:0:0:0:1');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.x', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':1', '1:', 'a.b.c.d', '1.2.3.4/8', '1:2:3:4:5:6:7::8:9']) {
    assert.equal(parse(bad), 'invalid', bad);
  }
});

test('parseCidr and cidrContains at prefix boundaries', () => {
  const inside = (block: string, addr: string): boolean => {
    const c = parseCidr(block);
    assert.ok(c, block);
    const ip = new IpScratch();
    assert.ok(parseIpInto(addr, 0, addr.length, ip), addr);
    return cidrContains(c, ip);
  };
  assert.equal(inside('10.0.0.0/31', '10.0.0.1'), true);
  assert.equal(inside('10.0.0.0/31', '10.0.0.2'), false);
  assert.equal(inside('10.0.0.7/32', '10.0.0.7'), true);
  assert.equal(inside('128.0.0.0/1', '200.0.0.1'), true);
  assert.equal(inside('128.0.0.0/1', '100.0.0.1'), false);
  assert.equal(inside('0.0.0.0/0', '255.255.255.255'), true);
  assert.equal(inside('2001:db8::/127', '2001:db8::1'), true);
  assert.equal(inside('2001:db8::/127', '2001:db8::2'), false);
  assert.equal(inside('::/0', 'ffff::1'), true);
  assert.equal(inside('2001:db8:abcd::/48', '2001:db8:abcd:ffff::1'), true);
  assert.equal(inside('2001:db8:abcd::/48', '2001:db8:abce::1'), false);
  for (const bad of ['10.0.0.0/', '10.0.0.0/x', '10.0.0.0/33', '::/129', '::ffff:1.2.3.4/95', ' 1.2.3.4']) assert.equal(parseCidr(bad), null, bad);
});
