// The command grammar: one tree per mode, built from src/cli/commands.ts, parses, completes and
// helps. These tests read that real table (no test grammar), so they also check the table.
import { describe, expect, it } from 'vitest';
import { COMMANDS, GRAMMAR, type CommandContext } from '../../src/cli/commands.js';
import { Grammar, formatHelp, invalidInputMarker, type HelpResult, type ParseResult } from '../../src/cli/grammar.js';

const grammar = new Grammar<CommandContext>(GRAMMAR);

function command(mode: string, line: string): Extract<ParseResult<CommandContext>, { kind: 'command' }> {
  const r = grammar.parse(mode, line);
  if (r.kind !== 'command') throw new Error(`'${line}' in ${mode}: ${JSON.stringify(r)}`);
  return r;
}

function words(result: HelpResult): string[] {
  if (result.kind !== 'list') throw new Error(JSON.stringify(result));
  return result.lines.map((l) => l.word);
}

/** A value each parameter accepts, to type every entry of the table. */
const SAMPLE: Record<string, string> = {
  as: '65000', server: '1', 'buffer-mb': '2048', 'refresh-delay': '30', delay: '40', period: '30', dscp: '5', port: '8000',
  address: '127.0.1.1', 'router-id': '127.0.0.1', neighbor: '127.0.3.1', tag: 'PG', vrf: 'vrf1', rd: '65000:1',
  text: 'LINE SERVER1', interface: 'ethernet', 'interface-number': '0/0', keepalive: '10', 'hold-time': '30',
};

