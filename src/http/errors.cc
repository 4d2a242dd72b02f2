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
    {ErrorCode::kVerificationExpired, 400, "VERIFICATION_EXPIRED", "인증 코드가 만료되었습니다. 새 코드를 요청해 주세요."},
    {ErrorCode::kPaymentFailed, 402, "PAYMENT_FAILED", "결제가 승인되지 않았습니다."},
    {ErrorCode::kAlreadyProcessed, 409, "ALREADY_PROCESSED", "이미 처리된 요청입니다."},
    {ErrorCode::kUnavailable, 503, "SERVICE_UNAVAILABLE", "일시적으로 서비스를 이용할 수 없습니다."},
    {ErrorCode::kStorageFull, 503, "STORAGE_FULL", "저장 공간이 부족해 지금은 처리할 수 없습니다. 잠시 후 다시 시도하세요."},
    {ErrorCode::kInternal, 500, "INTERNAL_ERROR", "서버 오류가 발생했습니다."},
};

const Mapping& mapping(ErrorCode code) {
  for (const auto& m : kMappings)
    if (m.code == code) return m;
  return kMappings[std::size(kMappings) - 1];
}

}  // namespace

int http_status(ErrorCode code) { return mapping(code).status; }
std::string_view error_code_name(ErrorCode code) { return mapping(code).name; }

Response error_response(const Error& error) {
  const auto& m = mapping(error.code);
  nlohmann::json body = {{"errorCode", m.name},
                         {"errorMessage", error.message.empty() ? std::string(m.message) : error.message}};
  if (error.code == ErrorCode::kPurchaseDuplicated) {
    auto list = nlohmann::json::array();
    for (int idx : error.tickets) {
      auto t = Ticket::from_index(idx);
      list.push_back({{"group", t.group}, {"number", t.number()}});
    }
    body["tickets"] = std::move(list);
  }
  Response r;
  r.status = m.status;
  // Every 429 says when to come back (SPEC §3); at least a second when the limiter cannot tell.
  if (m.status == 429) r.headers.emplace_back("Retry-After", std::to_string(std::max(1LL, error.retry_after)));
  // Messages may quote client input (e.g. the path); invalid UTF-8 must not make dump() throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // The same text as the body's, invalid UTF-8 replaced as there.
  r.error_message = nlohmann::json::parse(body["errorMessage"].dump(-1, ' ', false,
                                                                   nlohmann::json::error_handler_t::replace))
                        .get<std::string>();
  return r;
}

Response error_response(ErrorCode code, std::string message) {
  return error_response(make_error(code, std::move(message)));
}

}  // namespace p720::http
