# Every third-party dependency as an imported target. All are Debian 12 packages installed by
# scripts/setup; nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(Protobuf REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
# libpq itself, for its pipeline mode (PostgreSQL 14+), which libpqxx 6.4 does not offer
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq>=14)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo)
# The mail2sms binary's malloc (cli/CMakeLists.txt says why)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)

# mimetic and libphonenumber ship neither CMake nor pkg-config files.
find_path(MIMETIC_INCLUDE_DIR mimetic/mimetic.h REQUIRED)
find_library(MIMETIC_LIBRARY mimetic REQUIRED)
add_library(mimetic::mimetic UNKNOWN IMPORTED)
set_target_properties(mimetic::mimetic PROPERTIES
  IMPORTED_LOCATION "${MIMETIC_LIBRARY}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${MIMETIC_INCLUDE_DIR}")

find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
add_library(phonenumber::phonenumber UNKNOWN IMPORTED)
set_target_properties(phonenumber::phonenumber PROPERTIES
  IMPORTED_LOCATION "${PHONENUMBER_LIBRARY}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${PHONENUMBER_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "protobuf::libprotobuf")

# Boost.Asio with C++20 coroutines; <utility> must precede Asio on GCC 12 (see DESIGN.md).
add_library(mail2sms_asio INTERFACE)
target_link_libraries(mail2sms_asio INTERFACE Boost::headers Threads::Threads OpenSSL::SSL OpenSSL::Crypto)
target_compile_definitions(mail2sms_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_HAS_CO_AWAIT)
# GCC 12 reports Asio's awaitable frame allocator as a mismatched new/delete: a false positive
# (the frame's operator new and delete are a matching pair defined by Asio).
target_compile_options(mail2sms_asio INTERFACE -include utility -Wno-mismatched-new-delete)
