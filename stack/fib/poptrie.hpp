#pragma once
// Internal to stack/fib: the poptrie behind fib6 and fib4 (see README.md).
//
// A lookup indexes a direct-pointing table with the first `TopBits` bits of the
// key, then walks nodes that each consume 6 more bits. A node is 32 bytes:
//   vector   bit s set: slot s holds a child node
//   leafvec  bit s set: a run of equal next hops starts at leaf slot s
//   children the popcount(vector) children, in slot order (one array)
//   leaves   the popcount(leafvec) next hops, in slot order (one array)
// so slot s's child is children[popcount(vector & below(s))] and its next hop is
// leaves[popcount(leafvec & upto(s)) - 1] (Asai & Ohara, "Poptrie", SIGCOMM 2015).
//
// Keys are left-aligned unsigned integers: IPv6 as a 128-bit value, IPv4 in the
// top 32 bits (64-bit key for lookups, 128-bit for the writer). Bits past the
// address are zero, so a node near the end of the address simply sees zeros.
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <vector>

#include "stack/fib/types.hpp"

namespace umi::fib::detail {

__extension__ typedef unsigned __int128 u128;

inline constexpr unsigned stride = 6;  // bits per node: 64 slots, one 64-bit popcount

// POPCNT is part of DPDK's x86 baseline (-march=corei7), but the stack library is
// compiled for generic x86-64, where std::popcount turns into a ~12-instruction
// bit-twiddling sequence. The lookup does two popcounts per level, so use the
// instruction directly; it is present on every CPU the dataplane can run on.
inline unsigned popcount64(std::uint64_t x) noexcept {
#if defined(__x86_64__) && !defined(__POPCNT__)
  std::uint64_t r;
  asm("popcntq %1, %0" : "=r"(r) : "rm"(x));
  return static_cast<unsigned>(r);
#else
  return static_cast<unsigned>(std::popcount(x));
#endif
}

struct node {
  std::uint64_t vector;
  std::uint64_t leafvec;
  const node* children;
  const nexthop_id* leaves;
};
static_assert(sizeof(node) == 32, "two nodes per cache line, never straddling one");

// A chain link is a node without prefixes and with a single child: every slot
// but one resolves to what the node inherits. A link whose child is also a link
// carries a shortcut past the whole run of links (up to 10 of them): its leaf
// block holds a chain_tail instead of the single leaf, and its leafvec equals its
// vector, which never happens otherwise (leaf runs start at leaf slots only).
// A lookup that reaches it compares the run's bits at once and continues at the
// first node after the run, or stops with `miss` (the one leaf) if it leaves it.
//
// A run may also end in a terminal: a childless node whose slots all resolve
// to `miss` but for one aligned block of 2^j slots that resolve to `hit` (a
// single /64 below a sparse /48, say). Then `end` is null, the block's leading
// 6 - j bits are part of `match`, and a key on the chain resolves to `hit`
// without visiting the terminal. A link whose child is a terminal carries a
// shortcut too.
struct chain_tail {
  nexthop_id miss;      // what every slot off the chain resolves to; leaves[0]
  nexthop_id hit;       // with end == nullptr: what the chain resolves to
  std::uint64_t match;  // the run's bits, left-aligned
  const node* end;      // the node after the run (in the last link's children), or null
  std::uint8_t skip;    // bits the run covers: 6 per link, plus 0..6 for a terminal
};
inline constexpr unsigned max_chain_bits = 60;

// A top-level entry is one 64-bit word, which is what makes publication a
// single atomic store. It is one of:
//   next hop     (nh << 32) | leaf_tag
//   node*        the address of a one-node array holding the subtree root
//   root_record* | skip_tag, when the subtree starts with a chain of nodes that
//                hold no prefix and have a single child (a sparse /14 in IPv6,
//                or everything under 2001:db8::/32): the reader compares the
//                chain's bits at once and starts at the first node that branches.
// Node arrays are 32-byte and records 64-byte aligned, so the tags never clash.
inline constexpr std::uint64_t leaf_tag = 1;
inline constexpr std::uint64_t skip_tag = 2;
inline constexpr std::uint64_t tag_mask = 3;
constexpr std::uint64_t make_leaf(nexthop_id nh) noexcept {
  return (std::uint64_t{nh} << 32) | leaf_tag;
}

struct alignas(64) root_record {
  node start;           // copy of the chain's last node (its arrays belong to the tree)
  std::uint64_t match;  // the chain's bits, left-aligned as the key after the top bits
  std::uint64_t mask;   // the first `skip` bits set: a key is on the chain iff
                        // (key ^ match) & mask == 0
  const node* root;     // writer only: the subtree root, owner of the chain
  nexthop_id miss;      // what leaving the chain resolves to: the inherited next hop
  std::uint8_t skip;    // chain length in bits (a multiple of 6, 6..max_chain_bits)
};
static_assert(sizeof(root_record) == 64, "one cache line per record");

// One route added (nh != no_route) or removed (nh == no_route). key is masked to len.
struct route_change {
  u128 key;
  nexthop_id nh;
  std::uint8_t len;
  std::uint32_t seq;  // position in the caller's batch: the last change to a prefix wins
};

// One writer thread (insert/erase/find_exact/size/memory_bytes), any number of
// reader threads (lookup/lookup_bulk) without locks.
//
// Why readers never see a half-done update: every node array, leaf block and
// chain record is immutable once reachable from top_, and top_'s entries are the
// only memory readers can reach that the writer ever stores into. An update
// copies the nodes on the path to a change (copy-on-write), builds the new
// subtree off to the side, and makes it reachable with one release store into a
// top-level entry. A reader's acquire load of that entry therefore sees either
// the old subtree, which nothing modifies, or the complete new one, every byte of
// which was written before the release. The replaced memory goes to the reclaimer
// after the stores that unlink it; the reclaimer frees it only after every reader
// has passed a quiescent point, i.e. after any lookup that could still hold a
// pointer into it has finished. (A leaf block may pass from a replaced node to its
// replacement; it is retired with its last owner.) A route at most TopBits long
// covers several entries, stored one by one, so during that update a reader sees,
// per address, either the old or the new answer.
class poptrie {
 public:
  poptrie(unsigned top_bits, reclaimer* r);
  ~poptrie();
  poptrie(const poptrie&) = delete;
  poptrie& operator=(const poptrie&) = delete;

