#!/usr/bin/env node
// Writes core/o200k_tables.h: the two small facts about o200k_base's vocabulary that the token
// estimator (core/token_estimator.cpp) cannot learn from character classes, taken from the ranks
// js-tiktoken ships (npm, pinned in package-lock.json; used here and in bench/ only):
//
//   - the pairs and the triples of CJK ideographs that are one token ("程序", "功能", "为什么"):
//     a run of ideographs costs one token per ideograph less one per pair merged and two per
//     triple, and which merge is vocabulary, not class (2,408 pairs in a 4 KB Bloom filter, 388
//     triples in a 1 KB one; the 465 longer words are left out: cutting bench/corpus's Chinese
//     greedily with them as well as pairs and triples is no closer to the real count);
//   - which runs of one mark repeated are one token ("====", "────");
//   - what one emoji or symbol costs on its own (1 to 3 tokens: "😂" is one, "🥪" three, "┌" two),
//     two bits each.
//
//   node scripts/token-tables.mjs           rewrite core/o200k_tables.h
//   node scripts/token-tables.mjs --check   exit 1 if core/o200k_tables.h is not what this writes
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'core', 'o200k_tables.h');
const require = createRequire(import.meta.url);
const ranks = require('js-tiktoken/ranks/o200k_base');
const version = JSON.parse(readFileSync(join(root, 'node_modules', 'js-tiktoken', 'package.json'), 'utf8')).version;

// js-tiktoken's rank file: lines of "! <first rank> <base64 token> <base64 token> ...".
const tokens = [];
for (const line of (ranks.default ?? ranks).bpe_ranks.split('\n')) {
  const [, , ...encoded] = line.split(' ');
  for (const token of encoded) tokens.push(Buffer.from(token, 'base64'));
}
const utf8 = new TextDecoder('utf-8', { fatal: true });
const text = (bytes) => {
  try { return utf8.decode(bytes); } catch { return null; }
};

// Ideographs of the Basic Multilingual Plane, as token_estimator.cpp's classify() files them.
const ideograph = (c) => (c >= 0x3400 && c < 0x4dc0) || (c >= 0x4e00 && c < 0xa000) || (c >= 0xf900 && c < 0xfb00);
// A word of ideographs as a number: each code point 16 bits, the first highest.
const key = (chars) => chars.reduce((k, c) => (k << 16n) | BigInt(c), 0n);
const words = { 2: [], 3: [] };
for (const bytes of tokens) {
  const chars = [...(text(bytes) ?? '')].map((c) => c.codePointAt(0));
  if (words[chars.length] && chars.every(ideograph)) words[chars.length].push(key(chars));
}

