// The interactive line editor, IOS-style, on a raw terminal: '?' lists what may come next without
// Enter, Tab completes a keyword, Up/Down walk the history, Ctrl-C cancels the line, Ctrl-Z leaves
// configuration mode, Ctrl-D on an empty line ends the session. Node's readline parses the key
// sequences (emitKeypressEvents); what a key does is decided here, because readline has no hook
// for a key that answers at once in the middle of a line ('?').
import { emitKeypressEvents } from 'node:readline';
import { formatHelp, invalidInputMarker } from './grammar.js';
import type { CliSession } from './session.js';

interface Key {
  readonly name?: string;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
  readonly sequence?: string;
}

const HISTORY_SIZE = 100;

export class LineEditor {
  private line = '';
  private cursor = 0;
  private readonly history: string[] = [];
  /** Position while walking the history; history.length = the line being typed. */
  private historyAt = 0;
  private draft = '';
  /** Keys are handled one after another; a command's reply is awaited before the next key. */
  private queue: Promise<void> = Promise.resolve();
  private finished: ((code: number) => void) | null = null;

  constructor(
    private readonly session: CliSession,
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {}

  /** Runs until the session ends; resolves with the exit status. */
  run(): Promise<number> {
    emitKeypressEvents(this.input);
    this.input.setRawMode(true);
    this.input.resume();
    const done = new Promise<number>((resolve) => { this.finished = resolve; });
    const onKey = (text: string | undefined, key: Key | undefined): void => {
      this.queue = this.queue.then(() => this.onKey(text, key ?? {})).catch((err: unknown) => {
        this.write(`\n% ${(err as Error).message}\n`);
        this.redraw();
      });
    };
    this.input.on('keypress', onKey);
    this.write('\n');
    this.redraw();
    return done.finally(() => {
      this.input.off('keypress', onKey);
      this.input.setRawMode(false);
      this.input.pause();
    });
  }

  /** Text for the terminal: the tty is raw, so every newline needs its carriage return. */
  write(text: string): void {
    this.output.write(text.replace(/\r?\n/g, '\r\n'));
  }

  /** Output that arrives between prompts (the agent closed the session): printed above a fresh prompt. */
  notice(text: string): void {
    this.write(`\n${text}\n`);
  }

  end(code: number): void {
    this.finished?.(code);
    this.finished = null;
  }

  private redraw(): void {
    const back = this.line.length - this.cursor;
    this.output.write(`\r${this.session.prompt}${this.line}\x1b[K${back > 0 ? `\x1b[${back}D` : ''}`);
  }

  private setLine(line: string, cursor = line.length): void {
    this.line = line;
    this.cursor = cursor;
    this.redraw();
  }

  private async onKey(text: string | undefined, key: Key): Promise<void> {
    if (this.finished === null) return;
    if (key.ctrl) {
      switch (key.name) {
        case 'c':
          this.write('^C\n');
          this.setLine('');
          return;
        case 'z': {
          this.write('^Z\n');
          this.session.finish();
          this.setLine('');
          return;
        }
        case 'd':
          if (this.line === '') {
            this.write('\n');
            this.end(0);
          } else if (this.cursor < this.line.length) {
            this.setLine(this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1), this.cursor);
          }
          return;
        case 'a': this.setLine(this.line, 0); return;
        case 'e': this.setLine(this.line); return;
        case 'b': this.setLine(this.line, Math.max(0, this.cursor - 1)); return;
        case 'f': this.setLine(this.line, Math.min(this.line.length, this.cursor + 1)); return;
        case 'u': this.setLine(this.line.slice(this.cursor), 0); return;
        case 'k': this.setLine(this.line.slice(0, this.cursor), this.cursor); return;
        case 'w': {
          const start = this.line.slice(0, this.cursor).replace(/\S+\s*$/, '').length;
          this.setLine(this.line.slice(0, start) + this.line.slice(this.cursor), start);
          return;
        }
        case 'p': this.walkHistory(-1); return;
        case 'n': this.walkHistory(1); return;
        case 'l': this.write('\x1b[H\x1b[2J'); this.redraw(); return;
        default: return;
      }
    }
    switch (key.name) {
      case 'return':
      case 'enter':
        await this.submit();
        return;
      case 'backspace':
        if (this.cursor > 0) this.setLine(this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor), this.cursor - 1);
        return;
      case 'delete':
        if (this.cursor < this.line.length) this.setLine(this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1), this.cursor);
        return;
      case 'left': this.setLine(this.line, Math.max(0, this.cursor - 1)); return;
      case 'right': this.setLine(this.line, Math.min(this.line.length, this.cursor + 1)); return;
      case 'home': this.setLine(this.line, 0); return;
      case 'end': this.setLine(this.line); return;
      case 'up': this.walkHistory(-1); return;
      case 'down': this.walkHistory(1); return;
      case 'tab': this.completeWord(); return;
      default: break;
    }
    if (text === '?') {
      this.showHelp();
      return;
    }
    if (text !== undefined && !key.meta && text.length === 1 && text >= ' ' && text !== '\x7f') {
      this.setLine(this.line.slice(0, this.cursor) + text + this.line.slice(this.cursor), this.cursor + 1);
    }
  }

  private async submit(): Promise<void> {
    const line = this.line;
    this.write('\n');
    if (line.trim() !== '' && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      if (this.history.length > HISTORY_SIZE) this.history.shift();
    }
    this.historyAt = this.history.length;
    this.line = '';
    this.cursor = 0;
    const outcome = await this.session.execute(line, this.session.prompt.length);
    if (outcome === 'quit') {
      this.end(0);
      return;
    }
    this.redraw();
  }

  private walkHistory(step: number): void {
    const at = this.historyAt + step;
    if (at < 0 || at > this.history.length) return;
    if (this.historyAt === this.history.length) this.draft = this.line;
    this.historyAt = at;
    this.setLine(at === this.history.length ? this.draft : this.history[at]!);
  }

  private completeWord(): void {
    const completed = this.cursor === this.line.length ? this.session.complete(this.line) : null;
    if (completed === null) {
      this.output.write('\x07');
      return;
    }
    this.setLine(completed);
  }

  /** IOS answers '?' at once, then shows the prompt again with the line as it was. */
  private showHelp(): void {
    const before = this.line.slice(0, this.cursor);
    this.write('?\n');
    const help = this.session.help(before);
    switch (help.kind) {
      case 'list': this.write(`${formatHelp(help.lines)}\n\n`); break;
      case 'words': this.write(`${help.words.join('  ')}\n\n`); break;
      case 'invalid': this.write(`${invalidInputMarker(this.session.prompt.length, help.at)}\n`); break;
      case 'unrecognized': this.write('% Unrecognized command\n'); break;
    }
    this.redraw();
  }
}