  // Applies a batch (any order, duplicates allowed; sorted in place).
  void apply(std::span<route_change> changes);
  std::optional<nexthop_id> find_exact(u128 key, unsigned len) const;
  std::size_t size() const noexcept { return size_; }
  std::size_t memory_bytes() const noexcept { return bytes_; }

  template <class Key, unsigned TopBits>
  nexthop_id lookup(Key key) const noexcept {
    wide_key<Key> k{key};
    const std::uint64_t e =
        top_[static_cast<std::size_t>(k.hi >> (64 - TopBits))].load(std::memory_order_acquire);
    if (e & leaf_tag) return static_cast<nexthop_id>(e >> 32);
    k.template shift<TopBits>();
    const node* n = enter(e, k);
    if (n == nullptr) return reinterpret_cast<const root_record*>(e & ~tag_mask)->miss;
    for (;;) {
      if (n->leafvec & n->vector) {
        const auto* c = reinterpret_cast<const chain_tail*>(n->leaves);
        if (k.off_chain(c->match, c->skip)) return c->miss;
        if (c->end == nullptr) return c->hit;
        k.shift(c->skip);
        n = c->end;
        continue;
      }
      const unsigned sh = k.slot_shift();
      const std::uint64_t v = n->vector << sh;
      if (static_cast<std::int64_t>(v) >= 0) return n->leaves[popcount64(n->leafvec << sh) - 1];
      n = n->children + (popcount64(v) - 1);
      k.template shift<stride>();
    }
  }

