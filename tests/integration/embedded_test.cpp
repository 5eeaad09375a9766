// The private PostgreSQL cluster: data survives a restart, a running server is reused and left
// running, databases with awkward names are created, failures say what and where.
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>

#include "pg_fixture.hpp"
#include "tests/captured_log.hpp"

namespace mail2sms::testing {
namespace {

namespace fs = std::filesystem;

std::string query_one(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<std::string>();
}

TEST(embedded_cluster, restart_keeps_data) {
  temp_dir dir("mail2sms-restart");
  ASSERT_FALSE(dir.path().empty());
  {
    sql::embedded_cluster cluster(dir.path().string(), "kept");
    auto started = cluster.start();
    ASSERT_TRUE(started.has_value()) << started.error();
    pqxx::connection conn(cluster.connection_string());
    pqxx::work tx(conn);
    tx.exec0("CREATE TABLE survivors (name text)");
    tx.exec0("INSERT INTO survivors VALUES ('still here')");
    tx.commit();
    cluster.stop();
    EXPECT_FALSE(fs::exists(dir.path() / "data" / "postmaster.pid"));
  }
  sql::embedded_cluster again(dir.path().string(), "kept");
  auto restarted = again.start();
  ASSERT_TRUE(restarted.has_value()) << restarted.error();
  EXPECT_EQ(query_one(again.connection_string(), "SELECT name FROM survivors"), "still here");
}

TEST(embedded_cluster, layout_and_connection_string) {
  sql::embedded_cluster cluster("/tmp/some/dir/", "db");
  EXPECT_EQ(cluster.dir(), "/tmp/some/dir");
  EXPECT_EQ(cluster.connection_string(),
            "host=/tmp/some/dir/socket port=5432 dbname=db user=mail2sms");
  sql::embedded_cluster spaced("/tmp/a b", "it's");
  EXPECT_EQ(spaced.connection_string(),
            "host='/tmp/a b/socket' port=5432 dbname='it\\'s' user=mail2sms");
}

TEST(embedded_cluster, too_long_a_directory_is_refused_before_anything_runs) {
  const std::string dir = "/tmp/" + std::string(120, 'x');
  sql::embedded_cluster cluster(dir);
  auto started = cluster.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("too long for a unix socket path"), std::string::npos)
      << started.error();
  EXPECT_FALSE(fs::exists(dir));
}

class embedded_shared : public pg_test {};

TEST_F(embedded_shared, server_listens_only_on_its_private_socket) {
  EXPECT_EQ(query_one(connection_string(), "SHOW listen_addresses"), "");
  EXPECT_EQ(query_one(connection_string(), "SELECT current_user"), "mail2sms");
  struct stat st {};
  ASSERT_EQ(stat((fs::path(cluster_dir()) / "socket").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(cluster_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// New WAL segments are not zero-filled first (a stall of every commit once per 16 MB of WAL
// until checkpoints recycle segments); durability settings stay as they are.
TEST_F(embedded_shared, new_wal_segments_are_not_zero_filled_and_commits_stay_durable) {
  EXPECT_EQ(query_one(connection_string(), "SHOW wal_init_zero"), "off");
  if (std::getenv("MAIL2SMS_PG_UNSAFE_NO_FSYNC") == nullptr) {
    EXPECT_EQ(query_one(connection_string(), "SHOW fsync"), "on");
    EXPECT_EQ(query_one(connection_string(), "SHOW synchronous_commit"), "on");
    EXPECT_EQ(query_one(connection_string(), "SHOW full_page_writes"), "on");
  }
}

// The WAL reserve: written once when the cluster has fewer segments ahead, as segments whose
// blocks are all on disk (a new segment's are allocated as the WAL is written into it), and kept
// by min_wal_size through restarts; not written again when they are there. Without a reserve the
// server's own WAL sizes apply (ALTER SYSTEM), which the command line would override.
TEST(embedded_cluster, the_wal_reserve_is_written_once_as_allocated_segments) {
  temp_dir dir("mail2sms-wal-reserve");
  ASSERT_FALSE(dir.path().empty());
  const auto whole_segments = [&] {
    std::size_t whole = 0;
    for (const auto& entry : fs::directory_iterator(dir.path() / "data" / "pg_wal")) {
      const auto name = entry.path().filename().string();
      if (name.size() != 24 || name.find_first_not_of("0123456789ABCDEF") != std::string::npos)
        continue;
      struct stat st {};
      if (stat(entry.path().c_str(), &st) == 0 &&
          static_cast<std::uint64_t>(st.st_blocks) * 512 >= static_cast<std::uint64_t>(st.st_size))
        ++whole;  // no holes: every block of the segment is allocated
    }
    return whole;
  };
  const std::string ahead_sql =
      "SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$' "
      "AND name > pg_walfile_name(pg_current_wal_insert_lsn())";
  std::string lsn_after_reserve;
  {
    sql::embedded_cluster cluster(dir.path().string(), "mail2sms", 128);
    auto started = cluster.start();
    ASSERT_TRUE(started.has_value()) << started.error();
    EXPECT_EQ(query_one(cluster.connection_string(), "SHOW min_wal_size"), "128MB");
    EXPECT_EQ(query_one(cluster.connection_string(), "SHOW max_wal_size"), "1GB");
    // 128 MiB of 16 MiB segments, less the one being written (and one of slack).
    EXPECT_GE(std::stoi(query_one(cluster.connection_string(), ahead_sql)), 6);
    EXPECT_GE(whole_segments(), 6u);
    lsn_after_reserve = query_one(cluster.connection_string(), "SELECT pg_current_wal_lsn()");
    cluster.stop();
  }
  EXPECT_GE(whole_segments(), 6u);  // kept through the shutdown checkpoint
  {
    sql::embedded_cluster again(dir.path().string(), "mail2sms", 128);
    auto restarted = again.start();
    ASSERT_TRUE(restarted.has_value()) << restarted.error();
    // The restart wrote its shutdown and startup records, not another reserve.
    EXPECT_LT(std::stoll(query_one(again.connection_string(),
                                   "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" +
                                       lsn_after_reserve + "')::bigint")),
              4 * 1024 * 1024);
    {
      pqxx::connection conn(again.connection_string());
      pqxx::nontransaction tx(conn);
      tx.exec0("ALTER SYSTEM SET min_wal_size = '200MB'");
      tx.exec("SELECT pg_reload_conf()");
    }
    EXPECT_EQ(query_one(again.connection_string(), "SHOW min_wal_size"), "128MB");
    again.stop();
  }
  sql::embedded_cluster none(dir.path().string(), "mail2sms", 0);
  auto started = none.start();
  ASSERT_TRUE(started.has_value()) << started.error();
  EXPECT_EQ(query_one(none.connection_string(), "SHOW min_wal_size"), "200MB");
}

// A reserve the disk cannot hold (2^40 MiB: no disk has three times it free) is left out with a
// warning that says so and what it costs, and the cluster starts on PostgreSQL's own WAL sizes
// without writing any WAL ahead.
TEST(embedded_cluster, a_wal_reserve_that_does_not_fit_is_left_out_and_the_cluster_starts) {
  temp_dir dir("mail2sms-wal-no-room");
  ASSERT_FALSE(dir.path().empty());
  captured_log log;
  sql::embedded_cluster cluster(dir.path().string(), "mail2sms", std::size_t{1} << 40);
  auto started = cluster.start();
  ASSERT_TRUE(started.has_value()) << started.error();
  EXPECT_EQ(query_one(cluster.connection_string(), "SHOW min_wal_size"), "80MB");
  EXPECT_EQ(query_one(cluster.connection_string(), "SHOW max_wal_size"), "1GB");
  // initdb, the start and the database write a few tens of MiB, a reserve far more.
  EXPECT_LT(std::stoll(query_one(cluster.connection_string(),
                                 "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")),
            64 * 1024 * 1024);
  EXPECT_EQ(log.count("no WAL reserve ([database] wal_reserve_mb = 1099511627776)"), 1)
      << log.text();
  EXPECT_EQ(log.count("too little for WAL of up to 2199023255552 MiB"), 1) << log.text();
  EXPECT_EQ(log.count("writing"), 0) << log.text();
  cluster.stop();
}

// Writing the reserve can fail (here the server cancels any statement in the maintenance
// database, where the reserve is written, after 300 ms, and 512 MiB of WAL take seconds); the
// cluster is still started and usable, with the reserve's WAL sizes, and the warning says why.
TEST(embedded_cluster, a_reserve_that_cannot_be_written_leaves_a_warning_and_a_running_cluster) {
  temp_dir dir("mail2sms-wal-refused");
  ASSERT_FALSE(dir.path().empty());
  {
    sql::embedded_cluster cluster(dir.path().string(), "mail2sms", 0);
    auto started = cluster.start();
    ASSERT_TRUE(started.has_value()) << started.error();
    pqxx::connection conn(cluster.connection_string());
    pqxx::nontransaction tx(conn);
    tx.exec0("ALTER DATABASE postgres SET statement_timeout = '300ms'");
    cluster.stop();
  }
  captured_log log;
  sql::embedded_cluster cluster(dir.path().string(), "mail2sms", 512);
  auto started = cluster.start();
  ASSERT_TRUE(started.has_value()) << started.error();
  EXPECT_EQ(query_one(cluster.connection_string(), "SHOW min_wal_size"), "512MB");
  EXPECT_EQ(log.count("embedded PostgreSQL: writing the WAL reserve failed: "), 1) << log.text();
  EXPECT_EQ(log.count("statement timeout"), 1) << log.text();
  cluster.stop();
}

TEST(embedded_cluster, a_wal_reserve_raises_the_wal_sizes_it_needs_where_it_fits) {
  EXPECT_EQ(sql::embedded_wal_sizes_for(0).min_mib, 80u);
  EXPECT_EQ(sql::embedded_wal_sizes_for(0).max_mib, 1024u);
  EXPECT_EQ(sql::embedded_wal_sizes_for(64).min_mib, 80u);
  EXPECT_EQ(sql::embedded_wal_sizes_for(1024).min_mib, 1024u);
  EXPECT_EQ(sql::embedded_wal_sizes_for(1024).max_mib, 2048u);
  EXPECT_EQ(sql::embedded_wal_sizes_for(300).max_mib, 1024u);
  constexpr std::uint64_t mib = 1024 * 1024;
  // Room for WAL of twice the reserve, and the reserve left free; what pg_wal holds counts.
  EXPECT_TRUE(sql::embedded_wal_reserve_fits(1024, 3072 * mib, 0));
  EXPECT_FALSE(sql::embedded_wal_reserve_fits(1024, 3071 * mib, 0));
  EXPECT_TRUE(sql::embedded_wal_reserve_fits(1024, 2048 * mib, 1024 * mib));
  EXPECT_FALSE(sql::embedded_wal_reserve_fits(1024, 100 * mib, 1024 * mib));
}

// An eighth of the machine's memory, between PostgreSQL's default and 1 GiB.
TEST(embedded_cluster, shared_buffers_follow_the_machine_s_memory) {
  constexpr std::uint64_t mib = 1024 * 1024;
  EXPECT_EQ(sql::embedded_shared_buffers_mib(0), 128u);
  EXPECT_EQ(sql::embedded_shared_buffers_mib(512 * mib), 128u);
  EXPECT_EQ(sql::embedded_shared_buffers_mib(2048 * mib), 256u);
  EXPECT_EQ(sql::embedded_shared_buffers_mib(6000 * mib), 750u);
  EXPECT_EQ(sql::embedded_shared_buffers_mib(64 * 1024 * mib), 1024u);
}

TEST_F(embedded_shared, the_server_runs_with_the_shared_buffers_chosen_for_this_machine) {
  EXPECT_EQ(query_one(connection_string(),
                      "SELECT setting::bigint * 8 / 1024 FROM pg_settings "
                      "WHERE name = 'shared_buffers'"),
            std::to_string(sql::embedded_shared_buffers_mib()));
}

TEST_F(embedded_shared, second_object_reuses_the_server_and_leaves_it_running) {
  {
    sql::embedded_cluster other(cluster_dir(), "second db's name");
    auto started = other.start();
    ASSERT_TRUE(started.has_value()) << started.error();
    EXPECT_EQ(query_one(other.connection_string(), "SELECT current_database()"),
              "second db's name");
  }  // other did not start the server, so it must not stop it
  EXPECT_EQ(query_one(connection_string(), "SELECT 1"), "1");
}

TEST_F(embedded_shared, start_again_is_harmless) {
  sql::embedded_cluster other(cluster_dir(), "mail2sms_test");
  ASSERT_TRUE(other.start().has_value());
  ASSERT_TRUE(other.start().has_value());
  EXPECT_EQ(query_one(connection_string(), "SELECT current_database()"), "mail2sms_test");
}

TEST_F(embedded_shared, fresh_databases_are_separate) {
  const auto a = fresh_database();
  const auto b = fresh_database();
  EXPECT_NE(query_one(a, "SELECT current_database()"), query_one(b, "SELECT current_database()"));
}

}  // namespace
}  // namespace mail2sms::testing
