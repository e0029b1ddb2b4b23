// core/token_estimator.cpp
// The scanner emulates o200k_base's pre-tokenizer, tiktoken's regular expression:
//
//   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   |\p{N}{1,3}
//   | ?[^\s\p{L}\p{N}]+[\r\n/]*
//   |\s*[\r\n]+
//   |\s+(?!\S)
//   |\s+
//
// BPE merges happen only inside one such piece, so a piece costs at least one token, and what
// it costs beyond that depends mostly on its class and length. Unicode categories come from
// block ranges (classify below): exact for the scripts and symbols chat text uses, and
// close enough elsewhere, since a misfiled rare character moves the estimate by about a token.
#include "core/token_estimator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>

#include "core/json_util.h"
#include "core/o200k_tables.h"

namespace confab {

namespace {

enum class Cls : std::uint8_t {
    lower,       // a-z
    upper,       // A-Z
    latin,       // accented Latin letters (é, ñ, ß, ő): they go on ASCII words (" déjà" is one token)
    letter,      // letters and marks of other scripts (ж, α, अ, ا ...)
    han,         // CJK ideographs
    kana,
    hangul,
    digit,
    space,       // \s but not a line break
    newline,     // \r, \n
    punct,       // ASCII punctuation and controls
    wide_punct,  // CJK and fullwidth punctuation
    symbol,      // other non-ASCII punctuation and symbols
    emoji,
    modifier,    // zero-width joiner, variation selectors, skin tones, keycap, tags
    invalid,     // a byte that is not valid UTF-8
};

constexpr bool is_letter(Cls c) { return c <= Cls::hangul; }

constexpr std::array<Cls, 128> ascii_classes = [] {
    std::array<Cls, 128> table{};
    for (int c = 0; c < 128; ++c) {
        if (c >= 'a' && c <= 'z') table[c] = Cls::lower;
        else if (c >= 'A' && c <= 'Z') table[c] = Cls::upper;
        else if (c >= '0' && c <= '9') table[c] = Cls::digit;
        else if (c == '\r' || c == '\n') table[c] = Cls::newline;
        else if (c == ' ' || c == '\t' || c == '\v' || c == '\f') table[c] = Cls::space;
        else table[c] = Cls::punct;
    }
    return table;
}();

// The class of a non-ASCII code point, by Unicode block.
constexpr Cls classify(char32_t c)
{
    if (c < 0xA0) return Cls::symbol;                       // C1 controls
    if (c == 0xA0) return Cls::space;                       // no-break space is \s
    if (c < 0xC0) return Cls::symbol;                       // Latin-1 punctuation: ¡ © « ° ·
    if (c == 0xD7 || c == 0xF7) return Cls::symbol;         // × ÷
    if (c < 0x250) return Cls::latin;                       // Latin-1 letters, Latin Extended-A and -B
    if (c < 0x1100) return Cls::letter;                     // Latin, IPA, Greek, Cyrillic, Hebrew, Arabic, Indic, Thai ...
    if (c < 0x1200) return Cls::hangul;                     // Hangul Jamo
    if (c < 0x2000) return Cls::letter;                     // Ethiopic ... Latin and Greek Extended
    if (c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F) return Cls::space;
    if (c == 0x200D) return Cls::modifier;                  // zero-width joiner
    if (c < 0x20D0) return Cls::symbol;                     // general punctuation (— “ ” …), currency
    if (c < 0x2100) return Cls::modifier;                   // combining marks for symbols (keycap U+20E3)
    if (c < 0x2600) return Cls::symbol;                     // letterlike, arrows, maths, box drawing
    if (c < 0x27C0) return Cls::emoji;                      // miscellaneous symbols and dingbats (☀ ✅ ❤)
    if (c < 0x2B00) return Cls::symbol;
    if (c < 0x2C00) return Cls::emoji;                      // ⬆ ⭐ ⭕
    if (c < 0x2E00) return Cls::letter;                     // Glagolitic, Latin Extended-C, Coptic
    if (c < 0x2E80) return Cls::symbol;
    if (c < 0x3000) return Cls::han;                        // CJK radicals
    if (c == 0x3000) return Cls::space;                     // ideographic space
    if (c < 0x3040) return Cls::wide_punct;                 // 、。「」
    if (c < 0x3100) return Cls::kana;
    if (c < 0x3130) return Cls::han;                        // Bopomofo
    if (c < 0x3190) return Cls::hangul;                     // Hangul compatibility Jamo
    if (c < 0x31C0) return Cls::han;
    if (c < 0x3200) return Cls::kana;                       // CJK strokes, katakana extensions
    if (c < 0x3400) return Cls::symbol;                     // enclosed CJK, compatibility
    if (c < 0x4DC0) return Cls::han;                        // extension A
    if (c < 0x4E00) return Cls::symbol;                     // Yijing hexagrams
    if (c < 0xA000) return Cls::han;
    if (c < 0xAC00) return (c >= 0xA960 && c < 0xA980) ? Cls::hangul : Cls::letter;  // Yi, Vai ...
    if (c < 0xD800) return Cls::hangul;                     // syllables and Jamo Extended-B
    if (c < 0xF900) return Cls::symbol;                     // private use
    if (c < 0xFB00) return Cls::han;                        // compatibility ideographs
    if (c < 0xFE00) return Cls::letter;                     // presentation forms
    if (c < 0xFE10) return Cls::modifier;                   // variation selectors (U+FE0F)
    if (c < 0xFE20) return Cls::wide_punct;                 // vertical forms
    if (c < 0xFE30) return Cls::letter;                     // combining half marks
    if (c < 0xFE50) return Cls::wide_punct;                 // CJK compatibility forms
    if (c < 0xFE70) return Cls::symbol;                     // small forms
    if (c < 0xFF00) return c == 0xFEFF ? Cls::modifier : Cls::letter;  // Arabic forms; BOM
    if (c < 0xFFF0) {                                       // halfwidth and fullwidth forms
        if (c >= 0xFF10 && c <= 0xFF19) return Cls::digit;
        if ((c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A)) return Cls::letter;
        if (c >= 0xFF66 && c < 0xFFE0) return c < 0xFFA0 ? Cls::kana : Cls::hangul;
        return Cls::wide_punct;
    }
    if (c < 0x10000) return Cls::symbol;
    if (c < 0x1F000) return Cls::letter;                    // historic scripts, mathematical letters
    if (c >= 0x1F3FB && c <= 0x1F3FF) return Cls::modifier;  // skin tones
    if (c < 0x1F650) return Cls::emoji;                     // cards, regional indicators, pictographs, emoticons
    if (c < 0x1F680) return Cls::symbol;                    // ornamental dingbats
    if (c < 0x1F700) return Cls::emoji;                     // transport and map
    if (c < 0x1F7E0) return Cls::symbol;                    // alchemical, geometric extended
    if (c < 0x1F800) return Cls::emoji;                     // coloured circles and squares
    if (c < 0x1F900) return Cls::symbol;                    // arrows-C
    if (c < 0x1FB00) return Cls::emoji;                     // supplemental pictographs, extended-A
    if (c < 0x20000) return Cls::symbol;
    if (c < 0x40000) return Cls::han;                       // extensions B to H
    if (c >= 0xE0000 && c < 0xE0080) return Cls::modifier;  // tags (subdivision flags)
    if (c >= 0xE0100 && c < 0xE01F0) return Cls::modifier;  // variation selectors supplement
    return Cls::symbol;
}

// The code point starting at `at`, and its length; length 0 for a byte that does not start a
// valid UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
struct Decoded {
    char32_t code_point;
    std::size_t length;
};

inline Decoded decode(const unsigned char* at, const unsigned char* end)
{
    const unsigned char lead = at[0];
    const std::size_t left = std::size_t(end - at);
    const auto continuation = [&](std::size_t i) { return i < left && (at[i] & 0xC0) == 0x80; };
    if (lead >= 0xC2 && lead <= 0xDF) {
        if (!continuation(1)) return {0, 0};
        return {char32_t(lead & 0x1F) << 6 | (at[1] & 0x3F), 2};
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (!continuation(1) || !continuation(2)) return {0, 0};
        const char32_t c = char32_t(lead & 0x0F) << 12 | char32_t(at[1] & 0x3F) << 6 | (at[2] & 0x3F);
        if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
        return {c, 3};
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (!continuation(1) || !continuation(2) || !continuation(3)) return {0, 0};
        const char32_t c = char32_t(lead & 0x07) << 18 | char32_t(at[1] & 0x3F) << 12 |
                           char32_t(at[2] & 0x3F) << 6 | (at[3] & 0x3F);
        if (c < 0x10000 || c > 0x10FFFF) return {0, 0};
        return {c, 4};
    }
    return {0, 0};
}

// How often o200k_base cuts an ASCII word between two letters, in tenths (row: the first
// letter, column: the second, case folded): counted on the words of the fitting half of
// bench/corpus as cut by the real tokenizer, with 5 for pairs never seen there. Length alone
// cannot tell "everyone" (one token) from "pcregrep" (three); unusual pairs of letters can.
constexpr std::string_view cut_tenths[26] = {
    "10000000000000500000000000",  // a
    "01080555118095095022059505",  // b
    "05000950160010015260015505",  // c
    "11000005040007055200171505",  // d
    "01000010370000310000500005",  // e
    "05800168055145085040055105",  // f
    "01590500055001095010005510",  // g
    "05590557015790095000055555",  // h
    "00000005010000005000505070",  // i
    "05550595053555015525058555",  // j
    "05580115155350465005555555",  // k
    "10000235181001015500000505",  // l
    "00530510190007005806095505",  // m
    "10000105010660065700005505",  // n
    "00001000000000019000000005",  // o
    "05520500050001005000055105",  // p
    "55555555555555555555058555",  // q
    "05000101050000015100000505",  // r
    "05120250150001005010001205",  // s
    "01100140150138005010112005",  // t
    "00000105050000005000515050",  // u
    "05550705155515155515175555",  // v
    "05500500055050075105550555",  // w
    "07210575655851505850155055",  // x
    "22954595255050005001550505",  // y
    "05550555055555555555555550",  // z
};

// The same, flat, for one load per letter in the hot loop.
constexpr std::array<std::uint8_t, 26 * 26> cut_table = [] {
    std::array<std::uint8_t, 26 * 26> table{};
    for (std::size_t first = 0; first < 26; ++first)
        for (std::size_t second = 0; second < 26; ++second)
            table[first * 26 + second] = std::uint8_t(cut_tenths[first][second] - '0');
    return table;
}();

// Whether `word` (ideographs of 16 bits each, the first highest) passes the Bloom filter
// `bits` of 2^BitsLog2 bits and `Hashes` hashes, as scripts/token-tables.mjs made it.
template <int BitsLog2, int Hashes>
bool in_filter(std::uint64_t word, const std::uint8_t* bits)
{
    const std::uint64_t x = word * 0x9E3779B97F4A7C15u;
    constexpr std::uint64_t mask = (std::uint64_t(1) << BitsLog2) - 1;
    for (int i = 1; i <= Hashes; ++i) {
        const std::uint64_t bit = (x >> (64 - BitsLog2 * i)) & mask;
        if (((bits[bit >> 3] >> (bit & 7)) & 1) == 0) return false;
    }
    return true;
}

// Whether two ideographs, or three, are one o200k_base token, as its Bloom filters say (o200k_tables.h).
bool one_token(char32_t first, char32_t second)
{
    if (first > 0xFFFF || second > 0xFFFF) return false;
    return in_filter<o200k::pair_bits_log2, o200k::pair_hashes>(std::uint64_t(first) << 16 | second, o200k::ideograph_pairs);
}

bool one_token(char32_t first, char32_t second, char32_t third)
{
    if (first > 0xFFFF || second > 0xFFFF || third > 0xFFFF) return false;
    return in_filter<o200k::triple_bits_log2, o200k::triple_hashes>(
        std::uint64_t(first) << 32 | std::uint64_t(second) << 16 | third, o200k::ideograph_triples);
}

// The tokens of `length` marks `mark` in a row, cut greedily into the longest runs of it that
// are one token (o200k_tables.h); one a mark for a mark whose runs never merge.
std::int64_t repeat_cost(char32_t mark, std::int64_t length)
{
    const auto* found = std::lower_bound(std::begin(o200k::repeat_marks), std::end(o200k::repeat_marks), mark);
    if (found == std::end(o200k::repeat_marks) || *found != mark) return length;
    const std::size_t at = std::size_t(found - std::begin(o200k::repeat_marks));
    std::int64_t tokens = 0;
    for (std::size_t i = o200k::repeat_starts[at]; i < o200k::repeat_starts[at + 1]; ++i) {
        tokens += length / o200k::repeat_lengths[i];
        length %= o200k::repeat_lengths[i];
    }
    return tokens;
}

// What a code point costs on its own, from the blocks that hold it, or `otherwise`.
template <std::size_t N>
int standalone_cost(char32_t c, const o200k::CostBlock (&blocks)[N], int otherwise)
{
    for (const o200k::CostBlock& block : blocks) {
        if (c < block.first || c >= block.end) continue;
        const char32_t at = c - block.first;
        return (block.costs[at >> 2] >> (2 * (at & 3))) & 3;
    }
    return otherwise;
}

// One pass over the text, cutting pieces as the regular expression above does.
class Scanner {
public:
    // One code point (or one invalid byte) and its class.
    void add(Cls c, char32_t code_point)
    {
        ++profile_.chars;
        // The hot path: a small letter that goes on an ASCII word.
        if (c == Cls::lower && script_ == Cls::lower && piece_ == Piece::word) {
            const std::size_t letter = code_point - 'a';
            profile_.ascii_cut_tenths += cut_table[last_letter_ * 26 + letter];
            last_letter_ = letter;
            ++ascii_length_;
            all_caps_ = false;
            return;
        }
        if (is_letter(c)) letter(c, code_point);
        else if (c == Cls::digit) digit();
        else if (c == Cls::space) space();
        else if (c == Cls::newline) newline();
        else punctuation(c, code_point);
    }

