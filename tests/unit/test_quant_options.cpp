// parse_quant_options: --quant none|nf4|nf4-dq|int4|int4-asym and --group-size, with the exact
// messages for an unknown name (and its suggestion) and for group sizes that do not apply.
#define BOOST_TEST_MODULE quant_options
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/error.hpp"
#include "quant/quant_options.hpp"

using rb::quant::parse_quant_options;
using rb::quant::QuantOptions;
using rb::quant::Scheme;

namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const rb::InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(known_names_schemes_and_labels) {
  const QuantOptions none = parse_quant_options("none", 0, "command line", "--quant");
  BOOST_TEST(!none.enabled());
  BOOST_TEST(none.label() == "none");
  BOOST_TEST(none.effective_group_size() == 0);
  BOOST_CHECK_THROW(none.scheme(), rb::Error);

  const QuantOptions nf4 = parse_quant_options("nf4", 0, "command line", "--quant");
  BOOST_TEST(nf4.enabled());
  BOOST_TEST((nf4.scheme() == Scheme::NF4));
  BOOST_TEST(nf4.effective_group_size() == 64);
  BOOST_TEST(nf4.label() == "nf4");
  const QuantOptions dq = parse_quant_options("nf4-dq", 0, "command line", "--quant");
  BOOST_TEST((dq.scheme() == Scheme::NF4_DQ));
  BOOST_TEST(dq.label() == "nf4-dq");
  BOOST_TEST(dq.effective_group_size() == 64);

  const QuantOptions int4 = parse_quant_options("int4", 0, "command line", "--quant");
  BOOST_TEST((int4.scheme() == Scheme::INT4));
  BOOST_TEST(int4.effective_group_size() == 128);
  BOOST_TEST(int4.label() == "int4-g128");
  const QuantOptions asym = parse_quant_options("int4-asym", 64, "command line", "--quant");
  BOOST_TEST((asym.scheme() == Scheme::INT4_ASYM));
  BOOST_TEST(asym.group_size == 64);
  BOOST_TEST(asym.effective_group_size() == 64);
  BOOST_TEST(asym.label() == "int4-asym-g64");
  // Spelling is canonicalised.
  BOOST_TEST(parse_quant_options("NF4-DQ", 0, "grid.toml", "quant").name == "nf4-dq");
}

BOOST_AUTO_TEST_CASE(unknown_name_suggests_the_nearest) {
  BOOST_TEST(error_of([] { parse_quant_options("nf5", 0, "command line", "--quant"); }) ==
             "command line: --quant: unknown quantization 'nf5'; did you mean 'nf4'? "
             "(known: none, nf4, nf4-dq, int4, int4-asym)");
  BOOST_TEST(error_of([] { parse_quant_options("int4asym", 0, "grid.toml", "runs[2].quant"); }) ==
             "grid.toml: runs[2].quant: unknown quantization 'int4asym'; did you mean 'int4-asym'? "
             "(known: none, nf4, nf4-dq, int4, int4-asym)");
  BOOST_TEST(error_of([] { parse_quant_options("gptq", 0, "command line", "--quant"); }) ==
             "command line: --quant: unknown quantization 'gptq' (known: none, nf4, nf4-dq, int4, int4-asym)");
}

BOOST_AUTO_TEST_CASE(group_size_rules) {
  BOOST_TEST(error_of([] { parse_quant_options("nf4", 128, "command line", "--quant"); }) ==
             "command line: --quant: a group size (128) was given with nf4, whose blocks are bitsandbytes' fixed 64; "
             "the group size applies to int4 and int4-asym");
  BOOST_TEST(error_of([] { parse_quant_options("nf4-dq", 64, "command line", "--quant"); }) ==
             "command line: --quant: a group size (64) was given with nf4-dq, whose blocks are bitsandbytes' fixed 64; "
             "the group size applies to int4 and int4-asym");
  BOOST_TEST(error_of([] { parse_quant_options("int4", 1, "command line", "--quant"); }) ==
             "command line: --quant: group size 1 is below 2");
  BOOST_TEST(error_of([] { parse_quant_options("int4", -128, "command line", "--quant"); }) ==
             "command line: --quant: group size -128 is below 2");
  BOOST_TEST(parse_quant_options("int4", 32, "command line", "--quant").label() == "int4-g32");
}
