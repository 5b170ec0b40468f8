// SHA-256 against the FIPS 180-4 examples (NIST "SHA256.pdf" example values and the
// one-million-'a' vector of FIPS 180-2 / NIST CSRC).
#define BOOST_TEST_MODULE datasets_sha256
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "datasets/sha256.hpp"

using rb::data::Sha256;
using rb::data::sha256_hex;

BOOST_AUTO_TEST_CASE(empty_message) {
  BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(one_block_abc) {
  BOOST_TEST(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(two_blocks_448_bits) {
  BOOST_TEST(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

BOOST_AUTO_TEST_CASE(two_blocks_896_bits) {
  BOOST_TEST(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                        "mnopqrstnopqrstu") ==
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

BOOST_AUTO_TEST_CASE(one_million_a) {
  BOOST_TEST(sha256_hex(std::string(1000000, 'a')) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(padding_boundaries_and_split_updates_agree) {
  // Lengths around the 55/56/64-byte padding edges, fed whole and in uneven pieces.
  for (std::size_t n : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u, 1000u}) {
    std::string message;
    for (std::size_t i = 0; i < n; ++i) message.push_back(static_cast<char>('a' + i % 26));
    Sha256 pieces;
    for (std::size_t pos = 0, step = 1; pos < n; pos += step, step = step % 13 + 7) {
      pieces.update(std::string_view(message).substr(pos, step));
    }
    BOOST_TEST(pieces.hex_digest() == sha256_hex(message), "length " << n);
  }
}

BOOST_AUTO_TEST_CASE(digest_twice_is_an_error) {
  Sha256 h;
  h.update("x");
  (void)h.digest();
  BOOST_CHECK_THROW(h.digest(), std::logic_error);
  BOOST_CHECK_THROW(h.update("y"), std::logic_error);
}
