#pragma once
// A second process for tests that need one: two processes writing the same
// SQLite file, or a writer killed with SIGKILL at a chosen moment.
//
// fork() copies only the calling thread, so start children before the test
// starts any thread. The child runs its body and leaves with _exit: no gtest,
// no atexit handlers, no LeakSanitizer pass in the child. Its exit code is the
// body's return value, 100 if the body threw (the message goes to stderr).
// Parent and child tell each other where they are with single bytes through
// two pipes; a read gives up after a timeout, so a stuck peer cannot hang a test.

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

namespace relate::testing {

class ChildProcess {
 public:
  // The child's ends of the pipes.
  class Channel {
   public:
    Channel(int in, int out) : in_(in), out_(out) {}
    void send(char c) const {
      if (::write(out_, &c, 1) != 1) ::_exit(101);
    }
    // The next byte from the parent; '\0' on timeout or when the parent is gone.
    char receive(int timeout_ms = 60'000) const { return read_byte(in_, timeout_ms); }

   private:
    int in_, out_;
  };

  explicit ChildProcess(const std::function<int(const Channel&)>& body) {
    int up[2], down[2];  // child to parent, parent to child
    if (::pipe(up) != 0 || ::pipe(down) != 0) throw std::runtime_error("pipe() failed");
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork() failed");
    if (pid_ == 0) {
      ::close(up[0]);
      ::close(down[1]);
      int code = 100;
      try {
        code = body(Channel(down[0], up[1]));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child process %d: %s\n", static_cast<int>(::getpid()), e.what());
      } catch (...) {
        std::fprintf(stderr, "child process %d: unknown exception\n", static_cast<int>(::getpid()));
      }
      std::fflush(nullptr);
      ::_exit(code);
    }
    ::close(up[1]);
    ::close(down[0]);
    // A child that died must fail the test through its exit code, not kill the
    // test with SIGPIPE when the parent writes to it.
    ::signal(SIGPIPE, SIG_IGN);
    read_fd_ = up[0];
    write_fd_ = down[1];
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    ::close(read_fd_);
    ::close(write_fd_);
  }

  pid_t pid() const noexcept { return pid_; }

  // The next byte the child sent; '\0' when the child closed the pipe (it
  // ended) or sent nothing within the timeout, so a stuck child cannot hang
  // the test.
  char receive(int timeout_ms = 60'000) const { return read_byte(read_fd_, timeout_ms); }
  void send(char c) const {
    if (::write(write_fd_, &c, 1) != 1) throw std::runtime_error("the child process is gone");
  }

  void kill() const { ::kill(pid_, SIGKILL); }

  // Waits for the child to end: its exit code, or minus the signal that killed it.
  int wait() {
    if (reaped_) return status_;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return status_;
  }

 private:
  static char read_byte(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return '\0';
    char c = '\0';
    return ::read(fd, &c, 1) == 1 ? c : '\0';
  }

  pid_t pid_ = -1;
  int read_fd_ = -1;
  int write_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace relate::testing
