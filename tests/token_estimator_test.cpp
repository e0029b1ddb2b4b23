// Token estimates: the pieces counted, the wire shape and overhead of messages, text that is
// not UTF-8, and calibration from the provider's usage.prompt_tokens. Accuracy against the
// real tokenizer over a corpus is bench/tokens.mjs's job; here only gross mistakes fail.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/token_estimator.h"
#include "tests/test_util.h"

using confab::Message;
using confab::Role;
using confab::TextProfile;
using confab::TokenEstimator;
using confab::test::text_message;

namespace {

// Chat texts with their exact o200k_base token counts (js-tiktoken 1.0.21, encode().length).
struct Counted {
    const char* text;
    std::int64_t exact;
};

constexpr Counted counted[] = {
    {"Can you help me plan a three-day trip to Lisbon in October? I like museums, long walks and good "
     "seafood, and I would rather avoid tourist traps.", 32},
    {"Sure! Day one: start in Alfama, walk up to the castle for the view, then take tram 28 down to Baixa. "
     "Have lunch at a small tasca and spend the afternoon at the tile museum. Day two: Belém for the "
     "monastery, the tower and the custard tarts, then the MAAT by the river. Day three: a day trip to "
     "Sintra, with its palaces in the hills.", 89},
    {"What about the evenings? Is it safe to walk around at night?", 14},
    {"Lisbon is generally safe. Bairro Alto gets lively after 10 pm; keep an eye on your phone in crowded "
     "streets. For dinner, try grilled sardines or a cataplana, and book ahead on weekends.", 44},
    {"请帮我把这段话翻译成英文：我们明天上午十点在会议室讨论新版本的发布计划。", 28},
    {"Sure: \"We will discuss the release plan for the new version in the meeting room at 10 a.m. "
     "tomorrow.\"", 25},
    {"```python\ndef fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
     "    return a\n```\nWhy is this faster than the recursive version?", 51},
    {"The loop computes each number once, so it takes O(n) steps, while the naive recursion recomputes "
     "the same values again and again and takes exponential time. 🚀 Memoization would also fix the "
     "recursive one.", 44},
};
constexpr Counted system_prompt = {"You are a helpful travel assistant. Answer briefly and ask before booking anything.", 15};

double relative_error(std::int64_t estimate, std::int64_t exact)
{
    return double(estimate - exact) / double(exact);
}

} // namespace

