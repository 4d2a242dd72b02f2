// JSON in and out for the API: strict field readers (wrong type, missing, out of range → a clear
// INVALID_REQUEST) and the predecessor-compatible shapes of tickets, cart items and purchases.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/draws.h"
#include "app/sales.h"
#include "domain/status.h"
#include "http/message.h"
#include "store/store.h"

namespace p720::http {

using Json = nlohmann::json;

// A JSON answer; invalid UTF-8 in strings (quoted client input) is replaced, never thrown on.
Response json_response(int status, const Json& body);

// Parses a request body that must be a JSON object (an empty body counts as {} when allow_empty).
Result<Json> parse_object(const std::string& body, bool allow_empty = false);
// An integer field in [lo, hi]; `required` false → nullopt when absent or null.
Result<std::optional<long long>> int_field(const Json& obj, const char* name, long long lo, long long hi,
                                           bool required);
Result<std::optional<bool>> bool_field(const Json& obj, const char* name);
Result<std::optional<std::string>> string_field(const Json& obj, const char* name, size_t max_len);

// A ticket of a request: {group, number} | {group, first…sixth} | {group, auto: true}.
Result<app::TicketSpec> ticket_spec(const Json& obj);
// Six digits from "number" or first…sixth (prefix "" or e.g. "Num" for firstNum…); nullopt when absent.
Result<std::optional<int>> digits_of(const Json& obj, const std::string& suffix = "");

// {group, first…sixth, number} of a ticket index.
Json ticket_json(int ticket_index);
Json cart_entry_json(const app::CartEntry& e);
Json purchase_json(const store::PurchaseRecord& p);
Json purchased_json(const store::TicketRow& t);  // GET /pension/purchased rows
Json history_json(const store::TicketRow& t);    // GET /pension rows (groupNum too)
Json ledger_json(const store::LedgerEntry& e);
Json draw_json(const app::DrawSummary& s);
Json win_json(const store::DrawRecord& d);    // pension-win shape
Json bonus_json(const store::DrawRecord& d);  // pension-bonus shape
Json winning_json(const store::Winning& w);

}  // namespace p720::http
