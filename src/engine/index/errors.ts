/**
 * Errors raised when stored index data cannot be used. Both mean the same thing to the engine:
 * discard the stored index and rebuild it from the source files, which is what the messages
 * promise the user.
 */

/** Stored index data is missing, truncated, fails its checksum or is otherwise inconsistent. */
export class IndexCorruptError extends Error {
  override readonly name: string = 'IndexCorruptError';

  /**
   * @param reason what is wrong, e.g. `vectors.bin checksum mismatch`
   * @param dir the index directory, when known
   */
  constructor(
    readonly reason: string,
    readonly dir?: string,
    message = `${describeIndex(dir)} is damaged (${reason}); it will be rebuilt`,
  ) {
    super(message);
  }
}

/**
 * Stored index data was written in a format version this code does not read.
 * A subclass of {@link IndexCorruptError} so that one `catch` handles both.
 */
export class IndexVersionError extends IndexCorruptError {
  override readonly name: string = 'IndexVersionError';

  constructor(
    readonly found: unknown,
    readonly expected: number,
    dir?: string,
  ) {
    super(
      `format version ${String(found)}, expected ${expected}`,
      dir,
      `${describeIndex(dir)} was written in format version ${String(found)}, this version reads ${expected}; it will be rebuilt`,
    );
  }
}

function describeIndex(dir: string | undefined): string {
  return dir === undefined ? 'the index' : `index at ${dir}`;
}
