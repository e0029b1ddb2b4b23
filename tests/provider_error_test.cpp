// Error bodies as providers and proxies really sent them; each quotes where it was seen.
#include <doctest/doctest.h>

#include <string>

#include "core/provider_error.h"

using nlohmann::json;

namespace {

// 1994-11-06T08:49:37Z, the example date of RFC 9110 §5.6.7.
constexpr std::int64_t rfc_example_ms = 784111777000;
// 2025-01-01T00:00:00Z
constexpr std::int64_t new_year_2025_ms = 1735689600000;

bool has_markup(const std::string& text) { return text.find('<') != std::string::npos; }

} // namespace

TEST_CASE("provider_error: OpenAI's error object gives message, type, param and code")
{
    // chathub-dev/chathub#126
    const auto error = confab::parse_provider_error(400, R"({"error":{"message":"This model's maximum context length is 4097 tokens. However, your messages resulted in 4294 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})");
    CHECK(error.status == 400);
    CHECK(error.message == "This model's maximum context length is 4097 tokens. However, your messages resulted in 4294 tokens. Please reduce the length of the messages.");
    CHECK(error.type == "invalid_request_error");
    CHECK(error.param == "messages");
    CHECK(error.code == "context_length_exceeded");
    CHECK(error.raw["error"]["code"] == "context_length_exceeded");
    CHECK_FALSE(error.retryable);
}

TEST_CASE("provider_error: a 429 for an exhausted quota is not worth retrying")
{
    // chatanywhere/GPT_API_free#229; retrying it is langchain-ai/langchainjs#1929
    const auto error = confab::parse_provider_error(429, R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
    CHECK(error.message.starts_with("You exceeded your current quota"));
    CHECK(error.type == "insufficient_quota");
    CHECK_FALSE(error.param);
    CHECK_FALSE(error.retryable);
}

TEST_CASE("provider_error: a server error's traceback is folded onto one line, and a numeric code becomes text")
{
    // BerriAI/liteLLM-proxy#10 (shortened)
    const auto error = confab::parse_provider_error(500, R"({"error":{"message":"Expecting value: line 1 column 1 (char 0)\n\nTraceback (most recent call last):\n  File \"proxy_server.py\", line 1456, in completion\n    data = json.loads(body_str)\n","type":"None","param":"None","code":500}})");
    CHECK(error.message == R"(Expecting value: line 1 column 1 (char 0) Traceback (most recent call last): File "proxy_server.py", line 1456, in completion data = json.loads(body_str))");
    CHECK(error.code == "500");
    CHECK(error.param == "None");
    CHECK(error.retryable);
}

TEST_CASE("provider_error: a null code is empty")
{
    // netease-youdao/QAnything#555 (Ollama behind its OpenAI-compatible endpoint)
    const auto error = confab::parse_provider_error(404, R"({"error":{"message":"model \"ollama\" not found, try pulling it first","type":"api_error","param":null,"code":null}})");
    CHECK(error.message == R"(model "ollama" not found, try pulling it first)");
    CHECK(error.type == "api_error");
    CHECK(error.code.empty());
    CHECK_FALSE(error.retryable);
}

TEST_CASE("provider_error: an error that is just a string")
{
    // ollama/ollama#3876
    auto error = confab::parse_provider_error(404, R"({"error":"model 'llama3' not found, try pulling it first"})");
    CHECK(error.message == "model 'llama3' not found, try pulling it first");
    CHECK(error.type.empty());
    // acheong08/ChatGPT#1173
    error = confab::parse_provider_error(429, R"({"error": "Rate limited by proxy server"})");
    CHECK(error.message == "Rate limited by proxy server");
    CHECK(error.retryable);
}

TEST_CASE("provider_error: a proxy's bare message")
{
    // Kong's rate-limiting plugin, Kong/kong#7211
    const auto error = confab::parse_provider_error(429, R"({"message":"API rate limit exceeded"})");
    CHECK(error.message == "API rate limit exceeded");
    CHECK(error.retryable);
}

