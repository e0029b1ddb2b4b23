// core/token_estimator.h
// Token counts without a vocabulary: the widget cannot ship megabytes of BPE ranks, so the
// count is estimated per character class (ASCII words, digits, punctuation and whitespace
// runs, CJK, other scripts, emoji) plus the per-message overhead of the chat format, and it
// calibrates itself from the `usage.prompt_tokens` a provider reports. Two facts of the
// vocabulary that no class can tell are kept, 6 KB in all (core/o200k_tables.h): which
// pairs and triples of ideographs are one token, and what each emoji costs.
//
// The text is cut into the pieces o200k_base's pre-tokenizer cuts (tiktoken's regular
// expression, emulated in one pass over the bytes), and each piece is priced by its class and
// length, at rates fitted to exact o200k_base counts of half of bench/corpus. Accuracy on both
// halves is measured by bench/tokens.mjs, not asserted in tests. The estimate is centred, not
// padded: rare words and names ("valijson" is three tokens, "Polacco" two) cost more than any
// rate can know, so a message full of them can run 10-15% over it, and the margin against
// that belongs to whoever fills a context window (the session's safety_margin), where it is
// paid once per request. (Weighting underestimates more in the fit trades mean error for
// worst: at 8 times, markdown's worst is still -11% and two types' means pass 5%.)
//
// Deliberately not done: exact counts (that needs the vocabulary), and tokenizers other than
// o200k_base (the calibration factor absorbs the difference).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/message.h"
#include "core/request_builder.h"

namespace confab {

// What estimate_text counted in a text: how many pieces of each class o200k_base's
// pre-tokenizer would cut it into, and their lengths. Kept so the rates can be refitted, and
// so the counting can be tested apart from the pricing.
struct TextProfile {
    std::int64_t bytes = 0;
    std::int64_t chars = 0;               // code points; each byte of invalid UTF-8 counts as one
    std::int64_t ascii_words = 0;         // runs of ASCII letters; camelCase humps count apart
    std::int64_t latin_letters = 0;       // accented Latin letters in those runs (é, ñ, ß)
    std::int64_t ascii_letters_past_6 = 0;   // sum over those words of max(0, length - 6)
    std::int64_t ascii_letters_past_10 = 0;  // ... and of max(0, length - 10)
    std::int64_t ascii_cut_tenths = 0;    // expected cuts inside those words from their pairs of letters, in tenths
    std::int64_t caps_words = 0;          // ASCII words of 2 or more letters, all capitals
    std::int64_t caps_letters_past_3 = 0; // sum over those words of max(0, length - 3)
    std::int64_t joined_words = 0;        // words right after ASCII punctuation, no space between ("/path", "a.b.c")
    std::int64_t led_words = 0;           // words that took the punctuation mark before them (".h", "_id")
    std::int64_t han_chars = 0;           // CJK ideographs
    std::int64_t han_runs = 0;
    std::int64_t spaced_han_runs = 0;     // runs of ideographs right after a space (" 替")
    std::int64_t han_pairs = 0;           // pairs of ideographs that are one token ("程序"), and
    std::int64_t han_triples = 0;         // triples ("为什么"), taken from the left of each run,
                                          // the longest first (core/o200k_tables.h)
    std::int64_t kana_chars = 0;          // hiragana and katakana
    std::int64_t hangul_chars = 0;
    std::int64_t other_letters = 0;       // letters and marks of every other script, accents included
    std::int64_t other_runs = 0;
    std::int64_t digit_groups = 0;        // digits go in groups of up to three
    std::int64_t punct_runs = 0;          // runs of ASCII punctuation, symbols and emoji
    std::int64_t punct_marks = 0;         // ASCII punctuation past each run's first
    std::int64_t repeats = 0;             // marks repeating the one before ("====", "────", "!!")
    std::int64_t repeat_tokens = 0;       // what those runs cost past their first mark (core/o200k_tables.h)
    std::int64_t wide_punct = 0;          // CJK and fullwidth punctuation ("，", "。", "「")
    std::int64_t symbols = 0;             // other non-ASCII punctuation and symbols ("—", "“", "→")
    std::int64_t symbol_tokens = 0;       // what those cost one by one: 1 ("—") or 2 ("┌") each (core/o200k_tables.h)
    std::int64_t emoji = 0;               // emoji (☀ ✅ 🎉 🤔), flags' halves
    std::int64_t emoji_tokens = 0;        // what those cost one by one: 1 (😂) to 3 (🥪) each (core/o200k_tables.h)
    std::int64_t spaced_emoji_runs = 0;   // runs of marks that begin with an emoji, right after a space (" 🎉")
    std::int64_t emoji_modifiers = 0;     // zero-width joiners, variation selectors, skin tones, tags
    std::int64_t space_pieces = 0;        // whitespace that stands alone (indentation, before digits)
    std::int64_t newline_runs = 0;        // line breaks, with the spaces among them
    std::int64_t newlines_past_2 = 0;     // sum over those runs of max(0, breaks - 2)
    std::int64_t invalid_bytes = 0;       // bytes that are not valid UTF-8