  // Lookups interleaved in groups so that the cache misses of one lookup overlap
  // with the work of the others: each round advances every unfinished lookup by
  // one level and prefetches the node it will read in the next round; the leaves
  // are read only after all walks in the group are done.
  template <class Key, unsigned TopBits, class LoadKey>
  void lookup_bulk(LoadKey load_key, nexthop_id* out, unsigned n) const noexcept {
    constexpr unsigned group = 32;
    wide_key<Key> key[group];
    const node* cur[group];
    const nexthop_id* leaf[group];
    std::uint8_t active[group];
    std::uint8_t done[group];
    for (unsigned base = 0; base < n; base += group) {
      const unsigned m = n - base < group ? n - base : group;
      for (unsigned i = 0; i < m; ++i) {
        key[i] = wide_key<Key>{static_cast<Key>(load_key(base + i))};
        __builtin_prefetch(&top_[static_cast<std::size_t>(key[i].hi >> (64 - TopBits))]);
      }
      unsigned na = 0;
      unsigned nd = 0;
      for (unsigned i = 0; i < m; ++i) {
        const std::uint64_t e = top_[static_cast<std::size_t>(key[i].hi >> (64 - TopBits))].load(
            std::memory_order_acquire);
        if (e & leaf_tag) {
          out[base + i] = static_cast<nexthop_id>(e >> 32);
          continue;
        }
        key[i].template shift<TopBits>();
        cur[i] = enter(e, key[i]);
        if (cur[i] == nullptr) {
          out[base + i] = reinterpret_cast<const root_record*>(e & ~tag_mask)->miss;
          continue;
        }
        __builtin_prefetch(cur[i]);
        active[na++] = static_cast<std::uint8_t>(i);
      }
      while (na != 0) {
        unsigned still = 0;
        for (unsigned j = 0; j < na; ++j) {
          const unsigned i = active[j];
          const node* p = cur[i];
          if (p->leafvec & p->vector) {
            const auto* c = reinterpret_cast<const chain_tail*>(p->leaves);
            if (key[i].off_chain(c->match, c->skip)) {
              leaf[i] = &c->miss;
              done[nd++] = static_cast<std::uint8_t>(i);
            } else if (c->end == nullptr) {
              leaf[i] = &c->hit;
              done[nd++] = static_cast<std::uint8_t>(i);
            } else {
              key[i].shift(c->skip);
              cur[i] = c->end;
              __builtin_prefetch(cur[i]);
              active[still++] = static_cast<std::uint8_t>(i);
            }
            continue;
          }
          const unsigned sh = key[i].slot_shift();
          const std::uint64_t v = p->vector << sh;
          if (static_cast<std::int64_t>(v) < 0) {
            cur[i] = p->children + (popcount64(v) - 1);
            __builtin_prefetch(cur[i]);
            key[i].template shift<stride>();
            active[still++] = static_cast<std::uint8_t>(i);
          } else {
            leaf[i] = p->leaves + popcount64(p->leafvec << sh) - 1;
            __builtin_prefetch(leaf[i]);
            done[nd++] = static_cast<std::uint8_t>(i);
          }
        }
        na = still;
      }
      for (unsigned j = 0; j < nd; ++j) out[base + done[j]] = *leaf[done[j]];
    }
  }

 private:
  // A lookup key, left-aligned: two 64-bit words for IPv6 (Wide), one for
  // IPv4 (its 32 bits on top). Every shift is by a stride or a chain's length,
  // 1..63 bits: a double shift for two words instead of gcc's general 128-bit
  // one, a plain shift for one.
  template <bool Wide>
  struct wide_key_t {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;  // stays 0 unless Wide
    wide_key_t() = default;
    explicit wide_key_t(std::uint64_t k) noexcept : hi(k) {}
    explicit wide_key_t(u128 k) noexcept
        : hi(static_cast<std::uint64_t>(k >> 64)), lo(static_cast<std::uint64_t>(k)) {}
    // Shifts by a chain's length, 1..63 bits (SHLD where it exists: gcc makes
    // two shifts and an OR of the portable expression).
    void shift(unsigned bits) noexcept {
      if constexpr (!Wide) {
        hi <<= bits;
      } else {
#if defined(__x86_64__)
        asm("shldq %%cl, %1, %0" : "+r"(hi) : "r"(lo), "c"(bits) : "cc");
#else
        hi = (hi << bits) | (lo >> (64 - bits));
#endif
        lo <<= bits;
      }
    }
    template <unsigned Bits>
    void shift() noexcept {
      static_assert(Bits > 0 && Bits < 64);
      if constexpr (!Wide) {
        hi <<= Bits;
      } else {
#if defined(__x86_64__)
        asm("shldq %2, %1, %0" : "+r"(hi) : "r"(lo), "J"(Bits) : "cc");
#else
        hi = (hi << Bits) | (lo >> (64 - Bits));
#endif
        lo <<= Bits;
      }
    }
    // Where a node's bit vectors are shifted so that the bit of the slot the
    // next `stride` key bits select lands in bit 63 and the slots below it
    // under it: 63 - slot. Then the slot is set iff the shifted vector is
    // negative, and its rank is the popcount of the shifted vector.
    unsigned slot_shift() const noexcept {
      return static_cast<unsigned>(~hi >> (64 - stride));
    }
    // Whether the first `skip` bits differ from `match` (left-aligned); chains
    // are at most max_chain_bits long, so one word holds them.
    bool off_chain(std::uint64_t match, unsigned skip) const noexcept {
      return ((hi ^ match) >> (64 - skip)) != 0;
    }
  };
  template <class Key>
  using wide_key = wide_key_t<(sizeof(Key) > 8)>;