TEST_CASE("provider_error: vLLM's unwrapped error object")
{
    // QwenLM/Qwen3#241
    const auto error = confab::parse_provider_error(400, R"({"object":"error","message":"max_tokens must be at least 1, got -2815.","type":"BadRequestError","param":null,"code":400})");
    CHECK(error.message == "max_tokens must be at least 1, got -2815.");
    CHECK(error.type == "BadRequestError");
    CHECK(error.code == "400");
    CHECK_FALSE(error.retryable);
}

TEST_CASE("provider_error: FastAPI's detail, as a string and as validation errors")
{
    auto error = confab::parse_provider_error(404, R"({"detail":"Not Found"})");  // FastAPI's own 404
    CHECK(error.message == "Not Found");

    // Pydantic v2 (deadends.dev, "fastapi-422-validation-error"), with the request echoed in "input"
    error = confab::parse_provider_error(422, R"({"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required","input":{"model":"qwen"}},{"type":"string_type","loc":["body","messages",0,"content"],"msg":"Input should be a valid string","input":42}]})");
    CHECK(error.message == "body.messages: Field required; body.messages.0.content: Input should be a valid string");
    CHECK_FALSE(error.retryable);

    // Pydantic v1 (langchain-ai/langchain#19431)
    error = confab::parse_provider_error(422, R"({"detail":[{"loc":["body","model"],"msg":"field required","type":"value_error.missing"}]})");
    CHECK(error.message == "body.model: field required");
}

TEST_CASE("provider_error: OpenRouter's upstream reason replaces nothing and adds what it knows")
{
    // open-webui/computer#293
    const auto error = confab::parse_provider_error(429, R"({"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"z-ai/glm-5.3-flash is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: ...","provider_name":"BaseTen","limit_source":"upstream_provider_shared_pool"}}})");
    CHECK(error.message == "Provider returned error (BaseTen): z-ai/glm-5.3-flash is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: ...");
    CHECK(error.code == "429");
    CHECK(error.retryable);
}

TEST_CASE("provider_error: OpenRouter's raw upstream error, itself JSON, is read for its message")
{
    const std::string upstream = R"({"error":{"message":"Request contains an invalid argument.","code":400,"status":"INVALID_ARGUMENT"}})";
    const json body = {{"error", {{"message", "Provider returned error"}, {"code", 400},
                                  {"metadata", {{"raw", upstream}, {"provider_name", "Google AI Studio"}}}}}};
    const auto error = confab::parse_provider_error(400, body.dump());
    CHECK(error.message == "Provider returned error (Google AI Studio): Request contains an invalid argument.");
    CHECK(error.code == "400");
}

TEST_CASE("provider_error: Gemini wraps its error in an array")
{
    // google-gemini/gemini-cli#12823
    const auto error = confab::parse_provider_error(400, R"([{
      "error": {
        "code": 400,
        "message": "Request contains an invalid argument.",
        "errors": [{"message": "Request contains an invalid argument.", "domain": "global", "reason": "badRequest"}],
        "status": "INVALID_ARGUMENT"
      }
    }])");
    CHECK(error.message == "Request contains an invalid argument.");
    CHECK(error.type == "INVALID_ARGUMENT");
    CHECK(error.code == "400");
    CHECK(error.raw.is_array());
}

TEST_CASE("provider_error: Cloudflare's API envelope")
{
    // cloudflare/cloudflare-docs#15116
    const auto error = confab::parse_provider_error(502, R"({"result":null,"success":false,"errors":[{"code":7009,"message":"Upstream service unavailable"}],"messages":[]})");
    CHECK(error.message == "Upstream service unavailable");
    CHECK(error.code == "7009");
    CHECK(error.retryable);
}

TEST_CASE("provider_error: nginx's 502 page reads as its title")
{
    // AKSW/text2sparql.aksw.org#151
    const auto error = confab::parse_provider_error(502, "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n"
                                                         "<center><h1>502 Bad Gateway</h1></center>\n"
                                                         "<hr><center>nginx</center>\n</body>\n</html>\n");
    CHECK(error.message == "502 Bad Gateway");
    CHECK(error.raw.is_null());
    CHECK(error.retryable);
}

