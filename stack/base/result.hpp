#pragma once
// result<T, E>: a small expected-like type (std::expected is C++23).
#include <type_traits>
#include <utility>
#include <variant>

namespace umi {

template <class E>
struct unexpected {
  E error;
};
template <class E>
unexpected(E) -> unexpected<E>;

template <class T, class E>
class [[nodiscard]] result {
 public:
  result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT(google-explicit-constructor)
  result(unexpected<E> e)                                    // NOLINT(google-explicit-constructor)
      : v_(std::in_place_index<1>, std::move(e.error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const E& error() const& { return std::get<1>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

 private:
  std::variant<T, E> v_;
};

// result<void, E>
struct ok_t {};
inline constexpr ok_t ok{};

template <class E>
class [[nodiscard]] result<void, E> {
 public:
  result(ok_t) {}  // NOLINT(google-explicit-constructor)
  result(unexpected<E> e) : err_(std::move(e.error)), ok_(false) {}  // NOLINT
  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const E& error() const& { return err_; }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace umi
