#!/usr/bin/env node
// Rebuilds english.txt, markdown.txt, code.txt and chinese.txt of the token benchmark's
// corpus from files that Debian packages install (and from this repository's own code), as
// SOURCES.md lists. The benchmark reads only the committed .txt files; this script records
// how they were made and needs the same packages installed to reproduce them.
//
//   node bench/corpus/make_corpus.mjs
//
// Each source is cut at blank lines into paragraphs, and consecutive paragraphs are joined
// into chat-sized messages whose target sizes are drawn log-uniformly between 20 and 1,500
// tokens (from a fixed seed, so the cut is reproducible). Files hold one message after
// another, separated by a line holding only "%" (the fortune(6) format).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

const read = (path) => {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
};
// A man page as `man` shows it on an 80-column UTF-8 terminal, without overstrikes.
const man = (path) => execFileSync('sh', ['-c', `man -l "${path}" 2>/dev/null | col -bx`], {
  env: { ...process.env, MANWIDTH: '80', LANG: 'C.UTF-8' },
}).toString('utf8');
// `budget` characters of `text` from the first line that contains `from` (or the start).
const slice = (text, budget, from) => {
  const at = from ? text.indexOf(from) : 0;
  if (at < 0) throw new Error(`"${from}" not found`);
  const start = text.lastIndexOf('\n', at) + 1;
  const cut = text.slice(start, start + budget);
  return cut.slice(0, cut.lastIndexOf('\n\n') > 0 ? cut.lastIndexOf('\n\n') : cut.length);
};

const types = {
  english: {
    chars_per_token: 4.5,
    sources: [
      ['/usr/share/common-licenses/GPL-3', 14000, 'Preamble'],
      ['/usr/share/common-licenses/Apache-2.0', 8000, 'TERMS AND CONDITIONS'],
      ['/usr/share/doc/gdb/README.gz', 10000],
      ['/usr/share/doc/libpcre3/README.gz', 8000, 'NOTE: This set of files'],
      ['/usr/share/doc/libgtk2.0-common/README.gz', 7000],
      ['/usr/share/doc/libkrb5-3/README.gz', 7000, 'Copyright and Other Notices'],
    ],
  },
  markdown: {
    chars_per_token: 4,
    sources: [
      ['/usr/share/doc/redis-server/README.md.gz', 14000],
      ['/usr/share/doc/nlohmann-json3-dev/README.md.gz', 14000, '## Design goals'],
      ['/usr/share/doc/nodejs/contributing/writing-tests.md', 12000],
      ['/usr/share/doc/libvalijson-dev/README.md', 8000],
      ['/usr/share/doc/nodejs/api/url.md', 8000],
    ],
  },
  code: {
    chars_per_token: 3.5,
    sources: [
      [join(repo, 'core/sse_parser.cpp'), 9000],
      [join(repo, 'core/session.cpp'), 10000],
      [join(repo, 'core/request_builder.cpp'), 9000],
      [join(repo, 'core/chunk_assembler.cpp'), 9000],
      [join(repo, 'bench/stream.mjs'), 8000],
      [join(repo, 'tests/cli/replay.test.mjs'), 4000],
      [join(repo, 'tests/fixtures/crosscheck.mjs'), 6000],
    ],
  },
  chinese: {
    chars_per_token: 1.3,
    sources: [
      ['/usr/share/vim/vim90/tutor/tutor.zh_cn.utf-8', 30000],
      ['/usr/share/gnupg/help.zh_CN.txt', 6000, '.gpg.edit_ownertrust.value'],
      [man('/usr/share/man/zh_CN/man1/man.1.gz'), 9000, '描述'],
      [man('/usr/share/man/zh_CN/man1/apropos.1.gz'), 3500, '描述'],
      [man('/usr/share/man/zh_CN/man8/mandb.8.gz'), 3500, '描述'],
      [man('/usr/share/man/zh_CN/man5/manpath.5.gz'), 3500, '描述'],
    ],
  },
};

// xorshift32: a fixed seed gives the same cut on every machine.
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 2 ** 32;
  };
}

function cut(text, charsPerToken, next) {
  // Separator lines ("." in GnuPG's help) are not paragraphs.
  const paragraphs = text.replace(/\r\n/g, '\n').split(/\n[ \t]*\n+/).map((p) => p.replace(/\s+$/, ''))
    .filter((p) => p.trim().length > 1);
  const messages = [];
  let current = '';
  let target = 0;
  const draw = () => Math.exp(Math.log(20) + next() * (Math.log(1500) - Math.log(20))) * charsPerToken;
  target = draw();
  for (const paragraph of paragraphs) {
    current = current ? `${current}\n\n${paragraph}` : paragraph;
    if (current.length >= target && current.length >= 25 * charsPerToken) {
      messages.push(current);
      current = '';
      target = draw();
    }
  }
  if (current) messages.push(current);
  return messages;
}

let seed = 20250101;
for (const [type, { chars_per_token, sources }] of Object.entries(types)) {
  const messages = [];
  for (const [source, budget, from] of sources) {
    const text = source.includes('\n') ? source : read(source);
    messages.push(...cut(slice(text, budget, from), chars_per_token, random(seed++)));
  }
  for (const message of messages) {
    if (/^%$/m.test(message)) throw new Error(`a ${type} message holds a "%" line`);
  }
  writeFileSync(join(here, `${type}.txt`), messages.join('\n%\n') + '\n');
  console.log(`${type}: ${messages.length} messages, ${Buffer.byteLength(messages.join(''))} bytes`);
}