    bool operator==(const TextProfile&) const = default;
};

class TokenEstimator {
public:
    // Per-message overhead of the chat format, as OpenAI's cookbook counts it ("How to count
    // tokens with tiktoken", num_tokens_from_messages, for gpt-4o and gpt-4o-mini):
    // <|start|>, <|message|> and <|end|> around every message...
    static constexpr std::int64_t tokens_per_message = 3;
    // ...plus the role, one o200k_base token for each of system, user, assistant and tool...
    static constexpr std::int64_t tokens_per_role = 1;
    // ...plus one for a `name` beside its own tokens...
    static constexpr std::int64_t tokens_per_name = 1;
    // ...and every reply is primed with <|start|>assistant<|message|>.
    static constexpr std::int64_t tokens_per_reply = 3;
    // A tool call is rendered as a header of its own around its name and arguments (in
    // OpenAI's harmony format "<|start|>assistant to=functions.NAME<|channel|>commentary
    // json<|message|>ARGS<|call|>"): 8 tokens besides the name and arguments. The cookbook
    // does not count calls; this is the count of that rendering, and calibration corrects it.
    static constexpr std::int64_t tokens_per_tool_call = 8;

    // Tokens of the tool definitions a request offers, uncalibrated, as OpenAI's cookbook
    // counts them for gpt-4o ("How to count tokens with tiktoken", num_tokens_for_tools, which
    // matched the API's prompt_tokens on its example): per tool, tokens_per_tool and the text
    // "name:description" (one final period dropped); if its parameters have properties,
    // tokens_per_properties, and per property tokens_per_property and "name:type:description",
    // and an enum's values each tokens_per_enum_value and their text, less
    // tokens_per_enum_value once; and tokens_per_tools once for the list. The cookbook stops at
    // the top level; the properties of nested objects and of arrays' items are counted the
    // same way here, since the provider renders them too. None: 0. A definition is many short
    // texts, so each is priced without estimate_text's intercept per text (the rate fitted to
    // whole messages), and the sum is rounded up once, not each text. With the intercept, the 18
    // tools of bench/tool-definitions.mjs came out 5.9% over the cookbook's count, and after one
    // prompt_tokens report of a request offering tools, the next was up to 5.5% under (the
    // overcount read as a factor below 1); without, 2.1% over and 3.7% under (bench/tokens.mjs,
    // before below_one_prior).
    static std::int64_t estimate_tools(const std::vector<ToolSpec>& tools);
    static constexpr std::int64_t tokens_per_tool = 7;
    static constexpr std::int64_t tokens_per_properties = 3;
    static constexpr std::int64_t tokens_per_property = 3;
    static constexpr std::int64_t tokens_per_enum_value = 3;
    static constexpr std::int64_t tokens_per_tools = 12;

    // Tokens of plain text, uncalibrated. Never fails: invalid UTF-8 costs one token per bad
    // byte, as a byte-level BPE spends. One pass over the bytes, no allocation.
    static std::int64_t estimate_text(std::string_view text);

    // The counts estimate_text prices, for refitting its rates and for tests.
    static TextProfile profile(std::string_view text);

    // Tokens of a profile: each count times its rate, rounded up.
    static std::int64_t price(const TextProfile& profile);

    // Tokens one message adds to a request, counting what wire_message (request_builder.h)
    // sends: tokens_per_message + tokens_per_role, the content, the name (plus
    // tokens_per_name) where the wire carries one, and for each tool call its name, its
    // arguments ("{}" when empty, as sent) and tokens_per_tool_call. A tool result's
    // tool_call_id is not counted: the model never reads it as text. Reasoning, refusal and
    // Confab's own fields are never sent, so never counted. Multiplied by factor(model) and
    // rounded up; `model` "" means uncalibrated.
    std::int64_t estimate_message(const Message& message, std::string_view model = "") const;

