// Persistence of the startup datastore: one XML file in the state directory,
// replaced atomically (write a temporary file, fsync it, rename it over the
// old one, fsync the directory) so a crash leaves either the old or the new
// configuration, never half of one.
import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
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

  /**
   * Replaces the file with `xml`: a temporary written and synced, renamed over it, the directory
   * synced. Asynchronous, so the event loop runs meanwhile (10 MB and two fsyncs for 100,000
   * neighbors); the caller keeps other writes of startup away until it settles (Datastores serialises
   * them). A failure leaves the file as it was and no temporary.
   */
  async write(xml: string): Promise<void> {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    const file = await open(tmp, 'w', 0o600);
    try {
      await file.writeFile(xml, 'utf8');
      await file.sync();
    } catch (err) {
      await file.close();
      await unlink(tmp);
      throw err;
    }
    await file.close();
    await rename(tmp, this.path);
    const dir = await open(dirname(this.path), 'r');
    try { await dir.sync(); } finally { await dir.close(); }
  }
}
