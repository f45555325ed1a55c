// The poptrie's writer side: batched copy-on-write rebuilds of the paths to the
// changed prefixes (see poptrie.hpp for the layout and the concurrency argument).
//
// The routes themselves live in the trie, not in a separate RIB: each node's
// leaf block starts with a writer-only header, a 128-bit map of the prefixes whose
// length ends inside the node's stride, and ends with their next hops. Prefix
// (depth + k, bits v) of a node at `depth` has the tree-bitmap code (1 << k) | v,
// k = 1..6, so codes 2..127; a longer code is numerically larger, which makes
// "paint the 64 slots from the shortest prefix to the longest" a single pass over
// codes. A node exists iff it holds a prefix or a child, so erasing the last route
// below a slot turns it back into a leaf.
//
//   leaf block:  [ prefixes[0] prefixes[1] | leaves ... | prefix next hops ... ]
//                  (16 bytes, writer only)   ^ node.leaves points here
#include "stack/fib/poptrie.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace umi::fib::detail {

namespace {

constexpr unsigned fanout = 1u << stride;
constexpr unsigned codes = 2 * fanout;  // 1 (unused: the node's own depth) + 2 + 4 + ... + 64
// The largest block: a full children array (a leaf block is at most 16 + 190 * 4).
constexpr std::size_t max_block = fanout * sizeof(node);
// Node arrays are aligned to a node, so that no node straddles two cache lines.
constexpr std::size_t node_align = sizeof(node);

struct block_header {
  std::uint64_t prefixes[2];
};

std::size_t block_bytes(unsigned nleaves, unsigned nprefixes) noexcept {
  return sizeof(block_header) + (nleaves + nprefixes) * sizeof(nexthop_id);
}

const block_header* header_of(const node& n) noexcept {
  return reinterpret_cast<const block_header*>(n.leaves) - 1;
}

bool has_code(const block_header& h, unsigned c) noexcept {
  return (h.prefixes[c / 64] >> (c % 64)) & 1;
}

// Position of code c among the node's prefixes (they are stored in code order).
unsigned code_rank(const block_header& h, unsigned c) noexcept {
  const std::uint64_t below = (std::uint64_t{1} << (c % 64)) - 1;
  return c < 64 ? popcount64(h.prefixes[0] & below)
                : popcount64(h.prefixes[0]) + popcount64(h.prefixes[1] & below);
}

bool is_shortcut(const node& n) noexcept {
  return (n.leafvec & n.vector) != 0;
}

bool prefix_free(const node& n) noexcept {
  const block_header& h = *header_of(n);
  return (h.prefixes[0] | h.prefixes[1]) == 0;
}

// The leafvec of n as if it had no shortcut: a link's single leaf run starts at
// slot 0, or at slot 1 when the child is in slot 0.
std::uint64_t plain_leafvec(const node& n) noexcept {
  if (!is_shortcut(n)) return n.leafvec;
  return n.vector == 1 ? 2 : 1;
}

const nexthop_id* prefix_nexthops(const node& n) noexcept {
  return n.leaves + popcount64(plain_leafvec(n));
}

// The 6 bits of key at depth (bits past the key are zero).
unsigned slot_at(u128 key, unsigned depth) noexcept {
  return static_cast<unsigned>((key << depth) >> (128 - stride));
}

// The tree-bitmap code of a prefix of length depth + k (1 <= k <= 6).
unsigned code_at(u128 key, unsigned depth, unsigned k) noexcept {
  return (1u << k) | static_cast<unsigned>((key << depth) >> (128 - k));
}

using code_table = std::array<nexthop_id, codes>;

// value[c] = next hop of the longest prefix covering code c, or `inherited`;
// value[fanout + s] is then what slot s resolves to.
void paint(const code_table& prefix, nexthop_id inherited, code_table& value) noexcept {
  value[1] = inherited;
  for (unsigned c = 2; c < codes; ++c) value[c] = prefix[c] != no_route ? prefix[c] : value[c >> 1];
}

}  // namespace

struct poptrie::batch {
  struct block {
    void* p;
    std::size_t bytes;
    std::size_t align;
  };
  std::vector<block> garbage;
  std::ptrdiff_t size_delta = 0;
};

