// tests/desktop/script_test.cpp
#include <doctest/doctest.h>

#include "native/desktop/script.h"

using namespace confab::desktop;

TEST_CASE("script: steps, their words, and texts that keep their spaces")
{
    const auto parse = parse_script("# a comment\n\nendpoint http://127.0.0.1:9/v1\r\nmodel confab-demo\n"
                                    "send   What is  2 + 2?  \nwait 20\nreplay a.sse 7 1000\nwindow Stream\nframes 3\nexpect done\n");
    REQUIRE_FALSE(parse.error);
    REQUIRE(parse.steps.size() == 8);
    CHECK(parse.steps[0].command == "endpoint");
    CHECK(parse.steps[0].args == std::vector<std::string>{"http://127.0.0.1:9/v1"});
    CHECK(parse.steps[2].args == std::vector<std::string>{"What is  2 + 2?"});
    CHECK(parse.steps[2].line == 5);
    CHECK(parse.steps[4].args == std::vector<std::string>{"a.sse", "7", "1000"});
}

TEST_CASE("script: mistakes name their line")
{
    CHECK(parse_script("model m\nsned hi\n").error == "line 2: unknown step \"sned\"");
    CHECK(parse_script("send\n").error == "line 1: \"send\" takes a text");
    CHECK(parse_script("wait soon\n").error == "line 1: \"wait\" takes a number");
    CHECK(parse_script("model a b\n").error == "line 1: \"model\" takes 1 argument(s)");
    CHECK(parse_script("window Debug\n").error == "line 1: unknown window \"Debug\"");
    CHECK(parse_script("expect fine\n").error == "line 1: expect done|stopped|failed|incomplete");
    CHECK(parse_script("replay a.sse x\n").error->starts_with("line 1: replay FILE"));
}