// Each length's words go in a Bloom filter: `hashes` bits of 2^bitsLog2 set for each, picked
// from the top of word * 0x9E3779B97F4A7C15 mod 2^64 (Fibonacci hashing), bitsLog2 bits at a
// time. Pairs: 4 KB where the sorted pairs were 9.6 KB (6.4 KB brotli); a pair that is no
// token passes for one about once in 120 (printed below), which the fitted rates absorb. (2 KB
// and two hashes let one in 15 pass, and the Chinese check half's worst went from -9.2% to
// -11.6%.) Triples: 1 KB and four hashes let about one in a thousand pass; a triple is asked
// about at nearly every ideograph, and a false one costs two tokens.
const bloom = (length, bitsLog2, hashes) => {
  const list = words[length];
  const bitsOf = (word) => {
    const x = (word * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    return Array.from({ length: hashes }, (_, i) => Number((x >> BigInt(64 - bitsLog2 * (i + 1))) & BigInt((1 << bitsLog2) - 1)));
  };
  const filter = new Uint8Array((1 << bitsLog2) / 8);
  for (const word of list) for (const bit of bitsOf(word)) filter[bit >> 3] |= 1 << (bit & 7);
  const passes = (word) => bitsOf(word).every((bit) => filter[bit >> 3] & (1 << (bit & 7)));
  // How often a word that is no token passes: over 100,000 words of common ideographs (U+4E00-
  // U+9FFF), drawn by a fixed linear congruential sequence.
  const known = new Set(list);
  let seed = 1, tried = 0, falsePasses = 0;
  const next = () => (seed = (seed * 48271) % 0x7fffffff);
  while (tried < 100000) {
    const word = key(Array.from({ length }, () => 0x4e00 + (next() % 0x5200)));
    if (known.has(word)) continue;
    ++tried;
    if (passes(word)) ++falsePasses;
  }
  return { filter, bitsLog2, hashes, count: list.length, falsePercent: (100 * falsePasses / tried).toFixed(1 + (falsePasses * 1000 < tried)) };
};
const pairs = bloom(2, 15, 3);
const triples = bloom(3, 13, 4);

// What one code point costs on its own, 1 to 3 tokens, two bits each, for the blocks where that
// varies: the emoji blocks token_estimator.cpp files as Cls::emoji ("😂" is one token, "🥪"
// three), and the punctuation and symbols before them ("—", "→" and "─" are one, most of the
// rest, box corners "┌" included, two).
const { getEncoding } = await import('js-tiktoken');
const encoding = getEncoding('o200k_base');
const costBlocks = (blocks) => blocks.map(([first, end]) => {
  const costs = new Uint8Array(Math.ceil((end - first) / 4));
  for (let c = first; c < end; ++c) {
    const cost = Math.min(3, encoding.encode(String.fromCodePoint(c)).length);
    costs[(c - first) >> 2] |= cost << (2 * ((c - first) & 3));
  }
  return { first, end, costs };
});
const tables = {
  emoji: costBlocks([[0x2600, 0x27c0], [0x2b00, 0x2c00], [0x1f000, 0x1fb00]]),
  symbol: costBlocks([[0x2000, 0x2600]]),
};

// The lengths of the runs of one mark repeated that are one token ("=" * 96, "─" * 16): a run
// costs about what cutting it greedily into the longest of them costs ("~" * 78 is 32, 32, 8, 4,
// 2: five tokens). For every mark with a run of two or more in the vocabulary, but letters,
// digits and spaces (which the estimator never counts as repeats).
const runs = new Map();
for (const bytes of tokens) {
  const chars = [...(text(bytes) ?? '')];
  if (chars.length < 2 || chars.some((c) => c !== chars[0]) || /[\p{L}\p{N}\s]/u.test(chars[0])) continue;
  const mark = chars[0].codePointAt(0);
  if (!runs.has(mark)) runs.set(mark, new Set([1]));
  runs.get(mark).add(chars.length);
}
const marks = [...runs.keys()].sort((a, b) => a - b);
const runLengths = marks.map((mark) => [...runs.get(mark)].sort((a, b) => b - a));

const hex = (n, width) => `0x${n.toString(16).padStart(width, '0')}`;
const rows = (values, perRow, width) => {
  const lines = [];
  for (let i = 0; i < values.length; i += perRow)
    lines.push(`    ${Array.from(values.slice(i, i + perRow), (v) => hex(v, width)).join(', ')},`);
  return lines.join('\n');
};
const header = `// core/o200k_tables.h, written by scripts/token-tables.mjs from js-tiktoken ${version}'s o200k_base
// ranks: do not edit; tests/cli/tokens.test.mjs checks that it is current. What each table is
// for, and why these and no more of the vocabulary, is said in that script.
#pragma once

#include <cstdint>

namespace confab::o200k {

// Two ideographs that are one token, first << 16 | second, in a Bloom filter: each sets the
// bits that pair_hashes slices of pair_bits_log2 bits, from the top of
// pair * 0x9E3779B97F4A7C15 (mod 2^64), number. A pair that is no token passes ${pairs.falsePercent}% of the time.
inline constexpr int pair_bits_log2 = ${pairs.bitsLog2};
inline constexpr int pair_hashes = ${pairs.hashes};
inline constexpr std::uint8_t ideograph_pairs[] = {
${rows(pairs.filter, 16, 2)}
};

// Three ideographs that are one token, first << 32 | second << 16 | third, in a Bloom filter
// made as ideograph_pairs is. A triple that is no token passes ${triples.falsePercent}% of the time.
inline constexpr int triple_bits_log2 = ${triples.bitsLog2};
inline constexpr int triple_hashes = ${triples.hashes};
inline constexpr std::uint8_t ideograph_triples[] = {
${rows(triples.filter, 16, 2)}
};

// Marks whose runs merge, in ascending order, and for each (at the same index) where its run
// lengths that are one token begin in repeat_lengths, longest first, up to the next's.
inline constexpr char32_t repeat_marks[] = {
${rows(marks, 8, 4)}
};
inline constexpr std::uint16_t repeat_starts[] = {
${rows(runLengths.reduce((starts, lengths) => [...starts, starts[starts.length - 1] + lengths.length], [0]), 12, 4)}
};
inline constexpr std::uint8_t repeat_lengths[] = {
${rows(runLengths.flat(), 16, 2)}
};

// What a code point costs on its own, 1 to 3 tokens, in blocks of code points from first up to
// end, two bits each, lowest bits first.
struct CostBlock {
    char32_t first;
    char32_t end;
    const std::uint8_t* costs;
};
${Object.entries(tables).map(([name, blocks]) => blocks.map(({ first, costs }) => `inline constexpr std::uint8_t ${name}_costs_${first.toString(16)}[] = {
${rows(costs, 16, 2)}
};`).join('\n')).join('\n')}
${Object.entries(tables).map(([name, blocks]) => `inline constexpr CostBlock ${name}_blocks[] = {
${blocks.map(({ first, end }) => `    {${hex(first, 4)}, ${hex(end, 4)}, ${name}_costs_${first.toString(16)}},`).join('\n')}
};`).join('\n')}

} // namespace confab::o200k
`;

if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(out, 'utf8'); } catch { /* missing: not current */ }
  if (current !== header) {
    console.error(`core/o200k_tables.h is not what js-tiktoken ${version} gives: run node scripts/token-tables.mjs`);
    process.exit(1);
  }
  console.log(`core/o200k_tables.h is current (${pairs.count} ideograph pairs, ${triples.count} triples)`);
} else {
  writeFileSync(out, header);
  const bytes = Object.values(tables).flat().reduce((a, { costs }) => a + costs.length, 0);
  console.log(`wrote core/o200k_tables.h: ${pairs.count} ideograph pairs in ${pairs.filter.length} bytes (${pairs.falsePercent}% false passes), ` +
    `${triples.count} triples in ${triples.filter.length} bytes (${triples.falsePercent}%), ${bytes} bytes of costs`);
}
