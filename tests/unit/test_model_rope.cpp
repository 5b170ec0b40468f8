// harness/model_rope: the RoPE of a model with RoPE per layer type (Gemma-3's full_attention and
// sliding_attention layers) under an override without a layer type (the full layers'), one keyed
// by layer type (each type named), and the errors: a keyed override of a single-RoPE model, keys
// mixed with parameters, a type the model lacks, a bad parameter named under its layer type.
#define BOOST_TEST_MODULE model_rope
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "common/error.hpp"
#include "harness/model_rope.hpp"
#include "model_core/config.hpp"

using nlohmann::json;
using rb::cli::model_rope;

namespace {

const std::string kModels = std::string(RB_FIXTURES) + "/models/";

const rb::ModelConfig& gemma3() {
  static const rb::ModelConfig c = rb::load_hf_config(kModels + "gemma3_sw/config.json");
  return c;
}

const rb::ModelConfig& llama() {
  static const rb::ModelConfig c = rb::load_hf_config(kModels + "llama_gqa/config.json");
  return c;
}

// model_rope(c, rope, source) throws an InputError from `source` whose field contains `field`
// and whose message contains `also`; returns the field.
std::string expect_error(const rb::ModelConfig& c, const json& rope, const std::string& field, const std::string& also,
                         const std::string& source = "--rope") {
  try {
    model_rope(c, rope, source);
  } catch (const rb::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("rope " << rope.dump() << ": " << msg);
    BOOST_TEST(e.file() == source);
    BOOST_TEST(e.field().find(field) != std::string::npos);
    BOOST_TEST(msg.find(also) != std::string::npos);
    return e.field();
  }
  BOOST_ERROR("no error for rope " << rope.dump());
  return "";
}

// inv_freq[i] of plain RoPE with base `theta` and rotary_dim 16, as transformers computes it in fp32.
double plain_inv_freq(double theta, int i) { return 1.0 / std::pow(theta, 2.0 * i / 16.0); }
// fp32 against the double value: within 1e-6 relative.
bool close(float got, double want) { return std::abs(got - want) <= 1e-6 * std::abs(want); }

}  // namespace

BOOST_AUTO_TEST_CASE(no_override_gives_each_type_the_checkpoints_rope) {
  const rb::cli::ModelRope r = model_rope(gemma3(), nullptr);
  BOOST_REQUIRE_EQUAL(r.entries().size(), 2u);
  BOOST_TEST(r.entries()[0].layer_type == "full_attention");
  BOOST_TEST(r.entries()[0].info.rope_theta == 1e6);
  BOOST_TEST(r.entries()[0].method->name() == "default");
  BOOST_TEST(r.entries()[1].layer_type == "sliding_attention");
  BOOST_TEST(r.entries()[1].info.rope_theta == 1e4);
  BOOST_TEST(r.entries()[1].method->name() == "default");
  BOOST_TEST(r.name() == "full_attention: default, sliding_attention: default");
  const json config = r.config();
  BOOST_REQUIRE(config.is_object());
  BOOST_TEST(config.size() == 2u);
  BOOST_TEST(config["full_attention"]["rope_type"] == "default");
  BOOST_TEST(config["full_attention"]["rope_theta"] == 1e6);
  BOOST_TEST(config["sliding_attention"]["rope_type"] == "default");
  BOOST_TEST(config["sliding_attention"]["rope_theta"] == 1e4);

  const rb::rope::RopeSchedules s = r.schedules(64);
  BOOST_REQUIRE_EQUAL(s.by_type.size(), 2u);
  BOOST_TEST(s.length() == 64);
  for (int i : {1, 4, 7}) {
    BOOST_TEST(close(s.by_type[0].inv_freq[i], plain_inv_freq(1e6, i)), "pair " << i);
    BOOST_TEST(close(s.by_type[1].inv_freq[i], plain_inv_freq(1e4, i)), "pair " << i);
  }
}

