// Expected failures as values: every operation that can fail for a reason a client may cause
// returns Result<T>; the HTTP edge maps ErrorCode to a status and errorCode in one place.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace p720 {

enum class ErrorCode {
  kInvalidRequest,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kSelectDuplicated,
  kTicketHeld,
  kPurchaseDuplicated,
  kMaxSelected,
  kLimitExceeded,
  kTimeOut,
  kSelectNoTicket,
  kNotEnoughMoney,
  kAlreadyDrawn,
  kIdempotencyConflict,
  kPayloadTooLarge,
  kTooManyRequests,
  // Accounts and sign-in
  kEmailTaken,            // 409
  kAgeRestricted,         // 403
  kEmailNotVerified,      // 403
  kVerificationFailed,    // 400: a wrong code
  kVerificationExpired,   // 400: no code, expired, or out of tries
  // Money in and out
  kPaymentFailed,     // 402: the payment provider refused
  kAlreadyProcessed,  // 409: a withdrawal already paid or failed
  kUnavailable,  // the store cannot be reached; 503
  kStorageFull,  // the store's disk is full: nothing can be written; 503
  kInternal,     // a bug; 500
};

struct Error {
  ErrorCode code;
  std::string message;      // human-readable, Korean where a client sees it
  std::vector<int> tickets; // ticket indexes involved (PURCHASE_DUPLICATED), may be empty
  long long retry_after = 0;  // TOO_MANY_REQUESTS: seconds until a retry may succeed (0: unknown)
};

inline Error make_error(ErrorCode code, std::string message = {}, std::vector<int> tickets = {}) {
  return Error{code, std::move(message), std::move(tickets), 0};
}

// Result<T> holds either a value or an Error. Result<void> is spelled Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  // A temporary's value is moved out rather than referenced, so `for (auto& x : *f())` and
  // `const auto& v = f().value()` extend its life instead of dangling (found by ASan).
  T value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kInternal, {}, {}, 0};
  bool ok_ = true;
};

}  // namespace p720
