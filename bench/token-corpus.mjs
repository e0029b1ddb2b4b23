// bench/corpus as bench/tokens.mjs and bench/fit-tokens.mjs read it: per text type, its messages
// (separated by a line holding only "%"), each with its half ("fit": even positions, the rates
// were fitted on them; "check": odd positions) and its exact o200k_base count from js-tiktoken.
import { getEncoding } from 'js-tiktoken';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const types = ['english', 'markdown', 'code', 'chinese', 'emoji'];
export const encoding = getEncoding('o200k_base');

export function readCorpus() {
  const here = dirname(fileURLToPath(import.meta.url));
  const corpus = {};
  for (const type of types) {
    const text = readFileSync(join(here, 'corpus', `${type}.txt`), 'utf8').replace(/\n$/, '');
    corpus[type] = text.split('\n%\n').map((message, i) => ({
      type,
      text: message,
      half: i % 2 === 0 ? 'fit' : 'check',
      exact: encoding.encode(message).length,
      chars: [...message].length,
    }));
  }
  return corpus;
}
