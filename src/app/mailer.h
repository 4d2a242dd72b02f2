// Outgoing e-mail as the application sees it: one message to one recipient, sent before the call
// returns or failed. The SMTP implementation is src/net/smtp_client.h.
#pragma once

#include <string>

#include "domain/status.h"

namespace p720::app {

struct MailMessage {
  std::string to;       // a validated address (no CR/LF)
  std::string subject;  // UTF-8
  std::string body;     // UTF-8 plain text
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Hands the message to the mail server; SERVICE_UNAVAILABLE when that fails.
  virtual Status send(const MailMessage& message) = 0;
};

}  // namespace p720::app
