// The ticket export's CSV: header, one CRLF line a ticket, RFC 4180 quoting where a field needs it.
#include "http/csv.h"

#include <gtest/gtest.h>

namespace p720::http {
namespace {

store::TicketRow row(long long id, std::string user, int ticket, int result = 0) {
  store::TicketRow t;
  t.id = id;
  t.purchase_id = id / 2;
  t.user_id = std::move(user);
  t.round = 343;
  t.ticket = ticket;
  t.created_at = "2026-11-24T12:00:00+09:00";
  t.result = result;
  return t;
}

TEST(CsvTest, HeaderNamesTheColumns) {
  EXPECT_EQ(ticket_csv_header(), "ticketId,purchaseId,userId,round,group,number,createdAt,result\r\n");
}

TEST(CsvTest, OneLineATicketWithGroupAndSixDigits) {
  EXPECT_EQ(ticket_csv_lines({row(7, "u1", 4'049'309, 3), row(6, "u2", 0)}),
            "7,3,u1,343,5,049309,2026-11-24T12:00:00+09:00,3\r\n"
            "6,3,u2,343,1,000000,2026-11-24T12:00:00+09:00,0\r\n");
}

TEST(CsvTest, FieldsWithCommasQuotesOrLineBreaksAreQuoted) {
  EXPECT_EQ(ticket_csv_lines({row(1, "a,b", 1)}), "1,0,\"a,b\",343,1,000001,2026-11-24T12:00:00+09:00,0\r\n");
  EXPECT_EQ(ticket_csv_lines({row(1, "say \"hi\"", 1)}),
            "1,0,\"say \"\"hi\"\"\",343,1,000001,2026-11-24T12:00:00+09:00,0\r\n");
  EXPECT_EQ(ticket_csv_lines({row(1, "x\r\ny", 1)}), "1,0,\"x\r\ny\",343,1,000001,2026-11-24T12:00:00+09:00,0\r\n");
}

TEST(CsvTest, NoRowsIsNothing) { EXPECT_EQ(ticket_csv_lines({}), ""); }

}  // namespace
}  // namespace p720::http