TEST_CASE("token_estimator: cuts text where o200k_base's pre-tokenizer does")
{
    auto profile = TokenEstimator::profile;

    CHECK(profile("Hello world").ascii_words == 2);
    CHECK(profile("fooBar").ascii_words == 2);              // a capital after a small letter starts a piece
    CHECK(profile("HTTPServer").ascii_words == 1);          // capitals, then small letters: one piece
    CHECK(profile("NASA").caps_words == 1);
    CHECK(profile("NASA PARSING").caps_letters_past_3 == 1 + 4);
    CHECK(profile("Parsing").caps_letters_past_3 == 0);
    CHECK(profile("internationalization").ascii_letters_past_6 == 14);
    CHECK(profile("internationalization").ascii_letters_past_10 == 10);

    const TextProfile digits = profile("x 1234567");
    CHECK(digits.digit_groups == 3);                        // "\p{N}{1,3}": 123 456 7
    CHECK(digits.space_pieces == 1);                        // a space before a digit stands alone

    const TextProfile led = profile("main.cpp");
    CHECK(led.led_words == 1);                              // ".cpp" is one piece
    CHECK(led.punct_runs == 0);
    const TextProfile spaced = profile("a (b");
    CHECK(spaced.led_words == 0);                           // " (" then "b"
    CHECK(spaced.punct_runs == 1);

    CHECK(profile("    return").space_pieces == 1);         // indentation, less the space "return" takes
    const TextProfile lines = profile("end\n\n\n\nstart");
    CHECK(lines.newline_runs == 1);
    CHECK(lines.newlines_past_2 == 2);
    CHECK(profile("end.\n\nstart").newline_runs == 0);      // line breaks after a mark join it

    const TextProfile chinese = profile("中文，测试 数据");
    CHECK(chinese.han_chars == 6);
    CHECK(chinese.han_runs == 3);
    CHECK(chinese.spaced_han_runs == 1);
    CHECK(chinese.wide_punct == 1);
    CHECK(chinese.han_pairs == 3);                          // 中文, 测试 and 数据 are one token each

    // Pairs are taken from the left of a run, from o200k_base's one-token pairs.
    CHECK(profile("程序员").han_pairs == 1);                // 程序, then 员 alone: two tokens
    CHECK(profile("你好世界").han_pairs == 2);
    CHECK(profile("你，好").han_pairs == 0);                // a mark between: no pair
    CHECK(profile("员员员").han_pairs == 0);
    // Triples too, the longest first; two left open at the end of a run may still be a pair.
    CHECK(profile("为什么").han_triples == 1);              // one token
    CHECK(profile("为什么").han_pairs == 0);
    CHECK(profile("程序员").han_triples == 0);
    CHECK(profile("不知道为什么").han_triples == 2);
    CHECK(profile("员程序").han_pairs == 1);                // 员, then 程序 as the run ends
    CHECK(profile("员程序，为什么").han_pairs == 1);
    CHECK(profile("员程序，为什么").han_triples == 1);
    CHECK(profile("你为什么").han_triples == 1);            // 你, then 为什么
    CHECK(profile("你为什么").han_pairs == 0);

    const TextProfile emoji = profile("😀👍🏽🥳❤️");
    CHECK(emoji.emoji == 4);
    CHECK(emoji.emoji_modifiers == 2);                      // the skin tone and U+FE0F
    CHECK(profile("😂😂😂").emoji == 3);                    // emoji do not merge when repeated
    // What each costs alone, as o200k_base encodes it.
    CHECK(profile("😂").emoji_tokens == 1);
    CHECK(profile("⭐").emoji_tokens == 1);
    CHECK(profile("🎉").emoji_tokens == 2);
    CHECK(profile("🥪").emoji_tokens == 2);
    CHECK(profile("😂🥪").emoji_tokens == 3);
    CHECK(profile("hi 🎉!").spaced_emoji_runs == 1);
    CHECK(profile("hi!🎉").spaced_emoji_runs == 0);

    const TextProfile symbols = profile("a — b → c ┌");
    CHECK(symbols.symbols == 3);
    CHECK(symbols.symbol_tokens == 4);                      // — and → are one token, ┌ two

    const TextProfile joined = profile("see https://example.com/a_b");
    CHECK(joined.joined_words == 4);                        // example, com, a and b follow marks
    CHECK(joined.led_words == 3);                           // .com, /a and _b took theirs

    const TextProfile rule = profile("==========");
    CHECK(rule.punct_runs == 1);
    CHECK(rule.repeats == 9);
    CHECK(rule.repeat_tokens == 0);                         // "=" * 10 is one token
    // Runs are cut greedily into the longest that are one token: "~" * 78 is 32, 32, 8, 4, 2.
    CHECK(profile(std::string(78, '~')).repeat_tokens == 4);
    std::string box_rule;
    for (int i = 0; i < 17; ++i) box_rule += "─";
    CHECK(profile(box_rule).repeat_tokens == 1);            // 16, then 1
    CHECK(profile("!!! ...").repeat_tokens == 0);           // two runs, each one token

    const TextProfile mixed = profile("Grüße, мир, こんにちは, 안녕");
    CHECK(mixed.ascii_words == 1);                          // accented Latin letters go on the word
    CHECK(mixed.latin_letters == 2);                        // ü ß
    CHECK(mixed.other_letters == 3);                        // мир
    CHECK(mixed.other_runs == 1);
    CHECK(mixed.kana_chars == 5);
    CHECK(mixed.hangul_chars == 2);
    CHECK(mixed.chars == 21);
    CHECK(mixed.bytes == 40);
}

TEST_CASE("token_estimator: empty text costs nothing, and any other text at least a token")
{
    CHECK(TokenEstimator::estimate_text("") == 0);
    for (const char* text : {"a", " ", "\n", "1", "!", "中", "😀", "\xff"})
        CHECK(TokenEstimator::estimate_text(text) >= 1);
}

TEST_CASE("token_estimator: lands near the exact o200k_base count of chat texts")
{
    // A gross-regression guard; the measured figures are in bench/tokens.mjs.
    for (const Counted& sample : counted) {
        CAPTURE(sample.text);
        CHECK(std::abs(relative_error(TokenEstimator::estimate_text(sample.text), sample.exact)) < 0.2);
    }
    CHECK(TokenEstimator::estimate_text("Hello world, this is a test.") == doctest::Approx(8).epsilon(0.2));
}

TEST_CASE("token_estimator: invalid UTF-8 costs a token per bad byte and never stops the scan")
{
    const TextProfile bad = TokenEstimator::profile("ok \xff\xfe ok");
    CHECK(bad.invalid_bytes == 2);
    CHECK(bad.chars == 8);
    CHECK(bad.ascii_words == 2);

    CHECK(TokenEstimator::profile("\xc0\xaf").invalid_bytes == 2);           // overlong '/'
    CHECK(TokenEstimator::profile("\xed\xa0\x80").invalid_bytes == 3);       // a UTF-16 surrogate
    CHECK(TokenEstimator::profile("\xf4\x90\x80\x80").invalid_bytes == 4);   // past U+10FFFF
    CHECK(TokenEstimator::profile("abc\xe4\xb8").invalid_bytes == 2);        // cut off at the end
    CHECK(TokenEstimator::profile("\xe4\xb8\xad").han_chars == 1);           // the same, whole

    // Random bytes: every one is counted once, as a character or as a bad byte.
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 2000; ++round) {
        std::string bytes;
        const int length = round % 64;
        for (int i = 0; i < length; ++i) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push_back(char(state >> 56));
        }
        const TextProfile profile = TokenEstimator::profile(bytes);
        REQUIRE(profile.bytes == length);
        REQUIRE(profile.chars <= length);
        REQUIRE(profile.chars >= (length + 3) / 4);
        REQUIRE(TokenEstimator::price(profile) >= (length > 0 ? 1 : 0));
    }
}

