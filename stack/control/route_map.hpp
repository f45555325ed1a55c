#pragma once
// The control plane's ordered set of routes, keyed by (prefix, length).
//
// A std::map node costs ~128 bytes per route with malloc's overhead, which for
// a full table is more than the FIB itself. This keeps the routes in sorted
// chunks of at most chunk_max (a one-level B+tree): a route costs
// sizeof(route6) / fill, lookups are a binary search over the chunks and one
// within a chunk, and an insertion moves at most one chunk's tail. Pointers
// to routes stay valid until the next insertion or erasure, like iterators of
// a vector: use them before changing the table.
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "stack/base/addr.hpp"

namespace umi::control {

template <class Route>
class route_map {
 public:
  using key_type = std::pair<ip6_addr, unsigned>;
  // What iteration yields: `for (const auto& [key, route] : map)`.
  using value_type = std::pair<key_type, const Route&>;

  static constexpr std::size_t chunk_max = 512;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using difference_type = std::ptrdiff_t;
    using value_type = route_map::value_type;
    using reference = value_type;
    using pointer = void;

    const_iterator() = default;
    value_type operator*() const {
      const Route& r = (*chunks_)[c_][i_];
      return {key_of(r), r};
    }
    const_iterator& operator++() {
      if (++i_ == (*chunks_)[c_].size()) {
        ++c_;
        i_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      auto t = *this;
      ++*this;
      return t;
    }
    bool operator==(const const_iterator& o) const { return c_ == o.c_ && i_ == o.i_; }

   private:
    friend class route_map;
    const_iterator(const std::vector<std::vector<Route>>* ch, std::size_t c, std::size_t i)
        : chunks_(ch), c_(c), i_(i) {}
    const std::vector<std::vector<Route>>* chunks_ = nullptr;
    std::size_t c_ = 0;
    std::size_t i_ = 0;
  };

  static key_type key_of(const Route& r) { return {r.dest, r.plen}; }

  const_iterator begin() const { return {&chunks_, 0, 0}; }
  const_iterator end() const { return {&chunks_, chunks_.size(), 0}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  Route* find(const key_type& k) {
    if (chunks_.empty()) return nullptr;
    auto& ch = chunks_[chunk_for(k)];
    auto it = lower(ch, k);
    return it != ch.end() && key_of(*it) == k ? &*it : nullptr;
  }
  const Route* find(const key_type& k) const { return const_cast<route_map*>(this)->find(k); }

  // Inserts r under key_of(r) unless that key is present; returns the route
  // in the table and whether it was inserted.
  std::pair<Route*, bool> try_emplace(const Route& r) {
    const key_type k = key_of(r);
    if (chunks_.empty()) {
      chunks_.emplace_back().reserve(chunk_max);
    }
    std::size_t c = chunk_for(k);
    auto& ch = chunks_[c];
    auto it = lower(ch, k);
    if (it != ch.end() && key_of(*it) == k) return {&*it, false};
    std::size_t pos = static_cast<std::size_t>(it - ch.begin());
    if (ch.size() == chunk_max) {
      // Split in halves; the new route goes to the half it sorts into.
      std::vector<Route> upper;
      upper.reserve(chunk_max);
      upper.assign(ch.begin() + chunk_max / 2, ch.end());
      ch.erase(ch.begin() + chunk_max / 2, ch.end());
      chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(upper));
      if (pos >= chunk_max / 2) {
        ++c;
        pos -= chunk_max / 2;
      }
    }
    auto& dst = chunks_[c];
    auto at = dst.insert(dst.begin() + static_cast<std::ptrdiff_t>(pos), r);
    ++size_;
    return {&*at, true};
  }

  bool erase(const key_type& k) {
    if (chunks_.empty()) return false;
    const std::size_t c = chunk_for(k);
    auto& ch = chunks_[c];
    auto it = lower(ch, k);
    if (it == ch.end() || key_of(*it) != k) return false;
    ch.erase(it);
    --size_;
    if (ch.empty()) chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
    return true;
  }

  // Removes every route for which pred(route) holds, calling removed(route)
  // for each before it goes.
  template <class Pred, class Removed>
  void erase_if(Pred pred, Removed removed) {
    for (auto& ch : chunks_) {
      auto keep =
          std::stable_partition(ch.begin(), ch.end(), [&](const Route& r) { return !pred(r); });
      for (auto it = keep; it != ch.end(); ++it) removed(*it);
      size_ -= static_cast<std::size_t>(ch.end() - keep);
      ch.erase(keep, ch.end());
    }
    std::erase_if(chunks_, [](const std::vector<Route>& ch) { return ch.empty(); });
  }

  // Adds many routes at once: `batch` sorted by key without duplicates.
  // Routes already present are replaced (replaced(old) is called first).
  // A batch that is large against the table rebuilds the chunks by one merge
  // into full chunks (a later insertion into one splits it in halves).
  template <class Replaced>
  void merge_sorted(const std::vector<Route>& batch, Replaced replaced) {
    if (batch.size() * 8 < size_) {
      for (const Route& r : batch) {
        auto [p, inserted] = try_emplace(r);
        if (!inserted) {
          replaced(*p);
          *p = r;
        }
      }
      return;
    }
    constexpr std::size_t fill = chunk_max;
    std::vector<std::vector<Route>> out;
    out.reserve((size_ + batch.size()) / fill + 1);
    std::size_t n = 0;
    auto push = [&](const Route& r) {
      if (out.empty() || out.back().size() == fill) out.emplace_back().reserve(chunk_max);
      out.back().push_back(r);
      ++n;
    };
    auto b = batch.begin();
    for (auto& ch : chunks_) {
      for (const Route& r : ch) {
        const key_type k = key_of(r);
        while (b != batch.end() && key_of(*b) < k) push(*b++);
        if (b != batch.end() && key_of(*b) == k) {
          replaced(r);
          push(*b++);
        } else {
          push(r);
        }
      }
      std::vector<Route>().swap(ch);  // give each old chunk back as it is copied
    }
    while (b != batch.end()) push(*b++);
    chunks_ = std::move(out);
    size_ = n;
  }

  static bool key_less(const Route& r, const Route& s) { return key_of(r) < key_of(s); }

 private:
  // The chunk whose range holds k: the last one whose first key is <= k.
  std::size_t chunk_for(const key_type& k) const {
    auto it = std::upper_bound(
        chunks_.begin(), chunks_.end(), k,
        [](const key_type& x, const std::vector<Route>& ch) { return x < key_of(ch.front()); });
    return it == chunks_.begin() ? 0 : static_cast<std::size_t>(it - chunks_.begin()) - 1;
  }
  static auto lower(std::vector<Route>& ch, const key_type& k) {
    return std::lower_bound(ch.begin(), ch.end(), k,
                            [](const Route& r, const key_type& x) { return key_of(r) < x; });
  }

  std::vector<std::vector<Route>> chunks_;  // every chunk non-empty, capacity chunk_max
  std::size_t size_ = 0;
};

}  // namespace umi::control
