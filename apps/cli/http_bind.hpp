// Binding an httplib::Server for `serve` and `serve-sim` (only included where cpp-httplib is available).
#pragma once
#include <httplib.h>
#include <sys/socket.h>

#include <memory>
#include <string>

namespace tokenmath::cli {

// Binds `srv` to host:port (port 0: any free port) and returns the port, or -1. Debian's cpp-httplib listens with a
// backlog of 5: a burst of new connections (a client opening its streams at once, a load test) overflows it and the
// kernel drops or resets them. The listening socket is caught by the socket-options hook (it runs on that socket
// before bind; SO_REUSEADDR as httplib's default) and its backlog raised after bind.
inline int bind_http(httplib::Server& srv, const std::string& host, int port) {
  auto listen_fd = std::make_shared<socket_t>(INVALID_SOCKET);
  srv.set_socket_options([listen_fd](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof(yes));
    *listen_fd = sock;
  });
  const int bound = port == 0 ? srv.bind_to_any_port(host) : (srv.bind_to_port(host, port) ? port : -1);
  if (bound >= 0 && *listen_fd != INVALID_SOCKET) ::listen(*listen_fd, 4096);
  return bound;
}

}  // namespace tokenmath::cli