    TextProfile finish(std::size_t bytes)
    {
        end_piece();
        end_ideographs();
        // "\s+(?!\S)" takes trailing whitespace whole.
        if (newlines_ > 0) end_newlines();
        if (spaces_ > 0) ++profile_.space_pieces;
        profile_.bytes = std::int64_t(bytes);
        return profile_;
    }

private:
    enum class Piece : std::uint8_t { none, word, digits, punct };

    // The end of a run of ideographs: the two left open may still be a pair.
    void end_ideographs()
    {
        if (open_[1] != 0 && one_token(open_[0], open_[1])) ++profile_.han_pairs;
        open_ = {};
    }

    void letter(Cls c, char32_t code_point)
    {
        if (piece_ != Piece::word) {
            // "[^\r\n\p{L}\p{N}]?" before a word: one lone mark joins it (".h", "_id", "(x"),
            // unless a space already joined that mark (" (x" is " (" then "x").
            const bool led = piece_ == Piece::punct && punct_length_ == 1 && !punct_spaced_ &&
                             punct_newlines_ == 0 && punct_first_ascii_;
            if (piece_ == Piece::punct && punct_newlines_ == 0 && punct_first_ascii_) ++profile_.joined_words;
            end_piece(led);
            if (led) ++profile_.led_words;
            // A space before an ideograph seldom merges with it: " 替" is two byte tokens.
            if (c == Cls::han && spaces_ > 0) ++profile_.spaced_han_runs;
            end_whitespace(/*space_leads=*/true);
            piece_ = Piece::word;
            script_ = Cls::invalid;
        }
        if (c == Cls::lower || c == Cls::upper || c == Cls::latin) {
            // Latin-1's capitals are U+00C0-00DE; in the Extended blocks the few capitals among
            // the small letters are taken as small, which only matters for camelCase below.
            const Cls kase = c != Cls::latin ? c : code_point <= 0xDE ? Cls::upper : Cls::lower;
            const bool script_ascii = script_ == Cls::lower || script_ == Cls::upper;
            // "[\p{Lu}...]*[\p{Ll}...]+" ends at a capital after a small letter: fooBar is foo, Bar.
            if (!script_ascii || (script_ == Cls::lower && kase == Cls::upper)) {
                end_ascii_run();
                ascii_length_ = 0;
                all_caps_ = true;
            }
            if (c == Cls::latin) {
                // Priced by itself; the pair of letters around it is read as the one before it
                // and the one after.
                ++profile_.latin_letters;
            } else {
                const std::size_t letter = (code_point | 0x20) - 'a';
                if (ascii_length_ > 0) profile_.ascii_cut_tenths += cut_table[last_letter_ * 26 + letter];
                last_letter_ = letter;
            }
            ++ascii_length_;
            all_caps_ = all_caps_ && kase == Cls::upper;
            script_ = kase;
            return;
        }
        if (c != script_) {
            end_ascii_run();
            end_ideographs();
            if (c == Cls::han) ++profile_.han_runs;
            else if (c == Cls::letter) ++profile_.other_runs;
            script_ = c;
        }
        if (c == Cls::han) {
            ++profile_.han_chars;
            // Words are taken from the left, the longest first: "为什么" is one token, and in
            // "程序员" the pair is "程序" and "员" stays alone. So the two ideographs before this
            // one wait (open_) until it is known whether the three are a word.
            if (open_[0] == 0) {
                open_[0] = code_point;
            } else if (open_[1] == 0) {
                open_[1] = code_point;
            } else if (one_token(open_[0], open_[1], code_point)) {
                ++profile_.han_triples;
                open_ = {};
            } else if (one_token(open_[0], open_[1])) {
                ++profile_.han_pairs;
                open_ = {code_point, 0};
            } else {
                open_ = {open_[1], code_point};
            }
        }
        else if (c == Cls::kana) ++profile_.kana_chars;
        else if (c == Cls::hangul) ++profile_.hangul_chars;
        else ++profile_.other_letters;
    }

