// CSV rendering of exports (RFC 4180): a round's sold tickets for ADMIN.
#include "http/csv.h"

#include "domain/ticket.h"

namespace p720::http {
namespace {

// A field as RFC 4180 writes it: quoted (with quotes doubled) when it holds a comma, a quote or
// a line break; as it is otherwise.
void put_field(std::string& out, const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char ch : field) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

}  // namespace

std::string ticket_csv_header() { return "ticketId,purchaseId,userId,round,group,number,createdAt,result\r\n"; }

std::string ticket_csv_lines(const std::vector<store::TicketRow>& rows) {
  std::string out;
  out.reserve(rows.size() * 72);
  for (const auto& t : rows) {
    const auto ticket = Ticket::from_index(t.ticket);
    out += std::to_string(t.id) + ',' + std::to_string(t.purchase_id) + ',';
    put_field(out, t.user_id);
    out += ',' + std::to_string(t.round) + ',' + std::to_string(ticket.group) + ',' + ticket.number() + ',';
    put_field(out, t.created_at);
    out += ',' + std::to_string(t.result) + "\r\n";
  }
  return out;
}

}  // namespace p720::http
