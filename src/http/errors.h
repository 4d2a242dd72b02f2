// The one place where an Error becomes an HTTP status and {"errorCode", "errorMessage"} body.
#pragma once

#include <string_view>

#include "domain/status.h"
#include "http/message.h"

namespace p720::http {

int http_status(ErrorCode code);
std::string_view error_code_name(ErrorCode code);
// The response for `error`; PURCHASE_DUPLICATED lists error.tickets as [{group, number}].
Response error_response(const Error& error);
Response error_response(ErrorCode code, std::string message);

}  // namespace p720::http
