// native/serve/model_table.cpp
#include "native/serve/model_table.h"

#include <algorithm>

namespace confab::serve {

namespace {

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

} // namespace

std::optional<ModelTable> ModelTable::parse(std::string_view spec, std::string& error)
{
    ModelTable table;
    while (true) {
        const auto comma = spec.find(',');
        const auto item = trim(spec.substr(0, comma));
        const auto equals = item.find('=');
        const auto name = trim(item.substr(0, equals));
        const auto target = equals == std::string_view::npos ? name : trim(item.substr(equals + 1));
        if (name.empty() || target.empty()) {
            error = "--models: expected name=model or model, got \"" + std::string(item) + "\"";
            return std::nullopt;
        }
        if (table.resolve(name)) {
            error = "--models: \"" + std::string(name) + "\" is given twice";
            return std::nullopt;
        }
        table.add(std::string(name), std::string(target));
        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
    }
    return table;
}

void ModelTable::add(std::string name, std::string target)
{
    entries_.emplace_back(std::move(name), std::move(target));
}

std::optional<std::string> ModelTable::resolve(std::string_view requested) const
{
    if (requested.empty()) {
        if (entries_.empty()) return std::nullopt;
        return entries_.front().second;
    }
    const auto it = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const auto& entry) { return entry.first == requested; });
    if (it != entries_.end()) return it->second;
    if (open_) return std::string(requested);
    return std::nullopt;
}

std::vector<std::string> ModelTable::names() const
{
    std::vector<std::string> names;
    for (const auto& entry : entries_) names.push_back(entry.first);
    return names;
}

} // namespace confab::serve
