// The HTTPS edge of the console: cpp-httplib's SSLServer (TLS 1.2 or
// later, the console's own certificate), optional client certificates from
// the staff CA and the proxy CA, every request converted to http.h's
// Request and run through the Router. Binds 127.0.0.1 unless configured
// otherwise. All TLS setup of the console lives in this file.
#ifndef IFED_CONSOLE_SERVER_H_
#define IFED_CONSOLE_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "node/console/router.h"
#include "proto/console.pb.h"

namespace httplib {
class SSLServer;
}

namespace ifed::console {

class HttpsServer {
 public:
  // Loads the certificate and key (and the client CAs), binds
  // `config.listen` (port 0: any free port, see port()) and serves on a
  // background thread. `router` must outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpsServer>> Start(const ifed::v1::ConsoleConfig& config,
                                                            const Router* router);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  int port() const { return port_; }
  // Stops accepting and waits for the serving thread. Idempotent.
  void Stop();

 private:
  HttpsServer() = default;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace ifed::console

#endif  // IFED_CONSOLE_SERVER_H_