poptrie::poptrie(unsigned top_bits, reclaimer* r)
    : top_bits_(top_bits),
      reclaimer_(r),
      pool_(std::make_shared<std::pmr::unsynchronized_pool_resource>(
          std::pmr::pool_options{1024, max_block})),
      top_(new std::atomic<std::uint64_t>[std::size_t{1} << top_bits]),
      top_routes_(std::size_t{2} << top_bits, no_route),
      top_inherited_(std::size_t{1} << top_bits, no_route),
      top_inherited_len_(std::size_t{1} << top_bits, 0) {
  const std::size_t entries = std::size_t{1} << top_bits;
  for (std::size_t e = 0; e < entries; ++e)
    top_[e].store(make_leaf(no_route), std::memory_order_relaxed);
  bytes_ = entries * sizeof(std::uint64_t) + top_routes_.size() * sizeof(nexthop_id) +
           top_inherited_.size() * sizeof(nexthop_id) + top_inherited_len_.size();
}

// The owner guarantees that no reader is left (as for any DPDK table). The
// blocks go with the pool, once no retired block waits for a grace period.
poptrie::~poptrie() = default;

const node* poptrie::root_of(std::uint64_t e) noexcept {
  if (e & skip_tag) return reinterpret_cast<const root_record*>(e & ~tag_mask)->root;
  return reinterpret_cast<const node*>(e);
}

// The entry value that publishes `root`: the node itself, or a record when the
// subtree starts with a chain of prefix-free single-child nodes. Such a node's
// leaves all hold the inherited next hop, so leaving the chain anywhere
// resolves to `miss`.
std::uint64_t poptrie::publishable(const node* root, nexthop_id miss) {
  const node* start = root;
  unsigned skip = 0;
  std::uint64_t match = 0;
  for (;;) {
    const block_header& h = *header_of(*start);
    if (h.prefixes[0] != 0 || h.prefixes[1] != 0 || std::popcount(start->vector) != 1) break;
    if (skip + stride > max_chain_bits) break;  // readers compare the chain in one word
    match |= std::uint64_t{static_cast<unsigned>(std::countr_zero(start->vector))}
             << (64 - stride - skip);
    skip += stride;
    start = start->children;
  }
  if (skip == 0) return reinterpret_cast<std::uint64_t>(root);
  auto* r = static_cast<root_record*>(allocate(sizeof(root_record), alignof(root_record)));
  *r = root_record{*start, match, ~std::uint64_t{0} << (64 - skip),
                   root,   miss,  static_cast<std::uint8_t>(skip)};
  return reinterpret_cast<std::uint64_t>(r) | skip_tag;
}

// What a block costs in the pool: its size class (libstdc++ keeps classes of
// 8..48 bytes in steps of 8 or 16, then in steps of a quarter or half of a
// power of two), rounded to 8 here as the smallest step; blocks larger than
// max_block come from the heap whole.
std::size_t poptrie::block_size(std::size_t bytes, std::size_t align) noexcept {
  return (std::max(bytes, align) + 7) & ~std::size_t{7};
}

void* poptrie::allocate(std::size_t bytes, std::size_t align) {
  void* p = pool_->allocate(bytes, align);
  bytes_ += block_size(bytes, align);
  return p;
}

void poptrie::retire(const void* p, std::size_t bytes, std::size_t align, batch& b) noexcept {
  if (p == nullptr) return;
  bytes_ -= block_size(bytes, align);
  b.garbage.push_back({const_cast<void*>(p), bytes, align});
}

// The two arrays a node owns (its own struct lives in its parent's array).
void poptrie::retire_arrays(const node& n, batch& b) noexcept {
  retire(n.children, popcount64(n.vector) * sizeof(node), node_align, b);
  const block_header* h = header_of(n);
  retire(h,
         is_shortcut(n) ? sizeof(block_header) + sizeof(chain_tail)
                        : block_bytes(popcount64(n.leafvec),
                                      popcount64(h->prefixes[0]) + popcount64(h->prefixes[1])),
         alignof(block_header), b);
}