    void digit()
    {
        if (piece_ != Piece::digits) {
            end_piece();
            end_whitespace(/*space_leads=*/false);
            piece_ = Piece::digits;
            digits_ = 0;
        }
        ++digits_;
    }

    void punctuation(Cls c, char32_t code_point)
    {
        if (piece_ != Piece::punct || punct_newlines_ > 0) {
            end_piece();
            punct_spaced_ = spaces_ > 0;
            end_whitespace(/*space_leads=*/true);
            piece_ = Piece::punct;
            punct_length_ = 0;
            punct_newlines_ = 0;
            punct_first_ascii_ = c == Cls::punct;
            if (c == Cls::emoji && punct_spaced_) ++profile_.spaced_emoji_runs;
        }
        ++punct_length_;
        // A punctuation mark repeating the one before merges with it ("=" * 96 and "─" * 16 are
        // one token); emoji do not ("😂😂😂" is three tokens), nor do invalid bytes.
        const bool merges = c == Cls::punct || c == Cls::wide_punct || c == Cls::symbol;
        const bool repeat = merges && code_point == last_mark_;
        if (repeat) {
            ++profile_.repeats;
            ++run_length_;
            return;
        }
        end_repeat_run();
        last_mark_ = merges ? code_point : invalid_mark;
        run_length_ = 1;
        switch (c) {
        case Cls::punct:
            if (punct_length_ > 1) ++profile_.punct_marks;
            break;
        case Cls::wide_punct: ++profile_.wide_punct; break;
        case Cls::emoji:
            ++profile_.emoji;
            profile_.emoji_tokens += standalone_cost(code_point, o200k::emoji_blocks, 2);
            break;
        case Cls::modifier: ++profile_.emoji_modifiers; break;
        case Cls::invalid: ++profile_.invalid_bytes; break;
        default:
            ++profile_.symbols;
            profile_.symbol_tokens += standalone_cost(code_point, o200k::symbol_blocks, 1);
            break;
        }
    }

