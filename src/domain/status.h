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
  kLockWait,         // another transaction holds the rows a write needs (the store, after a lock wait)
  kCommitOutcome,    // whether a write committed could not be learnt (its commit's reply was lost)
  // Added with the HTTP routes' and the app's sites (issue 17); `detail` as said.
  kMethod,             // a method the path has no route for; detail: the method
  kPath,               // a path no route has; detail: the path
  kFile,               // a static file of the web page
  kHeaders,            // the request's header fields (too large: HTTP 431)
  kHttpRequest,        // a request the HTTP parser refused
  kTransferEncoding,   // a Transfer-Encoding that could frame the request differently
  kEncoding,           // invalid UTF-8 in the target or a header value
  kToken,              // a bearer token; detail: the reason key (http/errors.cc kTexts)
  kTokenClaim,         // a claim of a bearer token; detail: its name
  kAdminRoute,         // an ADMIN-only route
  kBody,               // a request body that is not JSON
  kBodyObject,         // a request body that is not a JSON object
  kFieldRange,         // a field out of range; detail: its name
  kFieldInteger,       // a field that must be an integer; detail: its name
  kFieldBoolean,       // a field that must be true/false; detail: its name
  kFieldString,        // a field that must be a string; detail: its name
  kFieldLength,        // a field too long; detail: its name
  kFieldEmpty,         // a field that is empty; detail: its name
  kParam,              // a query or path parameter; detail: its name
  kPageLimit,          // a page's limit; detail: the largest
  kIdempotencyKey,     // an Idempotency-Key header
  kDigits,             // first…sixth given in part
  kDigitsMismatch,     // number and first…sixth disagree
  kTicket,             // one ticket of a request (not an object)
  kTicketNumber,       // a ticket without number, digits or auto
  kTicketList,         // a request's "tickets" that is not a non-empty array
  kDrawNumbers,        // a draw's number and bonus
  kWinAndBonus,        // the predecessor's pensionWinNum / pensionBonusNum
  kRoundMismatch,      // two rounds of one request that differ
  kDigitFields,        // six digit fields; detail: their names ("firstNum~sixthNum")
  kDate,               // a YYYY-MM-DD date; detail: the field
  kMonth,              // a YYYY-MM month
  kTaxReport,          // the tax report (ADMIN)
  kPassword,           // a password; detail: the domain's reason (see DESIGN "Error texts")
  kName,               // a display name
  kBirthDate,          // a birth date
  kBirthDateFuture,    // a birth date in the future
  kBirthDateRequired,  // the predecessor's sign-up without a birth date
  kCode,               // an e-mail verification code; detail: tries left
  kLogin,              // a sign-in (e-mail and password)
  kRefreshToken,       // a refresh token
  kNotAnAccount,       // a user who did not sign in with an account
  kMailer,             // the mail server (not configured)
  kRecipient,          // a mail's recipient address
  kPaymentService,     // the payment service (not configured)
  kProvider,           // the payment provider; detail: its reason
  kOrderAmount,        // a confirmation whose amount is not the order's
  kOrderRequest,       // a confirmation without orderId / paymentKey
  kWithdrawalAmount,   // a withdrawal's amount; detail: the minimum
  kBankCode,           // a bank code
  kAccountNumber,      // a bank account number
  kHolderName,         // an account holder's name
  kWithdrawalStatus,   // a withdrawal status filter
  kAnnuityTicket,      // an annuity-winning ticket of the caller
};

struct Error {
  ErrorCode code;
  std::vector<int> tickets;   // ticket indexes involved (PURCHASE_DUPLICATED), may be empty
  long long retry_after = 0;  // TOO_MANY_REQUESTS: seconds until a retry may succeed (0: unknown)
  Subject subject = Subject::kNone;
  std::string detail;  // data the message quotes (a field name, a status, a provider's reason), never prose
};

// The form to use: a code, what it is about, and data for the message.
inline Error make_error(ErrorCode code, Subject subject = Subject::kNone, std::string detail = {},
                        std::vector<int> tickets = {}) {
  return Error{code, std::move(tickets), 0, subject, std::move(detail)};
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
  Error error_{ErrorCode::kInternal, {}, 0, Subject::kNone, {}};
  bool ok_ = true;
};

}  // namespace p720
