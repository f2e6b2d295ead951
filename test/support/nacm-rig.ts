// One NACM rig for the unit tests that check access decisions in process: an AccessControl over the
// served model, wired as service.ts wires it (schemaAccessOptions), and SessionInfo stand-ins for
// the users a test plays.
import type { DataTree } from 'libyang-wasm';
import pino from 'pino';
import { AccessControl, schemaAccessOptions, type UserLookup } from '../../src/netconf/access-control.js';
import type { SessionInfo } from '../../src/netconf/session-control.js';
import type { YangModel } from '../../src/yang/model.js';

export interface RigOptions {
  /** The users file's view of a user; default: no groups, not recovery. */
  readonly users?: UserLookup;
  /** The live sessions by id; default: none. */
  readonly session?: (id: number) => SessionInfo | undefined;
  /** Where /nacm is read from until load() is called. */
  readonly running?: () => DataTree;
}

export function accessControlFor(model: YangModel, options: RigOptions = {}): AccessControl {
  return new AccessControl({
    ...schemaAccessOptions(model),
    users: options.users ?? (() => ({ groups: [], recovery: false })),
    session: options.session ?? (() => undefined),
    logger: pino({ level: 'silent' }),
  }, options.running ?? (() => { throw new Error('this test loads /nacm itself'); }));
}

/** An established NETCONF over SSH session of `username` from loopback, with `overrides` applied. */
export function sessionOf(id: number, username: string, overrides: Partial<SessionInfo> = {}): SessionInfo {
  const session: SessionInfo = {
    id, username, groups: [], sourceHost: '127.0.0.1', sourcePort: 1000 + id, transport: 'netconf-ssh', loginTime: new Date(),
    counters: { inRpcs: 0, inBadRpcs: 0, outRpcErrors: 0, outNotifications: 0 }, state: 'established', baseVersion: '1.1',
    clientCapabilities: [], sendNotification: () => true, setIdleTimeoutExempt: () => {}, queuedOutputBytes: 0, drop: () => {},
  };
  return { ...session, ...overrides };
}