describe('bmpd-cli grammar', () => {
  it('parses every entry of the command table as that entry, in each of its modes', () => {
    for (const entry of COMMANDS) {
      if (entry.run === undefined) continue;
      const line = entry.syntax.split(' ').filter((t) => t !== '...').map((t) => (t.startsWith('<') ? SAMPLE[t.slice(1, -1)]! : t)).join(' ');
      for (const mode of entry.modes) expect(command(mode, line).entry, `${mode}: ${line}`).toBe(entry);
    }
  });

  it('takes unambiguous abbreviations: conf t, sh ip bgp bmp ser sum', () => {
    expect(command('exec', 'conf t').entry.syntax).toBe('configure terminal');
    expect(command('exec', 'sh ip bgp bmp ser sum').entry.syntax).toBe('show ip bgp bmp server summary');
    expect(command('exec', 'SH IP BGP BMP SER 2').args.get('server')).toBe('2');
  });

  it('reports an ambiguous abbreviation, an invalid word at its offset and an incomplete line', () => {
    expect(grammar.parse('router', 'bmp s 1')).toEqual({ kind: 'command', entry: expect.anything(), args: expect.anything(), pipe: null });
    expect(grammar.parse('bmp-server', 'f 40')).toEqual({ kind: 'ambiguous', at: 0, word: 'f' });
    expect(grammar.parse('router', 'bmp serer 1')).toEqual({ kind: 'invalid', at: 4 });
    expect(grammar.parse('bmp-server', 'set ip dscp 64')).toEqual({ kind: 'invalid', at: 12 });
    expect(grammar.parse('router', 'bmp server')).toEqual({ kind: 'incomplete' });
    expect(grammar.parse('exec', '   ')).toEqual({ kind: 'empty' });
  });

  it('repeats "server N" in bmp-activate and collects every server', () => {
    const r = command('router', 'neighbor 30.1.1.1 bmp-activate server 1 server 2 server 3');
    expect(r.args.get('neighbor')).toBe('30.1.1.1');
    expect(r.args.all('server')).toEqual(['1', '2', '3']);
    expect(grammar.parse('router', 'neighbor 30.1.1.1 bmp-activate server 1 server')).toEqual({ kind: 'incomplete' });
  });

  it('gives a LINE parameter the rest of the line, spaces included', () => {
    expect(command('bmp-server', 'description LINE my  first server ').args.get('text')).toBe('LINE my  first server');
  });

  it('reads a neighbor as an IPv4 address, an IPv6 address or a peer-group tag', () => {
    expect(command('router', 'neighbor 2001:DB8::2001 bmp-activate all').args.get('neighbor')).toBe('2001:DB8::2001');
    expect(command('router', 'neighbor RR-CLIENTS bmp-activate all').args.get('neighbor')).toBe('RR-CLIENTS');
    expect(grammar.parse('router', 'neighbor 300.1.1.1 bmp-activate all')).toEqual({ kind: 'invalid', at: 9 });
  });

  it('parses output modifiers after show commands only', () => {
    expect(command('exec', 'show running-config | section bmp').pipe).toEqual({ kind: 'section', pattern: 'bmp' });
    expect(command('exec', 'sh run | i neighbor .* server 2').pipe).toEqual({ kind: 'include', pattern: 'neighbor .* server 2' });
    expect(command('exec', 'show ip bgp bmp server 1 | begin session').pipe).toEqual({ kind: 'begin', pattern: 'session' });
    expect(grammar.parse('exec', 'configure terminal | include x')).toEqual({ kind: 'invalid', at: 19 });
  });

  it("walks the exec tree after 'do' in configuration modes", () => {
    expect(command('bmp-server', 'do sh ip bgp bmp server summary').entry.syntax).toBe('show ip bgp bmp server summary');
    expect(words(grammar.help('router', 'do show ip bgp bmp server '))).toEqual(['<1-10>', 'neighbors', 'summary']);
  });

  it('keeps exec, privileged and configuration commands in their modes', () => {
    expect(grammar.parse('user', 'configure terminal').kind).toBe('invalid');
    expect(grammar.parse('user', 'debug ip bgp bmp server').kind).toBe('invalid');
    expect(command('user', 'show ip bgp bmp server summary').entry.syntax).toBe('show ip bgp bmp server summary');
    expect(grammar.parse('exec', 'bmp server 1').kind).toBe('invalid');
  });

  it("'?' lists the words allowed next, parameters with their hints, and <cr> where the command may end", () => {
    expect(words(grammar.help('router', 'bmp '))).toEqual(['buffer-size', 'initial-refresh', 'server']);
    expect(words(grammar.help('router', 'bmp initial-refresh '))).toEqual(['delay', 'skip']);
    expect(words(grammar.help('router', 'neighbor '))).toEqual(['A.B.C.D', 'WORD', 'X:X:X::X']);
    expect(words(grammar.help('exec', 'show ip bgp bmp server summary '))).toEqual(['|', '<cr>']);
    expect(words(grammar.help('router', 'neighbor 30.1.1.1 bmp-activate server 1 '))).toEqual(['server', '<cr>']);
    const dscp = grammar.help('bmp-server', 'set ip dscp ');
    const text = formatHelp(dscp.kind === 'list' ? dscp.lines : []);
    expect(text).toBe('  <0-63>  DSCP value');
  });

  it("'?' right after part of a word lists the keywords it starts; after a bad word, where it went wrong", () => {
    expect(grammar.help('bmp-server', 'f')).toEqual({ kind: 'words', words: ['failure-retry-delay', 'flapping-delay'] });
    expect(grammar.help('exec', 'show ip bxp ')).toEqual({ kind: 'invalid', at: 8 });
    expect(grammar.help('exec', 'zz')).toEqual({ kind: 'unrecognized' });
  });

  it('Tab completes the one keyword a word starts, and nothing when it starts several or none', () => {
    expect(grammar.complete('exec', 'conf')).toBe('configure ');
    expect(grammar.complete('exec', 'sh ip bgp bmp ser')).toBe('sh ip bgp bmp server ');
    expect(grammar.complete('bmp-server', 'f')).toBeNull();
    expect(grammar.complete('bmp-server', 'zz')).toBeNull();
    expect(grammar.complete('exec', 'show ')).toBeNull();
  });

  it("puts IOS's '^' under the first character of the rejected word", () => {
    expect(invalidInputMarker('Device(config-router)#'.length, 4)).toBe(`${' '.repeat(26)}^\n% Invalid input detected at '^' marker.`);
  });

  it('refuses a table with a keyword that has no help text', () => {
    expect(() => new Grammar<CommandContext>({ ...GRAMMAR, commands: [{ modes: ['exec'], syntax: 'frobnicate', run: () => undefined }] }))
      .toThrow(/keyword 'frobnicate' has no help text/);
  });
});