TEST_CASE("provider_error: Cloudflare's 502 page reads as its title, without scripts or styles")
{
    // yoheinakajima/babyagi#64, n8n-io/n8n#18275 (shortened)
    const auto error = confab::parse_provider_error(502, R"(<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
 <html class="no-js" lang="en-US">
<head>

<title>api.openai.com | 502: Bad gateway</title>
<meta charset="UTF-8" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/main.css" />
</head>
<body>
<div id="cf-wrapper">
    <div id="cf-error-details" class="p-0">
        <h1 class="inline-block"><span class="inline-block">Bad gateway</span>
        <span class="code-label">Error code 502</span></h1>
    </div>
  <script>(function(){var a=document;a.addEventListener("DOMContentLoaded",function(){})})();</script>
</div>
</body>
</html>)");
    CHECK(error.message == "api.openai.com | 502: Bad gateway");
}

TEST_CASE("provider_error: a page without a title reads as its text")
{
    // Mintplex-Labs/anything-llm#1722
    auto error = confab::parse_provider_error(504, "<html><body><h1>504 Gateway Time-out</h1>\n"
                                                   "The server didn't respond in time.\n</body></html>");
    CHECK(error.message == "504 Gateway Time-out The server didn't respond in time.");
    CHECK(error.retryable);

    error = confab::parse_provider_error(503, "<html><head><style>h1{color:red}</style><title> </title></head>"
                                              "<body><!-- upstream: 10.0.0.7 --><h1>Service &amp; API down</h1>"
                                              "<p>Try &quot;later&quot;&nbsp;&#8212; or &lt;never&gt;&#60;script&#62;</p>"
                                              "<script>alert('x')</script></body></html>");
    CHECK(error.message == "Service & API down Try \"later\" \xE2\x80\x94 or &lt;never&gt;&#60;script&#62;");
}

TEST_CASE("provider_error: whatever the page, the message holds no markup")
{
    for (const char* page : {
             "<html><body><p>Oops <b>broken</b> <img src=x onerror=alert(1)",
             "<title><script>alert(1)</script></title>",
             "<<<>>>",
             "<html><title>a <b>bold</b> title</title></html>",
             "Upstream said: <html><body>bad</body></html>",
         }) {
        const auto error = confab::parse_provider_error(502, page);
        CAPTURE(page);
        CHECK_FALSE(has_markup(error.message));
        CHECK_FALSE(error.message.empty());
    }
    // LiteLLM passes an upstream page on inside its JSON message.
    const auto error = confab::parse_provider_error(500, R"({"error":{"message":"<html>\n<head><title>502 Bad Gateway</title></head>\n<body></body></html>","code":"500"}})");
    CHECK(error.message == "502 Bad Gateway");
}

TEST_CASE("provider_error: a plain-text body is the message, on one line and capped")
{
    // router-for-me/CLIProxyAPI#2907
    auto error = confab::parse_provider_error(502, "error code: 502");
    CHECK(error.message == "error code: 502");
    CHECK(error.raw.is_null());

    error = confab::parse_provider_error(500, "Internal\r\n\tServer   Error\n");
    CHECK(error.message == "Internal Server Error");

    std::string long_text;
    for (int i = 0; i < 100; ++i) long_text += "word\xC3\xA9 ";  // "wordé " is 6 characters
    error = confab::parse_provider_error(500, long_text);
    CHECK(error.message.starts_with("word\xC3\xA9 word\xC3\xA9"));
    CHECK(error.message.ends_with("\xE2\x80\xA6"));
    // 300 characters, then the ellipsis: 50 "wordé " less the last space, and nothing cut mid-character.
    CHECK(error.message == long_text.substr(0, 50 * 7 - 1) + "\xE2\x80\xA6");
}

