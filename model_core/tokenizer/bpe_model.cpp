#include "model_core/tokenizer/bpe_model.hpp"

#include <cstdio>
#include <queue>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace rb::tok {
namespace {

constexpr size_t kCacheCapacity = 1 << 18;  // entries
constexpr size_t kMaxCachedWordBytes = 256;

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// models/bpe/word.rs Symbol: a doubly linked list over the word's current tokens.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  size_t len;  // bytes; 0 once merged into its left neighbour
};

struct Merge {
  size_t pos;
  int32_t rank;
  int32_t new_id;
};
// word.rs `impl Ord for Merge`: the queue pops the lowest rank, then the lowest position.
struct MergeAfter {
  bool operator()(const Merge& a, const Merge& b) const {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.pos > b.pos;
  }
};

}  // namespace

BpeModel::BpeModel(Vocab vocab, const Merges& merges, BpeOptions options, const std::string& file,
                   const std::string& merges_field)
    : vocab_(std::move(vocab)), options_(std::move(options)), file_(file) {
  vocab_r_.reserve(vocab_.size());
  for (const auto& [token, id] : vocab_) {
    vocab_r_[id] = token;
    if (id > max_id_) max_id_ = id;
  }
  if (options_.unk_token) {
    auto it = vocab_.find(*options_.unk_token);
    if (it != vocab_.end()) unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    auto it = vocab_.find(name);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
  // BpeBuilder::build: rank = position in the list; the merged token is a + b without b's
  // continuing_subword_prefix. A repeated pair keeps its last rank (HashMap collect).
  const size_t prefix_len = options_.continuing_subword_prefix.size();
  merges_.reserve(merges.size() * 2);
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    const std::string field = merges_field + "[" + std::to_string(rank) + "]";
    auto ia = vocab_.find(a);
    if (ia == vocab_.end()) throw InputError(file, field, "merge token \"" + a + "\" is not in the vocabulary");
    auto ib = vocab_.find(b);
    if (ib == vocab_.end()) throw InputError(file, field, "merge token \"" + b + "\" is not in the vocabulary");
    const std::string merged = a + (b.size() >= prefix_len ? b.substr(prefix_len) : b);
    auto im = vocab_.find(merged);
    if (im == vocab_.end()) {
      throw InputError(file, field, "merged token \"" + merged + "\" is not in the vocabulary");
    }
    merges_[pair_key(ia->second, ib->second)] = {static_cast<int32_t>(rank), im->second};
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  auto it = vocab_r_.find(id);
  return it == vocab_r_.end() ? nullptr : &it->second;
}

// model.rs merge_word + word.rs merge_all.
std::vector<int32_t> BpeModel::merge_word(std::string_view word) const {
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&symbols](int32_t id, size_t byte_len) {
    const auto n = static_cast<int32_t>(symbols.size());
    if (!symbols.empty()) symbols.back().next = n;
    symbols.push_back(Symbol{id, n - 1, -1, byte_len});
  };

  std::optional<std::pair<int32_t, size_t>> pending_unk;  // (id, byte length) not yet added
  std::string key;
  for (size_t i = 0; i < word.size();) {
    const size_t start = i;
    next_code_point(word, i);
    const bool is_first = start == 0;
    const bool is_last = i == word.size();
    const size_t byte_len = i - start;
    key.assign(word.substr(start, byte_len));
    if (!is_first && !options_.continuing_subword_prefix.empty()) key.insert(0, options_.continuing_subword_prefix);
    if (is_last) key += options_.end_of_word_suffix;

    auto it = vocab_.find(key);
    if (it != vocab_.end()) {
      if (pending_unk) {
        add(pending_unk->first, pending_unk->second);
        pending_unk.reset();
      }
      add(it->second, byte_len);
      continue;
    }
    if (options_.byte_fallback) {
      bool all_found = true;
      for (unsigned char b : key) all_found = all_found && byte_ids_[b] >= 0;
      if (all_found) {
        // As the crate does, a pending unk is not flushed before byte tokens.
        for (unsigned char b : key) add(byte_ids_[b], 1);
        continue;
      }
    }
    if (options_.unk_token) {
      if (!unk_id_) {
        throw InputError(file_, "model.unk_token",
                         "unk token \"" + *options_.unk_token + "\" is not in the vocabulary");
      }
      if (pending_unk && options_.fuse_unk) {
        pending_unk->second += byte_len;
      } else {
        if (pending_unk) add(pending_unk->first, pending_unk->second);
        pending_unk = std::make_pair(*unk_id_, byte_len);
      }
    }
    // Without an unk token the character is dropped, as in the crate.
  }
  if (pending_unk) add(pending_unk->first, pending_unk->second);

  std::priority_queue<Merge, std::vector<Merge>, MergeAfter> queue;
  for (size_t pos = 0; pos + 1 < symbols.size(); ++pos) {
    auto it = merges_.find(pair_key(symbols[pos].id, symbols[pos + 1].id));
    if (it != merges_.end()) queue.push(Merge{pos, it->second.first, it->second.second});
  }
  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    Symbol& current = symbols[top.pos];
    if (current.len == 0 || current.next < 0) continue;
    const auto next_pos = static_cast<size_t>(current.next);
    const Symbol right = symbols[next_pos];
    auto target = merges_.find(pair_key(current.id, right.id));
    if (target == merges_.end() || target->second.second != top.new_id) continue;  // stale entry
    current.id = top.new_id;
    current.len += right.len;
    current.next = right.next;
    symbols[next_pos].len = 0;
    if (right.next >= 0 && static_cast<size_t>(right.next) < symbols.size()) {
      symbols[static_cast<size_t>(right.next)].prev = static_cast<int32_t>(top.pos);
    }
    if (current.prev >= 0) {
      const Symbol& prev = symbols[static_cast<size_t>(current.prev)];
      auto m = merges_.find(pair_key(prev.id, current.id));
      if (m != merges_.end()) queue.push(Merge{static_cast<size_t>(current.prev), m->second.first, m->second.second});
    }
    if (current.next >= 0 && static_cast<size_t>(current.next) < symbols.size()) {
      const Symbol& next = symbols[static_cast<size_t>(current.next)];
      auto m = merges_.find(pair_key(current.id, next.id));
      if (m != merges_.end()) queue.push(Merge{top.pos, m->second.first, m->second.second});
    }
  }
  std::vector<int32_t> ids;
  ids.reserve(symbols.size());
  for (const auto& s : symbols) {
    if (s.len != 0) ids.push_back(s.id);
  }
  return ids;
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids = merge_word(word);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() >= kCacheCapacity) cache_.clear();
    cache_.emplace(std::move(key), std::move(ids));
  }
}

}  // namespace rb::tok
