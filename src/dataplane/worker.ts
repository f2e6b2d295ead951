// The data plane's worker thread (data-plane.ts starts it): a DataPlaneHost on the parent port.
//
// Logs: the thread builds its own pino logger with the agent's level and base bindings and
// writes each line with one write(2) to fd 1 itself (sync), so log lines keep the agent's format
// and never wait for, or pass through, the main thread's event loop. A line shorter than
// PIPE_BUF (4 KiB) is written whole even when the main thread writes to the same pipe. Each line
// also names the thread (threadId), so a log shows where the BGP and BMP work ran.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { RequestMessage } from './channel.js';
import type { WorkerData } from './data-plane.js';
import { DataPlaneHost } from './host.js';
import { lowerThreadPriority } from './thread-priority.js';

const data = workerData as WorkerData;
const logger = pino({ level: data.level, base: { ...data.base, threadId } }, pino.destination({ fd: 1, sync: true }));
if (parentPort === null) throw new Error('worker.ts runs only as the data plane worker thread (src/dataplane/data-plane.ts)');
// Lower this thread's priority before any BGP work (thread-priority.ts); a kernel that refuses
// leaves it at the main thread's, said once, and the data plane runs anyway.
let priority: { tid: number; nice: number } | { niceError: string };
try {
  priority = lowerThreadPriority(data.niceIncrement);
} catch (err) {
  priority = { niceError: (err as Error).message };
  logger.warn({ topic: 'data-plane', niceIncrement: data.niceIncrement, err: (err as Error).message }, 'the data plane thread keeps its priority: its nice value could not be set');
}
// An uncaught exception ends the thread; the Worker's 'error' event brings it to the agent, which logs it.
await DataPlaneHost.serve(parentPort, { logger, sysName: data.sysName, sysDescr: data.sysDescr, started: priority });

// Fault injection, for tests only (test/dataplane/agent-process.test.ts): with
// BMPD_TEST_FAULT=data-plane-throw-on-get in the agent's environment, the thread throws an uncaught
// error when the first <get> state request reaches it, as a bug in the BGP or BMP code would: the
// agent-level failure path (data-plane.ts, src/agent/agent.ts) runs as it would in production.
// Unset (always, outside those tests) it adds nothing.
if (process.env.BMPD_TEST_FAULT === 'data-plane-throw-on-get') {
  parentPort.on('message', (m: RequestMessage) => {
    if (m.request.op === 'oper-state') setImmediate(() => { throw new Error('fault injected by BMPD_TEST_FAULT=data-plane-throw-on-get'); });
  });
}
