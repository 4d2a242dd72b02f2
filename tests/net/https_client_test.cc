// parse_url: the base URLs psp.url may name, and the ones refused.
#include "net/https_client.h"

#include <gtest/gtest.h>

namespace p720::net {
namespace {

TEST(ParseUrl, SchemesPortsAndPaths) {
  struct Case {
    const char* url;
    bool tls;
    const char* host;
    const char* port;
    const char* path;
  };
  for (const Case& c : {Case{"https://api.tosspayments.com", true, "api.tosspayments.com", "443", ""},
                        Case{"http://localhost:8089/psp/", false, "localhost", "8089", "/psp"},
                        Case{"http://10.0.0.7", false, "10.0.0.7", "80", ""}}) {
    auto u = parse_url(c.url);
    ASSERT_TRUE(u) << c.url;
    EXPECT_EQ(u->tls, c.tls) << c.url;
    EXPECT_EQ(u->host, c.host) << c.url;
    EXPECT_EQ(u->port, c.port) << c.url;
    EXPECT_EQ(u->path, c.path) << c.url;
  }
}

TEST(ParseUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"", "ftp://x", "https://", "https://:443", "https://h:", "https://h:99999", "https://h:8a",
                          "https://user@h", "https://h/p?q=1", "https://h/p#f", "http://[::1]:80", "api.example.com"})
    EXPECT_FALSE(parse_url(bad)) << bad;
}

}  // namespace
}  // namespace p720::net
