// The HTTP server: a Beast listener and one session per connection (read → handle → write),
// with size limits and timeouts set before every read. Handlers run on a worker pool, because a
// purchase waits for its group commit; the I/O threads never block. SIGTERM/SIGINT stop
// accepting, let in-flight requests finish, and return from run().
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/metrics.h"
#include "http/router.h"

namespace p720::http {

struct ServerConfig {
  std::string address = "0.0.0.0";
  unsigned short port = 8080;
  // One more than the cores: an I/O thread that starts a purchase does a few quick store reads,
  // and the spare keeps the sockets moving meanwhile (measured: docs/PERFORMANCE.md).
  int io_threads = std::max(2, static_cast<int>(std::thread::hardware_concurrency()) + 1);
  int workers = 64;  // handler threads; bounds requests waiting on the store at once
  size_t body_limit = 64 * 1024;
  size_t header_limit = 16 * 1024;
  std::chrono::seconds read_timeout{15};  // a whole request must arrive within this
  std::chrono::seconds idle_timeout{60};  // keep-alive connection with no request
  size_t max_connections = 10000;
  // Open connections one client address may hold: a tenth of the global cap by default, so one
  // client cannot lock the others out, and far above what a browser or a NAT's users need.
  size_t max_connections_per_address = 1000;
  std::vector<std::string> cors_origins = {"*"};
  bool access_log = true;
  // Predecessor mode (http/compat.h): errors on the predecessor's routes as plain text.
  bool predecessor_compat = false;
  std::chrono::seconds drain_timeout{20};
};

class Server {
 public:
  Server(ServerConfig config, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Binds; throws std::runtime_error when the port cannot be bound.
  void start();
  // The bound port (useful with port 0).
  unsigned short port() const;
  // Blocks until a stop signal (or stop()) and the drain that follows.
  void run();
  void stop();
  // Runs `fn` on one of the I/O threads (for answers produced elsewhere, e.g. the store's writer).
  void post(std::function<void()> fn);
  // Runs `fn` on the worker pool (for work that may wait, started from an I/O thread).
  void post_work(std::function<void()> fn);

  // Turns one request into a response: CORS, request id, routing. Public for tests.
  Response handle(const Request& req) const;

 private:
  struct Impl;  // server.cc
  std::unique_ptr<Impl> impl_;
};

}  // namespace p720::http