TEST_CASE("token_estimator: a message counts what goes on the wire, plus the chat format's overhead")
{
    const TokenEstimator estimator;
    const auto text = TokenEstimator::estimate_text;
    const std::int64_t overhead = TokenEstimator::tokens_per_message + TokenEstimator::tokens_per_role;
    CHECK(overhead == 4);

    Message user = text_message(Role::user, "Hello world, this is a test.");
    CHECK(estimator.estimate_message(user) == overhead + text("Hello world, this is a test."));
    user.name = "alice";
    CHECK(estimator.estimate_message(user) ==
          overhead + text("Hello world, this is a test.") + text("alice") + TokenEstimator::tokens_per_name);

    // What stays at home costs nothing: reasoning, refusal, Confab's own fields.
    Message reply = text_message(Role::assistant, "Sure.");
    reply.reasoning = std::string(4000, 'x');
    reply.refusal = "no";
    reply.id = "m-1";
    reply.model = "gpt-4o";
    CHECK(estimator.estimate_message(reply) == overhead + text("Sure."));

    // A tool call: its name, its arguments ("{}" when empty, as sent) and its header.
    Message calling;
    calling.role = Role::assistant;
    calling.tool_calls.push_back({0, "call_1", "function", "get_weather", R"({"city":"Paris"})", {}});
    calling.tool_calls.push_back({1, "call_2", "function", "get_time", "", {}});
    CHECK(estimator.estimate_message(calling) ==
          overhead + 2 * TokenEstimator::tokens_per_tool_call + text("get_weather") + text(R"({"city":"Paris"})") +
              text("get_time") + text("{}"));

    // A tool result: its content; the call id is not text the model reads.
    Message result = text_message(Role::tool, "sunny, 21 °C");
    result.tool_call_id = "call_1";
    result.name = "get_weather";
    CHECK(estimator.estimate_message(result) == overhead + text("sunny, 21 °C"));

    // A request: every message, plus the reply priming.
    const std::vector<Message> request = {text_message(Role::system, "Be brief."), user, calling, result};
    std::int64_t sum = TokenEstimator::tokens_per_reply;
    for (const Message& message : request) sum += estimator.estimate_message(message);
    CHECK(estimator.estimate_messages(request) == sum);
    CHECK(estimator.estimate_messages({}) == TokenEstimator::tokens_per_reply);
}

TEST_CASE("token_estimator: after two usage reports the next request lands within 3% of the provider's count")
{
    // A provider whose tokenizer counts 1.3 times o200k_base, and whose chat template spends 7
    // tokens per message and 5 to prime the reply, where we assume 4 and 3: far from our
    // assumptions on purpose.
    const auto provider_count = [](const std::vector<Counted>& conversation) {
        double tokens = 5;
        for (const Counted& message : conversation) tokens += 1.3 * double(message.exact) + 7;
        return std::int64_t(std::llround(tokens));
    };

    TokenEstimator estimator;
    std::vector<Message> messages = {text_message(Role::system, system_prompt.text)};
    std::vector<Counted> sent = {system_prompt};
    int reports = 0;
    for (std::size_t turn = 0; turn + 1 < std::size(counted); turn += 2) {
        messages.push_back(text_message(Role::user, counted[turn].text));
        sent.push_back(counted[turn]);

        const std::int64_t provider = provider_count(sent);
        const std::int64_t estimate = estimator.estimate_messages(messages, "gpt-test");
        CAPTURE(reports);
        CAPTURE(estimate);
        CAPTURE(provider);
        if (reports == 0) CHECK(relative_error(estimate, provider) < -0.15);  // uncalibrated: far off
        // The first report comes from the smallest request (a system prompt and one question),
        // where per-message overhead and the error on two short texts weigh most; it already
        // halves the error, and the second brings the estimate within 3%.
        if (reports == 1) CHECK(std::abs(relative_error(estimate, provider)) < 0.08);
        if (reports >= 2) CHECK(std::abs(relative_error(estimate, provider)) < 0.03);

        // The response reports usage.prompt_tokens, as the engine passes it on; the reply joins
        // the conversation.
        estimator.calibrate("gpt-test", estimator.sent(messages), provider);
        ++reports;
        messages.push_back(text_message(Role::assistant, counted[turn + 1].text));
        sent.push_back(counted[turn + 1]);
    }
    CHECK(reports == 4);
    CHECK(estimator.factor("gpt-test") > 1.2);
    CHECK(estimator.factor("other-model") == 1.0);
    CHECK(estimator.estimate_messages(messages, "other-model") == estimator.estimate_messages(messages));
}

