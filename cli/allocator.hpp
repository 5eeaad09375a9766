// Which malloc serves the process: jemalloc, linked into the mail2sms binary (cli/CMakeLists.txt;
// docs/PERFORMANCE.md has the measurement), or the C library's in a sanitizer build.
#pragma once

#include <string>

namespace mail2sms::cli {

// "jemalloc 5.3.0-..." as jemalloc reports its version, or which malloc it is instead.
std::string allocator_description();

}  // namespace mail2sms::cli
