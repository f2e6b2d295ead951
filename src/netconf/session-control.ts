/**
 * What operation handlers see of sessions: the session an rpc came on
 * (SessionInfo) and the little they may do to sessions (SessionControl). The
 * SessionRegistry itself stays with the server; no handler, the agent's
 * included, can reach every session through it.
 */

export type BaseVersion = '1.0' | '1.1';

export interface SessionCounters {
  inRpcs: number;
  inBadRpcs: number;
  outRpcErrors: number;
  outNotifications: number;
}

export type SessionState = 'awaiting-hello' | 'established' | 'closed';

/** What operation handlers and the monitoring module see of a session. */
export interface SessionInfo {
  readonly id: number;
  readonly username: string;
  /** Groups from the users file at login; NACM (access-control.ts) reads the current ones, which a SIGHUP may have changed. */
  readonly groups: readonly string[];
  readonly sourceHost: string;
  readonly sourcePort: number;
  /** ietf-netconf-monitoring transport identity. */
  readonly transport: 'netconf-ssh';
  readonly loginTime: Date;
  readonly counters: Readonly<SessionCounters>;
  readonly state: SessionState;
  /** Negotiated base version, once the hellos are exchanged. */
  readonly baseVersion: BaseVersion | undefined;
  readonly clientCapabilities: readonly string[];
  /**
   * Send one complete <notification> element (RFC 5277 §4, namespace
   * urn:ietf:params:xml:ns:netconf:notification:1.0, eventTime included).
   * Returns false when the session cannot carry it (no hello yet, closed or
   * closing); also when this message found the backlog over the output bound,
   * in which case the session has just ended with 'output-overflow'.
   */
  sendNotification(notificationXml: string): boolean;
  /** Sessions with a subscription may stay silent for long; exempt them from the idle timeout. */
  setIdleTimeoutExempt(exempt: boolean): void;
  /** Output written that the client has not taken yet (subscriptions suspend a subscriber that stopped reading). */
  readonly queuedOutputBytes: number;
  /**
   * Ends the session as its output bound does ('output-overflow', RFC 6470 termination-reason
   * dropped), logging `why`: the client cannot keep up with what it asked for.
   */
  drop(why: string): void;
}

/** RFC 6241 §7.8 close-session and §7.9 kill-session: all a handler may do to sessions. */
export interface SessionControl {
  /** End the session this rpc came on once its reply has been sent. */
  closeAfterReply(): void;
  /**
   * End session `sessionId` now, recording this session as its killer;
   * resolves once it is closed, false when there is no such session.
   */
  kill(sessionId: number): Promise<boolean>;
}
