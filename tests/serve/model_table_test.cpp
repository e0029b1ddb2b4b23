// tests/serve/model_table_test.cpp
#include <doctest/doctest.h>

#include "native/serve/model_table.h"
#include "native/serve/origin_policy.h"

using confab::serve::ModelTable;

TEST_CASE("model_table: aliases, bare names, and nothing else")
{
    std::string error;
    const auto table = ModelTable::parse(" chat = llama-3.3-70b , gpt-4o-mini", error);
    REQUIRE(table);
    CHECK(table->resolve("chat") == "llama-3.3-70b");
    CHECK(table->resolve("gpt-4o-mini") == "gpt-4o-mini");
    CHECK(table->resolve("llama-3.3-70b") == std::nullopt);  // the page asks by alias only
    CHECK(table->resolve("") == "llama-3.3-70b");
    CHECK(table->names() == std::vector<std::string>{"chat", "gpt-4o-mini"});
}

TEST_CASE("model_table: bad lists are refused with the reason")
{
    std::string error;
    CHECK_FALSE(ModelTable::parse("chat=,x", error));
    CHECK(error.find("chat=") != std::string::npos);
    CHECK_FALSE(ModelTable::parse("a,,b", error));
    CHECK_FALSE(ModelTable::parse("a=x,a=y", error));
    CHECK(error == "--models: \"a\" is given twice");
}

TEST_CASE("model_table: an open table allows any model as itself")
{
    const auto table = ModelTable::open_table();
    CHECK(table.resolve("anything") == "anything");
    CHECK(table.resolve("") == std::nullopt);
}

TEST_CASE("origin_policy: only the relay's own origin by default")
{
    using confab::serve::judge_origin;
    using confab::serve::OriginVerdict;
    const std::vector<std::string> none;
    CHECK(judge_origin("", "127.0.0.1:8080", none) == OriginVerdict::no_origin);
    CHECK(judge_origin("http://127.0.0.1:8080", "127.0.0.1:8080", none) == OriginVerdict::same_origin);
    CHECK(judge_origin("http://evil.example", "127.0.0.1:8080", none) == OriginVerdict::refused);
    CHECK(judge_origin("null", "127.0.0.1:8080", none) == OriginVerdict::refused);
    const std::vector<std::string> listed = {"https://shop.example"};
    CHECK(judge_origin("https://SHOP.example", "relay:80", listed) == OriginVerdict::allowed);
    CHECK(judge_origin("https://shop.example.evil", "relay:80", listed) == OriginVerdict::refused);
    CHECK(judge_origin("https://any.example", "relay:80", {"*"}) == OriginVerdict::allowed);
}