TEST_CASE("provider_error: an empty body says what the status says")
{
    auto error = confab::parse_provider_error(503, "");
    CHECK(error.message == "HTTP 503 Service Unavailable");
    CHECK(error.retryable);
    error = confab::parse_provider_error(429, " \r\n ");
    CHECK(error.message == "HTTP 429 Too Many Requests");
    error = confab::parse_provider_error(599, "");
    CHECK(error.message == "HTTP 599");
    error = confab::parse_provider_error(401, R"({"unexpected":"shape"})");
    CHECK(error.message == "HTTP 401 Unauthorized");
    CHECK(error.raw == json{{"unexpected", "shape"}});
    error = confab::parse_provider_error(500, "null");
    CHECK(error.message == "HTTP 500 Internal Server Error");
    error = confab::parse_provider_error(0, "");
    CHECK(error.message == "The provider reported an error without a message");
}

TEST_CASE("provider_error: invalid UTF-8 becomes U+FFFD, in text and inside JSON strings")
{
    auto error = confab::parse_provider_error(500, std::string("caf\xE9 ferm\xC3", 10));
    CHECK(error.message == "caf\xEF\xBF\xBD ferm\xEF\xBF\xBD");

    error = confab::parse_provider_error(400, std::string(R"({"error":{"message":"bad byte: )") + "\xFF\xFE" + R"(","code":"x"}})");
    CHECK(error.message == "bad byte: \xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(error.code == "x");

    // A surrogate (ED A0 80) and an overlong slash (C0 AF): one U+FFFD per maximal subpart.
    error = confab::parse_provider_error(500, "a\xED\xA0\x80z\xC0\xAFz\xF0\x9F\x98");
    CHECK(error.message == "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD");

    // Valid multi-byte text is untouched.
    error = confab::parse_provider_error(500, "\xE2\x9C\x93 \xF0\x9F\x98\x80");
    CHECK(error.message == "\xE2\x9C\x93 \xF0\x9F\x98\x80");
}

TEST_CASE("provider_error: an error value from inside a stream is read the same way")
{
    // OpenRouter sends mid-stream errors in a 200 response; its numeric code decides.
    auto error = confab::provider_error_from_json(0, json{{"message", "Upstream overloaded"}, {"code", 502}});
    CHECK(error.status == 0);
    CHECK(error.message == "Upstream overloaded");
    CHECK(error.retryable);
    error = confab::provider_error_from_json(200, json{{"error", {{"message", "Invalid schema"}, {"code", 400}}}});
    CHECK(error.message == "Invalid schema");
    CHECK_FALSE(error.retryable);
    error = confab::provider_error_from_json(200, json{{"error", {{"message", "Rate limited"}, {"code", "429"}}}});
    CHECK(error.retryable);
    error = confab::provider_error_from_json(0, json{{"message", "Something broke"}});
    CHECK_FALSE(error.retryable);
    error = confab::provider_error_from_json(0, json("plain words"));
    CHECK(error.message == "plain words");
}

TEST_CASE("provider_error: JSON nested far deeper than any error body is read as text")
{
    std::string body;
    for (int i = 0; i < 100000; ++i) body += '[';
    body += R"({"message":"deep"})";
    for (int i = 0; i < 100000; ++i) body += ']';
    auto error = confab::parse_provider_error(500, body);
    CHECK(error.raw.is_null());
    CHECK(error.message == std::string(300, '[') + "\xE2\x80\xA6");

    // Nesting within the limit is still JSON, and the search for a message stops early.
    body.clear();
    for (int i = 0; i < 60; ++i) body += '[';
    body += R"({"message":"deep"})";
    for (int i = 0; i < 60; ++i) body += ']';
    error = confab::parse_provider_error(500, body);
    CHECK(error.raw.is_array());
    CHECK(error.message == "HTTP 500 Internal Server Error");
}

TEST_CASE("provider_error: which statuses are worth retrying")
{
    for (int status : {408, 409, 425, 429, 500, 502, 503, 504, 529, 599}) {
        CAPTURE(status);
        CHECK(confab::is_retryable_status(status));
        CHECK(confab::parse_provider_error(status, "").retryable);
    }
    for (int status : {0, 200, 400, 401, 402, 403, 404, 405, 413, 415, 422, 600}) {
        CAPTURE(status);
        CHECK_FALSE(confab::is_retryable_status(status));
        CHECK_FALSE(confab::parse_provider_error(status, "").retryable);
    }
}

TEST_CASE("provider_error: Retry-After in delay-seconds")
{
    CHECK(confab::parse_retry_after_ms("120", 0) == 120000);
    CHECK(confab::parse_retry_after_ms("0", rfc_example_ms) == 0);
    CHECK(confab::parse_retry_after_ms(" \t7 ", 0) == 7000);
    CHECK(confab::parse_retry_after_ms("007", 0) == 7000);
    // Saturates at 2^31 seconds (RFC 9111 §1.2.2).
    CHECK(confab::parse_retry_after_ms("99999999999999999999999", 0) == (std::int64_t{1} << 31) * 1000);
}

TEST_CASE("provider_error: Retry-After as an IMF-fixdate")
{
    CHECK(confab::parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms - 30000) == 30000);
    CHECK(confab::parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms) == 0);
    CHECK(confab::parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms + 5000) == 0);
    CHECK(confab::parse_retry_after_ms("Wed, 01 Jan 2025 00:01:00 GMT", new_year_2025_ms) == 60000);
    CHECK(confab::parse_retry_after_ms("Thu, 29 Feb 2024 00:00:00 GMT", 0) == std::int64_t{1709164800} * 1000);
    CHECK(confab::parse_retry_after_ms("Wed, 31 Dec 2025 23:59:60 GMT", new_year_2025_ms)
          == (std::int64_t{365} * 86400) * 1000);  // a leap second reads as the next midnight
}

