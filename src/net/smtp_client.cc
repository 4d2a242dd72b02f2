// SMTP over Boost.Asio: each step is an asynchronous operation run on a private io_context for
// at most the time left before the deadline, so a silent server cannot hold a worker thread.
#include "net/smtp_client.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

namespace p720::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::optional<SmtpUrl> parse_smtp_url(const std::string& url) {
  constexpr std::string_view kScheme = "smtp://";
  if (url.rfind(kScheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  SmtpUrl out;
  const auto colon = rest.rfind(':');
  out.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const int p = std::stoi(port);
    if (p < 1 || p > 65535) return std::nullopt;
    out.port = static_cast<unsigned short>(p);
  }
  if (out.host.empty() || out.host.find_first_of("/@ ") != std::string::npos) return std::nullopt;
  return out;
}

namespace {

std::string base64(const std::string& s, int variant = sodium_base64_VARIANT_ORIGINAL) {
  std::string out(sodium_base64_ENCODED_LEN(s.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()), s.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// RFC 2047 encoded-word for a UTF-8 header value.
std::string encoded_word(const std::string& s) { return "=?UTF-8?B?" + base64(s) + "?="; }

std::string rfc5322_date() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// One SMTP conversation against a deadline.
class Conversation {
 public:
  Conversation(std::chrono::steady_clock::time_point deadline) : deadline_(deadline) {}

  void connect(const SmtpUrl& server) {
    tcp::resolver resolver(ioc_);
    boost::system::error_code ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(server.host, std::to_string(server.port),
                           [&](boost::system::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    run("resolve");
    if (ec) throw std::runtime_error("resolve " + server.host + ": " + ec.message());
    asio::async_connect(socket_, endpoints, [&](boost::system::error_code e, const tcp::endpoint&) { ec = e; });
    run("connect");
    if (ec) throw std::runtime_error("connect: " + ec.message());
  }

  // Reads one reply (all its lines); throws unless its code is `expect`.
  void expect(int expect, const char* step) {
    for (;;) {
      boost::system::error_code ec;
      asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, size_t{64} * 1024), "\r\n",
                             [&](boost::system::error_code e, size_t) { ec = e; });
      run(step);
      if (ec) throw std::runtime_error(std::string(step) + ": " + ec.message());
      const auto end = buffer_.find("\r\n");
      const std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      if (line.size() < 3) throw std::runtime_error(std::string(step) + ": malformed reply");
      if (line.size() > 3 && line[3] == '-') continue;  // a continued multi-line reply
      if (line.compare(0, 3, std::to_string(expect)) != 0 && !(expect == 250 && line.compare(0, 3, "251") == 0))
        throw std::runtime_error(std::string(step) + ": " + line.substr(0, 200));
      return;
    }
  }

  void write(const std::string& data, const char* step) {
    boost::system::error_code ec;
    asio::async_write(socket_, asio::buffer(data), [&](boost::system::error_code e, size_t) { ec = e; });
    run(step);
    if (ec) throw std::runtime_error(std::string(step) + ": " + ec.message());
  }

 private:
  // Runs the pending operation until it completes or the deadline passes (then it is cancelled).
  void run(const char* step) {
    ioc_.restart();
    const auto left = deadline_ - std::chrono::steady_clock::now();
    ioc_.run_for(left > std::chrono::steady_clock::duration::zero() ? left : std::chrono::milliseconds(1));
    if (!ioc_.stopped()) {
      boost::system::error_code ignored;
      socket_.close(ignored);
      ioc_.restart();
      ioc_.run();  // lets the cancelled handler run
      throw std::runtime_error(std::string(step) + ": timed out");
    }
  }

  asio::io_context ioc_;
  tcp::socket socket_{ioc_};
  std::string buffer_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

std::string smtp_data(const std::string& from, const app::MailMessage& m, const std::string& date,
                      const std::string& message_id) {
  std::string out = "From: " + from + "\r\nTo: " + m.to + "\r\nSubject: " + encoded_word(m.subject) +
                    "\r\nDate: " + date + "\r\nMessage-ID: " + message_id +
                    "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n";
  // Base64 lines never start with '.', so no dot-stuffing is needed; 76 characters a line.
  const std::string body = base64(m.body);
  for (size_t i = 0; i < body.size(); i += 76) out += body.substr(i, 76) + "\r\n";
  out += ".\r\n";
  return out;
}

SmtpClient::SmtpClient(SmtpUrl server, std::string from, std::chrono::seconds timeout)
    : server_(std::move(server)), from_(std::move(from)), timeout_(timeout) {}

Status SmtpClient::send(const app::MailMessage& m) {
  if (m.to.find_first_of("\r\n<>") != std::string::npos)
    return make_error(ErrorCode::kInvalidRequest, Subject::kRecipient);
  try {
    Conversation c(std::chrono::steady_clock::now() + timeout_);
    c.connect(server_);
    c.expect(220, "greeting");
    c.write("EHLO pension720\r\n", "EHLO");
    c.expect(250, "EHLO");
    c.write("MAIL FROM:<" + from_ + ">\r\n", "MAIL FROM");
    c.expect(250, "MAIL FROM");
    c.write("RCPT TO:<" + m.to + ">\r\n", "RCPT TO");
    c.expect(250, "RCPT TO");
    c.write("DATA\r\n", "DATA");
    c.expect(354, "DATA");
    std::random_device rd;
    const std::string id = "<" + std::to_string(rd()) + "." + std::to_string(rd()) + "@pension720>";
    c.write(smtp_data(from_, m, rfc5322_date(), id), "message");
    c.expect(250, "message");
    c.write("QUIT\r\n", "QUIT");
    try {
      c.expect(221, "QUIT");
    } catch (const std::exception&) {
      // The message was accepted; a server that hangs up without 221 changes nothing.
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    // The reason only (server replies, socket errors): never the message, which holds the code.
    spdlog::warn("{}", nlohmann::json({{"msg", "mail not sent"},
                                       {"smtp", server_.host + ":" + std::to_string(server_.port)},
                                       {"error", e.what()}})
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return make_error(ErrorCode::kUnavailable, Subject::kEmail);
  }
}

}  // namespace p720::net
