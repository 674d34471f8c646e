/**
 * Files that hold patients' data or secrets are the service user's alone: their folders 0700, the
 * files 0600. Modes given at creation only apply to new files (and the umask may narrow them
 * further), so files and folders left by an earlier version are brought to these modes explicitly.
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The sticky bit (not in node:fs constants). */
const S_ISVTX = 0o1000;

/**
 * Creates a folder (and its missing parents) 0700, or brings an existing one to 0700. Refuses a
 * shared folder such as /tmp (sticky bit): narrowing it would break everyone else who uses it.
 */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = statSync(path);
  if (mode & S_ISVTX) {
    throw new Error(`${path} is a shared folder (sticky bit): give Vigie's data a folder of its own`);
  }
  if ((mode & 0o7777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
}

/** Creates an empty file 0600 if there is none, and brings an existing one to 0600. */
export function privateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Brings a file to 0600 if it exists. */
export function narrowIfExists(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
}

/** Writes a file 0600; an existing file is narrowed before the new content goes in. */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
}
