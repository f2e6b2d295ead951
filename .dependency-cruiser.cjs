/**
 * The layer rules of src/ (issue 16), checked by `npm test` (its pretest runs
 * `npm run check:layers`) and by test/layers.test.ts, which also shows each
 * rule failing on a deliberate violation.
 *
 * Planes: BGP/BMP (src/bgp, src/bmp) and NETCONF (src/netconf, src/datastore).
 * Only src/agent/, src/dataplane/ (the data plane's thread and its channel to
 * the agent) and src/main.ts join them.
 */
const BGP_PLANE = '^src/(bgp|bmp)/';
const NETCONF_PLANE = '^src/(netconf|datastore)/';
const JOINERS = '^src/(agent/|dataplane/|main\\.ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes modules impossible to understand, test or load apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'netconf-plane-stays-out-of-the-agent-and-bgp-plane',
      severity: 'error',
      comment: 'netconf/ and datastore/ import nothing from agent/, bgp/ or bmp/: the agent hands them what they need.',
      from: { path: NETCONF_PLANE },
      to: { path: '^src/(agent|bgp|bmp)/' },
    },
    {
      name: 'bgp-plane-stays-out-of-the-agent-and-netconf-plane',
      severity: 'error',
      comment: 'bgp/ and bmp/ import nothing from agent/, netconf/ or datastore/: the agent joins the planes.',
      from: { path: BGP_PLANE },
      to: { path: '^src/(agent|netconf|datastore)/' },
    },
    {
      name: 'only-the-agent-enters-the-bgp-plane',
      severity: 'error',
      comment:
        'Outside the two planes only agent/, dataplane/ and main.ts use the BGP/BMP plane, so only they join it to the NETCONF plane. ' +
        'Others (bmpd-cli) may name its configuration vocabulary, bgp/config.ts and bmp/config.ts (debug topics, ' +
        'neighbor keys), in types or as values, which joins nothing at run time.',
      from: { path: '^src/', pathNot: [JOINERS, BGP_PLANE, NETCONF_PLANE] },
      to: { path: BGP_PLANE, pathNot: '^src/(bgp|bmp)/config\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'codecs-stay-pure',
      severity: 'error',
      comment: 'The BGP and BMP codecs are bytes <-> messages only: no session, speaker, station or engine, not even through another module.',
      from: { path: '^src/(bgp|bmp)/codec/' },
      to: { path: '^src/(bgp|bmp)/(session|speaker|station|engine)[^/]*\\.ts$', reachable: true },
    },
  ],
  options: {
    // Type-only imports count: the cycle issue 16 removed ran partly through them.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
  },
};
