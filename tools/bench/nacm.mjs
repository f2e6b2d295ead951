#!/usr/bin/env node
// What NACM (RFC 8341) costs, side by side with NACM off in the same run (issue 11, goal 2):
//  - transactions: N one-neighbor edit-config + commit, from an empty datastore, by a user in 10
//    groups matched by 10 rule-lists (9 of them with rules that do not cover neighbors, walked on
//    every check), vs the same with enable-nacm false. Goal ≤ 1.2×.
//  - reads: <get> of the full state with 10,000 neighbors (each with a password, which
//    nacm:default-deny-all hides, and a description) by that user, whose read rules prune the reply,
//    vs the same with enable-nacm false, alternating. Goal ≤ 1.5×.
// The agent is the real process (dist/src/main.js), the client bench's own ssh2 client. Server CPU
// is read from /proc. --rounds runs of each half, NACM on and off alternating which goes first;
// each figure is the median (min–max) over the rounds (for reads, of each round's median of --gets).
// Needs `npx tsc -b` first.
//   node tools/bench/nacm.mjs [--transactions 2000] [--neighbors 10000] [--gets 5] [--rounds 5]
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NetconfClient } from './netconf-client.mjs';
import { killPid, processCpuMs, startBenchAgent } from './processes.mjs';
import { median, spread, spreadText } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { addUser } = await import(path.join(root, 'dist/src/netconf/users.js'));
const { values } = parseArgs({
  options: {
    transactions: { type: 'string', default: '2000' },
    neighbors: { type: 'string', default: '10000' },
    gets: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
  },
  strict: true,
});
const N = Number(values.transactions);
const NEIGHBORS = Number(values.neighbors);
const GETS = Number(values.gets);
const ROUNDS = Number(values.rounds);
const BMPD_NS = 'urn:bmpd:yang:bmpd';
const NACM_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
const GROUPS = Array.from({ length: 10 }, (_, i) => `g${i + 1}`);

/** 10 rule-lists, one per group of the bench user; the last permits writing /bgp and reading it. */
function rules(enabled) {
  const list = (g, i) => {
    const last = i === GROUPS.length - 1;
    const body = last
      ? `<rule><name>bgp</name><module-name>bmpd</module-name><path xmlns:b="${BMPD_NS}">/b:bgp</path>`
        + '<access-operations>create update delete</access-operations><action>permit</action></rule>'
      : `<rule><name>no-reset</name><module-name>bmpd</module-name><rpc-name>reset-bgp-neighbor</rpc-name><access-operations>exec</access-operations><action>deny</action></rule>`
        + `<rule><name>no-vrf</name><module-name>bmpd</module-name><path xmlns:b="${BMPD_NS}">/b:bgp/b:vrf[b:name='${g}']</path>`
        + '<access-operations>*</access-operations><action>deny</action></rule>';
    return `<rule-list><name>${g}</name><group>${g}</group>${body}</rule-list>`;
  };
  return `<nacm xmlns="${NACM_NS}"><enable-nacm>${enabled}</enable-nacm>${GROUPS.map(list).join('')}</nacm>`;
}

function neighborEdit(i, extra = '') {
  return `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number><neighbor><address>127.1.${Math.floor(i / 250)}.${(i % 250) + 1}</address>`
    + `<remote-as>${64512 + (i % 1000)}</remote-as><passive>true</passive>${extra}</neighbor></bgp>`;
}

async function startAgent() {
  const { agent, port, stateDir } = await startBenchAgent(root, {
    dirPrefix: 'bmpd-bench-nacm-',
    prepare: async (dir) => {
      await addUser({ stateDir: dir, name: 'admin', password: 'admin-password', groups: ['admin'] });
      await addUser({ stateDir: dir, name: 'bench', password: 'bench-password', groups: GROUPS });
    },
  });
  const connect = (user) => NetconfClient.connect({ host: '127.0.0.1', port, username: user, password: `${user}-password` });
  return {
    pid: agent.pid, connect,
    async stop() { await killPid(agent.pid, 5000); rmSync(stateDir, { recursive: true, force: true }); },
  };
}

