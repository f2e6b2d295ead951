// RFC 8342 §5.3: one <get-data> of operational shows one state of the engine. Running and the list
// of config nodes the engine could not apply (an update-source interface without an address) must be
// of the same commit: a reply computed after a commit swapped running must not leave out a node with
// the list the engine had before (nmda.ts, evaluation-pool.ts NmdaRequest).
//
// Real Datastores, the real evaluation worker and the real get-data handler; the apply hook plays
// the reconciler: it updates what it could not apply when the change is applied, as Reconciler does.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datastores } from '../../src/datastore/datastores.js';
import type { BaseOperationsBackend } from '../../src/netconf/base-operations.js';
import type { ConfirmedCommit } from '../../src/netconf/confirmed-commit.js';
import { EvaluationPool, type EvaluationRequest } from '../../src/netconf/evaluation-pool.js';
import { nmdaHandlers } from '../../src/netconf/nmda.js';
import { readRpc } from '../../src/netconf/rpc.js';
import { OperationSchema } from '../../src/netconf/rpc-schema.js';
import type { RpcContext } from '../../src/netconf/rpc.js';
import { parseXmlMessage } from '../../src/netconf/xml.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const UPDATE_SOURCE = "/bmpd:bgp/bmp/server[id='1']/update-source";
const server = (updateSource: string) => `<bgp xmlns="${NS}"><as-number>65000</as-number><bmp><server><id>1</id>` +
  `<address>127.0.0.1</address><port-number>8000</port-number><update-source>${updateSource}</update-source></server></bmp></bgp>`;
/** Enough state to keep the one worker busy while the commit finishes. */
const HEAVY_STATE = `<bgp xmlns="${NS}">${Array.from({ length: 3000 }, (_, i) =>
  `<neighbor><address>10.${i >> 8}.${i & 255}.1</address><state><session-state>idle</session-state></state></neighbor>`).join('')}</bgp>`;

let model: YangModel;
let datastores: Datastores;
let pool: EvaluationPool;
/** What the "engine" could not apply, as the reconciler reports it. */
let notApplied: string[] = [];
let gate: Promise<void> | null = null;

beforeAll(async () => {
  model = await loadYangModel();
  datastores = await Datastores.open({
    context: model.context, stateDir: null,
    apply: async (change) => {
      if (gate !== null) await gate;
      // 'nmda-none0' has no address: the engine runs that server without it.
      notApplied = /<update-source>nmda-none0</.test(change.after.print({ format: 'xml' })) ? [UPDATE_SOURCE] : [];
    },
  });
  pool = new EvaluationPool({ datastores, logger: pino({ level: 'silent' }), workers: 1 });
  await pool.start();
}, 60_000);

afterAll(async () => {
  await pool?.close();
  datastores?.close();
  model?.context.destroy();
});

function getData(queued: () => void) {
  const backend = {
    context: model.context, datastores, confirmedCommit: {} as ConfirmedCommit, state: [],
    namespaceOf: () => NS, moduleOf: () => 'bmpd',
    evaluation: { evaluate: (request: EvaluationRequest) => { const reply = pool.evaluate(request); queued(); return reply; } } as unknown as EvaluationPool,
    notApplied: () => notApplied,
  } satisfies BaseOperationsBackend & { notApplied: () => readonly string[] };
  const read = readRpc(parseXmlMessage(`<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1">` +
    `<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">` +
    `<datastore>ds:operational</datastore></get-data></rpc>`));
  if (read.kind !== 'rpc') throw new Error('not an rpc');
  // As the dispatcher does: the schema judges the operation and gives its typed input.
  const input = new OperationSchema(model.context, () => datastores.tree('running')).input(read.rpc.operation);
  const ctx = { operation: read.rpc.operation, input, rpc: read.rpc, session: { id: 1 } } as unknown as RpcContext;
  return nmdaHandlers(backend)['get-data'](ctx) as Promise<{ xml: string }>;
}

describe('get-data of operational during a commit', () => {
  it('a reply computed after the commit pairs the new running with the new not-applied list', async () => {
    await datastores.editConfig('running', server('nmda-none0'), {}, 1);
    expect(notApplied).toEqual([UPDATE_SOURCE]);
    expect((await getData(() => undefined)).xml).not.toContain('<update-source>');

    // The commit to 'lo' (which the engine can apply) waits in its reconcile.
    let release!: () => void;
    gate = new Promise((resolve) => { release = resolve; });
    const commit = datastores.editConfig('running', server('lo'), {}, 1);
    // The one worker is busy; the get-data is queued behind it while the engine still runs the old config.
    const busy = pool.evaluate({ source: 'running', state: [HEAVY_STATE], filter: undefined, mode: 'explicit', access: null });
    let queued!: () => void;
    const isQueued = new Promise<void>((resolve) => { queued = resolve; });
    const reply = getData(queued);
    await isQueued;
    expect(notApplied).toEqual([UPDATE_SOURCE]);
    release();
    gate = null;
    await commit;
    expect(notApplied).toEqual([]);
    await busy;
    // The reply's running has 'lo', and the engine applied it: operational shows it.
    expect((await reply).xml).toContain('<update-source>lo</update-source>');
    expect((await getData(() => undefined)).xml).toContain('<update-source>lo</update-source>');
  }, 60_000);
});
