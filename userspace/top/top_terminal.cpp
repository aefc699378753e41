#include "top/top_terminal.h"

#include <curses.h>

#include <clocale>
#include <cstdlib>
#include <string>

namespace pmt {
namespace {

enum ColourPair : short { kTitle = 1, kHeader, kExited, kNotice, kHelp };

bool colours_wanted() {
    const char* no_color = std::getenv("NO_COLOR");
    return !(no_color && *no_color) && has_colors();
}

}  // namespace

Result<std::unique_ptr<TopTerminal>> TopTerminal::open() {
    std::setlocale(LC_ALL, "");  // UTF-8 names in a UTF-8 terminal
    std::unique_ptr<TopTerminal> t(new TopTerminal());
    t->screen_ = newterm(nullptr, stdout, stdin);
    if (!t->screen_) {
        const char* term = std::getenv("TERM");
        return Error{std::string("cannot drive the terminal (TERM=") + (term ? term : "") + "): use --batch"};
    }
    set_term(t->screen_);
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    t->colours_ = colours_wanted();
    if (t->colours_) {
        start_color();
        use_default_colors();
        init_pair(kTitle, COLOR_CYAN, -1);
        init_pair(kHeader, COLOR_YELLOW, -1);
        init_pair(kExited, COLOR_RED, -1);
        init_pair(kNotice, COLOR_MAGENTA, -1);
        init_pair(kHelp, COLOR_GREEN, -1);
    }
    return t;
}

TopTerminal::~TopTerminal() {
    if (!screen_) return;
    endwin();
    delscreen(screen_);
}

size_t TopTerminal::width() const { return COLS > 0 ? size_t(COLS) : 0; }
size_t TopTerminal::height() const { return LINES > 0 ? size_t(LINES) : 0; }

void TopTerminal::draw(const std::vector<ScreenLine>& lines) {
    erase();
    for (size_t i = 0; i < lines.size() && int(i) < LINES; ++i) {
        attr_t attrs = A_NORMAL;
        short pair = 0;
        switch (lines[i].style) {
            case LineStyle::Title: attrs = A_BOLD, pair = kTitle; break;
            case LineStyle::Header: attrs = A_BOLD | (colours_ ? A_NORMAL : A_UNDERLINE), pair = kHeader; break;
            case LineStyle::Selected: attrs = A_REVERSE; break;
            case LineStyle::Exited: attrs = colours_ ? A_NORMAL : A_DIM, pair = kExited; break;
            case LineStyle::Notice: attrs = A_BOLD, pair = kNotice; break;
            case LineStyle::Help: attrs = colours_ ? A_NORMAL : A_DIM, pair = kHelp; break;
            case LineStyle::Normal: break;
        }
        if (colours_ && pair) attrs |= COLOR_PAIR(pair);
        attrset(attrs);
        mvaddnstr(int(i), 0, lines[i].text.c_str(), int(lines[i].text.size()));
        // A selected row is highlighted across the screen.
        if (lines[i].style == LineStyle::Selected) {
            int y, x;
            getyx(stdscr, y, x);
            if (y == int(i))
                for (; x < COLS; ++x) addch(' ');
        }
    }
    attrset(A_NORMAL);
    refresh();
}

std::optional<int> TopTerminal::key() {
    const int c = getch();
    if (c == ERR) return std::nullopt;
    if (c == KEY_RESIZE) {
        resized_ = true;
        return std::nullopt;
    }
    return c;
}

bool TopTerminal::take_resized() {
    const bool r = resized_;
    resized_ = false;
    return r;
}

}  // namespace pmt
