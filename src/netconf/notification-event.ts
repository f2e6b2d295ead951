// The unit the NETCONF stream, its replay buffer and the subscriptions pass around: a module of
// its own so that replay.ts and notifications.ts need not import each other.

/** One event: a namespaced element, as RFC 5277 §4 puts it beside <eventTime>. */
export interface NotificationEvent {
  readonly namespace: string;
  readonly name: string;
  /** The complete event element, with its xmlns. */
  readonly xml: string;
}
