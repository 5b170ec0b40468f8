// The one UTF-8 module (common/utf8.hpp, over utf8proc): RFC 3629 validation with the offset of
// the first bad byte, decoding and encoding round trips, and the two whitespace sets.
#define BOOST_TEST_MODULE common_utf8
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/error.hpp"
#include "common/utf8.hpp"

BOOST_AUTO_TEST_CASE(validation_names_the_first_bad_byte) {
  // Overlong, surrogate, beyond U+10FFFF, truncated, stray continuation, bad continuation.
  BOOST_TEST(rb::first_invalid_utf8("ok\xC0\xAF").value() == 2u);
  BOOST_TEST(rb::first_invalid_utf8("\xE0\x80\xAF").value() == 0u);
  BOOST_TEST(rb::first_invalid_utf8("\xED\xA0\x80").value() == 0u);
  BOOST_TEST(rb::first_invalid_utf8("a\xF4\x90\x80\x80").value() == 1u);
  BOOST_TEST(rb::first_invalid_utf8("ab\xE2\x82").value() == 2u);
  BOOST_TEST(rb::first_invalid_utf8("\x80").value() == 0u);
  BOOST_TEST(rb::first_invalid_utf8("abc\xC3\x28").value() == 3u);
  BOOST_TEST(rb::first_invalid_utf8("\xF8\x88\x80\x80\x80").value() == 0u);
  BOOST_TEST(!rb::first_invalid_utf8("").has_value());
  BOOST_TEST(!rb::first_invalid_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF \xF4\x8F\xBF\xBF").has_value());
  BOOST_CHECK_THROW(rb::require_utf8("x\xFF", "f.txt"), rb::InputError);
  BOOST_CHECK_NO_THROW(rb::require_utf8("caf\xC3\xA9", "f.txt"));
}

BOOST_AUTO_TEST_CASE(decode_and_encode_round_trip) {
  for (char32_t cp : {U'\0', U'A', U'\x7F', U'\x80', U'\xE9', U'\x7FF', U'\x800', U'\x20AC', U'\xD7FF', U'\xE000',
                      U'\xFFFF', U'\x10000', U'\x1F600', U'\x10FFFF'}) {
    const std::string bytes = rb::to_utf8(cp);
    BOOST_TEST(rb::utf8_length(static_cast<unsigned char>(bytes[0])) == bytes.size());
    std::size_t i = 0;
    BOOST_TEST(static_cast<uint32_t>(rb::next_code_point(bytes, i)) == static_cast<uint32_t>(cp));
    BOOST_TEST(i == bytes.size());
  }
  BOOST_TEST(rb::to_utf8(U'\x20AC') == "\xE2\x82\xAC");
  std::size_t i = 0;  // a byte that starts nothing comes back as itself
  BOOST_TEST(static_cast<uint32_t>(rb::next_code_point("\xFF" "a", i)) == 0xFFu);
  BOOST_TEST(i == 1u);
}

BOOST_AUTO_TEST_CASE(whitespace_sets) {
  // Rust's char::is_whitespace (White_Space) has no \x1c-\x1f; Python's str.isspace() does.
  BOOST_TEST(rb::is_white_space(U' '));
  BOOST_TEST(rb::is_white_space(U'\x3000'));
  BOOST_TEST(rb::is_white_space(U'\x200A'));
  BOOST_TEST(!rb::is_white_space(U'\x200B'));
  BOOST_TEST(!rb::is_white_space(U'\x1C'));
  BOOST_TEST(rb::is_python_whitespace_only(""));
  BOOST_TEST(rb::is_python_whitespace_only(" \t\n\x1C\xC2\x85\xC2\xA0\xE3\x80\x80"));
  BOOST_TEST(!rb::is_python_whitespace_only(" \xE2\x80\x8B "));  // U+200B is not whitespace
  BOOST_TEST(!rb::is_python_whitespace_only(" x "));
  BOOST_TEST(!rb::is_python_whitespace_only(" \xFF"));
}
