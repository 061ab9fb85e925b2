/**
 * Where the engine process serves MCP sessions (`--agent-socket <path>`): a Unix socket in a
 * private folder (mode 0700, made by mkdtemp) on Linux and macOS, a named pipe with a random
 * name on Windows. The path is chosen once per extension session, so a restarted engine
 * serves the same one and the MCP server definition never changes; the folder is removed
 * on deactivation.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * The longest Unix socket path, in bytes, every platform accepts: sun_path holds 104 bytes on
 * macOS and 108 on Linux, the terminating NUL included.
 */
export const MAX_SOCKET_PATH_BYTES = 103;
/** mkdtemp's prefix; it appends six random characters. */
export const FOLDER_PREFIX = 'codescout-';
export const SOCKET_NAME = 'mcp.sock';

/** A Windows named pipe for the engine's MCP sessions; `random` makes it unguessable. */
export function pipePath(random: string): string {
  return `\\\\.\\pipe\\codescout-${random}`;
}

/**
 * The folder to make the private folder in: the system's temporary folder, or `/tmp` when a
 * socket under the former would be too long for a Unix socket (a long $TMPDIR).
 */
export function socketParent(temporary: string): string {
  const longest = path.join(temporary, `${FOLDER_PREFIX}XXXXXX`, SOCKET_NAME);
  return Buffer.byteLength(longest) <= MAX_SOCKET_PATH_BYTES ? temporary : '/tmp';
}

export class AgentSocket {
  private constructor(
    /** the socket or pipe path the engine listens on */
    readonly path: string,
    /** the private folder holding the socket (none for a Windows pipe) */
    private readonly folder: string | undefined,
  ) {}

  /** Picks this session's path; a Unix socket's private folder is created now. Throws when it cannot be. */
  static create(platform: NodeJS.Platform = process.platform, temporary: string = tmpdir()): AgentSocket {
    if (platform === 'win32') return new AgentSocket(pipePath(randomBytes(12).toString('hex')), undefined);
    const folder = mkdtempSync(path.join(socketParent(temporary), FOLDER_PREFIX)); // mode 0700
    const socket = path.join(folder, SOCKET_NAME);
    if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
      rmSync(folder, { recursive: true, force: true });
      throw new Error(`the socket path ${socket} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
    }
    return new AgentSocket(socket, folder);
  }

  /**
   * The engine process's arguments. Called before each start: a socket file left by an engine
   * that was killed is removed first, so the new one can listen on the same path.
   */
  engineArgs(): string[] {
    if (this.folder) rmSync(this.path, { force: true });
    return ['--agent-socket', this.path];
  }

  /** Removes the private folder (and the socket in it). */
  dispose(): void {
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
  }
}