    // Tokens of a whole request: the sum of the uncalibrated estimate_message, plus
    // tokens_per_reply and `tools` (estimate_tools of the tools it offers), times factor(model),
    // rounded up, plus overhead(model); or, when the messages begin with `model`'s anchor (see
    // calibrate(model, SentRequest, ...)), the anchor's reported count plus the messages after
    // it so estimated (and the change in `tools` since, so estimated). This is what
    // `usage.prompt_tokens` reports.
    std::int64_t estimate_messages(const std::vector<Message>& messages, std::string_view model = "",
                                   std::int64_t tools = 0) const;

    // estimate_text of a message's content, kept as each message's count is (message_tokens
    // below): what a session's cost takes as a reply's output when no usage was reported.
    std::int64_t content_tokens(const Message& message) const;

    // What calibration keeps of a request it is told the provider's count for: the uncalibrated
    // estimate (estimate_messages(messages, "", tools)), of which `tools` the tool definitions',
    // and a fingerprint of each message as sent.
    struct SentRequest {
        std::int64_t estimated = 0;
        std::int64_t tools = 0;
        std::vector<std::uint64_t> fingerprints;
    };
    SentRequest sent(const std::vector<Message>& messages, std::int64_t tools = 0) const;

    // What the engine calls with a response's usage.prompt_tokens. The request becomes `model`'s
    // anchor: a later estimate_messages for `model` whose messages begin with the anchor's (the
    // same conversation grown, nothing trimmed or edited) is the reported count plus the
    // calibrated estimate of the messages after them. And the factor is calibrated as
    // calibrate(model, estimated, reported) does, but on what was added since the anchor when the
    // request grows it: the provider's count includes what the estimate may miss, its chat
    // template and its rendering of the tool definitions, and that part cancels out (the first
    // such report replaces what whole requests taught); a request that does not grow the anchor
    // (a trimmed one) teaches it its count less overhead(model). A whole request counted above
    // max_factor times its estimate teaches no factor (no tokenizer in use counts twice what
    // o200k_base does; tool definitions the estimate was not told of, beside a short
    // conversation, do), and the difference is overhead(model) from then on. A count below a
    // quarter or above max_anchor_ratio times the estimate is not taken as an anchor either.
    void calibrate(std::string_view model, const SentRequest& request, std::int64_t reported_prompt_tokens);
    static constexpr double max_factor = 2;
    static constexpr double max_anchor_ratio = 16;

    // The provider counted `reported_prompt_tokens` for a request this estimator counted as
    // `estimated` (uncalibrated: estimate_messages(messages, "")). Later estimates for `model`
    // are multiplied by the ratio of the reported to the estimated tokens summed over the
    // reports so far, each report counting report_decay times as much as the one after it: a
    // big request weighs more than a small one (its ratio is the steadier, and the next request
    // of a growing conversation is mostly made of it), the newest most, and one odd count of
    // the same size moves the factor a quarter of the way. Ignored for model "", for counts
    // that are not positive, and for ratios outside [1/4, 4], which no tokenizer explains (a
    // cached or truncated count, a proxy's arithmetic).
    void calibrate(std::string_view model, std::int64_t estimated, std::int64_t reported_prompt_tokens);

    // What the engine calls with a reply and the usage its response reported. A reply's
    // `completion_tokens` are its text and nothing else: no tool definitions, no chat template,
    // no provider's hidden prompt (recorded OpenAI streams in ../shared/fixtures report exactly
    // o200k_base's count of the content). So a reply teaches the tokenizer's factor where a
    // whole request cannot tell it from what the provider counts beside the messages: until
    // requests have grown an anchor (calibrate above), factor(model) is the replies' ratio, and
    // overhead(model) the rest of the anchor's count. Taught by replies of plain text (content
    // or refusal) of at least min_reply_tokens; a reply with tool calls teaches nothing (their
    // format is the provider's), and reasoning the usage counts apart
    // (completion_tokens_details.reasoning_tokens) is taken off, or else the reasoning text is
    // estimated with the reply. A ratio outside [1/max_factor, max_factor] teaches nothing (a
    // count of several choices, a moderation note). Once the
    // factor has grown from requests too, it is taken from both sums. And the reply's content
    // is sent back in the next request: estimate_messages counts it as reported (times nothing:
    // it is the provider's own count), and only the rest is estimated.
    void calibrate_reply(std::string_view model, const Message& reply, const nlohmann::json& usage);
    static constexpr std::int64_t min_reply_tokens = 16;
    // Until requests have grown an anchor, whole requests and replies are read together when
    // their ratios are within this share of each other: they read the same tokenizer, with
    // nothing beside the messages to tell apart. One short reply is a noisy reading (a 25-token
    // reply read 0.89 of o200k_base's own count, and the next request was 4.9% under), and the
    // first request is usually the larger sample. What the estimate misses beside the messages
    // parts them (a provider's heavier template, tool definitions it renders its own way), and
    // then the reply alone is the factor, as above.
    static constexpr double reading_agreement = 0.15;