TEST_CASE("provider_error: Retry-After in the obsolete RFC 850 and asctime forms")
{
    CHECK(confab::parse_retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", rfc_example_ms - 1000) == 1000);
    CHECK(confab::parse_retry_after_ms("Sun Nov  6 08:49:37 1994", rfc_example_ms - 2000) == 2000);
    CHECK(confab::parse_retry_after_ms("Wed Jan 15 00:00:00 2025", new_year_2025_ms) == std::int64_t{14} * 86400000);

    // A two-digit year more than 50 years ahead is the most recent such year in the past.
    const std::int64_t five_years_ms = std::int64_t{1826} * 86400000;  // 2025-01-01 to 2030-01-01
    CHECK(confab::parse_retry_after_ms("Tuesday, 01-Jan-30 00:00:00 GMT", new_year_2025_ms) == five_years_ms);
    CHECK(confab::parse_retry_after_ms("Thursday, 01-Jan-76 00:00:00 GMT", new_year_2025_ms) == 0);  // 1976
    CHECK(confab::parse_retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", new_year_2025_ms) == 0);    // 1994
    CHECK(confab::parse_retry_after_ms("Tuesday, 01-Jan-75 00:00:00 GMT", new_year_2025_ms) > 0);    // 2075
}

TEST_CASE("provider_error: Retry-After that is neither form is ignored")
{
    for (const char* value : {
             "", "   ", "-1", "1.5", "5s", "+5", "soon", "0x10",
             "Sun, 06 Nov 1994 08:49:37 UTC",   // only GMT
             "sun, 06 nov 1994 08:49:37 GMT",   // HTTP-date is case sensitive
             "Sun, 6 Nov 1994 08:49:37 GMT",    // day is 2DIGIT
             "Sun, 06 Nov 94 08:49:37 GMT",     // year is 4DIGIT here
             "Sun, 31 Feb 1994 08:49:37 GMT",   // no such day
             "Sun, 06 Nov 1994 24:00:00 GMT",
             "Sun, 06 Nov 1994 08:60:00 GMT",
             "Sun, 06 Nov 1994 08:49:37 GMT junk",
             "Sun, 06 Nov 1994 08:49 GMT",
             "Sunday, 06-Nov-1994 08:49:37 GMT",
             "Sun Nov 6 08:49:37 1994",         // asctime pads the day with a space
             "Sun Nov  6 08:49:37 94",
             "2025-01-01T00:00:00Z",
         }) {
        CAPTURE(value);
        CHECK_FALSE(confab::parse_retry_after_ms(value, new_year_2025_ms));
    }
}
