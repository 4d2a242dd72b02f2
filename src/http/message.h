// The HTTP request and response as the handlers see them: plain values, no sockets, no Beast.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p720::http {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string path;                                          // without the query string
  std::string query;                                         // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string request_id;
  std::string remote_address;  // the peer's IP address ("" when unknown)

  std::optional<std::string_view> header(std::string_view name) const;  // name lower-case
  // The decoded value of a query parameter; nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  // For an error: the message the body carries, so predecessor mode can answer it as plain text
  // (http/compat.h) without parsing the body again. Empty for successful answers.
  std::string error_message;
  // A body too large to hold (an export): when set, the answer is sent with chunked transfer
  // coding, `body` first, then each piece this returns, called one at a time on a worker thread
  // (it may read the store) until it returns "" (the end). nullopt means the source failed
  // midway: the connection is closed without the last chunk, so the client sees a cut body.
  std::function<std::optional<std::string>()> next_chunk;
};

}  // namespace p720::http
