// What every conformance file shares: a real agent process (dist/) per file,
// and the ncclient scenarios of clients/conformance.py run against it.
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ROOT, runPython, startAgent, type RunningAgent } from '../../support/agent.js';

const SCRIPT = join(ROOT, 'test', 'netconf', 'clients', 'conformance.py');

/** An rpc-error as ncclient's RPCError shows it. */
export interface RpcErr { tag: string; type: string; message: string; path: string | null; info: string | null }

/** Starts the agent before the file's tests and stops it after; `scenario` runs one ncclient scenario against it. */
export function agentForConformance(): { scenario: <T>(name: string, ...args: string[]) => Promise<T> } {
  let agent: RunningAgent | undefined;
  beforeAll(async () => { agent = await startAgent(); });
  afterAll(async () => { await agent?.stop(); });
  return {
    scenario: <T>(name: string, ...args: string[]) => {
      if (agent === undefined) throw new Error('the agent did not start');
      return runPython<T>(SCRIPT, [name, agent.port, ...args]);
    },
  };
}
