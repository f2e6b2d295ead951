/** Resolves an interface name (a BMP server's update-source) to an address to bind to. */
import os from 'node:os';

/**
 * The first address of a Linux interface, preferring `family` when given
 * (IPv4 first otherwise; IPv6 link-local addresses are skipped since binding
 * them needs a scope). Null when the interface does not exist or has no
 * usable address, so the caller can report "update-source has no address".
 */
export function interfaceAddress(name: string, family?: 4 | 6): string | null {
  const addrs = os.networkInterfaces()[name];
  if (!addrs) return null;
  const usable = addrs.filter((a) => !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:')));
  const want = family ?? 4;
  const first = usable.find((a) => (want === 4 ? a.family === 'IPv4' : a.family === 'IPv6'));
  if (first) return first.address;
  if (family !== undefined) return null;
  return usable[0]?.address ?? null;
}
