// A small HTTP/1.1 client on Boost.Beast and OpenSSL for calls to outside services (the payment
// provider): https with the peer's certificate and host name verified (or plain http, for a
// local stand-in), one request per connection, connect and read under deadlines. Thread-safe:
// each request has its own connection and io_context; the TLS context is shared read-only.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/status.h"

namespace p720::net {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // the path prefix, without a trailing '/' ("" for none)
};

// "http[s]://host[:port][/path]" → its parts (default ports 80 / 443); nullopt otherwise.
std::optional<Url> parse_url(const std::string& url);

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};  // resolve, TCP connect and TLS handshake
  std::chrono::milliseconds read_timeout{10000};    // writing the request and reading the answer
  std::string ca_file;                              // PEM file of trusted CAs; empty: the system's
};

struct HttpAnswer {
  int status = 0;
  std::string body;
};

class HttpsClient {
 public:
  // Throws std::runtime_error when the CA file cannot be loaded.
  explicit HttpsClient(HttpClientOptions options);
  // Sends one request (`target` is appended to the base URL's path) and reads the answer, of at
  // most 1 MiB. Any HTTP status is an answer; UNAVAILABLE when there was none — the connection,
  // the handshake or the certificate check failed, a deadline passed, or the connection was cut
  // (the reason goes to the log only).
  Result<HttpAnswer> send(const Url& base, const std::string& method, const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& body) const;

 private:
  HttpClientOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace p720::net