// Scratch state for rebuilding one node, on the writer's stack: about 4 KiB per
// level, so at most ~80 KiB for an IPv6 /128.
struct poptrie::node_plan {
  code_table prefix;  // next hop per code, no_route where there is no prefix
  std::uint64_t pbits[2] = {0, 0};
  bool prefixes_changed = false;
  bool local = false;                       // some change ends inside this node's stride
  std::uint64_t touched = 0;                // slots with changes below them ...
  std::array<std::uint32_t, fanout> first;  // ... at changes[first[s], last[s])
  std::array<std::uint32_t, fanout> last;
  bool through = false;  // see rebuild()
  code_table before;     // slot values before the batch (only for children)
  code_table after;      // and after it
  std::array<node, fanout> kids;
  unsigned nkids = 0;
  std::uint64_t vector = 0;
  bool kids_changed = false;

  // Changes of length <= depth belong to an ancestor, which has applied them;
  // they may sit inside a slot's range, since keys are sorted, and are skipped.
  void scan(std::span<const route_change> changes, unsigned depth) noexcept {
    for (std::uint32_t i = 0; i < changes.size(); ++i) {
      const route_change& c = changes[i];
      if (c.len <= depth) continue;
      if (c.len <= depth + stride) {
        local = true;
        continue;
      }
      const unsigned s = slot_at(c.key, depth);
      if (!((touched >> s) & 1)) first[s] = i;
      touched |= std::uint64_t{1} << s;
      last[s] = i + 1;
    }
  }

  void decode(const node* old) noexcept {
    prefix.fill(no_route);
    if (old == nullptr) return;
    const block_header& h = *header_of(*old);
    const nexthop_id* nh = prefix_nexthops(*old);
    pbits[0] = h.prefixes[0];
    pbits[1] = h.prefixes[1];
    for (unsigned w = 0; w < 2; ++w)
      for (std::uint64_t m = pbits[w]; m != 0; m &= m - 1)
        prefix[w * 64 + static_cast<unsigned>(std::countr_zero(m))] = *nh++;
  }

  void apply_local(std::span<const route_change> changes, unsigned depth,
                   std::ptrdiff_t& size_delta) noexcept {
    for (const route_change& c : changes) {
      if (c.len <= depth || c.len > depth + stride) continue;
      const unsigned code = code_at(c.key, depth, c.len - depth);
      if (prefix[code] == c.nh) continue;
      if (prefix[code] == no_route) ++size_delta;
      if (c.nh == no_route) --size_delta;
      prefix[code] = c.nh;
      const std::uint64_t bit = std::uint64_t{1} << (code % 64);
      pbits[code / 64] = c.nh == no_route ? pbits[code / 64] & ~bit : pbits[code / 64] | bit;
      prefixes_changed = true;
    }
  }

  void keep(const node& child, std::uint64_t bit) noexcept {
    kids[nkids++] = child;
    vector |= bit;
  }
};

namespace {

// The leaves of a node: the slots without a child, with equal neighbours merged
// into runs. Returns their number.
unsigned make_leaves(const code_table& value, std::uint64_t vector,
                     std::array<nexthop_id, fanout>& leaves, std::uint64_t& leafvec) noexcept {
  unsigned n = 0;
  for (unsigned s = 0; s < fanout; ++s) {
    if ((vector >> s) & 1) continue;
    const nexthop_id v = value[fanout + s];
    if (n == 0 || leaves[n - 1] != v) {
      leafvec |= std::uint64_t{1} << s;
      leaves[n++] = v;
    }
  }
  return n;
}

// What slot s of n resolves to, read from its prefix map (no decoding).
nexthop_id slot_value(const node& n, unsigned s, nexthop_id inherited) noexcept {
  const block_header& h = *header_of(n);
  if ((h.prefixes[0] | h.prefixes[1]) == 0) return inherited;
  for (unsigned k = stride; k >= 1; --k) {
    const unsigned code = (1u << k) | (s >> (stride - k));
    if (has_code(h, code)) return prefix_nexthops(n)[code_rank(h, code)];
  }
  return inherited;
}

}  // namespace

