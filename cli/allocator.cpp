#include "cli/allocator.hpp"

#ifdef MAIL2SMS_JEMALLOC
#include <jemalloc/jemalloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#endif

namespace mail2sms::cli {

std::string allocator_description() {
#ifdef MAIL2SMS_JEMALLOC
  // Asked of the allocator that answers malloc: were the C library's malloc to win the link
  // order, jemalloc would be loaded but unused, and its count of this thread's allocations would
  // not move. The pointer is volatile so that the compiler keeps the malloc and free.
  std::uint64_t before = 0, after = 0;
  std::size_t size = sizeof before;
  if (mallctl("thread.allocated", &before, &size, nullptr, 0) != 0)
    return "jemalloc, built without statistics (whether it answers malloc is not known)";
  void* volatile probe = std::malloc(4096);
  std::free(probe);
  size = sizeof after;
  if (mallctl("thread.allocated", &after, &size, nullptr, 0) != 0 || after == before)
    return "the C library's malloc (jemalloc is loaded but not answering malloc)";
  const char* version = nullptr;
  size = sizeof version;
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr) return "jemalloc";
  return std::string("jemalloc ") + version;
#else
  return "the C library's malloc (a sanitizer build: jemalloc is not linked)";
#endif
}

}  // namespace mail2sms::cli
