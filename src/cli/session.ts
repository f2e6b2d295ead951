// One bmpd-cli session: the mode stack, the prompt, and the execution of one line (parse with the
// grammar, run the command, turn every failure into IOS's '%' lines). The interactive terminal
// (terminal.ts) and batch input (main.ts) both drive this class; neither knows the commands.
import { CONFIG_MODES, GRAMMAR, PROMPT_SUFFIX, type AgentPort, type CommandContext, type Frame, type Mode } from './commands.js';
import { Grammar, invalidInputMarker, type HelpResult } from './grammar.js';
import { NetconfRpcError } from './netconf-client.js';
import { formatRpcError } from './rpc-errors.js';
import { applyPipe } from './running-config.js';

export type LineOutcome = 'ok' | 'error' | 'quit';

export interface SessionOutput {
  /** Command output (stdout). */
  out(text: string): void;
  /** '%' error lines (the terminal in interactive use, stderr in batch). */
  err(text: string): void;
}

/**
 * Text that came from the agent (descriptions, error messages, its name) must not drive the
 * operator's terminal: control characters other than newline and tab are shown as '?'.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?');
}

export class CliSession {
  private readonly grammar = new Grammar<CommandContext>(GRAMMAR);
  private stack: Frame[] = [{ mode: 'user' }];
  private ended = false;
  private readonly hostname: string;

  constructor(
    private readonly agent: AgentPort,
    hostname: string,
    private readonly output: SessionOutput,
  ) {
    this.hostname = printable(hostname);
  }

  get mode(): Mode {
    return this.frame.mode;
  }

  private get frame(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  get prompt(): string {
    return `${this.hostname}${PROMPT_SUFFIX[this.mode]}`;
  }

  help(line: string): HelpResult {
    return this.grammar.help(this.mode, line);
  }

  complete(line: string): string | null {
    return this.grammar.complete(this.mode, line);
  }

  /**
   * Runs one line. `markerIndent` is how far the typed line starts from the left edge of the
   * terminal (the prompt's length when interactive); null: the error output repeats the line
   * first, so the '^' has something to point into (batch).
   */
  async execute(line: string, markerIndent: number | null): Promise<LineOutcome> {
    let parsed = this.grammar.parse(this.mode, line);
    // IOS: a configuration command of an enclosing mode leaves the current one ('neighbor ...'
    // typed in bmp server mode runs in router mode, which becomes current).
    if (parsed.kind === 'invalid' && parsed.at === line.search(/\S/) && CONFIG_MODES.includes(this.mode)) {
      for (let depth = this.stack.length - 2; depth >= 0 && CONFIG_MODES.includes(this.stack[depth]!.mode); depth--) {
        const outer = this.grammar.parse(this.stack[depth]!.mode, line);
        if (outer.kind !== 'command') continue;
        const left = this.popTo(depth + 1);
        if (left === 'error') return 'error';
        parsed = outer;
        break;
      }
    }
    switch (parsed.kind) {
      case 'empty':
        return 'ok';
      case 'invalid':
        this.output.err(markerIndent === null ? `${line}\n${invalidInputMarker(0, parsed.at)}` : invalidInputMarker(markerIndent, parsed.at));
        return 'error';
      case 'ambiguous':
        this.output.err(`% Ambiguous command:  "${line.trim()}"`);
        return 'error';
      case 'incomplete':
        this.output.err('% Incomplete command.');
        return 'error';
      case 'command':
        break;
    }
    const printed: string[] = [];
    let failed = false;
    const context: CommandContext = {
      frame: this.frame,
      agent: this.agent,
      print: (text) => { printed.push(text); },
      enter: (frame) => { this.stack.push(frame); },
      reset: (frame) => { this.stack = [frame]; },
      exit: () => { failed = this.popTo(this.stack.length - 1) === 'error' || failed; },
      end: () => { failed = this.toExec() === 'error' || failed; },
      fail: (message) => {
        this.output.err(`% ${message}`);
        failed = true;
      },
    };
    try {
      await parsed.entry.run!(context, parsed.args);
    } catch (err) {
      failed = true;
      if (err instanceof NetconfRpcError) for (const e of err.errors) this.output.err(printable(formatRpcError(e)));
      else this.output.err(printable(`% ${(err as Error).message}`));
    }
    if (printed.length > 0) {
      let text = printed.join('\n');
      if (parsed.pipe !== null) {
        try {
          text = applyPipe(text, parsed.pipe);
        } catch (err) {
          this.output.err(`% Invalid regular expression: ${(err as Error).message}`);
          return 'error';
        }
      }
      if (text !== '') this.output.out(printable(text));
    }
    if (this.ended) return 'quit';
    return failed ? 'error' : 'ok';
  }

  /** Leaves modes until `depth` frames remain; leaving exec or user mode ends the session. */
  private popTo(depth: number): 'ok' | 'error' {
    let outcome: 'ok' | 'error' = 'ok';
    while (this.stack.length > Math.max(depth, 1)) {
      const frame = this.stack.pop()!;
      // 'activate' waited for an address that never came: say so rather than drop it silently.
      if (frame.mode === 'bmp-server' && frame.pendingActivate) {
        this.output.err(`% BMP server ${frame.server} not activated: it needs 'address A port-number P' first`);
        outcome = 'error';
      }
    }
    if (depth === 0) this.ended = true;
    return outcome;
  }

  private toExec(): 'ok' | 'error' {
    const exec = this.stack.findIndex((f) => f.mode === 'exec');
    return this.popTo(exec + 1);
  }

  /** Ctrl-Z, or the end of batch input: leave configuration modes the way 'end' does. */
  finish(): 'ok' | 'error' {
    return CONFIG_MODES.includes(this.mode) ? this.toExec() : 'ok';
  }

  get done(): boolean {
    return this.ended;
  }
}
