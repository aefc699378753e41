// printable_text(): what every output shows of a name read from a target or a file.
#include <gtest/gtest.h>

#include "util/utf8_text.h"

namespace pmt {
namespace {

TEST(PrintableText, ValidUtf8IsUnchanged) {
    EXPECT_EQ(printable_text("App\\Models\\User::caf\xC3\xA9"), "App\\Models\\User::caf\xC3\xA9");
    EXPECT_EQ(printable_text("\xF0\x9F\x90\x98 elePHPant"), "\xF0\x9F\x90\x98 elePHPant");
    EXPECT_EQ(printable_text(""), "");
}

TEST(PrintableText, Latin1BytesAreEscaped) {
    EXPECT_EQ(printable_text("caf\xE9"), "caf\\xE9");
    EXPECT_EQ(printable_text("Gr\xF6\xDF" "e"), "Gr\\xF6\\xDFe");
}

TEST(PrintableText, MalformedSequencesAreEscapedByteByByte) {
    EXPECT_EQ(printable_text("\xC0\xAF"), "\\xC0\\xAF");          // overlong '/'
    EXPECT_EQ(printable_text("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // UTF-16 surrogate
    EXPECT_EQ(printable_text("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // past U+10FFFF
    EXPECT_EQ(printable_text("ab\xE2\x82"), "ab\\xE2\\x82");       // cut short at the end
    EXPECT_EQ(printable_text("\x80x"), "\\x80x");                   // lone continuation byte
}

TEST(PrintableText, ControlCharactersAreEscaped) {
    EXPECT_EQ(printable_text(std::string("a\nb\x01\x7f", 5)), "a\\x0Ab\\x01\\x7F");
    EXPECT_EQ(printable_text(std::string("a\0b", 3)), "a\\x00b");
}

TEST(PrintableText, ApplyingItTwiceChangesNothing) {
    const std::string once = printable_text("caf\xE9 \xED\xA0\x80 \x01");
    EXPECT_EQ(printable_text(once), once);
}

TEST(PrintableField, StopsAtTheFirstNulOrTheCapacity) {
    const char field[8] = {'c', 'a', 'f', '\xE9', 0, 'x', 'y', 'z'};
    EXPECT_EQ(printable_field(field, sizeof(field)), "caf\\xE9");
    const char full[4] = {'a', 'b', 'c', 'd'};
    EXPECT_EQ(printable_field(full, sizeof(full)), "abcd");
}

}  // namespace
}  // namespace pmt