// Builds the replacement of one subtree. `old` is the node now at this position
// (nullptr if the position is a leaf); `changes` are sorted and all lie below
// the node's prefix; `inherited_*` is what the slots not covered by a prefix of
// this node resolve to before and after the batch.
poptrie::outcome poptrie::rebuild(const node* old, unsigned depth,
                                  std::span<const route_change> changes, nexthop_id inherited_old,
                                  nexthop_id inherited_new, node& out, batch& b) {
  node_plan p;
  p.scan(changes, depth);
  // A node that only lies on the path to deeper changes keeps its prefixes and
  // leaves (unless a slot turns from child to leaf or back): the common case of
  // a single update, which then copies just the children arrays on the path.
  p.through = old != nullptr && !p.local && inherited_old == inherited_new;
  if (!p.through) {
    p.decode(old);
    if (old != nullptr && old->vector != 0) paint(p.prefix, inherited_old, p.before);
    p.apply_local(changes, depth, b.size_delta);
    paint(p.prefix, inherited_new, p.after);
  }
  rebuild_children(old, depth, changes, inherited_new, p, b);

  if (p.through) {
    if (!p.kids_changed) return outcome::unchanged;
    // A link's shortcut depends on its child: re-emitted below, never reused.
    const bool link = prefix_free(*old) && popcount64(p.vector) == 1;
    if (p.vector == old->vector && !link) {
      // Same leaves: the new node takes over the old leaf block.
      out = node{p.vector, old->leafvec, emit_children(p.kids.data(), p.nkids), old->leaves};
      retire(old->children, popcount64(old->vector) * sizeof(node), node_align, b);
      return outcome::replaced;
    }
    p.decode(old);
    paint(p.prefix, inherited_new, p.after);
  }

  std::array<nexthop_id, fanout> leaves;
  std::uint64_t leafvec = 0;
  const unsigned nleaves = make_leaves(p.after, p.vector, leaves, leafvec);
  if (p.pbits[0] == 0 && p.pbits[1] == 0 && p.vector == 0) {
    if (old != nullptr) retire_arrays(*old, b);
    return outcome::absent;
  }
  if (old != nullptr && !p.prefixes_changed && !p.kids_changed && leafvec == plain_leafvec(*old) &&
      std::equal(leaves.begin(), leaves.begin() + nleaves, old->leaves))
    return outcome::unchanged;

  const nexthop_id* chain = nullptr;
  if (p.pbits[0] == 0 && p.pbits[1] == 0 && p.nkids == 1)
    chain =
        emit_chain_block(p.kids[0], static_cast<unsigned>(std::countr_zero(p.vector)), leaves[0]);
  if (chain != nullptr)
    out = node{p.vector, p.vector, emit_children(p.kids.data(), p.nkids), chain};
  else
    out = node{p.vector, leafvec, emit_children(p.kids.data(), p.nkids),
               emit_leaf_block(p.pbits, p.prefix.data(), leaves.data(), nleaves)};
  if (old != nullptr) retire_arrays(*old, b);
  return outcome::replaced;
}

// Children: rebuild those with changes below them or a new inherited value,
// keep the others by value (their arrays are immutable and move with them).
void poptrie::rebuild_children(const node* old, unsigned depth,
                               std::span<const route_change> changes, nexthop_id inherited,
                               node_plan& p, batch& b) {
  for (std::uint64_t m = p.touched | (old != nullptr ? old->vector : 0); m != 0; m &= m - 1) {
    const unsigned s = static_cast<unsigned>(std::countr_zero(m));
    const std::uint64_t bit = std::uint64_t{1} << s;
    const bool touched = (p.touched & bit) != 0;
    const node* oc = nullptr;
    if (old != nullptr && (old->vector & bit))
      oc = old->children + popcount64(old->vector & (bit - 1));
    nexthop_id in_old;
    nexthop_id in_new;
    if (p.through) {
      in_old = in_new = touched ? slot_value(*old, s, inherited) : no_route;
    } else {
      in_new = p.after[fanout + s];
      in_old = oc != nullptr ? p.before[fanout + s] : in_new;
    }
    if (!touched && in_old == in_new) {
      p.keep(*oc, bit);  // an untouched slot in this loop is an old child
      continue;
    }
    const auto span = touched ? changes.subspan(p.first[s], p.last[s] - p.first[s])
                              : std::span<const route_change>{};
    node built;
    switch (rebuild(oc, depth + stride, span, in_old, in_new, built, b)) {
      case outcome::unchanged:
        p.keep(*oc, bit);
        break;
      case outcome::replaced:
        p.keep(built, bit);
        p.kids_changed = true;
        break;
      case outcome::absent:
        p.kids_changed |= oc != nullptr;
        break;
    }
  }
}

