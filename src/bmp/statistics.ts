// Statistics Report content (RFC 7854 §4.8) from what the Adj-RIB-In really counts. A counter
// the speaker does not keep is left out rather than reported as 0: a collector cannot tell a
// made-up zero from a real one.
import { afiSafiOf } from '../bgp/codec/nlri.js';
import type { AddressFamily } from '../bgp/config.js';
import { AfiSafiGaugeStatType, CounterStatType, GaugeStatType, type StatisticsEntry } from './codec/messages.js';
import type { NeighborStatistics } from './engine-speaker.js';

const FAMILY_ORDER: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'];

function counter(statType: number, value: number | undefined): StatisticsEntry[] {
  // §4.8: counters are 32-bit and wrap.
  return value === undefined ? [] : [{ kind: 'counter', statType, value: value >>> 0 }];
}

/** Entries in type order: 0..5, 7, 9 (one per negotiated family or family with routes), 11, 12, 13. */
export function statisticsEntries(stats: NeighborStatistics, families: readonly AddressFamily[]): StatisticsEntry[] {
  const perFamily = FAMILY_ORDER.filter((f) => families.includes(f) || stats.adjRibInRoutesPerFamily[f] !== undefined);
  return [
    ...counter(CounterStatType.rejectedPrefixes, stats.prefixesRejected),
    ...counter(CounterStatType.duplicatePrefixAdvertisements, stats.duplicatePrefixAdvertisements),
    ...counter(CounterStatType.duplicateWithdraws, stats.duplicateWithdraws),
    ...counter(CounterStatType.clusterListLoop, stats.clusterListLoops),
    ...counter(CounterStatType.asPathLoop, stats.asPathLoops),
    ...counter(CounterStatType.originatorIdLoop, stats.originatorIdLoops),
    { kind: 'gauge', statType: GaugeStatType.adjRibInRoutes, value: BigInt(stats.adjRibInRoutes) },
    ...perFamily.map((f): StatisticsEntry => {
      const { afi, safi } = afiSafiOf(f);
      return {
        kind: 'afiSafiGauge',
        statType: AfiSafiGaugeStatType.perAfiSafiAdjRibInRoutes,
        afi,
        safi,
        value: BigInt(stats.adjRibInRoutesPerFamily[f] ?? 0),
      };
    }),
    ...counter(CounterStatType.updatesTreatedAsWithdraw, stats.updatesTreatedAsWithdraw),
    ...counter(CounterStatType.prefixesTreatedAsWithdraw, stats.prefixesTreatedAsWithdraw),
    ...counter(CounterStatType.duplicateUpdates, stats.duplicateUpdates),
  ];
}
