// A disk with a slower flush, for benchmarks only: LD_PRELOAD'ed into a server, it makes every
// fsync(2) and fdatasync(2) take at least SLOW_FSYNC_US microseconds (the real call, then a sleep
// for what is left). Issue #3's targets are ratios to Postfix, which flushes a queue file per
// mail, and they were set where fdatasync took about 0.2 ms; bench/smtp_compare.py --slow-fsync
// loads both PostgreSQL and Postfix with this to measure under that condition on a machine whose
// disk is faster. The sleep blocks only the caller, as a flush does: flushes from several
// processes overlap fully, which favours Postfix (many processes) over PostgreSQL (one commit at
// a time per account). Never part of the product.
#include <dlfcn.h>
#include <sys/prctl.h>
#include <time.h>

#include <cstdlib>

namespace {

using flush_fn = int (*)(int);

long floor_ns() {
  static const long ns = [] {
    const char* us = std::getenv("SLOW_FSYNC_US");
    return us == nullptr ? 0L : std::strtol(us, nullptr, 10) * 1000L;
  }();
  return ns;
}

long elapsed_ns(const timespec& from, const timespec& to) {
  return (to.tv_sec - from.tv_sec) * 1000000000L + (to.tv_nsec - from.tv_nsec);
}

int slowed(flush_fn real, int fd) {
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  const int result = real(fd);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const long left = floor_ns() - elapsed_ns(start, now);
  if (left > 0) {
    const long end = start.tv_nsec + floor_ns();
    timespec until{start.tv_sec + end / 1000000000L, end % 1000000000L};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) != 0) {
    }
  }
  return result;
}

// The default timer slack (50 µs) would make a 150 µs sleep about 200 µs: 1 µs instead.
// Threads created later inherit it.
__attribute__((constructor)) void tight_timers() { prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); }

}  // namespace

extern "C" int fsync(int fd) {
  static const auto real = reinterpret_cast<flush_fn>(dlsym(RTLD_NEXT, "fsync"));
  return slowed(real, fd);
}

extern "C" int fdatasync(int fd) {
  static const auto real = reinterpret_cast<flush_fn>(dlsym(RTLD_NEXT, "fdatasync"));
  return slowed(real, fd);
}
