// bmpd's side of the integration tests' BGP sessions: a speaker neighbor with the defaults every
// test file shares (active, hold time 30 s, IPv4 unicast, global table); `extra` overrides. And
// a started speaker whose events are kept.
import type { NeighborConfig, SpeakerConfig } from '../../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent, UpdateEvent } from '../../../src/bgp/events.js';
import { BgpSpeaker } from '../../../src/bgp/speaker.js';

export interface RecordedSpeaker {
  readonly speaker: BgpSpeaker;
  readonly established: EstablishedEvent[];
  readonly updates: UpdateEvent[];
  readonly downs: DownEvent[];
}

/** A BgpSpeaker on `config`, started, with every established, update and down event kept in order. */
export async function startRecordedSpeaker(config: SpeakerConfig): Promise<RecordedSpeaker> {
  const recorded: RecordedSpeaker = { speaker: new BgpSpeaker(config), established: [], updates: [], downs: [] };
  recorded.speaker.on('established', (e) => recorded.established.push(e));
  recorded.speaker.on('update', (e) => recorded.updates.push(e));
  recorded.speaker.on('down', (e) => recorded.downs.push(e));
  await recorded.speaker.start();
  return recorded;
}

export function neighborConfig(address: string, remoteAs: number, extra: Partial<NeighborConfig> = {}): NeighborConfig {
  return {
    address,
    remoteAs,
    description: null,
    updateSource: null,
    password: null,
    passive: false,
    timers: { keepalive: 0, holdTime: 30 },
    shutdown: false,
    addressFamilies: ['ipv4-unicast'],
    vrf: null,
    ...extra,
  };
}
