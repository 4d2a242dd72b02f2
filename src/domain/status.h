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
  kEmailTaken,           // 409
  kAgeRestricted,        // 403
  kEmailNotVerified,     // 403
  kVerificationFailed,   // 400: a wrong code
  kVerificationExpired,  // 400: no code, expired, or out of tries
  // Money in and out
  kPaymentFailed,     // 402: the payment provider refused
  kAlreadyProcessed,  // 409: a withdrawal already paid or failed
  kUnavailable,       // the store cannot be reached; 503
  kStorageFull,       // the store's disk is full: nothing can be written; 503
  kInternal,          // a bug; 500
};

// What an error is about, beyond its code: the HTTP edge words the client's message from the code,
// the subject and the detail (http/errors.cc holds every text). kNone → the code's own message.
enum class Subject {
  kNone,
  kRound,            // a round number
  kGroup,            // a group (1–5; 0 = any in an auto pick)
  kNumber,           // six digits
  kTickets,          // a request's ticket list
  kDuplicateTicket,  // the same ticket twice in one request
  kSoldOut,          // no ticket left to pick
  kAmount,           // a sum of money
  kBalanceCap,       // a wallet would pass domain::kMaxBalance
  kCartItem,         // a cart entry
  kDraw,             // a round's draw
  kBonus,            // the bonus number
  kDeposit,          // a deposit (e.g. into someone else's wallet)
  kOrder,            // a payment order
  kWithdrawal,       // a withdrawal request
  kAnnuity,          // an annuity ticket or installment
  kAccount,          // an account
  kEmail,            // an e-mail address
  kAdminOnly,        // an ADMIN-only view
  kStore,            // the store itself
  kField,            // a request field: `detail` names it
};

struct Error {
  ErrorCode code;
  std::string message;        // DEPRECATED (being removed): prose belongs to the HTTP edge, use subject/detail
  std::vector<int> tickets;   // ticket indexes involved (PURCHASE_DUPLICATED), may be empty
  long long retry_after = 0;  // TOO_MANY_REQUESTS: seconds until a retry may succeed (0: unknown)
  Subject subject = Subject::kNone;
  std::string detail;  // data the message quotes (a field name, a status, a provider's reason), never prose
};

inline Error make_error(ErrorCode code, std::string message = {}, std::vector<int> tickets = {}) {
  return Error{code, std::move(message), std::move(tickets), 0, Subject::kNone, {}};
}
// The form to use: a code, what it is about, and data for the message.
inline Error make_error(ErrorCode code, Subject subject, std::string detail = {}, std::vector<int> tickets = {}) {
  return Error{code, {}, std::move(tickets), 0, subject, std::move(detail)};
}

// Result<T> holds either a value or an Error. Result<void> is spelled Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit on purpose
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
  Error error_{ErrorCode::kInternal, {}, {}, 0, Subject::kNone, {}};
  bool ok_ = true;
};

}  // namespace p720
