// The YANG modules are the management contract: they must load in Debian's
// yanglint (libyang 2.1.30, the same library libyang-wasm is built from) without
// a single warning, the seed's example configuration must validate, and the
// constraints the engine relies on must reject bad documents with their messages.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVED_MODULES } from '../../src/yang/model.js';

const yangDir = fileURLToPath(new URL('../../yang/', import.meta.url));
const ietfDir = join(yangDir, 'ietf');
const examplesDir = join(yangDir, 'examples');
const bmpdModule = join(
  yangDir,
  readdirSync(yangDir).find((name) => /^bmpd@\d{4}-\d{2}-\d{2}\.yang$/.test(name)) ?? 'bmpd.yang',
);
const ietfModules = readdirSync(ietfDir).filter((name) => name.endsWith('.yang'));
const scratch = mkdtempSync(join(tmpdir(), 'bmpd-yanglint-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface LintResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

// -D: resolve imports only from -p yang/ietf, never from the working directory,
// so a module missing from yang/ietf fails here instead of being found by luck.
function yanglint(...args: string[]): LintResult {
  const run = spawnSync('yanglint', ['-D', ...args], { encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function scratchFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

const loopbackConfig = readFileSync(join(examplesDir, 'seed-config-loopback.xml'), 'utf8');

function mutated(name: string, from: string | RegExp, to: string): string {
  const text = loopbackConfig.replace(from, to);
  expect(text, `mutation ${name} must change the document`).not.toBe(loopbackConfig);
  return scratchFile(`${name}.xml`, text);
}

// RFC 6470's netconf-confirmed-commit puts `when "../confirm-event != 'timeout'"`
// on a `uses`, whose context node is the notification itself, so ".." leaves the
// notification: libyang warns while compiling. The module is kept as published.
const rfc6470WhenWarning =
  /^libyang warn: Schema node "confirm-event" for parent "<root>" not found; in expr "\.\.\/confirm-event" with context node "\/ietf-netconf-notifications:netconf-confirmed-commit"\.$/;

function unexpectedWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !rfc6470WhenWarning.test(line));
}

describe('bmpd YANG module', () => {
  it('compiles without errors or warnings', () => {
    const result = yanglint('-p', ietfDir, bmpdModule);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('compiles with every imported module implemented (-i -i)', () => {
    const result = yanglint('-i', '-i', '-p', ietfDir, bmpdModule);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('compiles from explicitly named files only, with no search path at all (-D -D)', () => {
    const imports = ['ietf-inet-types@2013-07-15', 'ietf-yang-types@2013-07-15', 'ietf-netconf-acm@2018-02-14'];
    const result = yanglint('-D', ...imports.map((name) => join(ietfDir, `${name}.yang`)), bmpdModule);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('describes every schema node (RFC 8407 4.14)', () => {
    // yanglint's YIN output has one element per statement: walk it and list the
    // statements of these kinds that have no <description> child.
    const yin = yanglint('-p', ietfDir, '-f', 'yin', bmpdModule);
    expect(yin.status).toBe(0);
    const described = new Set(['container', 'leaf', 'leaf-list', 'list', 'choice', 'case', 'typedef',
      'grouping', 'rpc', 'notification', 'enum', 'must', 'revision', 'module']);
    const open: Array<{ keyword: string; name: string; hasDescription: boolean }> = [];
    const undescribed: string[] = [];
    for (const [, closing, keyword = '', attributes = '', selfClosing] of
      yin.stdout.matchAll(/<(\/?)([a-z-]+)((?:\s+[a-z:-]+="[^"]*")*)\s*(\/?)>/g)) {
      if (closing === '/') {
        const done = open.pop();
        if (done && described.has(done.keyword) && !done.hasDescription) {
          undescribed.push(`${done.keyword} ${done.name}`);
        }
        continue;
      }
      const parent = open.at(-1);
      if (keyword === 'description' && parent) parent.hasDescription = true;
      const name = /(?:name|condition|date)="([^"]*)"/.exec(attributes)?.[1] ?? '';
      if (selfClosing === '/') {
        if (described.has(keyword)) undescribed.push(`${keyword} ${name}`);
      } else {
        open.push({ keyword, name, hasDescription: false });
      }
    }
    expect(open).toEqual([]);
    expect(undescribed).toEqual([]);
  });

  for (const example of ['seed-config.xml', 'seed-config-loopback.xml']) {
    it(`validates examples/${example} as configuration, already in canonical form`, () => {
      const path = join(examplesDir, example);
      const result = yanglint('-p', ietfDir, '-t', 'config', '-f', 'xml', bmpdModule, path);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      // What get-config prints is what the example says: Ansible compares texts.
      const body = readFileSync(path, 'utf8')
        .replace(/^<\?xml[^>]*>\n/, '')
        .replace(/^<!--[\s\S]*?-->\n/m, '');
      expect(result.stdout).toBe(body);
    });
  }

  it('the seed example carries the seed document\'s servers and ten BMP neighbors', () => {
    const seed = readFileSync(join(examplesDir, 'seed-config.xml'), 'utf8');
    expect(seed).toContain('<address>10.1.1.1</address>\n      <port-number>8000</port-number>');
    expect(seed).toContain('<address>20.1.1.1</address>\n      <port-number>9000</port-number>');
    expect(seed.match(/<bmp-activate>/g)).toHaveLength(10);
    // The loopback variant opens sockets: none of the seed's addresses may remain.
    const loopbackData = loopbackConfig.replace(/<!--[\s\S]*?-->/g, '');
    expect(loopbackData).not.toMatch(/\b[1-8]0\.1\.1\.1\b|2001:db8/i);
    expect(loopbackData.match(/<address>(127\.0\.[1-8]\.1|::[12])<\/address>/g)).toHaveLength(12);
  });

  const rejections: Array<{ name: string; from: string | RegExp; to: string; message: RegExp }> = [
    {
      name: 'port-number 70000',
      from: '<port-number>8000</port-number>',
      to: '<port-number>70000</port-number>',
      message: /Value "70000" is out of type uint16 min\/max bounds.*server\[id='1'\]\/port-number/,
    },
    {
      name: 'port-number 0',
      from: '<port-number>8000</port-number>',
      to: '<port-number>0</port-number>',
      message: /Unsatisfied range - value "0" is out of the allowed range.*server\[id='1'\]\/port-number/,
    },
    {
      name: 'dscp 64',
      from: '<dscp>5</dscp>',
      to: '<dscp>64</dscp>',
      message: /Unsatisfied range - value "64" is out of the allowed range.*server\[id='1'\]\/dscp/,
    },
    {
      name: 'bmp-activate server 9 that does not exist',
      from: '<server>1</server>',
      to: '<server>9</server>',
      message: /Invalid leafref value "9" - no target instance "\/bmpd:bgp\/bmpd:bmp\/bmpd:server\/bmpd:id"/,
    },
    {
      name: 'vrf rd malformed',
      from: '<rd>65000:1</rd>',
      to: '<rd>65000-1</rd>',
      message: /Invalid union value "65000-1" - no matching subtype found.*vrf\[name='vrf1'\]\/rd/,
    },
    {
      name: 'vrf rd with a 4-byte ASN and a 4-byte number',
      from: '<rd>65000:1</rd>',
      to: '<rd>4200000000:70000</rd>',
      message: /Invalid union value "4200000000:70000"/,
    },
    {
      name: 'activated server without an address',
      from: '<address>127.0.1.1</address>\n      <port-number>8000</port-number>',
      to: '<port-number>8000</port-number>',
      message: /An activated BMP server needs address and port-number\..*server\[id='1'\]\/activate/,
    },
    {
      name: 'neighbor without remote-as',
      from: '<remote-as>65030</remote-as>',
      to: '',
      message: /A neighbor needs remote-as, its own or its peer-group's\..*neighbor\[address='127\.0\.3\.1'\]/,
    },
    {
      name: 'bmp server 11',
      from: '<id>2</id>',
      to: '<id>11</id>',
      message: /Unsatisfied range - value "11" is out of the allowed range/,
    },
    {
      name: 'buffer-size 2049',
      from: '<buffer-size>2048</buffer-size>',
      to: '<buffer-size>2049</buffer-size>',
      message: /Unsatisfied range - value "2049" is out of the allowed range.*bmp\/buffer-size/,
    },
    {
      name: 'initial-refresh delay and skip together',
      from: '<delay>30</delay>',
      to: '<delay>30</delay><skip/>',
      message: /Data for both cases "delay" and "skip" exist/,
    },
    {
      name: 'keepalive 0 with the default hold time',
      from: '<remote-as>65030</remote-as>',
      to: '<remote-as>65030</remote-as><timers><keepalive>0</keepalive></timers>',
      message: /keepalive 0 needs hold-time 0\./,
    },
  ];

  for (const { name, from, to, message } of rejections) {
    it(`rejects ${name}`, () => {
      const result = yanglint('-p', ietfDir, '-t', 'config', bmpdModule, mutated(name.replace(/\W+/g, '-'), from, to));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(message);
    });
  }

  it('accepts a neighbor whose remote-as comes from its peer-group', () => {
    const text = loopbackConfig
      .replace('<remote-as>65030</remote-as>', '<peer-group>COLLECTED</peer-group>')
      .replace('<neighbor>', '<peer-group><name>COLLECTED</name><remote-as>65030</remote-as></peer-group>\n  <neighbor>');
    const result = yanglint('-p', ietfDir, '-t', 'config', bmpdModule, scratchFile('peer-group-ok.xml', text));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('validates the reset-bmp-server RPC against the configured servers', () => {
    const config = join(examplesDir, 'seed-config-loopback.xml');
    const rpc = (server: number): string =>
      scratchFile(
        `reset-${server}.xml`,
        `<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1">
  <reset-bmp-server xmlns="urn:bmpd:yang:bmpd"><server>${server}</server></reset-bmp-server>
</rpc>\n`,
      );
    const ok = yanglint('-p', ietfDir, '-t', 'nc-rpc', '-O', config, bmpdModule, rpc(2));
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const missing = yanglint('-p', ietfDir, '-t', 'nc-rpc', '-O', config, bmpdModule, rpc(9));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/Invalid leafref value "9"/);
  });

  it('validates a bmp-server-state-change notification and rejects an unknown status', () => {
    const notif = (status: string): string =>
      scratchFile(
        `notif-${status}.xml`,
        `<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">
  <eventTime>2026-11-26T11:00:00Z</eventTime>
  <bmp-server-state-change xmlns="urn:bmpd:yang:bmpd">
    <server>1</server><address>127.0.1.1</address><port-number>8000</port-number>
    <previous-status>connecting</previous-status><status>${status}</status>
    <reason>Initiation sent</reason>
  </bmp-server-state-change>
</notification>\n`,
      );
    const ok = yanglint('-p', ietfDir, '-t', 'nc-notif', bmpdModule, notif('up'));
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const bad = yanglint('-p', ietfDir, '-t', 'nc-notif', bmpdModule, notif('flapping'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Invalid enumeration value "flapping"/);
  });
});

describe('IETF modules in yang/ietf', () => {
  it('holds the modules the NETCONF server serves, each named NAME@REVISION.yang', () => {
    for (const name of ietfModules) {
      const revision = /^([a-z0-9-]+)@(\d{4}-\d{2}-\d{2})\.yang$/.exec(name);
      expect(revision, name).not.toBeNull();
      const text = readFileSync(join(ietfDir, name), 'utf8');
      expect(text, name).toMatch(new RegExp(`^\\s*module ${revision?.[1]} \\{`, 'm'));
      expect(text, name).toMatch(new RegExp(`revision "?${revision?.[2]}"? \\{`));
    }
    expect(ietfModules.map((name) => name.replace(/@.*/, '')).sort()).toEqual([
      'ietf-datastores',
      'ietf-inet-types',
      'ietf-interfaces',
      'ietf-ip',
      'ietf-netconf',
      'ietf-netconf-acm',
      'ietf-netconf-monitoring',
      'ietf-netconf-nmda',
      'ietf-netconf-notifications',
      'ietf-netconf-with-defaults',
      'ietf-network-instance',
      'ietf-origin',
      'ietf-restconf',
      'ietf-subscribed-notifications',
      'ietf-yang-library',
      'ietf-yang-metadata',
      'ietf-yang-patch',
      'ietf-yang-push',
      'ietf-yang-types',
      'nc-notifications',
      'notifications',
    ]);
  });

  it('matches the sha256 sums recorded in tools/yang/PROVENANCE.md', () => {
    const provenance = readFileSync(fileURLToPath(new URL('../../tools/yang/PROVENANCE.md', import.meta.url)), 'utf8');
    const recorded = new Map(
      [...provenance.matchAll(/^\| `([^`]+\.yang)` \| [^|]+ \| `[^`]+` \| `([0-9a-f]{64})` \|$/gm)].map(
        ([, file = '', sum = '']) => [file, sum],
      ),
    );
    const actual = new Map(
      ietfModules.map((name) => [name, createHash('sha256').update(readFileSync(join(ietfDir, name))).digest('hex')]),
    );
    expect(recorded).toEqual(actual);
  });

  for (const name of ietfModules) {
    it(`${name} compiles from yang/ietf alone`, () => {
      const result = yanglint('-p', ietfDir, join(ietfDir, name));
      expect(unexpectedWarnings(result.stderr)).toEqual([]);
      expect(result.status).toBe(0);
    });
  }

  it('all of them and bmpd load together into one context, as the server loads them', () => {
    const result = yanglint('-p', ietfDir, ...ietfModules.map((name) => join(ietfDir, name)), bmpdModule);
    expect(unexpectedWarnings(result.stderr)).toEqual([]);
    expect(result.status).toBe(0);
  });
});

describe('bmpd-deviations, with the modules and features the server loads', () => {
  const deviationsModule = join(yangDir, readdirSync(yangDir).find((name) => /^bmpd-deviations@\d{4}-\d{2}-\d{2}\.yang$/.test(name)) ?? 'bmpd-deviations.yang');
  // The deviations hold only with the features bmpd enables: with RFC 8639's interface-designation
  // a leafref into the removed /interfaces would remain. yanglint enables every feature unless told.
  const served = SERVED_MODULES.filter((m) => m.name !== 'bmpd' && m.name !== 'bmpd-deviations');
  const features = served.flatMap((m) => ['-F', `${m.name}:${m.features.join(',')}`]);
  const files = [...served.map((m) => join(ietfDir, ietfModules.find((f) => f.startsWith(`${m.name}@`))!)), deviationsModule, bmpdModule];

  it('compiles with bmpd and every served IETF module, without errors or warnings', () => {
    const result = yanglint('-p', ietfDir, ...features, ...files);
    expect(unexpectedWarnings(result.stderr)).toEqual([]);
    expect(result.status).toBe(0);
  });

  it('compiles alone with every feature enabled, as a client that downloads it with get-schema compiles it', () => {
    const result = yanglint('-p', ietfDir, deviationsModule);
    expect(unexpectedWarnings(result.stderr)).toEqual([]);
    expect(result.status).toBe(0);
  });

  it('refuses, as configuration, what the deviations take away, and keeps bmpd\'s own configuration valid', () => {
    const SN = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';
    const denied: Array<[string, string, RegExp]> = [
      ['interfaces', '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>lo</name></interface></interfaces>', /Node "interfaces" not found/],
      ['network-instances', '<network-instances xmlns="urn:ietf:params:xml:ns:yang:ietf-network-instance"><network-instance><name>red</name></network-instance></network-instances>', /Node "network-instances" not found/],
      ['subscriptions', `<subscriptions xmlns="${SN}"><subscription><id>7</id></subscription></subscriptions>`, /Unexpected data state node "subscriptions"/],
      ['filters', `<filters xmlns="${SN}"><stream-filter><name>f</name></stream-filter></filters>`, /Unexpected data state node "filters"/],
    ];
    for (const [name, xml, message] of denied) {
      const result = yanglint('-p', ietfDir, ...features, '-t', 'config', '-f', 'xml', ...files, scratchFile(`deviated-${name}.xml`, xml));
      expect(result.status, name).not.toBe(0);
      expect(result.stderr, name).toMatch(message);
    }
    const seed = yanglint('-p', ietfDir, ...features, '-t', 'config', '-f', 'xml', ...files, join(examplesDir, 'seed-config-loopback.xml'));
    expect(unexpectedWarnings(seed.stderr)).toEqual([]);
    expect(seed.status).toBe(0);
  });
});
