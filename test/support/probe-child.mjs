// A probe session in a process of its own (test/netconf/hostile/harness.ts ProcessProbe): a small
// <get-config> back to back, 20 ms apart, whose latencies measure the agent alone. A test that
// decodes tens of megabytes of notifications in its own thread would otherwise delay its in-process
// probe itself and blame the agent.
// Protocol: argv host port; stdout "ready" after three answers; on "stop" (stdin) or stdin's end it
// prints one JSON line {latencies, stalledMs} (stalledMs: the request still unanswered, 0 if none)
// and exits.
import { createInterface } from 'node:readline';
import { NetconfClient } from '../../tools/bench/netconf-client.mjs';

const [host, port] = process.argv.slice(2);
const PROBE = '<get-config><source><running/></source><filter type="subtree"><bgp xmlns="urn:bmpd:yang:bmpd"><as-number/></bgp></filter></get-config>';
const client = await NetconfClient.connect({ host, port: Number(port), username: 'admin', password: 'admin', timeoutMs: 60_000 });
const latencies = [];
let inFlightSince = null;
let running = true;

const stop = () => {
  if (!running) return;
  running = false;
  const stalledMs = inFlightSince === null ? 0 : performance.now() - inFlightSince;
  process.stdout.write(`${JSON.stringify({ latencies, stalledMs })}\n`, () => process.exit(0));
};
createInterface({ input: process.stdin }).on('line', (line) => { if (line.trim() === 'stop') stop(); }).on('close', stop);

while (running) {
  inFlightSince = performance.now();
  const reply = await client.rpc(PROBE);
  if (!running) break;
  latencies.push(performance.now() - inFlightSince);
  inFlightSince = null;
  if (!reply.includes('<as-number>65000</as-number>')) {
    process.stderr.write(`unexpected probe reply: ${reply.slice(0, 200)}\n`);
    process.exit(2);
  }
  if (latencies.length === 3) process.stdout.write('ready\n');
  await new Promise((r) => setTimeout(r, 20));
}