TEST_CASE("token_estimator: calibration follows reports part of the way and ignores nonsense")
{
    TokenEstimator estimator;
    estimator.calibrate("m", 100, 120);
    CHECK(estimator.factor("m") == doctest::Approx(1.2));  // the first report sets the factor
    estimator.calibrate("m", 100, 140);
    CHECK(estimator.factor("m") == doctest::Approx((0.75 * 120 + 140) / (0.75 * 100 + 100)));
    for (int i = 0; i < 60; ++i) estimator.calibrate("m", 100, 130);
    CHECK(estimator.factor("m") == doctest::Approx(1.3));
    estimator.calibrate("m", 100, 230);                    // one odd count moves it a quarter of the way
    CHECK(estimator.factor("m") == doctest::Approx(1.55));
    estimator.calibrate("m", 1000, 1300);                  // a big request outweighs that small one
    CHECK(estimator.factor("m") < 1.36);

    const double before = estimator.factor("m");
    estimator.calibrate("m", 100, 0);                      // no count
    estimator.calibrate("m", 0, 100);
    estimator.calibrate("m", 100, 1000);                   // no tokenizer explains 10x
    estimator.calibrate("m", 1000, 100);
    CHECK(estimator.factor("m") == before);

    estimator.calibrate("", 100, 150);                     // "" is "uncalibrated", never a model
    CHECK(estimator.factor("") == 1.0);

    // A calibrated message estimate is the uncalibrated one times the factor, rounded up.
    const Message message = text_message(Role::user, "Hello world, this is a test.");
    CHECK(estimator.estimate_message(message, "m") ==
          std::int64_t(std::ceil(double(estimator.estimate_message(message)) * estimator.factor("m"))));
}

TEST_CASE("token_estimator: a grown conversation is its last reported count plus the messages added since")
{
    TokenEstimator estimator;
    std::vector<Message> sent = {text_message(Role::system, "Be brief."), text_message(Role::user, counted[0].text)};
    const TokenEstimator::SentRequest request = estimator.sent(sent);
    CHECK(request.estimated == estimator.estimate_messages(sent));
    CHECK(request.fingerprints.size() == 2);
    const std::int64_t reported = request.estimated + 40;  // the provider's template and tools cost more
    estimator.calibrate("m", request, reported);
    const double factor = double(reported) / double(request.estimated);
    CHECK(estimator.factor("m") == doctest::Approx(factor));

    // The same request is what the provider counted, exactly.
    CHECK(estimator.estimate_messages(sent, "m") == reported);
    // Grown by a reply and a question: the count so far, plus the new messages calibrated.
    std::vector<Message> grown = sent;
    grown.push_back(text_message(Role::assistant, counted[1].text));
    grown.push_back(text_message(Role::user, counted[2].text));
    const std::int64_t added = estimator.estimate_message(grown[2]) + estimator.estimate_message(grown[3]);
    CHECK(estimator.estimate_messages(grown, "m") == reported + std::int64_t(std::ceil(double(added) * factor)));
    // Uncalibrated estimates know nothing of it.
    CHECK(estimator.estimate_messages(grown) == request.estimated + added);

    // A request that does not begin with the anchor's messages falls back to the factor alone:
    // an edited message, a trimmed one, another conversation, fewer messages.
    const auto by_factor = [&](const std::vector<Message>& messages) {
        return std::int64_t(std::ceil(double(estimator.estimate_messages(messages)) * factor));
    };
    std::vector<Message> edited = grown;
    edited[1].content = std::string(counted[0].text) + " Thanks!";
    CHECK(estimator.estimate_messages(edited, "m") == by_factor(edited));
    std::vector<Message> trimmed = {grown[0], grown[3]};
    CHECK(estimator.estimate_messages(trimmed, "m") == by_factor(trimmed));
    std::vector<Message> renamed = grown;
    renamed[1].name = "ana";
    CHECK(estimator.estimate_messages(renamed, "m") == by_factor(renamed));
    std::vector<Message> shorter = {grown[0]};
    CHECK(estimator.estimate_messages(shorter, "m") == by_factor(shorter));

    // A report no tokenizer explains neither moves the factor nor the anchor.
    std::vector<Message> other = {text_message(Role::user, counted[4].text)};
    estimator.calibrate("m", estimator.sent(other), 100 * reported);
    CHECK(estimator.factor("m") == doctest::Approx(factor));
    CHECK(estimator.estimate_messages(grown, "m") == reported + std::int64_t(std::ceil(double(added) * factor)));
    // A newer report is the anchor from then on; a numeric report moves only the factor.
    estimator.calibrate("m", estimator.sent(grown), reported + added);
    CHECK(estimator.estimate_messages(grown, "m") == reported + added);
    estimator.calibrate("m", 1000, 1100);
    CHECK(estimator.estimate_messages(grown, "m") == reported + added);
    // Other models and "" never use it.
    CHECK(estimator.estimate_messages(grown, "other") == estimator.estimate_messages(grown));
    estimator.calibrate("", estimator.sent(grown), 5);
    CHECK(estimator.estimate_messages(grown, "") == request.estimated + added);
}

