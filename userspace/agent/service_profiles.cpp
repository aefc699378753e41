#include "agent/service_profiles.h"

#include "collect/collector.h"

namespace pmt {
namespace {

std::string symbol_key(const Symbol& s) {
    return std::to_string(int(s.kind)) + '\x1f' + s.function + '\x1f' + s.class_name.value_or("") + '\x1f' + s.file +
           '\x1f' + std::to_string(s.line_start);
}

// Symbols of a profile being built, interned by their full identity.
struct SymbolIndex {
    std::unordered_map<std::string, uint32_t> ids;
    uint32_t intern(Profile& into, const Symbol& s) {
        auto [it, added] = ids.emplace(symbol_key(s), static_cast<uint32_t>(into.symbols.size()));
        if (added) into.symbols.push_back(s);
        return it->second;
    }
};

std::optional<std::string> service_of_frame(const Profile& p, const Frame& root) {
    if (root.symbol >= p.symbols.size()) return std::nullopt;
    const std::string& name = p.symbols[root.symbol].function;
    if (name.rfind(kServiceFramePrefix, 0) != 0 || name.back() != ']') return std::nullopt;
    return name.substr(kServiceFramePrefix.size(), name.size() - kServiceFramePrefix.size() - 1);
}

}  // namespace

std::string stack_key(const Profile& profile, const Stack& stack) {
    std::string key;
    for (const Frame& f : stack.frames) {
        if (f.symbol < profile.symbols.size()) key += symbol_key(profile.symbols[f.symbol]);
        key += '\x1e' + std::to_string(f.line) + '\x1d';
    }
    return key;
}

void split_by_service(const Profile& from, std::map<std::string, Profile>& into) {
    std::map<std::string, SymbolIndex> indexes;
    for (auto& [name, profile] : into)
        for (uint32_t i = 0; i < profile.symbols.size(); ++i) indexes[name].ids.emplace(symbol_key(profile.symbols[i]), i);
    for (const Stack& stack : from.stacks) {
        if (stack.frames.empty()) continue;
        auto service = service_of_frame(from, stack.frames.front());
        if (!service) continue;  // not a service's (the stack table's overflow entry)
        Profile& out = into[*service];
        SymbolIndex& index = indexes[*service];
        Stack copy;
        copy.stats = stack.stats;
        for (size_t i = 1; i < stack.frames.size(); ++i) {
            const Frame& f = stack.frames[i];
            if (f.symbol < from.symbols.size())
                copy.frames.push_back(Frame{index.intern(out, from.symbols[f.symbol]), f.line});
        }
        out.stacks.push_back(std::move(copy));
    }
}

void IntervalDeltas::to_interval(const std::string& service, Profile& profile) {
    auto& previous = previous_[service];
    std::unordered_map<std::string, Totals> now;
    std::vector<Stack> kept;
    for (Stack& stack : profile.stacks) {
        const std::string key = stack_key(profile, stack);
        Totals& total = now[key];
        // The same stack from two binaries' sessions: summed.
        total.alloc_count += stack.stats.alloc_count;
        total.alloc_bytes += stack.stats.alloc_bytes;
        total.free_count += stack.stats.free_count;
        total.free_bytes += stack.stats.free_bytes;
        const Totals before = previous.count(key) ? previous[key] : Totals{};
        auto since = [](uint64_t now_value, uint64_t before_value) {
            return now_value >= before_value ? now_value - before_value : now_value;
        };
        stack.stats.alloc_count = since(stack.stats.alloc_count, before.alloc_count);
        stack.stats.alloc_bytes = since(stack.stats.alloc_bytes, before.alloc_bytes);
        stack.stats.free_count = since(stack.stats.free_count, before.free_count);
        stack.stats.free_bytes = since(stack.stats.free_bytes, before.free_bytes);
        if (previous.count(key)) previous.erase(key);  // a duplicate key takes its part once
        if (stack.stats.alloc_count || stack.stats.live_count || stack.stats.peak_live_count) kept.push_back(std::move(stack));
    }
    profile.stacks = std::move(kept);
    previous = std::move(now);
}

}  // namespace pmt
