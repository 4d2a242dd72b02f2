// JSON readers and writers of the API shapes.
#include "http/json_codec.h"

#include "domain/prize.h"
#include "domain/ticket.h"

namespace p720::http {
namespace {

Error invalid(Subject what, std::string detail = {}) {
  return make_error(ErrorCode::kInvalidRequest, what, std::move(detail));
}

const char* kDigitNames[6] = {"first", "second", "third", "fourth", "fifth", "sixth"};

void put_digits(Json& j, const Ticket& t) {
  j["group"] = t.group;
  for (int i = 0; i < 6; ++i) j[kDigitNames[i]] = t.digit(i);
  j["number"] = t.number();
}

Json nullable(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

}  // namespace

Response json_response(int status, const Json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

Result<Json> parse_object(const std::string& body, bool allow_empty) {
  if (body.empty() && allow_empty) return Json::object();
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid(Subject::kBody);
  if (!j.is_object()) return invalid(Subject::kBodyObject);
  return j;
}

Result<std::optional<long long>> int_field(const Json& obj, const char* name, long long lo, long long hi,
                                           bool required) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    if (required) return invalid(Subject::kField, name);
    return std::optional<long long>();
  }
  long long v = 0;
  if (it->is_number_unsigned()) {
    auto u = it->get<unsigned long long>();
    if (u > static_cast<unsigned long long>(hi)) return invalid(Subject::kFieldRange, name);
    v = static_cast<long long>(u);
  } else if (it->is_number_integer()) {
    v = it->get<long long>();
  } else {
    return invalid(Subject::kFieldInteger, name);
  }
  if (v < lo || v > hi) return invalid(Subject::kFieldRange, name);
  return std::optional<long long>(v);
}

Result<std::optional<bool>> bool_field(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return invalid(Subject::kFieldBoolean, name);
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::string>> string_field(const Json& obj, const char* name, size_t max_len) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return invalid(Subject::kFieldString, name);
  auto s = it->get<std::string>();
  if (s.size() > max_len) return invalid(Subject::kFieldLength, name);
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<int>> digits_of(const Json& obj, const std::string& suffix) {
  auto number = string_field(obj, "number", 16);
  if (!number.ok()) return number.error();
  std::optional<int> from_number;
  if (*number) {
    from_number = parse_number(**number);
    if (!from_number) return invalid(Subject::kNumber);
  }
  std::array<int, 6> d{};
  int present = 0;
  for (int i = 0; i < 6; ++i) {
    const std::string name = kDigitNames[i] + suffix;
    auto f = int_field(obj, name.c_str(), 0, 9, false);
    if (!f.ok()) return f.error();
    if (*f) {
      d[i] = static_cast<int>(**f);
      ++present;
    }
  }
  if (present != 0 && present != 6) return invalid(Subject::kDigits);
  if (present == 6) {
    int digits = *digits_from_array(d);
    if (from_number && *from_number != digits) return invalid(Subject::kDigitsMismatch);
    return std::optional<int>(digits);
  }
  return from_number;
}

Result<app::TicketSpec> ticket_spec(const Json& obj) {
  if (!obj.is_object()) return invalid(Subject::kTicket);
  auto group = int_field(obj, "group", 0, kGroups, true);
  if (!group.ok()) return group.error();
  auto is_auto = bool_field(obj, "auto");
  if (!is_auto.ok()) return is_auto.error();
  app::TicketSpec spec{static_cast<int>(**group), std::nullopt};
  if (is_auto->value_or(false)) return spec;
  auto digits = digits_of(obj);
  if (!digits.ok()) return digits.error();
  if (!*digits) return invalid(Subject::kTicketNumber);
  spec.digits = *digits;
  return spec;
}

Json ticket_json(int ticket_index) {
  Json j = Json::object();
  put_digits(j, Ticket::from_index(ticket_index));
  return j;
}

Json cart_entry_json(const app::CartEntry& e) {
  Json j = {{"selectedNumberId", e.item.id}, {"userId", e.item.user_id}, {"round", e.item.round}};
  put_digits(j, Ticket::from_index(e.item.ticket));
  j["holdExpiresAt"] = e.hold_expires ? Json(format_kst(*e.hold_expires)) : Json(nullptr);
  return j;
}

Json purchase_json(const store::PurchaseRecord& p) {
  Json tickets = Json::array();
  for (const auto& t : p.tickets) {
    Json j = {{"ticketId", t.id}, {"round", t.round}};
    put_digits(j, Ticket::from_index(t.ticket));
    tickets.push_back(std::move(j));
  }
  return {{"purchaseId", p.id},
          {"round", p.round},
          {"amount", p.amount},
          {"balance", p.balance_after},
          {"tickets", std::move(tickets)}};
}

Json purchased_json(const store::TicketRow& t) {
  Json j = {{"ticketId", t.id}, {"userId", t.user_id}, {"round", t.round}};
  put_digits(j, Ticket::from_index(t.ticket));
  j["createAt"] = t.created_at;
  j["createdAt"] = t.created_at;
  j["result"] = t.result;
  j["drawDate"] = nullable(t.draw_date);
  return j;
}

Json history_json(const store::TicketRow& t) {
  // The predecessor's createAt was a LocalDate, and its front end compares it with a
  // "YYYY-MM-DD" end date: the purchase's KST date. createdAt keeps the instant.
  const auto instant = parse_instant(t.created_at);
  Json j = {{"createAt", instant ? format_date(kst_date(*instant)) : t.created_at},
            {"createdAt", t.created_at},
            {"round", t.round}};
  const auto ticket = Ticket::from_index(t.ticket);
  j["groupNum"] = ticket.group;
  put_digits(j, ticket);
  j["result"] = t.result;
  j["drawDate"] = nullable(t.draw_date);
  return j;
}

Json ledger_json(const store::LedgerEntry& e) {
  Json j = {{"id", e.id},   {"kind", e.kind},           {"amount", e.amount}, {"balanceAfter", e.balance_after},
            {"ref", e.ref}, {"createdAt", e.created_at}};
  if (e.taxed) {  // a prize or an installment: amount is the net
    j["gross"] = e.gross;
    j["tax"] = e.tax;
    j["net"] = e.amount;
  }
  return j;
}

Json draw_json(const app::DrawSummary& s) {
  Json winners = Json::array();
  for (int result : kResultsInOrder) {
    long long count = 0;
    for (const auto& w : s.winners)
      if (w.result == result) count = w.count;
    auto prize = prize_for(result);
    winners.push_back(
        {{"result", result}, {"count", count}, {"amount", prize->annuity ? prize->monthly : prize->amount}});
  }
  return {{"round", s.draw.round},
          {"drawDate", s.draw.draw_date},
          {"group", s.draw.group},
          {"number", Ticket{1, s.draw.digits}.number()},
          {"bonus", Ticket{1, s.draw.bonus}.number()},
          {"winners", std::move(winners)}};
}

namespace {

// The predecessor's pension-win / pension-bonus shape: drawRound, firstNum…sixthNum, drawDate.
Json draw_digits_json(const store::DrawRecord& d, int digits) {
  // One draw per round: the round is the row's id (the predecessor's was its table's key).
  Json j = {{"id", d.round}, {"drawRound", d.round}};
  const Ticket t{1, digits};
  const char* names[6] = {"firstNum", "secondNum", "thirdNum", "fourthNum", "fifthNum", "sixthNum"};
  for (int i = 0; i < 6; ++i) j[names[i]] = t.digit(i);
  j["drawDate"] = d.draw_date;
  return j;
}

}  // namespace

Json win_json(const store::DrawRecord& d) {
  Json j = draw_digits_json(d, d.digits);
  j["groupNum"] = d.group;
  return j;
}

Json bonus_json(const store::DrawRecord& d) { return draw_digits_json(d, d.bonus); }

Json winning_json(const store::Winning& w) {
  auto prize = prize_for(w.result);
  const auto t = Ticket::from_index(w.ticket);
  Json j = {
      {"round", w.round}, {"ticketId", w.ticket_id}, {"group", t.group}, {"number", t.number()}, {"result", w.result}};
  if (prize && prize->annuity) {
    j["kind"] = "ANNUITY";
    j["amount"] = prize->monthly * prize->months;
    j["monthlyAmount"] = prize->monthly;
    j["months"] = prize->months;
    j["firstPaymentMonth"] = first_payment_month(w.draw_date);
  } else {
    j["kind"] = "ONCE";
    j["amount"] = prize ? prize->amount : 0;
    j["monthlyAmount"] = 0;
    j["months"] = 0;
    j["firstPaymentMonth"] = nullptr;
  }
  // Paid so far (an annuity: its installments), before and after withholding.
  j["gross"] = w.gross_paid;
  j["tax"] = w.tax_withheld;
  j["net"] = w.gross_paid - w.tax_withheld;
  return j;
}

}  // namespace p720::http