namespace {

// OpenAI cookbook's example tool ("How to count tokens with tiktoken", section 7), whose
// count with two messages the API reported as 101 prompt tokens for gpt-4o; the messages are
// 33 of them (exact o200k_base contents, the cookbook's 3 per message and 3 for the reply).
confab::ToolSpec cookbook_weather_tool()
{
    confab::ToolSpec tool;
    tool.name = "get_current_weather";
    tool.description = "Get the current weather in a given location";
    tool.parameters = nlohmann::json::parse(R"({"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]})");
    return tool;
}

} // namespace

TEST_CASE("token_estimator: a request's tool definitions are counted as OpenAI's cookbook counts them")
{
    CHECK(TokenEstimator::estimate_tools({}) == 0);
    const confab::ToolSpec weather = cookbook_weather_tool();
    // The cookbook's count of the tool is 101 - 33 = 68.
    const std::int64_t tools = TokenEstimator::estimate_tools({weather});
    CAPTURE(tools);
    CHECK(std::abs(relative_error(tools, 68)) <= 0.1);
    // With its two messages, near the API's 101 (short messages are estimated a little over).
    const std::vector<Message> messages = {
        text_message(Role::system, "You are a helpful assistant that can answer to questions about the weather."),
        text_message(Role::user, "What's the weather like in San Francisco?")};
    const std::int64_t request = TokenEstimator().estimate_messages(messages, "", tools);
    CAPTURE(request);
    CHECK(request == TokenEstimator().estimate_messages(messages) + tools);
    CHECK(std::abs(relative_error(request, 101)) <= 0.15);

    // Each part is counted: a tool without parameters is its name and description and the
    // fixed costs; a final period is not counted; an enum value costs its text and 3 more.
    confab::ToolSpec bare;
    bare.name = "ping";
    bare.description = "Check that the service answers";
    // (A definition's pieces are priced without the intercept per text and rounded up once.)
    const std::int64_t fixed = TokenEstimator::tokens_per_tools + TokenEstimator::tokens_per_tool;
    CHECK(TokenEstimator::estimate_tools({bare}) >= fixed + TokenEstimator::estimate_text("ping:Check that the service answers") - 1);
    CHECK(TokenEstimator::estimate_tools({bare}) <= fixed + TokenEstimator::estimate_text("ping:Check that the service answers"));
    confab::ToolSpec period = bare;
    period.description += '.';
    CHECK(TokenEstimator::estimate_tools({period}) == TokenEstimator::estimate_tools({bare}));
    confab::ToolSpec more = weather;
    more.parameters["properties"]["unit"]["enum"].push_back("kelvin");
    const std::int64_t added = TokenEstimator::estimate_tools({more}) - tools;
    CHECK(added >= TokenEstimator::tokens_per_enum_value + 1);
    CHECK(added <= TokenEstimator::tokens_per_enum_value + 3);
    // Two tools share the list's fixed cost.
    CHECK(TokenEstimator::estimate_tools({weather, bare}) <
          TokenEstimator::estimate_tools({weather}) + TokenEstimator::estimate_tools({bare}));
    // What an object or an array's items nest is counted too, unlike the cookbook's top level only.
    confab::ToolSpec nested = bare;
    nested.parameters = nlohmann::json::parse(R"({"type": "object", "properties": {"stops": {"type": "array",
        "description": "Where to stop on the way", "items": {"type": "object", "properties": {
        "city": {"type": "string", "description": "The city"}, "nights": {"type": ["integer", "null"]}}}}}})");
    confab::ToolSpec flat = bare;
    flat.parameters = nlohmann::json::parse(R"({"type": "object", "properties": {"stops": {"type": "array",
        "description": "Where to stop on the way"}}})");
    CHECK(TokenEstimator::estimate_tools({nested}) >= TokenEstimator::estimate_tools({flat}) + 2 * TokenEstimator::tokens_per_property + 4);
    // Schemas of any shape are counted without failing.
    nested.parameters = nlohmann::json::parse(R"({"type": "object", "properties": {"a": {"enum": [1, null, {"x": [true]}]},
        "b": {"items": [1, 2]}, "c": 7, "d": {"properties": []}}})");
    CHECK(TokenEstimator::estimate_tools({nested}) > TokenEstimator::estimate_tools({bare}));
}

