#include <iostream>

#include "cli/commands.h"

namespace pmt::cli {

std::optional<View> parse_view_option(const std::string& name) {
    auto view = parse_view(name);
    if (!view) std::cerr << "phpmemtrace: unknown view '" << name << "' (" << view_names() << ")\n";
    return view;
}

}  // namespace pmt::cli