BOOST_AUTO_TEST_CASE(an_override_without_a_layer_type_replaces_the_full_layers) {
  const rb::cli::ModelRope r = model_rope(gemma3(), json{{"rope_type", "yarn"}, {"factor", 4}});
  BOOST_REQUIRE_EQUAL(r.entries().size(), 2u);
  BOOST_TEST(r.name() == "full_attention: yarn, sliding_attention: default");
  const json config = r.config();
  BOOST_TEST(config["full_attention"]["rope_type"] == "yarn");
  BOOST_TEST(config["full_attention"]["factor"] == 4.0);
  BOOST_TEST(config["full_attention"]["rope_theta"] == 1e6);  // the type's own base is kept
  BOOST_TEST(config["sliding_attention"]["rope_type"] == "default");
  BOOST_TEST(config["sliding_attention"]["rope_theta"] == 1e4);

  const rb::rope::RopeSchedules s = r.schedules(128);
  const rb::rope::RopeSchedules plain = model_rope(gemma3(), nullptr).schedules(128);
  BOOST_REQUIRE_EQUAL(s.by_type.size(), 2u);
  BOOST_TEST(s.length() == 128);
  for (const auto& one : s.by_type) {
    BOOST_TEST(one.positions.size() == 128u);
    BOOST_TEST(one.inv_freq.size() == 8u);
  }
  BOOST_TEST(s.by_type[0].inv_freq != s.by_type[1].inv_freq);
  BOOST_TEST(s.by_type[0].inv_freq != plain.by_type[0].inv_freq);  // yarn changed the full layers'
  BOOST_TEST(s.by_type[1].inv_freq == plain.by_type[1].inv_freq);  // and left the sliding layers'
  BOOST_TEST(s.by_type[1].attention_scaling == 1.0f);
  BOOST_TEST(s.by_type[0].attention_scaling > 1.0f);  // yarn's 0.1 ln(4) + 1

  // rope_theta in the override wins over the type's.
  const json theta = model_rope(gemma3(), json{{"rope_type", "linear"}, {"factor", 2}, {"rope_theta", 5e5}}).config();
  BOOST_TEST(theta["full_attention"]["rope_theta"] == 5e5);
  BOOST_TEST(theta["sliding_attention"]["rope_theta"] == 1e4);
}

BOOST_AUTO_TEST_CASE(an_override_keyed_by_layer_type_replaces_each_type_named) {
  rb::cli::ModelRope r = model_rope(gemma3(), json{{"sliding_attention", {{"rope_type", "linear"}, {"factor", 2}}}});
  BOOST_TEST(r.name() == "full_attention: default, sliding_attention: linear");
  json config = r.config();
  BOOST_TEST(config["full_attention"]["rope_type"] == "default");
  BOOST_TEST(config["full_attention"]["rope_theta"] == 1e6);
  BOOST_TEST(config["sliding_attention"]["rope_type"] == "linear");
  BOOST_TEST(config["sliding_attention"]["factor"] == 2.0);
  BOOST_TEST(config["sliding_attention"]["rope_theta"] == 1e4);
  rb::rope::RopeSchedules s = r.schedules(32);
  BOOST_TEST(close(s.by_type[0].inv_freq[3], plain_inv_freq(1e6, 3)));
  BOOST_TEST(close(s.by_type[1].inv_freq[3], plain_inv_freq(1e4, 3) / 2.0));

  // Both types, and rope_theta inside an entry overrides that type's base.
  r = model_rope(gemma3(), json{{"full_attention", {{"rope_type", "yarn"}, {"factor", 4}}},
                                {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 5e4}}}});
  BOOST_TEST(r.name() == "full_attention: yarn, sliding_attention: default");
  config = r.config();
  BOOST_TEST(config["full_attention"]["rope_theta"] == 1e6);
  BOOST_TEST(config["sliding_attention"]["rope_theta"] == 5e4);
  s = r.schedules(16);
  BOOST_TEST(close(s.by_type[1].inv_freq[2], plain_inv_freq(5e4, 2)));

  // A keyed object with no entry of its own for a type keeps the checkpoint's there; the keyed
  // full_attention entry alone equals the unkeyed override.
  const json yarn = {{"rope_type", "yarn"}, {"factor", 4}};
  BOOST_TEST(model_rope(gemma3(), json{{"full_attention", yarn}}).config() == model_rope(gemma3(), yarn).config());
}

BOOST_AUTO_TEST_CASE(a_model_with_one_rope_takes_only_unkeyed_overrides) {
  const rb::cli::ModelRope own = model_rope(llama(), nullptr);
  BOOST_REQUIRE_EQUAL(own.entries().size(), 1u);
  BOOST_TEST(own.entries()[0].layer_type.empty());
  BOOST_TEST(own.name() == "default");
  BOOST_TEST(own.config()["rope_type"] == "default");  // the method's config, not keyed
  BOOST_TEST(model_rope(llama(), json{{"rope_type", "yarn"}, {"factor", 4}}).name() == "yarn");
  BOOST_TEST(own.schedules(8).by_type.size() == 1u);

  expect_error(llama(), json{{"full_attention", {{"rope_type", "linear"}, {"factor", 2}}}}, "full_attention",
               "applies one RoPE to every layer");
  expect_error(llama(), json{{"sliding_attention", {{"rope_type", "linear"}, {"factor", 2}}}}, "sliding_attention",
               "LlamaForCausalLM");
  expect_error(llama(), json{{"sliding_attention", {{"rope_type", "linear"}, {"factor", 2}}}}, "sliding_attention",
               "LlamaForCausalLM", "grid.toml:12");
}

