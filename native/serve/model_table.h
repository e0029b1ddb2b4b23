// native/serve/model_table.h
// Which models a relay lets the page ask for, and what each name means upstream. The
// operator writes `--models chat=llama-3.3-70b,summary=qwen-3-32b,gpt-4o-mini`: the page
// asks for "chat" and the provider is asked for "llama-3.3-70b"; a bare name is allowed as
// itself. Deliberately not done here: reading a config file (the flag is the config).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace confab::serve {

class ModelTable {
public:
    // An open table allows every model as itself: a relay with an upstream and no --models
    // (the operator said nothing, so the page decides), or one that replays recordings.
    static ModelTable open_table() { ModelTable table; table.open_ = true; return table; }

    // Reads "name=target,name,..." (spaces around items are ignored). nullopt, with the
    // reason in `error`, for an empty item, an empty name or target, or a name given twice.
    static std::optional<ModelTable> parse(std::string_view spec, std::string& error);

    void add(std::string name, std::string target);

    // The upstream model for a name the page asked for; the first entry for "" (a request
    // without a model). nullopt: not allowed.
    std::optional<std::string> resolve(std::string_view requested) const;

    // The names a page may ask for, in the order given (what GET /v1/models lists).
    std::vector<std::string> names() const;

    bool is_open() const { return open_; }

private:
    std::vector<std::pair<std::string, std::string>> entries_;  // name, upstream model
    bool open_ = false;
};

} // namespace confab::serve
