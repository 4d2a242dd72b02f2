// Beast listener and sessions. Shape follows Beast's advanced server example.
#include "http/server.h"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_map>

#include "domain/text.h"
#include "http/compat.h"
#include "http/errors.h"

namespace p720::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string new_request_id() {
  static std::atomic<unsigned long long> counter{0};
  static const unsigned long long prefix = std::random_device{}();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%llx", prefix & 0xffffffffULL, ++counter);
  return buf;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// The server's state and its request path, shared by the sessions (Server::Impl is this).
struct Core {
  ServerConfig config;
  const Router& router;
  Metrics& metrics;
  net::io_context ioc;
  net::thread_pool workers;
  tcp::acceptor acceptor{ioc};
  net::signal_set signals{ioc, SIGINT, SIGTERM};
  std::atomic<size_t> connections{0};
  // Open connections per client address, so one client cannot take every connection
  // (ServerConfig::max_connections_per_address).
  std::mutex per_address_mu;
  std::unordered_map<std::string, size_t> per_address;
  // Counts a connection from `address`; false (nothing counted) when that address is at its cap.
  bool admit(const std::string& address) {
    std::lock_guard lock(per_address_mu);
    auto& n = per_address[address];
    if (n >= config.max_connections_per_address) return false;
    ++n;
    return true;
  }
  void release(const std::string& address) {
    std::lock_guard lock(per_address_mu);
    if (auto it = per_address.find(address); it != per_address.end() && --it->second == 0) per_address.erase(it);
  }
  std::atomic<long> in_flight{0};
  std::atomic<bool> draining{false};
  std::vector<std::thread> threads;

  Core(ServerConfig c, const Router& r, Metrics& m)
      : config(std::move(c)), router(r), metrics(m), workers(static_cast<size_t>(std::max(1, config.workers))) {}

