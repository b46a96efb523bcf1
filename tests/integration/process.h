// Child processes for integration tests: run a command to completion, or
// start a long-running one and stop it. No shell is involved.
#ifndef IFED_TESTS_PROCESS_H_
#define IFED_TESTS_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace ifed::testing {

struct RunResult {
  int exit_code = -1;  // -1: did not exit normally.
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with argv, waits for it. Extra environment entries
// ("K=V") are added to the current environment.
RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// A started process whose stdout and stderr go to `log_path`.
class Process {
 public:
  Process() = default;
  Process(const std::vector<std::string>& argv, const std::string& log_path);
  Process(Process&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Process& operator=(Process&& o) noexcept;
  ~Process() { Stop(); }

  bool running() const;
  pid_t pid() const { return pid_; }
  // SIGTERM, then SIGKILL after `grace_ms`. Returns the exit status of waitpid.
  int Stop(int grace_ms = 10000);
  void Kill();  // SIGKILL, no grace: crash simulation.

 private:
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// The whole HTTP/1.1 response (status line, headers, body) to GET `path`
// on 127.0.0.1:`port`; empty when nothing listens there.
std::string HttpGet(int port, const std::string& path);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text, int mode = 0644);

}  // namespace ifed::testing

#endif  // IFED_TESTS_PROCESS_H_