BOOST_AUTO_TEST_CASE(layer_type_keys_and_method_parameters_do_not_mix) {
  BOOST_TEST(!rb::cli::keyed_by_layer_type(nullptr));
  BOOST_TEST(!rb::cli::keyed_by_layer_type(json::object()));
  BOOST_TEST(!rb::cli::keyed_by_layer_type(json{{"rope_type", "yarn"}, {"factor", 4}}));
  BOOST_TEST(rb::cli::keyed_by_layer_type(json{{"full_attention", json::object()}}));
  BOOST_TEST(rb::cli::keyed_by_layer_type(json{{"full_attention", json::object()}, {"sliding_attention", json::object()}}));

  const json linear = {{"rope_type", "linear"}, {"factor", 2}};
  expect_error(gemma3(), json{{"full_attention", linear}, {"factor", 2}}, "factor", "beside the layer type");
  expect_error(gemma3(), json{{"sliding_attention", linear}, {"rope_type", "yarn"}}, "rope_type", "beside the layer type");
  expect_error(gemma3(), json{{"full_attention", "linear"}}, "full_attention", "expected a RoPE object");
  expect_error(gemma3(), json{{"full_attention", linear}, {"sliding_attention", 2}}, "sliding_attention",
               "expected a RoPE object");
}

BOOST_AUTO_TEST_CASE(a_type_the_model_lacks_is_an_error) {
  rb::ModelConfig c = gemma3();
  c.rope_by_layer_type.pop_back();  // a model whose only RoPE of its own is the full layers'
  expect_error(c, json{{"sliding_attention", {{"rope_type", "linear"}, {"factor", 2}}}}, "sliding_attention",
               "has no layer of this type");
}

// A bad parameter inside an entry is named under its layer type, at its path in the override.
BOOST_AUTO_TEST_CASE(errors_inside_a_keyed_entry_name_the_layer_type) {
  const std::string field =
      expect_error(gemma3(), json{{"full_attention", {{"rope_type", "linear"}, {"factor", 0.5}}}}, "full_attention", "below 1");
  BOOST_TEST(field.find("factor") != std::string::npos, field);
  BOOST_TEST((field == "full_attention.factor" || field == "rope.full_attention.factor"),
             "the override's key path is full_attention.factor, the field is " << field);
  const std::string sliding =
      expect_error(gemma3(), json{{"sliding_attention", {{"rope_type", "yarnn"}, {"factor", 2}}}}, "sliding_attention", "yarn");
  BOOST_TEST((sliding.rfind("sliding_attention", 0) == 0u || sliding.rfind("rope.sliding_attention", 0) == 0u), sliding);
  // Without a layer type, the field is the method's own (as for a model with one RoPE).
  expect_error(gemma3(), json{{"rope_type", "linear"}, {"factor", 0.5}}, "factor", "below 1");
  expect_error(gemma3(), json{{"rope_type", "linear"}, {"factor", 0.5}}, "factor", "below 1", "g.toml:3");

  // The checkpoint's own bad settings name the config file and the type's key.
  rb::ModelConfig c = gemma3();
  c.rope_by_layer_type[1].rope_scaling = {{"rope_type", "linear"}, {"factor", 0.5}};
  try {
    model_rope(c, nullptr);
    BOOST_ERROR("no error for the checkpoint's sliding_attention factor 0.5");
  } catch (const rb::InputError& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find(c.source) != std::string::npos, msg);
    BOOST_TEST(msg.find("rope_parameters.sliding_attention") != std::string::npos, msg);
    BOOST_TEST(msg.find("factor") != std::string::npos, msg);
  }
  // ... and an override of the other type does not hide it.
  BOOST_CHECK_THROW(model_rope(c, json{{"full_attention", {{"rope_type", "linear"}, {"factor", 2}}}}), rb::InputError);
  BOOST_CHECK_NO_THROW(model_rope(c, json{{"sliding_attention", {{"rope_type", "linear"}, {"factor", 2}}}}));
}
