// A private PostgreSQL cluster owned by mail2sms: created on first use (initdb), started on a
// unix socket inside its directory (no TCP), stopped by whoever started it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace mail2sms::sql {

// The private cluster's shared_buffers in MiB, for a machine of `physical_memory` octets: an
// eighth of it, at least PostgreSQL's default 128 and at most 1024. With the default 128 MiB the
// intake's new rows pushed dirty pages out of PostgreSQL's buffers within seconds, the backends
// wrote them to the kernel themselves, and the WAL fsyncs waited behind that data: commits of
// 20-110 ms a few times in each 10-second load run (docs/PERFORMANCE.md, session 11).
std::size_t embedded_shared_buffers_mib(std::uint64_t physical_memory);
// The same for this machine's memory (sysconf), what the cluster is started with.
std::size_t embedded_shared_buffers_mib();

// The WAL settings for a reserve of `reserve_mib` MiB (0: none): min_wal_size keeps that much of
// the WAL PostgreSQL has written as segments to recycle, through quiet hours too, and
// max_wal_size stays at least twice that (the server's default, 1 GiB, otherwise).
struct embedded_wal_sizes {
  std::size_t min_mib = 80;  // PostgreSQL's defaults
  std::size_t max_mib = 1024;
};
embedded_wal_sizes embedded_wal_sizes_for(std::size_t reserve_mib);
// Whether a reserve of `reserve_mib` MiB fits where pg_wal is: with `available` octets free there
// and `in_use` octets in pg_wal already, the WAL could grow to max_wal_size (twice the reserve)
// and leave the reserve free. PostgreSQL stops when it cannot write WAL, so a disk that is
// nearly full gets PostgreSQL's own sizes instead.
bool embedded_wal_reserve_fits(std::size_t reserve_mib, std::uint64_t available,
                               std::uint64_t in_use);

class embedded_cluster {
 public:
  // dir: the cluster's directory (created if missing). database: created if missing.
  // wal_reserve_mib: WAL segments written ahead and kept (config's [database] wal_reserve_mb):
  // when this object starts the server, it runs with embedded_wal_sizes_for(wal_reserve_mib),
  // and if fewer segments are ahead it writes that much WAL once and checkpoints, so that commits
  // write into segments whose blocks are on disk already. Into a new segment (a new cluster's
  // first minutes, or after quiet hours had the segments removed) each commit's fdatasync also
  // writes the file's block map: a second device round trip (docs/PERFORMANCE.md, session 28).
  // 0, or a reserve that does not fit (embedded_wal_reserve_fits): no reserve, and the server's
  // own WAL sizes (postgresql.conf, ALTER SYSTEM).
  explicit embedded_cluster(std::string dir, std::string database = "mail2sms",
                            std::size_t wal_reserve_mib = 0);
  ~embedded_cluster();  // stops the server if this object started it
  embedded_cluster(const embedded_cluster&) = delete;
  embedded_cluster& operator=(const embedded_cluster&) = delete;

  // initdb if needed, start if not running, create the database if missing. The error says
  // what failed and where the server log is.
  result<ok_t, std::string> start();
  void stop();  // fast shutdown, if this object started it

  // A libpq connection string for the cluster's socket and database.
  std::string connection_string() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string database_;
  std::size_t wal_reserve_mib_ = 0;
  bool started_by_us_ = false;
};

}  // namespace mail2sms::sql