TEST_CASE("token_estimator: told the request's tools, one prompt_tokens report teaches the tokenizer, not the tools")
{
    // A first request of about 700 tokens that offers about 300 of tools (five tools), from a provider that
    // reports prompt_tokens only and renders the tools 12 tokens longer than the estimate. Not
    // told of them, the estimator read 1.4 as its factor; told, it reads what the tokenizer does.
    std::string long_question;
    for (int i = 0; i < 2; ++i)
        for (const Counted& c : counted) (long_question += c.text) += "\n\n";
    std::vector<confab::ToolSpec> specs;
    for (const char* name : {"get_weather", "get_forecast", "get_alerts", "get_air_quality", "get_tides"}) {
        confab::ToolSpec spec = cookbook_weather_tool();
        spec.name = name;
        specs.push_back(spec);
    }
    const std::int64_t tools = TokenEstimator::estimate_tools(specs);
    REQUIRE(tools > 250);
    const auto provider = [&](const TokenEstimator& e, const std::vector<Message>& m) { return e.estimate_messages(m) + tools + 12; };

    std::vector<Message> messages = {text_message(Role::system, system_prompt.text), text_message(Role::user, long_question)};
    std::vector<Message> next = messages;
    next.push_back(text_message(Role::assistant, counted[1].text));
    next.push_back(text_message(Role::user, counted[3].text));

    TokenEstimator told;
    told.calibrate("m", told.sent(messages, tools), provider(told, messages));
    CHECK(told.factor("m") == doctest::Approx(1.0).epsilon(0.02));
    const double error = relative_error(told.estimate_messages(next, "m", tools), provider(told, next));
    CAPTURE(error);
    CHECK(std::abs(error) <= 0.01);
    // A trimmed request (not anchored) holds the tools too. (The 12 tokens the provider adds
    // went into the factor, spread over the first request: a smaller one gets less of them.)
    const std::vector<Message> trimmed(next.end() - 2, next.end());
    CHECK(std::abs(relative_error(told.estimate_messages(trimmed, "m", tools), provider(told, trimmed))) <= 0.02);
    // A tool added since the anchor is counted in the next request.
    CHECK(told.estimate_messages(next, "m", tools + 40) - told.estimate_messages(next, "m", tools) == doctest::Approx(40).epsilon(0.05));

    TokenEstimator not_told;
    not_told.calibrate("m", not_told.sent(messages), provider(not_told, messages));
    CHECK(not_told.factor("m") > 1.3);
    CHECK(relative_error(not_told.estimate_messages(next, "m"), provider(not_told, next)) > 0.05);
}

TEST_CASE("token_estimator: tool definitions in the provider's count do not inflate the factor")
{
    // A provider that counts the messages as we estimate them, plus 300 tokens of tool definitions.
    TokenEstimator estimator;
    const auto provider = [&](const std::vector<Message>& m) { return estimator.estimate_messages(m) + 300; };
    std::vector<Message> messages = {text_message(Role::system, "Be brief."), text_message(Role::user, counted[0].text)};
    estimator.calibrate("m", estimator.sent(messages), provider(messages));
    CHECK(estimator.factor("m") == 1.0);  // 300 tokens over a ~45-token estimate: no tokenizer's ratio
    CHECK(estimator.estimate_messages(messages, "m") == provider(messages));  // but the count is the anchor
    CHECK(estimator.overhead("m") == 300);                                   // and the rest is the tools
    int reports = 1;
    for (std::size_t turn = 1; turn + 1 < std::size(counted); turn += 2) {
        messages.push_back(text_message(Role::assistant, counted[turn].text));
        messages.push_back(text_message(Role::user, counted[turn + 1].text));
        CAPTURE(reports);
        CHECK(estimator.estimate_messages(messages, "m") == provider(messages));
        estimator.calibrate("m", estimator.sent(messages), provider(messages));
        ++reports;
        CHECK(estimator.factor("m") == doctest::Approx(1.0));  // learnt from what was added only
        CHECK(estimator.overhead("m") == 300);                  // and the rest is the tools
    }
    CHECK(reports == 4);
    // A request that is not the conversation grown (trimmed: its oldest turn left out) is not
    // anchored, and still counts the tools.
    std::vector<Message> trimmed = {messages[0]};
    trimmed.insert(trimmed.end(), messages.begin() + 3, messages.end());
    CHECK(estimator.estimate_messages(trimmed, "m") == provider(trimmed));
    CHECK(estimator.estimate_messages({}, "m") == provider({}));  // the trimmer's fixed cost holds them too
    // Its report does not teach the factor the tools either.
    estimator.calibrate("m", estimator.sent(trimmed), provider(trimmed));
    CHECK(estimator.factor("m") == doctest::Approx(1.0));
    CHECK(estimator.overhead("m") == 300);
}

TEST_CASE("token_estimator: one report counted two to four times the estimate teaches overhead, not a factor")
{
    // 300 tokens of tools beside a first request of 100-300 tokens: a ratio of 2-4, which a
    // factor could hold but no tokenizer explains.
    TokenEstimator estimator;
    const auto provider = [&](const std::vector<Message>& m) { return estimator.estimate_messages(m) + 300; };
    std::vector<Message> messages = {text_message(Role::system, system_prompt.text)};
    for (std::size_t i = 0; i < std::size(counted) && estimator.estimate_messages(messages) < 120; i += 2)
        messages.push_back(text_message(Role::user, counted[i].text));
    const double ratio = double(provider(messages)) / double(estimator.estimate_messages(messages));
    CAPTURE(ratio);
    REQUIRE(ratio > TokenEstimator::max_factor);
    REQUIRE(ratio <= 4.0);
    estimator.calibrate("m", estimator.sent(messages), provider(messages));
    CHECK(estimator.factor("m") == 1.0);
    CHECK(estimator.overhead("m") == 300);
    // The next request, grown by a reply and a question, is estimated exactly, and so is one
    // trimmed to its newest messages.
    messages.push_back(text_message(Role::assistant, counted[1].text));
    messages.push_back(text_message(Role::user, counted[3].text));
    CHECK(estimator.estimate_messages(messages, "m") == provider(messages));
    const std::vector<Message> trimmed(messages.end() - 2, messages.end());
    CHECK(estimator.estimate_messages(trimmed, "m") == provider(trimmed));

    // A count up to max_factor times the estimate is a tokenizer's: it is the factor.
    TokenEstimator other;
    other.calibrate("m", estimator.sent(messages), std::llround(1.8 * double(other.estimate_messages(messages))));
    CHECK(other.factor("m") == doctest::Approx(1.8).epsilon(0.01));
    CHECK(other.overhead("m") == 0);
}