// Leaf block: prefix map, the leaves, then the prefixes' next hops in code order.
const nexthop_id* poptrie::emit_leaf_block(const std::uint64_t (&pbits)[2],
                                           const nexthop_id* prefix_by_code,
                                           const nexthop_id* leaves, unsigned nleaves) {
  const unsigned nprefixes = popcount64(pbits[0]) + popcount64(pbits[1]);
  auto* h =
      static_cast<block_header*>(allocate(block_bytes(nleaves, nprefixes), alignof(block_header)));
  h->prefixes[0] = pbits[0];
  h->prefixes[1] = pbits[1];
  auto* leaf_out = reinterpret_cast<nexthop_id*>(h + 1);
  std::copy_n(leaves, nleaves, leaf_out);
  nexthop_id* nh_out = leaf_out + nleaves;
  for (unsigned w = 0; w < 2; ++w)
    for (std::uint64_t m = pbits[w]; m != 0; m &= m - 1)
      *nh_out++ = prefix_by_code[w * 64 + static_cast<unsigned>(std::countr_zero(m))];
  return leaf_out;
}

namespace {
// Whether n is a terminal for a chain whose slots off it resolve to `miss`: no
// children, and every slot resolves to miss but for one aligned block of 2^j
// slots with another next hop. If so, sets hit, the block's leading 6 - j bits
// (left-aligned in match) and their count.
bool terminal(const node& n, nexthop_id miss, nexthop_id& hit, std::uint64_t& match,
              unsigned& bits) noexcept {
  if (n.vector != 0) return false;
  // Leaf runs start at the set bits of leafvec; neighbouring runs differ.
  const unsigned nruns = popcount64(n.leafvec);
  unsigned first = 0;  // the run that is not miss
  if (nruns == 1) {
    if (n.leaves[0] == miss) return false;
  } else if (nruns == 2) {
    if (n.leaves[0] != miss && n.leaves[1] != miss) return false;  // two blocks
    first = n.leaves[0] == miss ? 1 : 0;
  } else if (nruns == 3) {
    if (n.leaves[0] != miss || n.leaves[2] != miss) return false;
    first = 1;
  } else {
    return false;
  }
  // The run's slots [lo, hi): from its start bit to the next start (or 64).
  std::uint64_t starts = n.leafvec;
  for (unsigned r = 0; r < first; ++r) starts &= starts - 1;
  const unsigned lo = static_cast<unsigned>(std::countr_zero(starts));
  starts &= starts - 1;
  const unsigned hi = starts != 0 ? static_cast<unsigned>(std::countr_zero(starts)) : fanout;
  const unsigned size = hi - lo;
  if (!std::has_single_bit(size) || lo % size != 0) return false;
  bits = stride - static_cast<unsigned>(std::countr_zero(size));
  match = bits == 0 ? 0 : std::uint64_t{lo >> (stride - bits)} << (64 - bits);
  hit = n.leaves[first];
  return true;
}
}  // namespace

// The leaf block of a link (child in `slot`, every other slot `miss`) with a
// shortcut past the run of links starting at it (and a terminal ending it),
// or nullptr when its child is neither a link nor a terminal (nothing to
// skip) or the run would exceed max_chain_bits.
const nexthop_id* poptrie::emit_chain_block(const node& child, unsigned slot, nexthop_id miss) {
  std::uint64_t match = std::uint64_t{slot} << (64 - stride);
  unsigned skip;
  const node* end;
  nexthop_id hit = miss;
  std::uint64_t tmatch = 0;
  unsigned tbits = 0;
  if (is_shortcut(child)) {
    const auto* c = reinterpret_cast<const chain_tail*>(child.leaves);
    if (c->skip + stride > max_chain_bits) return nullptr;
    skip = stride + c->skip;
    match |= c->match >> stride;
    end = c->end;
    hit = c->hit;
  } else if (prefix_free(child) && popcount64(child.vector) == 1) {
    skip = 2 * stride;
    match |= std::uint64_t{static_cast<unsigned>(std::countr_zero(child.vector))}
             << (64 - 2 * stride);
    end = child.children;
  } else if (terminal(child, miss, hit, tmatch, tbits)) {
    skip = stride + tbits;
    match |= tmatch >> stride;
    end = nullptr;
  } else {
    return nullptr;
  }
  auto* h = static_cast<block_header*>(
      allocate(sizeof(block_header) + sizeof(chain_tail), alignof(block_header)));
  h->prefixes[0] = h->prefixes[1] = 0;
  auto* tail = reinterpret_cast<chain_tail*>(h + 1);
  *tail = chain_tail{miss, hit, match, end, static_cast<std::uint8_t>(skip)};
  return &tail->miss;
}

