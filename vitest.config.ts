import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test files that open sockets on fixed loopback addresses, start third-party software (gobgpd,
 * FRR, exabgp, pmbmpd, tshark, yanglint, ncclient, yangcli, ansible, sshd) or start the agent.
 * They are the `integration` project: run them one machine-wide at a time. Every other file is a
 * `unit` test: in-process, no fixed address, nothing installed but node_modules, safe to run
 * anywhere at any time (`npm run test:unit`). A new file that binds a socket or starts a program
 * belongs in this list.
 */
const integration = [
  'test/**/integration/**/*.test.ts',
  'test/agent/end-to-end.test.ts',
  'test/agent/model-contract.test.ts',
  'test/agent/model-contract-transport.test.ts',
  'test/agent/process.test.ts',
  'test/agent/reconcile.test.ts',
  'test/agent/running-view-agent.test.ts',
  'test/bgp/codec/hand-built-tshark.test.ts',
  'test/bgp/codec/tshark.test.ts',
  'test/bgp/session.test.ts',
  'test/bgp/speaker-incremental.test.ts',
  'test/bmp/codec-tshark.test.ts',
  'test/bmp/engine-incremental.test.ts',
  'test/bmp/engine.test.ts',
  'test/bmp/station-pmbmpd.test.ts',
  'test/bmp/station-timers.test.ts',
  'test/bmp/station.test.ts',
  'test/cli/interactive.test.ts',
  'test/cli/known-hosts.test.ts',
  'test/cli/seed-examples.test.ts',
  'test/dataplane/agent-process.test.ts',
  'test/dataplane/worker-thread.test.ts',
  'test/net/sockopt.test.ts',
  'test/netconf/ansible.test.ts',
  'test/netconf/conformance/*.test.ts',
  'test/netconf/hostile/*.test.ts',
  'test/netconf/nacm-evaluation-worker.test.ts',
  'test/netconf/nacm-ncclient.test.ts',
  'test/netconf/nmda.test.ts',
  'test/netconf/real-clients.test.ts',
  'test/netconf/server.test.ts',
  'test/netconf/subscriptions-libnetconf2.test.ts',
  'test/netconf/subscriptions-ncclient.test.ts',
  'test/netconf/session.test.ts',
  'test/netconf/slow-reader.test.ts',
  'test/netconf/yangcli.test.ts',
  'test/yang/yanglint.test.ts',
];

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of the local libyang-wasm package, so a
    // change there needs no build step before `vitest`.
    alias: {
      'libyang-wasm': fileURLToPath(new URL('./packages/libyang-wasm/src/index.ts', import.meta.url)),
    },
  },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: integration } },
      { extends: true, test: { name: 'integration', include: integration } },
    ],
  },
});