  void do_accept();
  void begin_drain();
  void wait_drained(const std::shared_ptr<net::steady_timer>& timer, Clock::time_point deadline);
  // Runs a request through the router and calls `done` with the finished response (request id,
  // CORS, metrics, access log added). `done` may run later, on another thread.
  void handle(const std::shared_ptr<Request>& req, const std::function<void(Response)>& done) const;
  Response handle(const Request& in) const;
  void finish(const Request& req, Response& res, const std::string& route, Clock::time_point started) const;
};

// One connection. Every callback runs on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `address` has been admitted (Core::admit); the session releases it when it ends.
  Session(tcp::socket&& socket, Core& server, std::string address)
      : stream_(std::move(socket)), server_(server), address_(std::move(address)) {
    ++server_.connections;
  }
  ~Session() {
    --server_.connections;
    server_.release(address_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.config.header_limit));
    parser_->body_limit(server_.config.body_limit);
    const bool first = std::exchange(first_request_, false);
    if (first || buffer_.size() > 0) return read_request();
    // Between requests of a keep-alive connection the next one's first byte may take the idle
    // timeout; from that byte on, the whole request must arrive within the read timeout, like
    // the first (a request trickled byte by byte cannot hold the connection for the idle time).
    stream_.expires_after(server_.config.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->do_close();
      self->buffer_.commit(n);
      self->read_request();
    });
  }

  void read_request() {
    stream_.expires_after(server_.config.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof)
      return do_close();
    if (ec) {
      Response res;
      if (ec == bhttp::error::header_limit) {
        res = error_response(make_error(ErrorCode::kInvalidRequest, Subject::kHeaders));  // 431 (http/errors.cc)
      } else if (ec == bhttp::error::body_limit) {
        res = error_response(make_error(ErrorCode::kPayloadTooLarge, Subject::kNone));
      } else {
        res = error_response(make_error(ErrorCode::kInvalidRequest, Subject::kHttpRequest));
      }
      // What the parser saw of the request, so the answer gets CORS, metrics, the log line and
      // predecessor mode like any other.
      Request req;
      req.request_id = new_request_id();
      // (A body over the limit is refused while the header is read, so is_header_done() may be
      // false although the start line and the fields before the length are there.)
      const auto& head = parser_->get();
      req.method = std::string(head.method_string());
      const std::string_view target(head.target().data(), head.target().size());
      req.path = std::string(target.substr(0, target.find('?')));
      if (auto origin = head.find(bhttp::field::origin); origin != head.end())
        req.headers.emplace_back("origin", std::string(origin->value()));
      server_.finish(req, res, "", Clock::now());
      return send(std::move(res), 11, false);
    }
    auto breq = parser_->release();
    // RFC 9112 §6.1/§6.3: a request whose Transfer-Encoding is anything but a final "chunked", or
    // that has both Transfer-Encoding and Content-Length, is refused and the connection closed —
    // an intermediary may have framed it differently (request smuggling).
    std::optional<Subject> refusal;
    if (breq.count(bhttp::field::transfer_encoding) && (!breq.chunked() || breq.count(bhttp::field::content_length)))
      refusal = Subject::kTransferEncoding;
    // Invalid UTF-8 in the target or a header value is refused here, before anything stores or
    // compares it (the body is JSON, whose parser refuses it).
    else if (!utf8_code_points(std::string_view(breq.target().data(), breq.target().size())) ||
             std::any_of(breq.begin(), breq.end(), [](const auto& f) {
               return !utf8_code_points(std::string_view(f.value().data(), f.value().size()));
             }))
      refusal = Subject::kEncoding;
    if (refusal) {
      Request bad;
      bad.request_id = new_request_id();
      bad.method = std::string(breq.method_string());
      const std::string_view target(breq.target().data(), breq.target().size());
      bad.path = std::string(target.substr(0, target.find('?')));
      Response res = error_response(make_error(ErrorCode::kInvalidRequest, *refusal));
      server_.finish(bad, res, "", Clock::now());
      return send(std::move(res), breq.version(), false);
    }
    Request req;
    req.method = std::string(breq.method_string());
    std::string_view target(breq.target().data(), breq.target().size());
    auto q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& f : breq) {
      std::string name(f.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.body = std::move(breq.body());
    req.remote_address = address_;  // read once, at accept
    const bool keep_alive = breq.keep_alive();
    const unsigned version = breq.version();
    ++server_.in_flight;
    auto shared = std::make_shared<Request>(std::move(req));
    // The answer is written back on this connection's strand, whichever thread produced it: at
    // once when that thread is an I/O thread and the strand is free (no hand-over, no wake-up).
    auto respond = [self = shared_from_this(), keep_alive, version](Response res) {
      net::dispatch(self->stream_.get_executor(), [self, res = std::move(res), keep_alive, version]() mutable {
        self->send(std::move(res), version, keep_alive && !self->server_.draining, true);
      });
    };
    // Asynchronous routes (purchases) and those that never wait start right here on the I/O
    // thread; the others may wait on the store and run on the worker pool.
    if (server_.router.on_io_thread(*shared)) return server_.handle(shared, respond);
    net::post(server_.workers, [self = shared_from_this(), shared = std::move(shared), respond = std::move(respond)]() {
      self->server_.handle(shared, respond);
    });
  }

  void send(Response res, unsigned version, bool keep_alive, bool counted = false) {
    if (res.next_chunk) return send_chunked(std::move(res), version, keep_alive, counted);
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(res.status), version);
    msg->set(bhttp::field::server, "pension720");
    if (!res.content_type.empty()) msg->set(bhttp::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) msg->set(k, v);
    msg->body() = std::move(res.body);
    msg->keep_alive(keep_alive);
    msg->prepare_payload();
    stream_.expires_after(server_.config.read_timeout);
    bhttp::async_write(stream_, *msg, [self = shared_from_this(), msg, counted](beast::error_code ec, std::size_t) {
      if (counted) --self->server_.in_flight;
      if (ec || !msg->keep_alive()) return self->do_close();
      self->do_read();
    });
  }

  // A streamed answer: the header, then one chunk at a time — the next is produced on the worker
  // pool only after the previous one was written, so memory holds one chunk whatever the size.
  struct Stream {
    bhttp::response<bhttp::empty_body> head;
    std::optional<bhttp::response_serializer<bhttp::empty_body>> serializer;
    std::function<std::optional<std::string>()> next;
    std::string chunk;
    bool keep_alive = false, counted = false;
  };

  void send_chunked(Response res, unsigned version, bool keep_alive, bool counted) {
    auto s = std::make_shared<Stream>();
    s->head = bhttp::response<bhttp::empty_body>(static_cast<bhttp::status>(res.status), version);
    s->head.set(bhttp::field::server, "pension720");
    if (!res.content_type.empty()) s->head.set(bhttp::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) s->head.set(k, v);
    s->head.keep_alive(keep_alive);
    s->head.chunked(true);
    s->next = std::move(res.next_chunk);
    s->chunk = std::move(res.body);
    s->keep_alive = keep_alive;
    s->counted = counted;
    s->serializer.emplace(s->head);
    stream_.expires_after(server_.config.read_timeout);
    bhttp::async_write_header(stream_, *s->serializer,
                              [self = shared_from_this(), s](beast::error_code ec, std::size_t) {
                                if (ec) return self->end_stream(s, false);
                                self->write_chunk(s);
                              });
  }

  // Writes s->chunk (if any), then asks the worker pool for the next.
  void write_chunk(const std::shared_ptr<Stream>& s) {
    auto produce = [self = shared_from_this(), s]() {
      std::optional<std::string> next;
      try {
        next = s->next();
      } catch (const std::exception& e) {
        spdlog::error(R"({{"msg":"stream failed","error":"{}"}})", e.what());
      }
      net::post(self->stream_.get_executor(), [self, s, next = std::move(next)]() mutable {
        if (!next) return self->end_stream(s, false);
        s->chunk = std::move(*next);
        if (s->chunk.empty()) return self->last_chunk(s);
        self->write_chunk(s);
      });
    };
    if (s->chunk.empty()) return net::post(server_.workers, std::move(produce));
    stream_.expires_after(server_.config.read_timeout);
    net::async_write(
        stream_, bhttp::make_chunk(net::buffer(s->chunk)),
        [self = shared_from_this(), s, produce = std::move(produce)](beast::error_code ec, std::size_t) mutable {
          if (ec) return self->end_stream(s, false);
          net::post(self->server_.workers, std::move(produce));
        });
  }

  void last_chunk(const std::shared_ptr<Stream>& s) {
    stream_.expires_after(server_.config.read_timeout);
    net::async_write(stream_, bhttp::make_chunk_last(),
                     [self = shared_from_this(), s](beast::error_code ec, std::size_t) { self->end_stream(s, !ec); });
  }

  void end_stream(const std::shared_ptr<Stream>& s, bool complete) {
    if (s->counted) --server_.in_flight;
    if (!complete || !s->keep_alive) return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Core& server_;
  std::string address_;
  bool first_request_ = true;
};

}  // namespace