async function transactions(enabled) {
  const agent = await startAgent();
  try {
    const admin = await agent.connect('admin');
    await admin.editConfig('running', rules(enabled));
    await admin.close();
    const bench = await agent.connect('bench');
    const cpu0 = processCpuMs(agent.pid);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      await bench.editConfig('candidate', neighborEdit(i));
      await bench.commit();
    }
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const serverCpuMs = processCpuMs(agent.pid) - cpu0;
    const running = await bench.getConfig('running', `<bgp xmlns="${BMPD_NS}"><neighbor><address/></neighbor></bgp>`);
    const count = running.match(/<(?:\w+:)?neighbor[\s>]/g)?.length ?? 0;
    if (count !== N) throw new Error(`${count} neighbors in running after ${N} commits`);
    await bench.close();
    return { wallMs, serverCpuMs };
  } finally {
    await agent.stop();
  }
}

async function reads() {
  const agent = await startAgent();
  try {
    const admin = await agent.connect('admin');
    await admin.editConfig('running', rules(true));
    const all = Array.from({ length: NEIGHBORS }, (_, i) => neighborEdit(i, `<description>peer ${i}</description><password>secret-${i}</password>`)
      .replace(/^<bgp[^>]*><as-number>65000<\/as-number>/, '').replace(/<\/bgp>$/, '')).join('');
    await admin.editConfig('candidate', `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number>${all}</bgp>`);
    await admin.commit();
    const bench = await agent.connect('bench');
    const times = { on: [], off: [] };
    const sizes = {};
    for (let i = 0; i < GETS; i++) {
      for (const mode of i % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
        await admin.editConfig('running', `<nacm xmlns="${NACM_NS}"><enable-nacm>${mode === 'on'}</enable-nacm></nacm>`);
        const cpu0 = processCpuMs(agent.pid);
        const reply = await bench.rpc('<get/>');
        times[mode].push(processCpuMs(agent.pid) - cpu0);
        const passwords = reply.match(/<password>/g)?.length ?? 0;
        if (mode === 'on' ? passwords !== 0 : passwords !== NEIGHBORS) throw new Error(`NACM ${mode}: ${passwords} passwords in the reply`);
        sizes[mode] = reply.length;
      }
    }
    await bench.close();
    await admin.close();
    return { times, sizes };
  } finally {
    await agent.stop();
  }
}

console.log(`NACM cost (2-core machine shared with other work; server CPU from /proc)`);
const tx = { on: [], off: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
    const result = await transactions(mode === 'on');
    tx[mode].push(result);
    console.log(`  ${N} one-neighbor transactions, NACM ${mode.padEnd(3)}: wall ${(result.wallMs / 1000).toFixed(2)} s, `
      + `server CPU ${(result.serverCpuMs / N).toFixed(3)} ms per transaction`);
  }
}
const perTransaction = (mode) => spread(tx[mode].map((r) => r.serverCpuMs / N));
const wallS = (mode) => spread(tx[mode].map((r) => r.wallMs / 1000));
const ratio = (on, off) => (on.median / off.median).toFixed(2);
console.log(`  transactions (${ROUNDS} rounds, median (min–max)): server CPU per transaction NACM on ${spreadText(perTransaction('on'), 3)} ms, off ${spreadText(perTransaction('off'), 3)} ms: `
  + `${ratio(perTransaction('on'), perTransaction('off'))}×; wall on ${spreadText(wallS('on'), 2)} s, off ${spreadText(wallS('off'), 2)} s: ${ratio(wallS('on'), wallS('off'))}× (goal ≤ 1.2×)`);

const getRuns = [];
for (let r = 0; r < ROUNDS; r++) {
  const rd = await reads();
  getRuns.push({ on: median(rd.times.on), off: median(rd.times.off), sizes: rd.sizes });
  console.log(`  <get> with ${NEIGHBORS} neighbors, round ${r + 1}: NACM on median ${getRuns.at(-1).on.toFixed(0)} ms server CPU, off ${getRuns.at(-1).off.toFixed(0)} ms`);
}
const getOn = spread(getRuns.map((g) => g.on));
const getOff = spread(getRuns.map((g) => g.off));
const { sizes } = getRuns[0];
console.log(`  <get> with ${NEIGHBORS} neighbors (${ROUNDS} rounds of ${GETS} gets each way, median (min–max) of each round's median): NACM on (read rules, passwords pruned) `
  + `${spreadText(getOn, 0)} ms server CPU (${(sizes.on / 1024 / 1024).toFixed(1)} MiB), off ${spreadText(getOff, 0)} ms (${(sizes.off / 1024 / 1024).toFixed(1)} MiB): `
  + `${ratio(getOn, getOff)}×, each round's ratio ${spreadText(spread(getRuns.map((g) => g.on / g.off)), 2)} (goal ≤ 1.5×)`);
