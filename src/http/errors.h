// The one place where an Error becomes an HTTP status and {"errorCode", "errorMessage"} body:
// every client-visible text is chosen here from (code, subject, detail) — see errors.cc.
#pragma once

#include <string>
#include <string_view>

#include "domain/status.h"
#include "http/message.h"

namespace p720::http {

int http_status(ErrorCode code);
std::string_view error_code_name(ErrorCode code);
// The response for `error`; PURCHASE_DUPLICATED lists error.tickets as [{group, number}].
Response error_response(const Error& error);
// The Korean text a client sees for `error`.
std::string error_message(const Error& error);

}  // namespace p720::http