    void space()
    {
        end_piece();
        ++spaces_;
    }

    void newline()
    {
        // " ?[^\s\p{L}\p{N}]+[\r\n/]*": line breaks right after punctuation join it.
        if (piece_ == Piece::punct) {
            ++punct_newlines_;
            return;
        }
        end_piece();
        // "\s*[\r\n]+": the spaces before a line break, and between breaks, join them.
        spaces_ = 0;
        ++newlines_;
    }

    void end_ascii_run()
    {
        if (ascii_length_ == 0) return;
        ++profile_.ascii_words;
        profile_.ascii_letters_past_6 += std::max(0, ascii_length_ - 6);
        profile_.ascii_letters_past_10 += std::max(0, ascii_length_ - 10);
        if (all_caps_ && ascii_length_ >= 2) {
            // Capitals merge less than small letters: " parsing" is one token, " PARSING" three.
            ++profile_.caps_words;
            profile_.caps_letters_past_3 += std::max(0, ascii_length_ - 3);
        }
        ascii_length_ = 0;
    }

    void end_piece(bool punct_leads_word = false)
    {
        switch (piece_) {
        case Piece::none: return;
        case Piece::word: end_ascii_run(); break;
        case Piece::digits: profile_.digit_groups += (digits_ + 2) / 3; break;  // "\p{N}{1,3}"
        case Piece::punct:
            if (punct_first_ascii_ && !punct_leads_word) ++profile_.punct_runs;
            end_repeat_run();
            last_mark_ = invalid_mark;
            break;
        }
        piece_ = Piece::none;
    }

    // A run of one mark repeated costs what cutting it greedily into the longest runs that are
    // one token costs; the tokens past its first mark are counted.
    void end_repeat_run()
    {
        if (run_length_ >= 2) profile_.repeat_tokens += repeat_cost(last_mark_, run_length_) - 1;
        run_length_ = 0;
    }

    void end_newlines()
    {
        ++profile_.newline_runs;
        profile_.newlines_past_2 += std::max(0, newlines_ - 2);
        newlines_ = 0;
    }

