// The full-screen terminal of `top`, through ncurses (Debian's libncurses-dev):
// draws a refresh's lines, reads keys without waiting, follows resizes. Colours
// only when the terminal has them and NO_COLOR is not set (no-color.org).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "top/top_view.h"
#include "util/result.h"

struct screen;

namespace pmt {

class TopTerminal {
public:
    // The terminal of stdin/stdout; an error (one line) when ncurses cannot drive it.
    static Result<std::unique_ptr<TopTerminal>> open();
    ~TopTerminal();  // gives the terminal back as it was
    TopTerminal(const TopTerminal&) = delete;
    TopTerminal& operator=(const TopTerminal&) = delete;

    size_t width() const;
    size_t height() const;
    void draw(const std::vector<ScreenLine>& lines);
    // The next key pressed, if any (never waits). A resize is handled here and
    // reported as std::nullopt with resized() true.
    std::optional<int> key();
    bool take_resized();

private:
    TopTerminal() = default;
    screen* screen_ = nullptr;
    bool colours_ = false;
    bool resized_ = false;
};

}  // namespace pmt