  // The node a lookup of `key` (already shifted past the top bits) starts at,
  // shifting key past a compressed chain; nullptr if key leaves the chain.
  template <bool Wide>
  static const node* enter(std::uint64_t e, wide_key_t<Wide>& key) noexcept {
    if (!(e & skip_tag)) return reinterpret_cast<const node*>(e);
    const auto* r = reinterpret_cast<const root_record*>(e & ~tag_mask);
    if (((key.hi ^ r->match) & r->mask) != 0) return nullptr;
    key.shift(r->skip);
    return &r->start;
  }

  struct batch;
  struct node_plan;
  enum class outcome : std::uint8_t { unchanged, replaced, absent };

  outcome rebuild(const node* old, unsigned depth, std::span<const route_change> changes,
                  nexthop_id inherited_old, nexthop_id inherited_new, node& out, batch& b);
  void rebuild_children(const node* old, unsigned depth, std::span<const route_change> changes,
                        nexthop_id inherited, node_plan& p, batch& b);
  void update_entry(std::size_t e, std::span<const route_change> deep, nexthop_id in_old,
                    nexthop_id in_new, batch& b);
  void repaint_top(std::size_t code, std::size_t lo, std::size_t hi) noexcept;
  std::uint64_t publishable(const node* root, nexthop_id miss);
  static const node* root_of(std::uint64_t e) noexcept;
  void* allocate(std::size_t bytes, std::size_t align);
  static std::size_t block_size(std::size_t bytes, std::size_t align) noexcept;
  const node* emit_children(const node* kids, unsigned n);
  const nexthop_id* emit_chain_block(const node& child, unsigned slot, nexthop_id miss);
  const nexthop_id* emit_leaf_block(const std::uint64_t (&pbits)[2],
                                    const nexthop_id* prefix_by_code, const nexthop_id* leaves,
                                    unsigned nleaves);
  void retire(const void* p, std::size_t bytes, std::size_t align, batch& b) noexcept;
  void retire_arrays(const node& n, batch& b) noexcept;

  unsigned top_bits_;
  reclaimer* reclaimer_;
  // Node arrays, leaf blocks and chain records come from size-class pools
  // carved out of large chunks: a million routes are over a million small
  // blocks, and malloc's per-block header and rounding cost a third of the
  // table. Shared with the closures that free retired blocks after a grace
  // period, which may run after the trie is gone.
  std::shared_ptr<std::pmr::unsynchronized_pool_resource> pool_;
  // What readers see: 2^top_bits_ entries, each a leaf or a subtree root.
  std::unique_ptr<std::atomic<std::uint64_t>[]> top_;
  // Writer only: the routes of length 0..top_bits_, indexed by (1 << len) | bits,
  // and for each top entry the next hop those routes give it (what a subtree
  // below it inherits) and 1 + the length of the route it comes from (0: none).
  std::vector<nexthop_id> top_routes_;
  std::vector<nexthop_id> top_inherited_;
  std::vector<std::uint8_t> top_inherited_len_;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace umi::fib::detail