const node* poptrie::emit_children(const node* kids, unsigned n) {
  if (n == 0) return nullptr;
  auto* children = static_cast<node*>(allocate(n * sizeof(node), node_align));
  std::copy_n(kids, n, children);
  return children;
}

// Pushes the change of the top-level route `code` into the entries it covers,
// [lo, hi): those whose best route is not longer take its next hop, or after an
// erase, the next hop of the longest shorter route covering it. O(1) per entry.
void poptrie::repaint_top(std::size_t code, std::size_t lo, std::size_t hi) noexcept {
  const auto len = static_cast<std::uint8_t>(std::bit_width(code) - 1);
  if (top_routes_[code] != no_route) {
    for (std::size_t e = lo; e < hi; ++e) {
      if (top_inherited_len_[e] > len + 1) continue;  // a longer route covers e
      top_inherited_[e] = top_routes_[code];
      top_inherited_len_[e] = len + 1;
    }
    return;
  }
  nexthop_id fallback = no_route;
  std::uint8_t fallback_len = 0;
  for (std::size_t c = code >> 1; c != 0; c >>= 1) {
    if (top_routes_[c] == no_route) continue;
    fallback = top_routes_[c];
    fallback_len = static_cast<std::uint8_t>(std::bit_width(c));
    break;
  }
  for (std::size_t e = lo; e < hi; ++e) {
    if (top_inherited_len_[e] != len + 1) continue;  // e was not resolved by this route
    top_inherited_[e] = fallback;
    top_inherited_len_[e] = fallback_len;
  }
}

// Brings one top-level entry up to date and publishes it with one release store.
void poptrie::update_entry(std::size_t e, std::span<const route_change> deep, nexthop_id in_old,
                           nexthop_id in_new, batch& b) {
  const std::uint64_t cur = top_[e].load(std::memory_order_relaxed);
  const node* root = (cur & leaf_tag) ? nullptr : root_of(cur);
  if (root == nullptr && deep.empty()) {
    if (in_old != in_new) top_[e].store(make_leaf(in_new), std::memory_order_release);
    return;
  }
  node built;
  switch (rebuild(root, top_bits_, deep, in_old, in_new, built, b)) {
    case outcome::unchanged:
      return;
    case outcome::replaced: {
      auto* r = static_cast<node*>(allocate(sizeof(node), node_align));
      *r = built;
      top_[e].store(publishable(r, in_new), std::memory_order_release);
      break;
    }
    case outcome::absent:
      if (root == nullptr && in_old == in_new) return;
      top_[e].store(make_leaf(in_new), std::memory_order_release);
      break;
  }
  retire(root, sizeof(node), node_align, b);
  if (cur & skip_tag)
    retire(reinterpret_cast<void*>(cur & ~tag_mask), sizeof(root_record), alignof(root_record), b);
}

