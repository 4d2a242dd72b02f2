// The HTTP edge's wording of errors (http/errors.cc): (code, subject, detail) → status and text.
#include "http/errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/json_codec.h"

namespace p720::http {
namespace {

std::string text(ErrorCode code, Subject subject, std::string detail = {}) {
  return error_message(make_error(code, subject, std::move(detail)));
}

TEST(ErrorsTest, AnErrorWithoutSubjectSaysItsCodesText) {
  EXPECT_EQ(text(ErrorCode::kPurchaseDuplicated, Subject::kNone), "이미 구매된 번호입니다.");
  EXPECT_EQ(text(ErrorCode::kTimeOut, Subject::kRound), "지금은 선택/구매할 수 없습니다.");  // no text of its own
  EXPECT_EQ(text(ErrorCode::kNotFound, Subject::kNone), "찾을 수 없습니다.");
}

TEST(ErrorsTest, ASubjectChoosesItsTextAndTheDetailIsQuoted) {
  EXPECT_EQ(text(ErrorCode::kInvalidRequest, Subject::kField, "amount"), "amount 값이 필요합니다.");
  EXPECT_EQ(text(ErrorCode::kInvalidRequest, Subject::kFieldRange, "round"), "round 값이 범위를 벗어났습니다.");
  EXPECT_EQ(text(ErrorCode::kNotFound, Subject::kPath, "/nope"), "없는 경로입니다: /nope");
  EXPECT_EQ(text(ErrorCode::kInvalidRequest, Subject::kPageLimit, "1000"), "limit은 1~1000 사이의 정수여야 합니다.");
  EXPECT_EQ(text(ErrorCode::kVerificationFailed, Subject::kCode, "2"),
            "인증 코드가 올바르지 않습니다. (남은 시도 2회)");
  // The same subject words each code its own way.
  EXPECT_EQ(text(ErrorCode::kNotFound, Subject::kDraw), "추첨 결과가 없습니다.");
  EXPECT_EQ(text(ErrorCode::kForbidden, Subject::kDraw), "관리자만 추첨할 수 있습니다.");
}

TEST(ErrorsTest, ATextQuotingAnEmptyDetailFallsBackToTheCodes) {
  EXPECT_EQ(text(ErrorCode::kPaymentFailed, Subject::kProvider, "카드 한도 초과"), "카드 한도 초과");
  EXPECT_EQ(text(ErrorCode::kPaymentFailed, Subject::kProvider), "결제가 승인되지 않았습니다.");
  EXPECT_EQ(text(ErrorCode::kAlreadyProcessed, Subject::kWithdrawal, "PAID"), "이미 처리된 출금 요청입니다 (PAID).");
  EXPECT_EQ(text(ErrorCode::kAlreadyProcessed, Subject::kWithdrawal), "이미 처리된 요청입니다.");
}

TEST(ErrorsTest, TokenRefusalsAreWordedByTheirReason) {
  EXPECT_EQ(text(ErrorCode::kUnauthorized, Subject::kToken, "expired"), "인증이 필요합니다: 토큰이 만료되었습니다.");
  EXPECT_EQ(text(ErrorCode::kUnauthorized, Subject::kToken, "missing"), "인증이 필요합니다: 토큰이 없습니다.");
  EXPECT_EQ(text(ErrorCode::kUnauthorized, Subject::kTokenClaim, "exp"),
            "인증이 필요합니다: exp 클레임이 올바르지 않습니다.");
  // A reason without a text of its own says the code's.
  EXPECT_EQ(text(ErrorCode::kUnauthorized, Subject::kToken, "no-such-reason"), "인증이 필요합니다.");
}

TEST(ErrorsTest, TheStoresSubjectsHaveTheirTexts) {
  EXPECT_EQ(text(ErrorCode::kNotFound, Subject::kCartItem), "선택한 번호를 찾을 수 없습니다.");
  EXPECT_EQ(text(ErrorCode::kNotFound, Subject::kAnnuity), "연금 당첨 내역이 없습니다.");
  EXPECT_EQ(text(ErrorCode::kNotFound, Subject::kOrder), "주문을 찾을 수 없습니다.");
  EXPECT_EQ(text(ErrorCode::kNotFound, Subject::kWithdrawal), "출금 요청을 찾을 수 없습니다.");
  EXPECT_EQ(text(ErrorCode::kInvalidRequest, Subject::kBalanceCap),
            "예치금 한도(1,000조 원)를 넘게 충전할 수 없습니다.");
  EXPECT_EQ(text(ErrorCode::kInvalidRequest, Subject::kAnnuity), "잘못된 연금 지급입니다.");
}

TEST(ErrorsTest, TheResponseCarriesStatusCodeAndText) {
  const Response r = error_response(make_error(ErrorCode::kInvalidRequest, Subject::kFieldInteger, "group"));
  EXPECT_EQ(r.status, 400);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["errorCode"], "INVALID_REQUEST");
  EXPECT_EQ(body["errorMessage"], "group 값은 정수여야 합니다.");
  EXPECT_EQ(r.error_message, "group 값은 정수여야 합니다.");  // predecessor mode's plain-text body
}

TEST(ErrorsTest, OversizedHeadersAre431WithTheInvalidRequestBody) {
  const Response r = error_response(make_error(ErrorCode::kInvalidRequest, Subject::kHeaders));
  EXPECT_EQ(r.status, 431);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["errorCode"], "INVALID_REQUEST");
  EXPECT_EQ(body["errorMessage"], "요청 헤더가 너무 큽니다.");
}

TEST(ErrorsTest, FieldReadersReturnSubjectsNotProse) {
  const auto j = nlohmann::json::parse(R"({"n": "x", "s": 5, "b": 1, "big": 99})");
  auto n = int_field(j, "n", 0, 10, true);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().subject, Subject::kFieldInteger);
  EXPECT_EQ(n.error().detail, "n");
  auto big = int_field(j, "big", 0, 10, true);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(error_message(big.error()), "big 값이 범위를 벗어났습니다.");
  auto missing = int_field(j, "none", 0, 10, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(error_message(missing.error()), "none 값이 필요합니다.");
  auto s = string_field(j, "s", 10);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(error_message(s.error()), "s 값은 문자열이어야 합니다.");
  auto b = bool_field(j, "b");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(error_message(b.error()), "b 값은 true/false여야 합니다.");
  auto body = parse_object("[1]");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(error_message(body.error()), "요청 본문은 JSON 객체여야 합니다.");
}

}  // namespace
}  // namespace p720::http