TEST_CASE("token_estimator: a reply's reported count teaches the factor that a request with tools cannot")
{
    // A provider whose tokenizer counts 1.3 times o200k_base, with the cookbook's template and
    // 200 tokens of tool definitions in every request; a reply's completion_tokens is its content's.
    const auto content = [](const Counted& c) { return std::llround(1.3 * double(c.exact)); };
    const auto provider = [&](const std::vector<Counted>& sent) {
        std::int64_t tokens = 200 + 3;
        for (const Counted& c : sent) tokens += 4 + content(c);
        return tokens;
    };
    const auto usage = [](std::int64_t completion) { return nlohmann::json{{"completion_tokens", completion}}; };

    TokenEstimator estimator;
    std::vector<Message> messages = {text_message(Role::system, system_prompt.text), text_message(Role::user, counted[0].text)};
    std::vector<Counted> sent = {system_prompt, counted[0]};
    estimator.calibrate("m", estimator.sent(messages), provider(sent));
    CHECK(estimator.factor("m") == 1.0);  // the tools outweigh the messages: no factor from that
    const Message reply = text_message(Role::assistant, counted[1].text);
    estimator.calibrate_reply("m", reply, usage(content(counted[1])));
    CHECK(estimator.factor("m") == doctest::Approx(double(content(counted[1])) / double(TokenEstimator::estimate_text(counted[1].text))));

    // The next request: the reported one, the reply as counted, a new question.
    messages.push_back(reply);
    messages.push_back(text_message(Role::user, counted[2].text));
    sent.push_back(counted[1]);
    sent.push_back(counted[2]);
    const std::int64_t estimate = estimator.estimate_messages(messages, "m");
    CAPTURE(estimate);
    CAPTURE(provider(sent));
    CHECK(std::abs(relative_error(estimate, provider(sent))) < 0.03);
    // The reply's content is the provider's count; only its template share and the question are estimated.
    const std::int64_t rest = 2 * (TokenEstimator::tokens_per_message + TokenEstimator::tokens_per_role) +
                              TokenEstimator::estimate_text(counted[2].text);
    CHECK(estimate == provider({system_prompt, counted[0]}) + content(counted[1]) +
                          std::int64_t(std::ceil(double(rest) * estimator.factor("m"))));
    // A request without the anchor still counts the tools: its overhead, with the factor learnt.
    const std::vector<Message> trimmed(messages.end() - 2, messages.end());
    CHECK(estimator.overhead("m") > 150);
    CHECK(std::abs(relative_error(estimator.estimate_messages(trimmed, "m"), provider({counted[1], counted[2]}))) < 0.05);

    // What teaches nothing: a reply with tool calls, a short one, a count no tokenizer explains.
    const double factor = estimator.factor("m");
    Message with_call = reply;
    confab::ToolCall call;
    call.id = "call_1";
    call.name = "lookup";
    with_call.tool_calls.push_back(call);
    estimator.calibrate_reply("m", with_call, usage(3 * content(counted[1])));
    estimator.calibrate_reply("m", text_message(Role::assistant, "Fine, thanks."), usage(40));
    estimator.calibrate_reply("m", reply, usage(5 * content(counted[1])));
    estimator.calibrate_reply("m", reply, nlohmann::json{{"prompt_tokens", 10}});
    estimator.calibrate_reply("", reply, usage(content(counted[1])));
    CHECK(estimator.factor("m") == doctest::Approx(factor));
    CHECK(estimator.factor("") == 1.0);

    // Reasoning the provider counts apart is taken off; shown reasoning without that count is estimated with the reply.
    TokenEstimator reasoning;
    Message thought = reply;
    thought.reasoning = counted[3].text;
    reasoning.calibrate_reply("r", thought, {{"completion_tokens", 900 + content(counted[1])},
                                             {"completion_tokens_details", {{"reasoning_tokens", 900}}}});
    CHECK(reasoning.factor("r") == doctest::Approx(factor));
    reasoning.calibrate_reply("s", thought, usage(content(counted[1]) + content(counted[3])));
    CHECK(reasoning.factor("s") == doctest::Approx(double(content(counted[1]) + content(counted[3])) /
                                                   double(TokenEstimator::estimate_text(counted[1].text) +
                                                          TokenEstimator::estimate_text(counted[3].text))));
}

