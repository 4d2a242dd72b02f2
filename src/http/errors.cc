// Error → HTTP mapping (SPEC §3 table).
#include "http/errors.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "domain/ticket.h"

namespace p720::http {
namespace {

struct Mapping {
  ErrorCode code;
  int status;
  std::string_view name;
  std::string_view message;  // default Korean message
};

constexpr Mapping kMappings[] = {
    {ErrorCode::kInvalidRequest, 400, "INVALID_REQUEST", "잘못된 요청입니다."},
    {ErrorCode::kUnauthorized, 401, "UNAUTHORIZED", "인증이 필요합니다."},
    {ErrorCode::kForbidden, 403, "FORBIDDEN", "권한이 없습니다."},
    {ErrorCode::kNotFound, 404, "NOT_FOUND", "찾을 수 없습니다."},
    {ErrorCode::kSelectDuplicated, 409, "SELECT_DUPLICATED", "이미 선택한 번호입니다."},
    {ErrorCode::kTicketHeld, 409, "TICKET_HELD", "다른 구매자가 선택한 번호입니다."},
    {ErrorCode::kPurchaseDuplicated, 409, "PURCHASE_DUPLICATED", "이미 구매된 번호입니다."},
    {ErrorCode::kMaxSelected, 409, "MAX_SELECTED", "최대 구매 수량을 초과했습니다."},
    {ErrorCode::kLimitExceeded, 409, "LIMIT_EXCEEDED", "회차당 구매 한도를 초과했습니다."},
    {ErrorCode::kTimeOut, 409, "TIME_OUT", "지금은 선택/구매할 수 없습니다."},
    {ErrorCode::kSelectNoTicket, 400, "SELECT_NO_TICKET", "선택된 번호가 없습니다."},
    {ErrorCode::kNotEnoughMoney, 400, "NOT_ENOUGH_MONEY", "예치금이 부족합니다."},
    {ErrorCode::kAlreadyDrawn, 409, "ALREADY_DRAWN", "이미 추첨된 회차입니다."},
    {ErrorCode::kIdempotencyConflict, 409, "IDEMPOTENCY_CONFLICT", "같은 Idempotency-Key로 다른 요청을 보냈습니다."},
    {ErrorCode::kPayloadTooLarge, 413, "PAYLOAD_TOO_LARGE", "요청 본문이 너무 큽니다."},
    {ErrorCode::kTooManyRequests, 429, "TOO_MANY_REQUESTS", "요청이 너무 많습니다. 잠시 후 다시 시도하세요."},
    {ErrorCode::kEmailTaken, 409, "EMAIL_TAKEN", "이미 가입된 이메일입니다."},
    {ErrorCode::kAgeRestricted, 403, "AGE_RESTRICTED", "만 19세 미만은 복권을 구매할 수 없어 가입할 수 없습니다."},
    {ErrorCode::kEmailNotVerified, 403, "EMAIL_NOT_VERIFIED", "이메일 인증을 먼저 완료해 주세요."},
    {ErrorCode::kVerificationFailed, 400, "VERIFICATION_FAILED", "인증 코드가 올바르지 않습니다."},
    {ErrorCode::kVerificationExpired, 400, "VERIFICATION_EXPIRED",
     "인증 코드가 만료되었습니다. 새 코드를 요청해 주세요."},
    {ErrorCode::kPaymentFailed, 402, "PAYMENT_FAILED", "결제가 승인되지 않았습니다."},
    {ErrorCode::kAlreadyProcessed, 409, "ALREADY_PROCESSED", "이미 처리된 요청입니다."},
    {ErrorCode::kUnavailable, 503, "SERVICE_UNAVAILABLE", "일시적으로 서비스를 이용할 수 없습니다."},
    {ErrorCode::kStorageFull, 503, "STORAGE_FULL",
     "저장 공간이 부족해 지금은 처리할 수 없습니다. 잠시 후 다시 시도하세요."},
    {ErrorCode::kInternal, 500, "INTERNAL_ERROR", "서버 오류가 발생했습니다."},
};

// Every client-visible text more specific than its code's: (code, subject) → text, where "{}"
// is replaced by the error's detail (a field name, a status, a provider's reason). An entry with
// a key applies only when the detail is that key (the reasons a token is refused). A text that
// quotes the detail falls back to the code's own when the detail is empty. `status` overrides
// the code's HTTP status for that subject (0: the code's).
struct Text {
  ErrorCode code;
  Subject subject;
  std::string_view text;
  std::string_view key = {};
  int status = 0;
};

using E = ErrorCode;
using S = Subject;

constexpr Text kTexts[] = {
    // Routing and the HTTP request itself
    {E::kNotFound, S::kMethod, "지원하지 않는 메서드입니다: {}"},
    {E::kNotFound, S::kPath, "없는 경로입니다: {}"},
    {E::kNotFound, S::kFile, "없는 파일입니다."},
    {E::kInvalidRequest, S::kHeaders, "요청 헤더가 너무 큽니다.", {}, 431},
    {E::kInvalidRequest, S::kHttpRequest, "잘못된 HTTP 요청입니다."},
    {E::kInvalidRequest, S::kTransferEncoding, "Transfer-Encoding이 올바르지 않습니다."},
    {E::kInvalidRequest, S::kEncoding, "요청에 올바르지 않은 UTF-8이 있습니다."},
    {E::kForbidden, S::kAdminRoute, "관리자 권한이 필요합니다."},
    // Bearer tokens (detail: the reason)
    {E::kUnauthorized, S::kTokenClaim, "인증이 필요합니다: {} 클레임이 올바르지 않습니다."},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 클레임이 올바르지 않습니다.", "claims"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 클레임이 없습니다.", "no-claims"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: id 클레임이 없습니다.", "no-id"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 토큰이 만료되었습니다.", "expired"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 아직 유효하지 않은 토큰입니다.", "not-yet"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 토큰이 없습니다.", "missing"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: Bearer 토큰이 아닙니다.", "not-bearer"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 토큰이 너무 깁니다.", "too-long"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 데모 토큰은 데모 모드에서만 쓸 수 있습니다.", "demo"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 로그아웃되었거나 취소된 로그인입니다.", "revoked"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 토큰이 올바르지 않습니다.", "malformed"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: HS256 토큰만 허용됩니다.", "hs256-only"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: kid가 없습니다.", "no-kid"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 알 수 없는 키이거나 키와 알고리즘이 맞지 않습니다.",
     "unknown-key"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 토큰 서명이 올바르지 않습니다.", "signature"},
    {E::kUnauthorized, S::kToken, "인증이 필요합니다: 지원하지 않는 알고리즘입니다.", "alg"},
    // Request bodies, fields and parameters (detail: the field's name)
    {E::kInvalidRequest, S::kBody, "요청 본문이 올바른 JSON이 아닙니다."},
    {E::kInvalidRequest, S::kBodyObject, "요청 본문은 JSON 객체여야 합니다."},
    {E::kInvalidRequest, S::kField, "{} 값이 필요합니다."},
    {E::kInvalidRequest, S::kFieldRange, "{} 값이 범위를 벗어났습니다."},
    {E::kInvalidRequest, S::kFieldInteger, "{} 값은 정수여야 합니다."},
    {E::kInvalidRequest, S::kFieldBoolean, "{} 값은 true/false여야 합니다."},
    {E::kInvalidRequest, S::kFieldString, "{} 값은 문자열이어야 합니다."},
    {E::kInvalidRequest, S::kFieldLength, "{} 값이 너무 깁니다."},
    {E::kInvalidRequest, S::kFieldEmpty, "{}가 비어 있습니다."},
    {E::kInvalidRequest, S::kParam, "{} 값이 올바르지 않습니다."},
    {E::kInvalidRequest, S::kPageLimit, "limit은 1~{} 사이의 정수여야 합니다."},
    {E::kInvalidRequest, S::kIdempotencyKey, "Idempotency-Key는 공백 없는 ASCII 1~128자여야 합니다."},
    {E::kInvalidRequest, S::kDate, "{} 값은 YYYY-MM-DD 형식의 날짜여야 합니다."},
    {E::kInvalidRequest, S::kMonth, "month는 YYYY-MM 형식이어야 합니다."},
    // Rounds, tickets and draws
    {E::kInvalidRequest, S::kRound, "round가 올바르지 않습니다."},
    {E::kInvalidRequest, S::kRoundMismatch, "두 drawRound가 다릅니다."},
    {E::kInvalidRequest, S::kNumber, "number는 숫자 6자리 문자열이어야 합니다."},
    {E::kInvalidRequest, S::kDigits, "first~sixth 여섯 자리가 모두 필요합니다."},
    {E::kInvalidRequest, S::kDigitsMismatch, "number와 first~sixth가 다릅니다."},
    {E::kInvalidRequest, S::kDigitFields, "{}이 필요합니다."},
    {E::kInvalidRequest, S::kTicket, "번호는 JSON 객체여야 합니다."},
    {E::kInvalidRequest, S::kTicketNumber, "number 또는 first~sixth, 혹은 auto가 필요합니다."},
    {E::kInvalidRequest, S::kTicketList, "tickets는 비어 있지 않은 배열이어야 합니다."},
    {E::kInvalidRequest, S::kTickets, "tickets가 비어 있습니다."},
    {E::kInvalidRequest, S::kGroup, "group은 0~5 사이여야 합니다."},
    {E::kInvalidRequest, S::kDuplicateTicket, "같은 번호가 요청에 두 번 있습니다."},
    {E::kPurchaseDuplicated, S::kSoldOut, "남은 번호가 없습니다."},
    {E::kForbidden, S::kTickets, "관리자만 조회할 수 있습니다."},
    {E::kNotFound, S::kCartItem, "선택한 번호를 찾을 수 없습니다."},
    {E::kInvalidRequest, S::kDrawNumbers, "number와 bonus는 숫자 6자리 문자열이어야 합니다."},
    {E::kInvalidRequest, S::kWinAndBonus, "pensionWinNum과 pensionBonusNum이 필요합니다."},
    {E::kInvalidRequest, S::kBonus, "보너스 번호는 1등 번호와 달라야 합니다."},
    {E::kForbidden, S::kDraw, "관리자만 추첨할 수 있습니다."},
    {E::kTimeOut, S::kDraw, "판매가 끝나지 않은 회차는 추첨할 수 없습니다."},
    {E::kNotFound, S::kDraw, "추첨 결과가 없습니다."},
    // The store
    {E::kUnavailable, S::kStore, "저장소에 연결할 수 없습니다."},
    {E::kUnavailable, S::kLockWait, "다른 거래가 같은 티켓이나 지갑을 사용하고 있습니다. 잠시 후 다시 시도하세요."},
    {E::kUnavailable, S::kCommitOutcome,
     "처리 결과를 확인할 수 없습니다. 구매 내역을 확인하거나 같은 Idempotency-Key로 다시 요청하세요."},
    // Money
    {E::kInvalidRequest, S::kAmount, "amount는 1 이상 10,000,000,000 이하의 정수여야 합니다."},
    {E::kInvalidRequest, S::kBalanceCap, "예치금 한도(1,000조 원)를 넘게 충전할 수 없습니다."},
    {E::kInvalidRequest, S::kBalanceCap, "예치금 한도(1,000조 원)를 넘게 지급할 수 없습니다.", "INSTALLMENT"},
    {E::kForbidden, S::kDeposit, "입금 권한이 없습니다."},
    {E::kUnavailable, S::kPaymentService, "결제 서비스가 설정되지 않았습니다."},
    {E::kUnavailable, S::kProvider,
     "결제 서비스가 응답하지 않습니다. 결제 결과는 확인되는 대로 반영됩니다. 잠시 후 다시 확인해 주세요."},
    {E::kPaymentFailed, S::kProvider, "{}"},
    {E::kNotFound, S::kOrder, "주문을 찾을 수 없습니다."},
    {E::kInvalidRequest, S::kOrderAmount, "결제 금액이 주문 금액과 다릅니다."},
    {E::kInvalidRequest, S::kOrderRequest, "orderId와 paymentKey가 필요합니다."},
    {E::kInvalidRequest, S::kWithdrawalAmount, "출금액은 {}원 이상이어야 합니다."},
    {E::kInvalidRequest, S::kBankCode, "bankCode는 숫자 2~3자리 은행 코드여야 합니다."},
    {E::kInvalidRequest, S::kAccountNumber, "accountNumber는 숫자 6~20자리여야 합니다."},
    {E::kInvalidRequest, S::kHolderName, "holderName은 1~50자여야 합니다."},
    {E::kInvalidRequest, S::kWithdrawalStatus, "status는 REQUESTED, PAID, FAILED 중 하나여야 합니다."},
    {E::kNotFound, S::kWithdrawal, "출금 요청을 찾을 수 없습니다."},
    {E::kAlreadyProcessed, S::kWithdrawal, "이미 처리된 출금 요청입니다 ({})."},
    // Annuities and tax
    {E::kForbidden, S::kAnnuity, "관리자만 연금을 지급할 수 있습니다."},
    {E::kTimeOut, S::kAnnuity, "아직 지급일이 오지 않은 달입니다."},
    {E::kNotFound, S::kAnnuity, "연금 당첨 내역이 없습니다."},
    {E::kInvalidRequest, S::kAnnuity, "잘못된 연금 지급입니다."},
    {E::kNotFound, S::kAnnuityTicket, "연금 당첨 내역을 찾을 수 없습니다."},
    {E::kForbidden, S::kTaxReport, "관리자만 볼 수 있습니다."},
    // Accounts and sign-in
    {E::kInvalidRequest, S::kEmail, "이메일 형식이 올바르지 않습니다."},
    {E::kInvalidRequest, S::kPassword, "{}"},
    {E::kInvalidRequest, S::kLogin, "비밀번호는 1~256바이트여야 합니다."},
    {E::kInvalidRequest, S::kName, "이름은 1~50자여야 합니다."},
    {E::kInvalidRequest, S::kBirthDate, "생년월일은 YYYY-MM-DD 형식의 날짜여야 합니다."},
    {E::kInvalidRequest, S::kBirthDateFuture, "생년월일이 미래입니다."},
    {E::kInvalidRequest, S::kBirthDateRequired,
     "birthDate(YYYY-MM-DD) 값이 필요합니다: 만 19세 미만에게는 복권을 판매할 수 없습니다."},
    {E::kInvalidRequest, S::kCode, "인증 코드는 숫자 6자리입니다."},
    {E::kVerificationFailed, S::kCode, "인증 코드가 올바르지 않습니다. (남은 시도 {}회)"},
    {E::kVerificationExpired, S::kCode,
     "인증 코드가 올바르지 않습니다. 시도 횟수를 모두 써서 새 코드를 요청해 주세요."},
    {E::kTooManyRequests, S::kCode, "인증 코드를 너무 자주 요청했습니다. 잠시 후 다시 시도해 주세요."},
    {E::kTooManyRequests, S::kLogin, "로그인 실패가 너무 많습니다. 잠시 후 다시 시도해 주세요."},
    {E::kUnauthorized, S::kLogin, "이메일 또는 비밀번호가 올바르지 않습니다."},
    {E::kUnauthorized, S::kRefreshToken, "다시 로그인해 주세요. (리프레시 토큰이 유효하지 않습니다.)"},
    {E::kNotFound, S::kNotAnAccount, "계정으로 로그인한 사용자가 아닙니다."},
    {E::kNotFound, S::kAccount, "계정을 찾을 수 없습니다."},
    {E::kUnavailable, S::kMailer, "메일 서버가 설정되지 않아 인증 코드를 보낼 수 없습니다."},
    {E::kUnavailable, S::kEmail, "인증 메일을 보낼 수 없습니다. 잠시 후 다시 시도해 주세요."},
    {E::kInvalidRequest, S::kRecipient, "받는 주소가 올바르지 않습니다."},
};

const Mapping& mapping(ErrorCode code) {
  for (const auto& m : kMappings)
    if (m.code == code) return m;
  return kMappings[std::size(kMappings) - 1];
}

// The entry for `error`: one keyed by its detail first, then its (code, subject)'s; null → the code's.
const Text* text_of(const Error& error) {
  const Text* general = nullptr;
  for (const auto& t : kTexts) {
    if (t.code != error.code || t.subject != error.subject) continue;
    if (t.key.empty()) general = general ? general : &t;
    else if (t.key == error.detail) return &t;
  }
  if (general && general->text.find("{}") != std::string_view::npos && error.detail.empty()) return nullptr;
  return general;
}

}  // namespace

int http_status(ErrorCode code) { return mapping(code).status; }
std::string_view error_code_name(ErrorCode code) { return mapping(code).name; }

std::string error_message(const Error& error) {
  const Text* t = text_of(error);
  if (!t) return std::string(mapping(error.code).message);
  std::string out(t->text);
  if (const auto at = out.find("{}"); at != std::string::npos) out.replace(at, 2, error.detail);
  return out;
}

Response error_response(const Error& error) {
  const auto& m = mapping(error.code);
  nlohmann::json body = {{"errorCode", m.name}, {"errorMessage", error_message(error)}};
  if (error.code == ErrorCode::kPurchaseDuplicated) {
    auto list = nlohmann::json::array();
    for (int idx : error.tickets) {
      auto t = Ticket::from_index(idx);
      list.push_back({{"group", t.group}, {"number", t.number()}});
    }
    body["tickets"] = std::move(list);
  }
  Response r;
  const Text* t = text_of(error);
  r.status = t && t->status ? t->status : m.status;
  // Every 429 says when to come back (SPEC §3); at least a second when the limiter cannot tell.
  if (r.status == 429) r.headers.emplace_back("Retry-After", std::to_string(std::max(1LL, error.retry_after)));
  // Messages may quote client input (e.g. the path); invalid UTF-8 must not make dump() throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // The same text as the body's, invalid UTF-8 replaced as there.
  r.error_message =
      nlohmann::json::parse(body["errorMessage"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
          .get<std::string>();
  return r;
}

}  // namespace p720::http
