// A small SMTP client on Boost.Asio for the verification mails: plain SMTP (RFC 5321) to a relay
// named by `smtp://host:port` (no TLS, no AUTH: a local relay or the test sink), one message per
// connection, every step under a deadline. Thread-safe: each send has its own connection.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "app/mailer.h"

namespace p720::net {

struct SmtpUrl {
  std::string host;
  unsigned short port = 25;
};

// "smtp://host[:port]" → host and port (default 25); nullopt for anything else.
std::optional<SmtpUrl> parse_smtp_url(const std::string& url);

class SmtpClient final : public app::Mailer {
 public:
  SmtpClient(SmtpUrl server, std::string from, std::chrono::seconds timeout = std::chrono::seconds(10));
  // Connects, EHLO, MAIL FROM, RCPT TO, DATA, QUIT. SERVICE_UNAVAILABLE (the server's reply in
  // the log, never the message) when any step fails or the deadline passes.
  Status send(const app::MailMessage& message) override;

 private:
  SmtpUrl server_;
  std::string from_;
  std::chrono::seconds timeout_;
};

// The message as sent after DATA: headers, a base64 body, dot-stuffed, ending in CRLF "." CRLF.
std::string smtp_data(const std::string& from, const app::MailMessage& m, const std::string& date,
                      const std::string& message_id);

}  // namespace p720::net
