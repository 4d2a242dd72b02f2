// HttpsClient: one request per connection, every step an async operation on a private
// io_context whose stream deadline (beast::tcp_stream::expires_after) bounds it.
#include "net/https_client.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace p720::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::optional<Url> parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return std::nullopt;
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  const auto colon = authority.rfind(':');
  u.host = authority.substr(0, colon);
  u.port = colon == std::string::npos ? (u.tls ? "443" : "80") : authority.substr(colon + 1);
  if (u.host.empty() || u.host.find_first_of("@[] ") != std::string::npos || u.port.empty() || u.port.size() > 5 ||
      u.port.find_first_not_of("0123456789") != std::string::npos || std::stoi(u.port) > 65535 ||
      u.path.find_first_of("?# ") != std::string::npos)
    return std::nullopt;
  return u;
}

HttpsClient::HttpsClient(HttpClientOptions options)
    : options_(std::move(options)), tls_(std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client)) {
  tls_->set_verify_mode(asio::ssl::verify_peer);
  if (options_.ca_file.empty()) {
    tls_->set_default_verify_paths();
  } else {
    boost::system::error_code ec;
    tls_->load_verify_file(options_.ca_file, ec);
    if (ec) throw std::runtime_error("cannot load CA file " + options_.ca_file + ": " + ec.message());
  }
}

namespace {

// Runs what was started on `ioc` to its end; the stream's deadline cancels it if it hangs.
void run(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

template <class Stream>
Result<HttpAnswer> exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& lowest,
                            const http::request<http::string_body>& req, std::chrono::milliseconds read_timeout,
                            std::string& failure) {
  boost::system::error_code ec;
  lowest.expires_after(read_timeout);
  http::async_write(stream, req, [&](boost::system::error_code e, size_t) { ec = e; });
  run(ioc);
  if (ec) {
    failure = "write: " + ec.message();
    return make_error(ErrorCode::kUnavailable, Subject::kNone);
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  http::async_read(stream, buffer, parser, [&](boost::system::error_code e, size_t) { ec = e; });
  run(ioc);
  if (ec) {
    failure = "read: " + ec.message();
    return make_error(ErrorCode::kUnavailable, Subject::kNone);
  }
  auto res = parser.release();
  return HttpAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace

Result<HttpAnswer> HttpsClient::send(const Url& base, const std::string& method, const std::string& target,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     const std::string& body) const {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(base.path + target);
  req.version(11);
  req.set(http::field::host, base.host);
  req.set(http::field::user_agent, "pension720");
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT") req.body() = body;
  req.prepare_payload();

  asio::io_context ioc;
  std::string failure;
  boost::system::error_code ec;
  tcp::resolver::results_type endpoints;
  beast::tcp_stream tcp_stream(ioc);
  auto deadline_failure = [&](const std::string& step) {
    failure = step + ": " + ec.message();
    return Result<HttpAnswer>(make_error(ErrorCode::kUnavailable, Subject::kNone));
  };
  Result<HttpAnswer> out = make_error(ErrorCode::kUnavailable, Subject::kNone);
  [&] {
    tcp::resolver resolver(ioc);
    // The resolver has no deadline of its own: a timer cancels it.
    asio::steady_timer timer(ioc, options_.connect_timeout);
    timer.async_wait([&](boost::system::error_code e) {
      if (!e) resolver.cancel();
    });
    resolver.async_resolve(base.host, base.port, [&](boost::system::error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
      timer.cancel();
    });
    run(ioc);
    if (ec) return void(out = deadline_failure("resolve"));
    tcp_stream.expires_after(options_.connect_timeout);
    tcp_stream.async_connect(endpoints, [&](boost::system::error_code e, const tcp::endpoint&) { ec = e; });
    run(ioc);
    if (ec) return void(out = deadline_failure("connect"));
    if (!base.tls) {
      out = exchange(ioc, tcp_stream, tcp_stream, req, options_.read_timeout, failure);
      tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), *tls_);
    if (!SSL_set_tlsext_host_name(tls.native_handle(), base.host.c_str())) {
      failure = "SNI";
      return;
    }
    tls.set_verify_callback(asio::ssl::host_name_verification(base.host));
    beast::get_lowest_layer(tls).expires_after(options_.connect_timeout);
    tls.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e) { ec = e; });
    run(ioc);
    if (ec) return void(out = deadline_failure("tls handshake"));
    out = exchange(ioc, tls, beast::get_lowest_layer(tls), req, options_.read_timeout, failure);
    beast::get_lowest_layer(tls).close();
  }();
  if (!out.ok())
    spdlog::warn("{}", nlohmann::json({{"msg", "outgoing request got no answer"},
                                       {"host", base.host},
                                       {"target", base.path + target},
                                       {"error", failure}})
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return out;
}

}  // namespace p720::net