    // The current correction factor for `model` (1.0 when never calibrated).
    double factor(std::string_view model) const;
    // A ratio below 1 is read as if below_one_prior more tokens had been counted as estimated.
    // o200k_base has the largest vocabulary in common use, and other tokenizers count as many
    // tokens for the same text or more, so a reading below 1 from a short request or reply is
    // mostly the estimate's own error, and the next request's new messages would be
    // underestimated by it. It fades as reports add up (a 0.9 read over 3,000 tokens is
    // 0.91). After one report of OpenAI's count, the next request's worst estimate went from
    // -3.8% to -2.0% (emoji) and from -3.7% to -2.9% (Chinese, tools, prompt_tokens only),
    // and no estimate rose above +3% (bench/tokens.mjs); readings above 1 are as they were.
    static constexpr double below_one_prior = 300;

    // What the provider counts in every request beyond its estimate (a template heavier than
    // the cookbook's, tool definitions it renders longer, or that it was not told of): the
    // anchor's count less its calibrated estimate, once the factor has been learnt from what
    // requests added or from a reply, or a whole request was counted above max_factor times its
    // estimate (0 before, and never below 0). estimate_messages adds it to a request that is not
    // anchored (one trimmed, say), and so the context trimmer's budget leaves room for it.
    std::int64_t overhead(std::string_view model) const;

    // How much a report counts beside the one after it.
    static constexpr double report_decay = 0.75;

private:
    struct Calibration {
        double estimated = 0;  // decayed sums over the reports
        double reported = 0;
        std::vector<std::uint64_t> anchor;    // the last reported request's fingerprints,
        std::int64_t anchor_estimated = 0;    // its uncalibrated estimate,
        std::int64_t anchor_tools = 0;        // of which its tool definitions'
        std::int64_t anchor_reported = 0;     // and its count; 0: no anchor
        bool from_growth = false;             // the sums are of what requests added to their anchors
        bool beside_messages = false;         // a count held more than a tokenizer explains
        double reply_estimated = 0;           // decayed sums over replies (calibrate_reply)
        double reply_reported = 0;
        std::uint64_t reply_print = 0;        // the last reply taught, as it is sent back,
        std::int64_t reply_counted = 0;       // and its content's count; 0: none
    };
    // Adds to `estimated` the uncalibrated estimate of messages[from...] except the content of
    // `calibration`'s last reply (none for nullptr), whose count is known: returned.
    std::int64_t sum_messages(const std::vector<Message>& messages, std::size_t from, const Calibration* calibration,
                              std::int64_t& estimated) const;
    // Adds a report to `model`'s sums (first emptying them when `restart`); false, changing
    // nothing, for a report calibrate() ignores.
    bool add_report(std::string_view model, std::int64_t estimated, std::int64_t reported_prompt_tokens, bool restart = false);
    std::map<std::string, Calibration, std::less<>> calibrations_;

    // Tokens of one message, uncalibrated, given its fingerprint. Every request of a long
    // conversation estimates all its messages again, more than once (the trimmer, calibration's
    // SentRequest, the session's cost), so each message's count is kept by its fingerprint,
    // which costs a fraction of the estimate (with content_tokens and the 8-bytes-at-a-time
    // fingerprint: handling a message sent in a 1.8 MB session, 58 -> 22 ms natively). At most
    // memo_limit messages are kept; then it starts again. So the const methods write these
    // memos: one estimator is not for two threads at once.
    std::int64_t message_tokens(const Message& message, std::uint64_t fingerprint) const;
    std::int64_t message_tokens(const Message& message) const;
    static constexpr std::size_t memo_limit = 8192;
    mutable std::unordered_map<std::uint64_t, std::int64_t> memo_, content_memo_;
};

} // namespace confab