TEST_CASE("token_estimator: before requests grow an anchor, a reply and a whole request that agree are read together")
{
    const auto usage = [](std::int64_t completion) { return nlohmann::json{{"completion_tokens", completion}}; };
    const std::vector<Message> first = {text_message(Role::system, system_prompt.text), text_message(Role::user, counted[0].text)};
    const Message reply = text_message(Role::assistant, counted[1].text);
    const auto request_estimate = double(TokenEstimator().estimate_messages(first));
    const auto reply_estimate = double(TokenEstimator::estimate_text(counted[1].text));

    // The request read 1.15 of its estimate and the reply 1.05: the same tokenizer, each a noisy
    // reading of it; both count, each by its size.
    TokenEstimator same;
    const auto request_count = std::llround(1.15 * request_estimate);
    const auto reply_count = std::llround(1.05 * reply_estimate);
    same.calibrate("m", same.sent(first), request_count);
    same.calibrate_reply("m", reply, usage(reply_count));
    CHECK(same.factor("m") == doctest::Approx(double(request_count + reply_count) / (request_estimate + reply_estimate)));

    // The request read 1.4 (tool definitions beside its messages) and the reply 1.0: the reply is the factor.
    TokenEstimator apart;
    apart.calibrate("m", apart.sent(first), std::llround(1.4 * request_estimate));
    apart.calibrate_reply("m", reply, usage(std::llround(reply_estimate)));
    CHECK(apart.factor("m") == doctest::Approx(std::llround(reply_estimate) / reply_estimate));
    CHECK(apart.overhead("m") > 0);
}

TEST_CASE("token_estimator: a reading below 1 leans towards 1 by below_one_prior tokens, and one above 1 does not")
{
    const std::vector<Message> first = {text_message(Role::system, system_prompt.text), text_message(Role::user, counted[0].text)};
    const auto estimate = double(TokenEstimator().estimate_messages(first));
    TokenEstimator below;
    below.calibrate("m", below.sent(first), std::llround(0.8 * estimate));
    const double leaned = (std::llround(0.8 * estimate) + TokenEstimator::below_one_prior) / (estimate + TokenEstimator::below_one_prior);
    CHECK(below.factor("m") == doctest::Approx(leaned));
    CHECK(below.factor("m") > 0.9);  // a 50-token request says little
    TokenEstimator above;
    above.calibrate("m", above.sent(first), std::llround(1.2 * estimate));
    CHECK(above.factor("m") == doctest::Approx(std::llround(1.2 * estimate) / estimate));
    // Many reports below 1 read nearly as they are.
    TokenEstimator many;
    for (int i = 0; i < 40; ++i) many.calibrate("m", 1000, 800);
    CHECK(many.factor("m") < 0.82);
}

TEST_CASE("token_estimator: what a message costs is kept, and a changed message is counted again")
{
    // One estimator asked many times gives what a fresh one gives, for every message and every
    // change to one: the count kept for a message is found by all that its estimate reads.
    TokenEstimator estimator;
    std::vector<Message> messages;
    for (const Counted& c : counted) messages.push_back(text_message(Role::user, c.text));
    for (int round = 0; round < 3; ++round)
        for (const Message& message : messages) CHECK(estimator.estimate_message(message) == TokenEstimator{}.estimate_message(message));
    CHECK(estimator.estimate_messages(messages) == TokenEstimator{}.estimate_messages(messages));
    CHECK(estimator.sent(messages).estimated == TokenEstimator{}.sent(messages).estimated);

    std::vector<Message> changed;
    Message grown = messages[0];
    grown.content = *grown.content + " And one more sentence, please.";
    changed.push_back(grown);
    Message named = messages[0];
    named.name = "alice";
    changed.push_back(named);
    Message assistant = messages[0];
    assistant.role = Role::assistant;
    confab::ToolCall call;
    call.id = "call_1";
    call.name = "lookup_order";
    call.arguments = R"({"order_id": "NW-1001"})";
    assistant.tool_calls.push_back(call);
    changed.push_back(assistant);
    assistant.tool_calls[0].arguments = R"({"order_id": "NW-1001", "detail": "full"})";
    changed.push_back(assistant);
    for (const Message& message : changed) {
        CHECK(estimator.estimate_message(message) == TokenEstimator{}.estimate_message(message));
        CHECK(estimator.estimate_message(message) != estimator.estimate_message(messages[0]));
        CHECK(estimator.content_tokens(message) == TokenEstimator::estimate_text(*message.content));
    }
    Message empty = messages[0];
    empty.content.reset();
    CHECK(estimator.content_tokens(empty) == 0);
    CHECK(estimator.estimate_message(empty) == TokenEstimator{}.estimate_message(empty));

    // Far more distinct messages than are kept: still right, for the old ones too.
    for (int i = 0; i < 20'000; ++i)
        CHECK(estimator.estimate_message(text_message(Role::user, "message number " + std::to_string(i))) ==
              TokenEstimator::estimate_text("message number " + std::to_string(i)) + TokenEstimator::tokens_per_message +
                  TokenEstimator::tokens_per_role);
    for (const Message& message : messages) CHECK(estimator.estimate_message(message) == TokenEstimator{}.estimate_message(message));
}
