import type { Chunk } from '../types';
import { eachIdentifier, MEMO_IDENTIFIER_LENGTH, splitIdentifier, stem } from '../text/words';
import { detached } from '../text/slice';
import type { WeightedTokens } from './lexical';

/**
 * Which parts of a chunk the lexical index sees, and how much each counts on top of the body
 * (which already holds the doc comment and signature once). A query word in a definition's
 * name says more about it than the same word deep in its body. The weights were chosen on the
 * CoSQA dev queries (bench/tune-lexical.ts, BENCHMARKS.md): a name boost and a light doc boost
 * helped a little, a signature boost did not; a weight of 0 leaves the field out. Index and
 * query text go through the same `splitWords` + `stem` pipeline.
 */
export const FIELD_WEIGHTS = { name: 2, doc: 0.5, signature: 0, path: 1, body: 1 };

export function lexicalFields(chunk: Chunk): WeightedTokens[] {
  const fileName = chunk.path.slice(chunk.path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
  const fields: [string, number][] = [
    [`${chunk.container ?? ''} ${chunk.name}`, FIELD_WEIGHTS.name],
    [chunk.doc ?? '', FIELD_WEIGHTS.doc],
    [chunk.signature, FIELD_WEIGHTS.signature],
    [fileName, FIELD_WEIGHTS.path],
    [chunk.text, FIELD_WEIGHTS.body],
  ];
  // a field of weight 0 is left out before its text is split, not after
  return fields
    .filter(([, weight]) => weight > 0)
    .map(([text, weight]) => ({ tokens: terms(text), weight }))
    .filter((f) => f.tokens.length > 0);
}

/** The tokens of a query (or of a chunk used as a query, for related code). */
export function lexicalQueryTokens(text: string): string[] {
  return terms(text);
}

/** `splitWords(text).map(termOf)` (text/words.ts), one identifier at a time: each identifier's terms are remembered whole. */
function terms(text: string): string[] {
  const out: string[] = [];
  eachIdentifier(text, (raw) => {
    for (const term of termsOfIdentifier(raw)) out.push(term);
  });
  return out;
}

/**
 * The terms of one identifier, remembered: code repeats its identifiers endlessly, and one
 * lookup per identifier costs less than one per word (the indexer's lexical work at 100k
 * functions was mostly the two lookups, a word's and its term's, and the arrays between them).
 */
function termsOfIdentifier(raw: string): readonly string[] {
  let found = identifierTerms.get(raw);
  if (found === undefined) {
    found = splitIdentifier(raw).map(termOf); // termOf's terms are copies already (see detached)
    if (raw.length > MEMO_IDENTIFIER_LENGTH) return found; // a blob of data, rarely met again: not remembered
    if (identifierTerms.size >= IDENTIFIER_MEMO_LIMIT) identifierTerms.clear();
    identifierTerms.set(detached(raw), found);
  }
  return found;
}

/** The memo is cleared when it holds this many identifiers, which bounds its memory (two generations kept the hot ones, and measured the same). */
const IDENTIFIER_MEMO_LIMIT = 100_000;
const identifierTerms = new Map<string, readonly string[]>();

/** A word's index term (a word as {@link splitWords} gives it): its stem, or the abbreviation that stands for it. Remembered. */
export function termOf(word: string): string {
  let term = termMemo.get(word);
  if (term === undefined) {
    const s = stem(word);
    term = ABBREVIATIONS.get(s) ?? s;
    term = detached(term);
    if (termMemo.size >= TERM_MEMO_LIMIT) termMemo.clear();
    termMemo.set(detached(word), term);
  }
  return term;
}

const TERM_MEMO_LIMIT = 100_000;
const termMemo = new Map<string, string>();

/**
 * Code abbreviates what people spell out ("dict" for dictionary, "str" for string). Both
 * spellings map to one index term, on the index side and the query side alike, so that
 * "remove a key from a dictionary" meets `del_dict_key`. Keys and values are stems.
 */
const ABBREVIATIONS = new Map<string, string>([
  ['dictionari', 'dict'],
  ['string', 'str'],
  ['length', 'len'],
  ['number', 'num'],
  ['integer', 'int'],
  ['array', 'arr'],
  ['index', 'idx'],
  ['function', 'func'],
  ['fn', 'func'],
  ['argument', 'arg'],
  ['directori', 'dir'],
  ['folder', 'dir'],
  ['imag', 'img'],
  ['messag', 'msg'],
  ['configuration', 'config'],
  ['initializ', 'init'],
  ['initialis', 'init'],
  ['parameter', 'param'],
  ['attribut', 'attr'],
  ['valu', 'val'],
  ['temporari', 'tmp'],
  ['temp', 'tmp'],
  ['boolean', 'bool'],
  ['character', 'char'],
  ['databas', 'db'],
  ['sourc', 'src'],
  ['destination', 'dst'],
  ['delet', 'del'],
  ['remov', 'del'],
  ['environment', 'env'],
  ['error', 'err'],
  ['exception', 'exc'],
  ['object', 'obj'],
  ['calculat', 'calc'],
  ['position', 'pos'],
  ['previous', 'prev'],
  ['request', 'req'],
  ['respons', 'resp'],
  ['maximum', 'max'],
  ['minimum', 'min'],
  ['averag', 'avg'],
  ['information', 'info'],
  ['utiliti', 'util'],
  ['librari', 'lib'],
  ['document', 'doc'],
  ['repositori', 'repo'],
  ['context', 'ctx'],
  ['separator', 'sep'],
  ['address', 'addr'],
  ['connection', 'conn'],
  ['column', 'col'],
  ['button', 'btn'],
  ['expression', 'expr'],
  ['referenc', 'ref'],
  ['variabl', 'var'],
  ['execut', 'exec'],
  ['command', 'cmd'],
  ['generat', 'gen'],
  ['password', 'pwd'],
]);
