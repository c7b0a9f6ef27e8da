/**
 * The local stack's identifier key (what Secrets Manager holds in AWS): 32 random bytes as hex, kept in the data
 * directory next to the archive so `npm start` and the CLI derive the same checkRefs run after run. Created on first
 * use, readable by the owner only. A temporary archive gets a key of its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const IDENTIFIER_KEY_FILE = 'identifier-key';

/** The key of the archive in `dataDir` (hex), created when the directory has none. */
export async function localIdentifierKey(dataDir: string): Promise<string> {
  const path = join(dataDir, IDENTIFIER_KEY_FILE);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    // 'wx': two processes starting on a fresh directory at once keep the first key.
    await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(path, 'utf8')).trim();
  }
}

/** A key for an archive that lives only as long as the process. */
export function temporaryIdentifierKey(): string {
  return randomBytes(32).toString('hex');
}