struct Server::Impl : Core {
  using Core::Core;
};

void Core::do_accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      beast::error_code ignored;
      const auto peer = socket.remote_endpoint(ignored);
      std::string address = ignored ? std::string() : peer.address().to_string();
      if (ignored || connections >= config.max_connections || !admit(address)) {
        socket.close(ignored);  // over a cap (or already gone): refuse this one, keep serving the rest
      } else {
        std::make_shared<Session>(std::move(socket), *this, std::move(address))->run();
      }
    }
    if (acceptor.is_open()) do_accept();
  });
}

void Core::handle(const std::shared_ptr<Request>& req, const std::function<void(Response)>& done) const {
  const auto started = Clock::now();
  auto rid = req->header("x-request-id");
  req->request_id = rid && valid_request_id(*rid) ? std::string(*rid) : new_request_id();

  if (req->method == "OPTIONS") {
    Response res;
    res.status = 204;
    res.content_type.clear();
    res.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
    res.headers.emplace_back("Access-Control-Allow-Headers",
                             "Authorization, Content-Type, Idempotency-Key, X-Request-Id");
    res.headers.emplace_back("Access-Control-Max-Age", "600");
    finish(*req, res, "preflight", started);
    return done(std::move(res));
  }
  // The reply may come from another thread, after this function returned; it owns the request.
  // `replied` makes sure exactly one response goes out even if a handler throws midway.
  auto route = std::make_shared<std::string>();
  auto replied = std::make_shared<std::atomic<bool>>(false);
  auto reply = [this, req, route, replied, started, done](Response res) {
    if (replied->exchange(true)) return;
    finish(*req, res, *route, started);
    done(std::move(res));
  };
  try {
    router.dispatch(*req, route.get(), reply);
  } catch (const std::exception& e) {
    spdlog::error("{}", nlohmann::json({{"msg", "handler failed"}, {"requestId", req->request_id}, {"error", e.what()}})
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    reply(error_response(make_error(ErrorCode::kInternal, Subject::kNone)));
  }
}

Response Core::handle(const Request& in) const {
  std::promise<Response> promise;
  auto future = promise.get_future();
  handle(std::make_shared<Request>(in), [&promise](Response r) { promise.set_value(std::move(r)); });
  return future.get();
}

void Core::finish(const Request& req, Response& res, const std::string& route, Clock::time_point started) const {
  if (const auto origin = req.header("origin")) {
    bool allowed = false;
    for (const auto& o : config.cors_origins)
      if (o == "*" || o == *origin) allowed = true;
    if (allowed) {
      const bool any = config.cors_origins.size() == 1 && config.cors_origins[0] == "*";
      res.headers.emplace_back("Access-Control-Allow-Origin", any ? "*" : std::string(*origin));
      // Authorization: the sign-in routes answer with the token there (the predecessor's front end);
      // Link: the next page of a list; Retry-After: when a 429 may be retried.
      res.headers.emplace_back("Access-Control-Expose-Headers", "X-Request-Id, Authorization, Link, Retry-After");
      if (!any) res.headers.emplace_back("Vary", "Origin");
    }
  }
  res.headers.emplace_back("X-Request-Id", req.request_id);
  if (config.predecessor_compat) render_predecessor_error(req.method, req.path, res);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  metrics.observe(route, req.method, res.status, seconds);
  if (config.access_log || res.status >= 500) {
    auto line = nlohmann::json({{"msg", "request"},
                                {"requestId", req.request_id},
                                {"method", req.method},
                                {"path", req.path},
                                {"status", res.status},
                                {"ms", seconds * 1000}});
    if (res.status >= 500) spdlog::error("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    else spdlog::info("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

void Core::begin_drain() {
  if (draining.exchange(true)) return;
  spdlog::info(R"({{"msg":"draining","inFlight":{}}})", in_flight.load());
  beast::error_code ec;
  acceptor.close(ec);
  auto timer = std::make_shared<net::steady_timer>(ioc);
  wait_drained(timer, Clock::now() + config.drain_timeout);
}

void Core::wait_drained(const std::shared_ptr<net::steady_timer>& timer, Clock::time_point deadline) {
  if (in_flight == 0 || Clock::now() >= deadline) {
    ioc.stop();
    return;
  }
  timer->expires_after(std::chrono::milliseconds(20));
  timer->async_wait([this, timer, deadline](beast::error_code) { wait_drained(timer, deadline); });
}

Server::Server(ServerConfig config, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(config), router, metrics)) {}

Server::~Server() {
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->workers.join();
}

void Server::start() {
  auto& i = *impl_;
  beast::error_code ec;
  tcp::endpoint ep(net::ip::make_address(i.config.address, ec), i.config.port);
  if (ec) throw std::runtime_error("bad listen address: " + i.config.address);
  i.acceptor.open(ep.protocol(), ec);
  if (!ec) i.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(ep, ec);
  if (!ec) i.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + i.config.address + ":" + std::to_string(i.config.port) + ": " +
                             ec.message());
  i.signals.async_wait([&i](beast::error_code ec, int) {
    if (!ec) i.begin_drain();
  });
  i.do_accept();
}

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  auto& i = *impl_;
  for (int n = 1; n < i.config.io_threads; ++n)
    i.threads.emplace_back([&i] {
      pthread_setname_np(pthread_self(), "p720-io");
      i.ioc.run();
    });
  pthread_setname_np(pthread_self(), "p720-io");
  i.ioc.run();
  for (auto& t : i.threads) t.join();
  i.threads.clear();
  i.workers.join();  // handlers already posted finish before we return
}

void Server::stop() {
  net::post(impl_->ioc, [this] { impl_->begin_drain(); });
}

void Server::post(std::function<void()> fn) { net::post(impl_->ioc, std::move(fn)); }
void Server::post_work(std::function<void()> fn) { net::post(impl_->workers, std::move(fn)); }

Response Server::handle(const Request& req) const { return impl_->handle(req); }

}  // namespace p720::http
