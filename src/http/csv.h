// CSV rendering of exports (RFC 4180): a round's sold tickets for ADMIN.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace p720::http {

// The header line of a ticket export, CRLF-terminated.
std::string ticket_csv_header();
// The rows, one line each, CRLF-terminated; fields quoted only when they need it.
std::string ticket_csv_lines(const std::vector<store::TicketRow>& rows);

}  // namespace p720::http
