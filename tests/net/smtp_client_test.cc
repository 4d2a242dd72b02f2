// Unit tests of the SMTP client against scripted servers on 127.0.0.1 (real sockets): the
// conversation and message it sends, refusals, a server that never answers, and the URL reader.
#include "net/smtp_client.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <thread>

namespace p720::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A one-connection SMTP server: answers each command with the reply `script` gives it (an empty
// reply: say nothing and hold the connection until the client gives up). Records what it got.
class ScriptedServer {
 public:
  using Script = std::function<std::string(const std::string& line)>;
  ScriptedServer(std::string greeting, Script script)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, greeting = std::move(greeting), script = std::move(script)] {
      boost::system::error_code ec;
      tcp::socket s(ioc_);
      acceptor_.accept(s, ec);
      if (ec) return;
      if (greeting.empty()) return hold(s);
      asio::write(s, asio::buffer(greeting), ec);
      std::string buf;
      bool data = false;
      for (;;) {
        const size_t n = asio::read_until(s, asio::dynamic_buffer(buf), "\r\n", ec);
        if (ec) return;
        const std::string line = buf.substr(0, n - 2);
        buf.erase(0, n);
        received_ += line + "\n";
        if (data) {
          if (line != ".") continue;
          data = false;
        }
        const std::string reply = script(line);
        if (reply.empty()) return hold(s);
        if (reply.rfind("354", 0) == 0) data = true;
        asio::write(s, asio::buffer(reply), ec);
        if (ec || line == "QUIT") return;
      }
    });
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  ~ScriptedServer() {
    if (thread_.joinable()) thread_.join();
  }
  SmtpUrl url() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }
  std::string received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  static void hold(tcp::socket& s) {
    char c = 0;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);  // until the client closes
  }
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::string received_;
};

std::string happy(const std::string& line) {
  if (line.rfind("EHLO", 0) == 0) return "250-sink\r\n250 8BITMIME\r\n";
  if (line == "DATA") return "354 go ahead\r\n";
  if (line == "QUIT") return "221 bye\r\n";
  return "250 ok\r\n";
}

TEST(SmtpClientTest, SendsTheWholeConversation) {
  ScriptedServer server("220 sink ready\r\n", happy);
  SmtpClient client(server.url(), "no-reply@pension720.local", std::chrono::seconds(10));
  ASSERT_TRUE(client.send({"buyer@example.com", "[연금복권720+] 코드", "코드: 123456\r\n"}).ok());
  const std::string got = server.received();
  EXPECT_NE(got.find("EHLO pension720\n"), std::string::npos) << got;
  EXPECT_NE(got.find("MAIL FROM:<no-reply@pension720.local>\n"), std::string::npos) << got;
  EXPECT_NE(got.find("RCPT TO:<buyer@example.com>\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Subject: =?UTF-8?B?"), std::string::npos) << got;
  EXPECT_EQ(got.find("123456"), std::string::npos) << "the body is base64, so the code is not on the wire in clear";
  EXPECT_NE(got.find("\n.\nQUIT\n"), std::string::npos) << got;
}

TEST(SmtpClientTest, ARefusedRecipientIsUnavailable) {
  ScriptedServer server("220 sink\r\n", [](const std::string& line) {
    return line.rfind("RCPT", 0) == 0 ? std::string("550 no such user\r\n") : happy(line);
  });
  SmtpClient client(server.url(), "a@example.com");
  auto st = client.send({"nobody@example.com", "s", "b"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
}

TEST(SmtpClientTest, ASilentServerIsCutOffAtTheDeadline) {
  ScriptedServer server("", happy);  // accepts and never greets
  SmtpClient client(server.url(), "a@example.com", std::chrono::seconds(1));
  auto st = client.send({"b@example.com", "s", "b"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
}

TEST(SmtpClientTest, NoServerIsUnavailable) {
  SmtpUrl closed;
  {
    ScriptedServer probe("220 x\r\n", happy);
    closed = probe.url();
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), closed.port));  // lets the probe finish
  }
  SmtpClient client(closed, "a@example.com", std::chrono::seconds(5));
  EXPECT_FALSE(client.send({"b@example.com", "s", "b"}).ok());
}

TEST(SmtpClientTest, RecipientsWithLineBreaksAreRefused) {
  SmtpClient client({"127.0.0.1", 1}, "a@example.com");
  EXPECT_EQ(client.send({"a@example.com>\r\nRCPT TO:<b@example.com", "s", "b"}).error().code,
            ErrorCode::kInvalidRequest);
}

TEST(SmtpClientTest, Urls) {
  EXPECT_EQ(parse_smtp_url("smtp://127.0.0.1:2525")->port, 2525);
  EXPECT_EQ(parse_smtp_url("smtp://mail.example.com")->port, 25);
  EXPECT_EQ(parse_smtp_url("smtp://mail.example.com/")->host, "mail.example.com");
  for (const char* bad : {"", "http://x:25", "smtp://", "smtp://x:0", "smtp://x:99999", "smtp://x:ab", "smtp://u@x:25"})
    EXPECT_FALSE(parse_smtp_url(bad)) << bad;
}

}  // namespace
}  // namespace p720::net
