// The HTTP floor of this machine: a do-nothing Boost.Beast server (same compiler and flags as
// pension720, same number of I/O threads by default) that answers every request with a small JSON
// body on a keep-alive connection. bench/crowd.sh runs it beside pension720 in the same minutes.
//   http_floor PORT [IO_THREADS]
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& s) : stream_(std::move(s)) {}
  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    req_ = {};
    stream_.expires_after(std::chrono::seconds(60));
    bhttp::async_read(stream_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->write();
    });
  }
  void write() {
    res_ = bhttp::response<bhttp::string_body>(bhttp::status::ok, req_.version());
    res_.set(bhttp::field::server, "http-floor");
    res_.set(bhttp::field::content_type, "application/json; charset=utf-8");
    res_.body() = "343";
    res_.keep_alive(req_.keep_alive());
    res_.prepare_payload();
    bhttp::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) return self->close();
      self->read();
    });
  }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
};

void accept(tcp::acceptor& acceptor, net::io_context& ioc) {
  acceptor.async_accept(net::make_strand(ioc), [&acceptor, &ioc](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket))->run();
    accept(acceptor, ioc);
  });
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: http_floor PORT [IO_THREADS]\n";
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const int threads =
      argc > 2 ? std::atoi(argv[2]) : std::max(2, static_cast<int>(std::thread::hardware_concurrency()) + 1);
  net::io_context ioc(threads);
  tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), port});
  accept(acceptor, ioc);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "http_floor: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "http_floor: unknown exception\n";
  }
  return 1;
}
