import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeParts } from '../../src/bmp/codec/index.js';
import { StationSession } from '../../src/bmp/station.js';
import { bgpNotification, bgpOpen, bgpUpdate, perPeerHeader } from '../../src/bmp/testing/test-buffers.js';
import { freePort, tempDir } from '../bgp/integration/daemons.js';
import { sleep, until } from '../support/collector.js';
import { Pmbmpd } from './integration/pmbmpd.js';

// Loopback range of this test file: 127.0.5.1 (pmbmpd) and 127.0.5.2 (bmpd's source address).
const COLLECTOR = '127.0.5.1';
const SOURCE = '127.0.5.2';

let dir: string;
let pmbmpd: Pmbmpd | undefined;
let port = 0;

beforeAll(async () => {
  dir = tempDir('pmbmpd');
  port = await freePort(COLLECTOR);
  pmbmpd = await Pmbmpd.start(dir, COLLECTOR, port);
});

afterAll(async () => {
  await pmbmpd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('pmbmpd (pmacct 1.7.7) decodes what a station sends', () => {
  it('Initiation, Peer Up, Route Monitoring, Statistics Report, Peer Down, Termination', async () => {
    const station = new StationSession(
      { id: 1, address: COLLECTOR, port, dscp: 0, updateSource: SOURCE, initialDelay: 0, failureRetryDelay: 1, flappingDelay: 5 },
      { sysName: 'bmpd-pmbmpd', sysDescr: 'bmpd integration test' },
    );
    station.on('error', () => undefined);
    station.start();
    await until(() => station.status === 'up', 'station up', 10_000);
    const peer = perPeerHeader({ address: '127.0.3.1', timestamp: { seconds: Math.floor(Date.now() / 1000), microseconds: 0 } });
    station.send(
      serializeParts({
        type: 'peerUp',
        peer,
        localAddress: SOURCE,
        localPort: 179,
        remotePort: 40179,
        sentOpen: bgpOpen({ asn: 65000, bgpId: SOURCE }),
        receivedOpen: bgpOpen({ asn: 65030, bgpId: '127.0.3.1' }),
        information: [],
      }),
    );
    station.send(serializeParts({ type: 'routeMonitoring', peer, update: bgpUpdate({ prefixes: ['203.0.113.0/24'], nextHop: '198.51.100.3', asPath: [65030, 64512] }) }));
    station.send(
      serializeParts({
        type: 'statisticsReport',
        peer,
        stats: [
          { kind: 'counter', statType: 1, value: 11 },
          { kind: 'gauge', statType: 7, value: 1n },
          { kind: 'afiSafiGauge', statType: 9, afi: 1, safi: 1, value: 1n },
        ],
      }),
    );
    station.send(serializeParts({ type: 'peerDown', peer, down: { reason: 'remoteNotification', notification: bgpNotification(6, 2) } }));
    await sleep(300);
    await station.stop(0, 'test done');

    let records: Array<Record<string, unknown>> = [];
    await until(
      () => {
        records = pmbmpd!.rawRecords(SOURCE);
        return records.some((r) => r.bmp_msg_type === 'term');
      },
      'pmbmpd logs the Termination',
      10_000,
    );
    // pmbmpd frames the session with event_type log_init / log_close records of its own.
    expect(records[0]).toMatchObject({ event_type: 'log_init', bmp_router: SOURCE });
    expect(records[records.length - 1]).toMatchObject({ event_type: 'log_close', bmp_router: SOURCE });
    const types = records.filter((r) => r.bmp_msg_type !== undefined).map((r) => r.bmp_msg_type);
    expect(types, JSON.stringify(records, null, 1)).toEqual(['init', 'peer_up', 'route_monitor', 'stats', 'stats', 'stats', 'peer_down', 'term']);
    const byType = (t: string) => records.filter((r) => r.bmp_msg_type === t);
    expect(byType('init')[0]).toMatchObject({ bmp_init_info_sysname: 'bmpd-pmbmpd', bmp_init_info_sysdescr: 'bmpd integration test' });
    expect(byType('route_monitor')[0]).toMatchObject({ ip_prefix: '203.0.113.0/24', peer_ip: '127.0.3.1', as_path: '65030 64512' });
    expect(byType('stats').map((r) => r.counter_type)).toEqual([1, 7, 9]);
    expect(byType('peer_down')[0]).toMatchObject({ peer_ip: '127.0.3.1', reason_type: 3 });
    expect(byType('peer_up')[0]).toMatchObject({ local_ip: SOURCE, local_port: 179, remote_port: 40179, peer_asn: 65030 });
    expect(byType('term')[0]).toMatchObject({ bmp_term_info_reason: 'Session administratively closed', bmp_term_info_string: 'test done' });
  });
});
