// Every <rpc-error> becomes one readable IOS-style line, whatever its tag: a NACM denial (RFC 8341
// §3.4.5 answers with error-tag access-denied), a lock held by another session, a validation
// failure with its path.
import { describe, expect, it } from 'vitest';
import { formatRpcError, parseRpcErrors } from '../../src/cli/rpc-errors.js';
import { printable } from '../../src/cli/session.js';

const reply = (errors: string): string =>
  `<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="7">${errors}</rpc-reply>`;

describe('rpc-error rendering', () => {
  it('renders a NACM access-denied error as one line with its message and path', async () => {
    const errors = await parseRpcErrors(reply(`<rpc-error>
      <error-type>protocol</error-type>
      <error-tag>access-denied</error-tag>
      <error-severity>error</error-severity>
      <error-path xmlns:bmpd="urn:bmpd:yang:bmpd">
        /bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']
      </error-path>
      <error-message xml:lang="en">access to data node
        "server" is denied by NACM rule-list "operators"</error-message>
    </rpc-error>`));
    expect(errors).toHaveLength(1);
    const line = formatRpcError(errors[0]!);
    expect(line).toBe(`% Access denied: access to data node "server" is denied by NACM rule-list "operators" [/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']]`);
    expect(line).not.toContain('\n');
  });

  it('names the session that holds a lock, from error-info', async () => {
    const [e] = await parseRpcErrors(reply(`<rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag>
      <error-severity>error</error-severity><error-message>running is locked</error-message>
      <error-info><session-id>4</session-id></error-info></rpc-error>`));
    expect(formatRpcError(e!)).toBe('% Configuration locked: running is locked (held by session 4)');
  });

  it('renders each of several errors, and an unknown tag and a missing message, generically', async () => {
    const errors = await parseRpcErrors(reply(`<nc:rpc-error xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
        <nc:error-type>application</nc:error-type><nc:error-tag>data-missing</nc:error-tag><nc:error-severity>error</nc:error-severity>
        <nc:error-message>Invalid leafref value "3"</nc:error-message><nc:error-info><nc:bad-element>server</nc:bad-element></nc:error-info>
      </nc:rpc-error>
      <rpc-error><error-type>rpc</error-type><error-tag>some-future-tag</error-tag><error-severity>warning</error-severity></rpc-error>`));
    expect(errors.map(formatRpcError)).toEqual([
      '% Not configured: Invalid leafref value "3" (element server)',
      '% Warning: some-future-tag',
    ]);
  });

  it("keeps the agent's text from driving the terminal: C0 and C1 controls print as '?'", async () => {
    // XML 1.0 carries C1 controls such as U+009B (CSI), which some terminals obey like ESC [.
    const [e] = await parseRpcErrors(reply('<rpc-error><error-tag>invalid-value</error-tag><error-severity>error</error-severity>'
      + '<error-message>bad \u009b2J value</error-message></rpc-error>'));
    expect(printable(formatRpcError(e!))).toBe('% Invalid value: bad ?2J value');
    expect(printable('a\tb\nc\rd\u0007')).toBe('a\tb\nc?d?');
  });
});