    // Whitespace before a word or mark gives its last space to it (" the" is one piece), and
    // the rest stands alone ("\s+(?!\S)"); before a digit it all stands alone, in one piece
    // for a single space and two otherwise ("\s+(?!\S)" then "\s+").
    void end_whitespace(bool space_leads)
    {
        if (newlines_ > 0) end_newlines();
        if (spaces_ == 0) return;
        if (space_leads) profile_.space_pieces += spaces_ >= 2 ? 1 : 0;
        else profile_.space_pieces += spaces_ >= 2 ? 2 : 1;
        spaces_ = 0;
    }

    TextProfile profile_;
    Piece piece_ = Piece::none;
    Cls script_ = Cls::invalid;     // the script of the word's current run
    int ascii_length_ = 0;
    std::size_t last_letter_ = 0;   // of the ASCII run, 0 for 'a' to 25 for 'z'
    bool all_caps_ = true;
    int digits_ = 0;
    int punct_length_ = 0;
    int punct_newlines_ = 0;
    bool punct_spaced_ = false;
    bool punct_first_ascii_ = false;
    static constexpr char32_t invalid_mark = 0xFFFFFFFF;  // no code point: repeats nothing
    char32_t last_mark_ = invalid_mark;
    std::int64_t run_length_ = 0;   // of last_mark_, repeated
    int spaces_ = 0;
    int newlines_ = 0;
    std::array<char32_t, 2> open_{};  // the run's last ideographs no word has taken yet (0: none)
};

// Tokens per counted item, fitted by `node bench/fit-tokens.mjs` (its defaults: ridge 0.003, and
// the tail of underestimates past 9% weighing 1.2 times more each round) to
// exact o200k_base counts (js-tiktoken 1.0.21) of the fitting half of bench/corpus: the messages
// at even positions of each file, each text type weighing the same, errors relative (a short
// message counts as much as a long one), pulled gently towards the rates a lone piece of each
// class costs, so that classes the corpus barely holds (kana, hangul, other scripts, invalid
// bytes) keep those. bench/tokens.mjs reports the error on both halves. A piece costs one token
// before merges, so the rates of whole pieces sit near 1 and the length and letter-pair terms
// add what long or unusual pieces split into; an ideograph costs one token less the pairs and
// triples that merge (one and two), and an emoji or a symbol about what it costs alone.
struct Rates {
    double per_text;
    double ascii_word, ascii_cut_tenth, ascii_letter_past_6, ascii_letter_past_10, caps_word, caps_letter_past_3, led_word, joined_word, latin_letter;
    double han_char, han_run, spaced_han_run, han_pair, han_triple, kana_char, hangul_char, other_letter, other_run;
    double digit_group, punct_run, punct_mark, repeat, repeat_token, wide_punct, symbol, symbol_token;
    double emoji, emoji_token, spaced_emoji_run, emoji_modifier;
    double space_piece, newline_run, newline_past_2, invalid_byte;
};

constexpr Rates rates = {
    .per_text = 0.499,  // where the text meets what surrounds it
    .ascii_word = 0.933, .ascii_cut_tenth = 0.129, .ascii_letter_past_6 = 0.106,
    .ascii_letter_past_10 = 0.000, .caps_word = -0.128, .caps_letter_past_3 = 0.137, .led_word = 0.295,
    .joined_word = 0.292, .latin_letter = 0.201, .han_char = 0.981, .han_run = -0.088,
    .spaced_han_run = 0.990, .han_pair = -1.003, .han_triple = -2.006, .kana_char = 0.600,
    .hangul_char = 0.745, .other_letter = 0.150, .other_run = 1.000, .digit_group = 1.136,
    .punct_run = 0.718, .punct_mark = 0.287, .repeat = 0.020, .repeat_token = 0.974,
    .wide_punct = 0.893, .symbol = -0.086, .symbol_token = 0.867, .emoji = 0.025,
    .emoji_token = 0.983, .spaced_emoji_run = 0.193, .emoji_modifier = 1.395, .space_piece = 0.905,
    .newline_run = 1.345, .newline_past_2 = 0.100, .invalid_byte = 1.000,
};

} // namespace

TextProfile TokenEstimator::profile(std::string_view text)
{
    Scanner scanner;
    const auto* at = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = at + text.size();
    while (at < end) {
        if (*at < 0x80) {
            scanner.add(ascii_classes[*at], *at);
            ++at;
            continue;
        }
        const Decoded decoded = decode(at, end);
        if (decoded.length == 0) {
            scanner.add(Cls::invalid, 0);
            ++at;
            continue;
        }
        scanner.add(classify(decoded.code_point), decoded.code_point);
        at += decoded.length;
    }
    return scanner.finish(text.size());
}

namespace {

// price() before rounding up.
double unrounded_price(const TextProfile& p)
{
    if (p.bytes == 0) return 0;
    const auto cost = [](double rate, std::int64_t count) { return rate * double(count); };
    const double tokens =
        rates.per_text + cost(rates.ascii_word, p.ascii_words) + cost(rates.ascii_cut_tenth, p.ascii_cut_tenths) +
        cost(rates.ascii_letter_past_6, p.ascii_letters_past_6) +
        cost(rates.ascii_letter_past_10, p.ascii_letters_past_10) + cost(rates.caps_word, p.caps_words) +
        cost(rates.caps_letter_past_3, p.caps_letters_past_3) +
        cost(rates.led_word, p.led_words) + cost(rates.joined_word, p.joined_words) + cost(rates.latin_letter, p.latin_letters) + cost(rates.han_char, p.han_chars) + cost(rates.han_run, p.han_runs) +
        cost(rates.spaced_han_run, p.spaced_han_runs) + cost(rates.han_pair, p.han_pairs) + cost(rates.han_triple, p.han_triples) + cost(rates.kana_char, p.kana_chars) +
        cost(rates.hangul_char, p.hangul_chars) + cost(rates.other_letter, p.other_letters) +
        cost(rates.other_run, p.other_runs) + cost(rates.digit_group, p.digit_groups) +
        cost(rates.punct_run, p.punct_runs) + cost(rates.punct_mark, p.punct_marks) + cost(rates.repeat, p.repeats) + cost(rates.repeat_token, p.repeat_tokens) +
        cost(rates.wide_punct, p.wide_punct) + cost(rates.symbol, p.symbols) + cost(rates.symbol_token, p.symbol_tokens) + cost(rates.emoji, p.emoji) +
        cost(rates.emoji_token, p.emoji_tokens) + cost(rates.spaced_emoji_run, p.spaced_emoji_runs) +
        cost(rates.emoji_modifier, p.emoji_modifiers) + cost(rates.space_piece, p.space_pieces) +
        cost(rates.newline_run, p.newline_runs) + cost(rates.newline_past_2, p.newlines_past_2) +
        cost(rates.invalid_byte, p.invalid_bytes);
    return tokens;
}

} // namespace

std::int64_t TokenEstimator::price(const TextProfile& p)
{
    return std::int64_t(std::ceil(unrounded_price(p)));
}

std::int64_t TokenEstimator::estimate_text(std::string_view text)
{
    return price(profile(text));
}

namespace {

// A description as the cookbook counts it: without one final period.
std::string_view described(std::string_view text)
{
    if (text.ends_with('.')) text.remove_suffix(1);
    return text;
}

// A JSON value as text: a string as it is, anything else as JSON.
std::string as_text(const nlohmann::json& value)
{
    return value.is_string() ? value.get<std::string>() : dump_safely(value);
}

// Nested schemas deeper than this are not counted: no tool's arguments need them, and the
// registry has already refused what nests deeper than max_json_depth.
constexpr int max_counted_depth = 16;

double properties_tokens(const nlohmann::json& schema, int depth);

// Tokens of one text of a tool definition: priced without the intercept per text, and not
// rounded (see TokenEstimator::estimate_tools).
double piece_tokens(std::string_view text)
{
    return text.empty() ? 0 : std::max(0.0, unrounded_price(TokenEstimator::profile(text)) - rates.per_text);
}

// One property, "name:type:description", its enum's values and what it nests.
double property_tokens(const std::string& name, const nlohmann::json& schema, int depth)
{
    std::string line = name + ':';
    if (const nlohmann::json* type = find_member(schema, "type")) {
        if (type->is_array()) {
            // ["string", "null"] reads "string | null", as the provider renders a union.
            for (std::size_t i = 0; i < type->size(); ++i) line += (i > 0 ? " | " : "") + as_text((*type)[i]);
        } else {
            line += as_text(*type);
        }
    }
    line += ':';
    line += described(get_string_view(schema, "description").value_or(""));
    double tokens = double(TokenEstimator::tokens_per_property) + piece_tokens(line);
    if (const nlohmann::json* values = find_member(schema, "enum"); values != nullptr && values->is_array()) {
        tokens -= TokenEstimator::tokens_per_enum_value;
        for (const auto& value : *values)
            tokens += double(TokenEstimator::tokens_per_enum_value) + piece_tokens(as_text(value));
    }
    return tokens + properties_tokens(schema, depth + 1);
}

// The properties of an object schema, or of an array's items.
double properties_tokens(const nlohmann::json& schema, int depth)
{
    if (depth > max_counted_depth || !schema.is_object()) return 0;
    if (const nlohmann::json* items = find_member(schema, "items")) return properties_tokens(*items, depth + 1);
    const nlohmann::json* properties = find_member(schema, "properties");
    if (properties == nullptr || !properties->is_object() || properties->empty()) return 0;
    double tokens = double(TokenEstimator::tokens_per_properties);
    for (const auto& [name, property] : properties->items()) tokens += property_tokens(name, property, depth);
    return tokens;
}

} // namespace

std::int64_t TokenEstimator::estimate_tools(const std::vector<ToolSpec>& tools)
{
    if (tools.empty()) return 0;
    double tokens = double(tokens_per_tools);
    for (const ToolSpec& tool : tools) {
        tokens += double(tokens_per_tool) + piece_tokens(tool.name + ':' + std::string(described(tool.description)));
        tokens += properties_tokens(tool.parameters, 0);
    }
    return std::int64_t(std::ceil(tokens));
}

namespace {

std::int64_t uncalibrated_message(const Message& message)
{
    std::int64_t tokens = TokenEstimator::tokens_per_message + TokenEstimator::tokens_per_role;
    if (message.content) tokens += TokenEstimator::estimate_text(*message.content);
    // wire_message sends a name for system and user messages only.
    if ((message.role == Role::system || message.role == Role::user) && !message.name.empty())
        tokens += TokenEstimator::estimate_text(message.name) + TokenEstimator::tokens_per_name;
    if (message.role == Role::assistant) {
        for (const ToolCall& call : message.tool_calls) {
            tokens += TokenEstimator::tokens_per_tool_call + TokenEstimator::estimate_text(call.name);
            tokens += TokenEstimator::estimate_text(call.arguments.empty() ? std::string_view("{}") : call.arguments);
        }
    }
    return tokens;
}

// A 64-bit hash of what wire_message sends of a message (request_builder.h), each field closed
// by its length, so two messages that send the same are the same. It reads 8 bytes at a time:
// the estimator looks a message up by it several times for every request (message_tokens), so
// it must cost far less than estimating the message (one byte at a time, FNV-1a took a fifth
// of handling a user's message in a 1.8 MB session, in WebAssembly). Kept in memory only.
std::uint64_t fingerprint(const Message& message)
{
    std::uint64_t hash = 0xcbf29ce484222325u;
    const auto mix = [&hash](std::uint64_t word) { hash = std::rotl((hash ^ word) * 0x9E3779B97F4A7C15u, 29); };
    const auto add = [&mix](std::string_view bytes) {
        std::size_t at = 0;
        for (; at + 8 <= bytes.size(); at += 8) {
            std::uint64_t word;
            std::memcpy(&word, bytes.data() + at, 8);
            mix(word);
        }
        std::uint64_t tail = 0;
        if (at < bytes.size()) std::memcpy(&tail, bytes.data() + at, bytes.size() - at);
        mix(tail);
        mix(bytes.size());
    };
    add(to_string(message.role));
    add(message.content ? "+" : "-");
    add(message.content ? std::string_view(*message.content) : std::string_view());
    add(message.name);
    add(message.tool_call_id);
    for (const ToolCall& call : message.tool_calls) {
        add(call.id.value_or(""));
        add(call.name);
        add(call.arguments);
    }
    return hash;
}

std::int64_t corrected(std::int64_t tokens, double factor)
{
    return factor == 1.0 ? tokens : std::int64_t(std::ceil(double(tokens) * factor));
}

} // namespace

std::int64_t TokenEstimator::message_tokens(const Message& message, std::uint64_t print) const
{
    if (const auto found = memo_.find(print); found != memo_.end()) return found->second;
    if (memo_.size() >= memo_limit) memo_.clear();
    const std::int64_t tokens = uncalibrated_message(message);
    memo_.emplace(print, tokens);
    return tokens;
}

std::int64_t TokenEstimator::message_tokens(const Message& message) const
{
    return message_tokens(message, fingerprint(message));
}

std::int64_t TokenEstimator::content_tokens(const Message& message) const
{
    const std::uint64_t print = fingerprint(message);
    if (const auto found = content_memo_.find(print); found != content_memo_.end()) return found->second;
    if (content_memo_.size() >= memo_limit) content_memo_.clear();
    const std::int64_t tokens = estimate_text(message.content ? std::string_view(*message.content) : std::string_view());
    content_memo_.emplace(print, tokens);
    return tokens;
}

std::int64_t TokenEstimator::estimate_message(const Message& message, std::string_view model) const
{
    return corrected(message_tokens(message), factor(model));
}

std::int64_t TokenEstimator::estimate_messages(const std::vector<Message>& messages, std::string_view model,
                                               std::int64_t tools) const
{
    const auto it = model.empty() ? calibrations_.end() : calibrations_.find(model);
    if (it != calibrations_.end() && it->second.anchor_reported > 0 && it->second.anchor.size() <= messages.size()) {
        const Calibration& calibration = it->second;
        const std::size_t n = calibration.anchor.size();
        std::size_t same = 0;
        while (same < n && fingerprint(messages[same]) == calibration.anchor[same]) ++same;
        if (same == n) {
            std::int64_t added = tools - calibration.anchor_tools;
            const std::int64_t known = sum_messages(messages, n, &calibration, added);
            return calibration.anchor_reported + known + corrected(added, factor(model));
        }
    }
    std::int64_t tokens = tokens_per_reply + tools;
    const std::int64_t known = sum_messages(messages, 0, it != calibrations_.end() ? &it->second : nullptr, tokens);
    return known + corrected(tokens, factor(model)) + overhead(model);
}

std::int64_t TokenEstimator::sum_messages(const std::vector<Message>& messages, std::size_t from,
                                          const Calibration* calibration, std::int64_t& estimated) const
{
    std::int64_t known = 0;
    for (std::size_t i = from; i < messages.size(); ++i) {
        const std::uint64_t print = fingerprint(messages[i]);
        estimated += message_tokens(messages[i], print);
        if (calibration != nullptr && calibration->reply_counted > 0 && print == calibration->reply_print) {
            known += calibration->reply_counted;
            estimated -= content_tokens(messages[i]);
        }
    }
    return known;
}

std::int64_t TokenEstimator::overhead(std::string_view model) const
{
    const auto it = model.empty() ? calibrations_.end() : calibrations_.find(model);
    if (it == calibrations_.end() || it->second.anchor_reported <= 0) return 0;
    if (!it->second.from_growth && !it->second.beside_messages && it->second.reply_estimated <= 0) return 0;
    return std::max<std::int64_t>(0, it->second.anchor_reported - corrected(it->second.anchor_estimated, factor(model)));
}

TokenEstimator::SentRequest TokenEstimator::sent(const std::vector<Message>& messages, std::int64_t tools) const
{
    SentRequest request;
    request.tools = tools;
    request.estimated = tokens_per_reply + tools;
    request.fingerprints.reserve(messages.size());
    for (const Message& message : messages) {
        request.fingerprints.push_back(fingerprint(message));
        request.estimated += message_tokens(message, request.fingerprints.back());
    }
    return request;
}

void TokenEstimator::calibrate(std::string_view model, const SentRequest& request, std::int64_t reported_prompt_tokens)
{
    if (model.empty() || request.estimated <= 0 || reported_prompt_tokens <= 0) return;
    auto it = calibrations_.find(model);
    const bool extends = it != calibrations_.end() && it->second.anchor_reported > 0 &&
                         it->second.anchor.size() < request.fingerprints.size() &&
                         std::equal(it->second.anchor.begin(), it->second.anchor.end(), request.fingerprints.begin());
    if (extends) {
        // The factor learns from what was added: what both counts hold (tools, template) cancels
        // out. The first such report replaces what whole requests taught, which that part skews.
        Calibration& calibration = it->second;
        if (add_report(model, request.estimated - calibration.anchor_estimated,
                       reported_prompt_tokens - calibration.anchor_reported, !calibration.from_growth))
            calibration.from_growth = true;
    }
    bool beside_messages = false;
    if (!extends) {
        // A request that does not grow the anchor (one trimmed, say) still holds the overhead
        // learnt so far, which is not the tokenizer's doing. Counted more than max_factor times
        // its estimate, a whole request holds what no tokenizer explains (tool definitions
        // beside a short conversation): that part is kept as overhead, not taught as a factor.
        const std::int64_t counted = reported_prompt_tokens - overhead(model);
        if (double(counted) <= max_factor * double(request.estimated))
            add_report(model, request.estimated, counted);
        else
            beside_messages = true;
    }
    // The provider's count of this very request is the anchor even where it is too far from the
    // estimate to move the factor: tool definitions can cost several times a short conversation.
    const double ratio = double(reported_prompt_tokens) / double(request.estimated);
    if (ratio < 0.25 || ratio > max_anchor_ratio) return;
    it = calibrations_.try_emplace(std::string(model)).first;
    it->second.beside_messages = it->second.beside_messages || beside_messages;
    it->second.anchor = request.fingerprints;
    it->second.anchor_estimated = request.estimated;
    it->second.anchor_tools = request.tools;
    it->second.anchor_reported = reported_prompt_tokens;
}

void TokenEstimator::calibrate(std::string_view model, std::int64_t estimated, std::int64_t reported_prompt_tokens)
{
    add_report(model, estimated, reported_prompt_tokens);
}

bool TokenEstimator::add_report(std::string_view model, std::int64_t estimated, std::int64_t reported_prompt_tokens, bool restart)
{
    if (model.empty() || estimated <= 0 || reported_prompt_tokens <= 0) return false;
    const double ratio = double(reported_prompt_tokens) / double(estimated);
    if (ratio < 0.25 || ratio > 4.0) return false;
    auto it = calibrations_.find(model);
    if (it == calibrations_.end()) it = calibrations_.emplace(std::string(model), Calibration{}).first;
    Calibration& calibration = it->second;
    if (restart) calibration.estimated = calibration.reported = 0;
    calibration.estimated = calibration.estimated * report_decay + double(estimated);
    calibration.reported = calibration.reported * report_decay + double(reported_prompt_tokens);
    return true;
}

void TokenEstimator::calibrate_reply(std::string_view model, const Message& reply, const nlohmann::json& usage)
{
    if (model.empty() || !reply.tool_calls.empty()) return;
    const auto completion = get_int(usage, "completion_tokens");
    if (!completion || *completion <= 0) return;
    std::int64_t counted = *completion;
    std::int64_t estimated = estimate_text(reply.content.value_or("")) + estimate_text(reply.refusal.value_or(""));
    const nlohmann::json* details = find_member(usage, "completion_tokens_details");
    const auto reasoning = details != nullptr ? get_int(*details, "reasoning_tokens") : std::nullopt;
    if (reasoning && *reasoning > 0)
        counted -= *reasoning;
    else
        estimated += estimate_text(reply.reasoning);
    if (estimated < min_reply_tokens || counted <= 0) return;
    const double ratio = double(counted) / double(estimated);
    if (ratio < 1 / max_factor || ratio > max_factor) return;
    Calibration& calibration = calibrations_.try_emplace(std::string(model)).first->second;
    calibration.reply_estimated = calibration.reply_estimated * report_decay + double(estimated);
    calibration.reply_reported = calibration.reply_reported * report_decay + double(counted);
    // A refusal and reasoning are never sent back: the count is the content's only without them.
    const bool content_only = !reply.refusal && (reply.reasoning.empty() || (reasoning && *reasoning > 0));
    calibration.reply_print = content_only ? fingerprint(reply) : 0;
    calibration.reply_counted = content_only ? counted : 0;
}

namespace {

// The ratio of reported to estimated tokens, read as TokenEstimator::below_one_prior says.
double leaning(double reported, double estimated)
{
    const double ratio = reported / estimated;
    if (ratio >= 1) return ratio;
    return (reported + TokenEstimator::below_one_prior) / (estimated + TokenEstimator::below_one_prior);
}

} // namespace

double TokenEstimator::factor(std::string_view model) const
{
    if (model.empty()) return 1.0;
    const auto it = calibrations_.find(model);
    if (it == calibrations_.end()) return 1.0;
    const Calibration& calibration = it->second;
    // What requests added to their anchor holds the template's share of each message too; a
    // reply's count is the steadier guess until there is such a report, pooled with what whole
    // requests read when the two agree (see reading_agreement).
    if (!calibration.from_growth && calibration.reply_estimated > 0) {
        const double replies = calibration.reply_reported / calibration.reply_estimated;
        const bool agree = calibration.estimated > 0 &&
                           std::abs(calibration.reported / calibration.estimated / replies - 1) <= reading_agreement;
        if (!agree) return leaning(calibration.reply_reported, calibration.reply_estimated);
    }
    if (calibration.estimated + calibration.reply_estimated <= 0) return 1.0;
    return leaning(calibration.reported + calibration.reply_reported, calibration.estimated + calibration.reply_estimated);
}

} // namespace confab
