// Persistence of the startup datastore: one XML file in the state directory,
// replaced atomically (write a temporary file, fsync it, rename it over the
// old one, fsync the directory) so a crash leaves either the old or the new
// configuration, never half of one.
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, writeSync, existsSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const STARTUP_FILE_NAME = 'startup.xml';

/** The startup file exists but does not hold valid bmpd configuration. */
export class CorruptStartupError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`startup configuration ${file} is not valid: ${reason}. ` +
      'bmpd will not start on it and will not overwrite it: fix or move the file away, then start again.');
    this.name = 'CorruptStartupError';
  }
}

export class StartupFile {
  constructor(readonly path: string) {}

  static inStateDir(stateDir: string): StartupFile {
    return new StartupFile(join(stateDir, STARTUP_FILE_NAME));
  }

  /** The saved XML, or null when nothing was ever saved. */
  read(): string | null {
    if (!existsSync(this.path)) return null;
    return readFileSync(this.path, 'utf8');
  }

  /**
   * Removes the temporary files of saves a crash interrupted (they are never
   * read: the rename that would have published one did not happen). Returns
   * their names.
   */
  removeTemporaries(): string[] {
    const dir = dirname(this.path);
    const prefix = `.${basename(this.path)}.`;
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
    } catch {
      return [];
    }
    return names.filter((name) => {
      try {
        unlinkSync(join(dir, name));
        return true;
      } catch {
        return false; // not ours to remove (a directory of that name): the next save fails and says so
      }
    });
  }

  write(xml: string): void {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const bytes = Buffer.from(xml, 'utf8');
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, this.path);
    const dirFd = openSync(dirname(this.path), 'r');
    try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
  }
}