void poptrie::apply(std::span<route_change> changes) {
  std::sort(changes.begin(), changes.end(), [](const route_change& a, const route_change& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.len != b.len) return a.len < b.len;
    return a.seq < b.seq;
  });
  // Keep the last change to each prefix.
  std::size_t n = 0;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (n != 0 && changes[n - 1].key == changes[i].key && changes[n - 1].len == changes[i].len) --n;
    changes[n++] = changes[i];
  }
  changes = changes.first(n);

  batch b;
  // Routes of length <= top_bits_ change a range of top entries each. Sorted,
  // two ranges are nested or disjoint and the enclosing one comes first; keep
  // the entries' inherited next hops from before the batch for each outermost
  // range.
  struct repaint_range {
    std::size_t lo, hi, saved;
  };
  std::vector<repaint_range> repaint;
  std::vector<nexthop_id> saved;
  // Longer routes are grouped by their top entry: {entry, first, end}.
  struct group {
    std::size_t entry, first, end;
  };
  std::vector<group> groups;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const route_change& c = changes[i];
    const auto entry = static_cast<std::size_t>(c.key >> (128 - top_bits_));
    if (c.len > top_bits_) {
      if (groups.empty() || groups.back().entry != entry)
        groups.push_back({entry, i, i + 1});
      else
        groups.back().end = i + 1;
      continue;
    }
    const std::size_t bits = c.len == 0 ? 0 : static_cast<std::size_t>(c.key >> (128 - c.len));
    const std::size_t code = (std::size_t{1} << c.len) | bits;
    if (top_routes_[code] == c.nh) continue;
    if (top_routes_[code] == no_route) ++b.size_delta;
    if (c.nh == no_route) --b.size_delta;
    top_routes_[code] = c.nh;
    const std::size_t lo = bits << (top_bits_ - c.len);
    const std::size_t hi = (bits + 1) << (top_bits_ - c.len);
    if (repaint.empty() || lo >= repaint.back().hi) {
      repaint.push_back({lo, hi, saved.size()});
      saved.insert(saved.end(), top_inherited_.begin() + static_cast<std::ptrdiff_t>(lo),
                   top_inherited_.begin() + static_cast<std::ptrdiff_t>(hi));
    }
    repaint_top(code, lo, hi);
  }

  // Visit the union of repainted entries and entries with deeper changes in order.
  std::size_t g = 0;
  auto visit = [&](std::size_t e, nexthop_id in_old) {
    std::span<const route_change> deep;
    if (g < groups.size() && groups[g].entry == e) {
      deep = changes.subspan(groups[g].first, groups[g].end - groups[g].first);
      ++g;
    }
    update_entry(e, deep, in_old, top_inherited_[e], b);
  };
  for (const repaint_range& r : repaint) {
    while (g < groups.size() && groups[g].entry < r.lo)
      visit(groups[g].entry, top_inherited_[groups[g].entry]);
    for (std::size_t e = r.lo; e < r.hi; ++e) visit(e, saved[r.saved + (e - r.lo)]);
  }
  while (g < groups.size()) visit(groups[g].entry, top_inherited_[groups[g].entry]);

  size_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(size_) + b.size_delta);
  if (b.garbage.empty()) return;
  // Everything in the garbage list has been unlinked by the stores above.
  if (reclaimer_ == nullptr) {
    for (const auto& g : b.garbage) pool_->deallocate(g.p, g.bytes, g.align);
    return;
  }
  reclaimer_->retire([pool = pool_, garbage = std::move(b.garbage)] {
    for (const auto& g : garbage) pool->deallocate(g.p, g.bytes, g.align);
  });
}

std::optional<nexthop_id> poptrie::find_exact(u128 key, unsigned len) const {
  if (len <= top_bits_) {
    const std::size_t bits = len == 0 ? 0 : static_cast<std::size_t>(key >> (128 - len));
    const nexthop_id nh = top_routes_[(std::size_t{1} << len) | bits];
    if (nh == no_route) return std::nullopt;
    return nh;
  }
  const std::uint64_t e =
      top_[static_cast<std::size_t>(key >> (128 - top_bits_))].load(std::memory_order_acquire);
  if (e & leaf_tag) return std::nullopt;
  const node* n = root_of(e);
  for (unsigned depth = top_bits_;; depth += stride) {
    if (len <= depth + stride) {
      const unsigned code = code_at(key, depth, len - depth);
      const block_header& h = *header_of(*n);
      if (!has_code(h, code)) return std::nullopt;
      return prefix_nexthops(*n)[code_rank(h, code)];
    }
    const std::uint64_t bit = std::uint64_t{1} << slot_at(key, depth);
    if (!(n->vector & bit)) return std::nullopt;
    n = n->children + popcount64(n->vector & (bit - 1));
  }
}

}  // namespace umi::fib::detail
