// The private PostgreSQL cluster: initdb on first use, pg_ctl start/stop, CREATE DATABASE.
// PostgreSQL refuses to run as root, so as root the server programs run as the postgres user.
#include "sql/embedded.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <system_error>
#include <thread>
#include <vector>

#include "sql/conninfo.hpp"
#include "sql/pq_support.hpp"

extern char** environ;

namespace mail2sms::sql {
namespace {

namespace fs = std::filesystem;

constexpr int port = 5432;  // only names the socket file; nothing listens on TCP
constexpr const char* superuser = "mail2sms";

// Who runs initdb and the server: ourselves, or (as root) the postgres system user.
struct server_user {
  bool switch_to = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::string errno_text() { return std::strerror(errno); }

// For throwaway test clusters only: no fsync in initdb or the server. A crash of the machine
// (not of PostgreSQL) can then corrupt the cluster, so never set it for data that matters.
bool unsafe_no_fsync() {
  const char* env = std::getenv("MAIL2SMS_PG_UNSAFE_NO_FSYNC");
  return env != nullptr && *env != '\0' && std::string(env) != "0";
}

// The numerically highest /usr/lib/postgresql/N/bin, or $MAIL2SMS_PG_BINDIR.
result<std::string, std::string> find_bindir() {
  if (const char* env = std::getenv("MAIL2SMS_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (!fs::exists(fs::path(env) / "pg_ctl"))
      return fail("MAIL2SMS_PG_BINDIR=" + std::string(env) + " has no pg_ctl");
    return std::string(env);
  }
  int best = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    if (fs::exists(entry.path() / "bin/pg_ctl") && std::stoi(name) > best) best = std::stoi(name);
  }
  if (best < 0) {
    return fail(
        std::string("no PostgreSQL server programs in /usr/lib/postgresql/*/bin: install "
                    "the postgresql package or set MAIL2SMS_PG_BINDIR"));
  }
  return "/usr/lib/postgresql/" + std::to_string(best) + "/bin";
}

std::string runuser_path() {
  for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "runuser";
}

result<server_user, std::string> find_server_user() {
  if (geteuid() != 0) return server_user{false, geteuid(), getegid()};
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return fail(
        std::string("PostgreSQL refuses to run as root, and there is no 'postgres' user to "
                    "run it as: install the postgresql package"));
  }
  return server_user{true, pw->pw_uid, pw->pw_gid};
}

bool user_can_search(const server_user& user, const struct stat& st) {
  if (st.st_uid == user.uid) return (st.st_mode & S_IXUSR) != 0;
  if ((st.st_mode & S_IXOTH) != 0) return true;
  if ((st.st_mode & S_IXGRP) == 0) return false;
  const passwd* pw = getpwuid(user.uid);
  if (pw == nullptr) return st.st_gid == user.gid;
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  if (getgrouplist(pw->pw_name, user.gid, groups.data(), &count) < 0) return st.st_gid == user.gid;
  groups.resize(static_cast<std::size_t>(count));
  return std::find(groups.begin(), groups.end(), st.st_gid) != groups.end();
}

// The postgres user must be able to reach the cluster directory through every parent.
result<ok_t, std::string> check_reachable(const server_user& user, const fs::path& dir) {
  if (!user.switch_to) return ok;
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (stat(p.c_str(), &st) == 0 && !user_can_search(user, st)) {
      return fail("the postgres user cannot reach " + dir.string() + ": " + p.string() +
                  " is not searchable by it (chmod o+x " + p.string() +
                  ", or use another directory)");
    }
    if (p == p.root_path()) break;
  }
  return ok;
}

// Characters pg_ctl's shell command line or unix_socket_directories cannot carry.
result<ok_t, std::string> check_path(const fs::path& dir) {
  const std::string text = dir.string();
  if (text.find_first_of("\"$`\\,\n") != std::string::npos)
    return fail("the cluster directory " + text +
                " contains one of \" $ ` \\ , or a newline, which "
                "pg_ctl cannot pass on: use another directory");
  const std::string socket = (dir / "socket" / (".s.PGSQL." + std::to_string(port))).string();
  if (socket.size() > 107)
    return fail("the cluster directory " + text + " is too long for a unix socket path (" + socket +
                " is " + std::to_string(socket.size()) + " bytes, at most 107): use a shorter one");
  return ok;
}

// A directory (or file) owned by the server user with the given mode.
result<ok_t, std::string> prepare_owned(const server_user& user, const fs::path& path,
                                        bool directory, mode_t mode) {
  std::error_code ec;
  if (directory) {
    fs::create_directories(path, ec);
    if (ec) return fail("cannot create " + path.string() + ": " + ec.message());
  } else {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
    if (fd < 0) return fail("cannot create " + path.string() + ": " + errno_text());
    close(fd);
  }
  if (user.switch_to && chown(path.c_str(), user.uid, user.gid) != 0)
    return fail("cannot give " + path.string() + " to the postgres user: " + errno_text());
  if (chmod(path.c_str(), mode) != 0)
    return fail("cannot set the permissions of " + path.string() + ": " + errno_text());
  return ok;
}

void append_to_log(int log_fd, const std::string& text) {
  if (write(log_fd, text.data(), text.size()) < 0) return;  // the banner is only a courtesy
}

// Runs argv (as the server user), stdin from /dev/null and output appended to log_fd.
result<int, std::string> run(const server_user& user, std::vector<std::string> args, int log_fd,
                             const std::string& cwd) {
  if (user.switch_to) args.insert(args.begin(), {runuser_path(), "-u", "postgres", "--"});
  std::string banner = "mail2sms: running";
  for (const auto& a : args) banner += " " + a;
  append_to_log(log_fd, banner + "\n");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail("cannot run " + args[0] + ": " + std::strerror(rc));

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail("cannot wait for " + args[0] + ": " + errno_text());
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The last lines of the server log, to put the cause into the error itself.
std::string log_tail(const fs::path& log, std::size_t lines) {
  std::ifstream in(log);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string tail;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    tail += "\n  " + all[i];
  return tail;
}

// A word for /bin/sh, which pg_ctl hands the -o options to.
std::string shell_quote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Everything one start() or stop() needs: the layout, the programs, who runs them, the open log.
class cluster_control {
 public:
  explicit cluster_control(const fs::path& dir)
      : dir_(dir), data_(dir / "data"), socket_(dir / "socket"), log_(dir / "postgresql.log") {}
  ~cluster_control() {
    if (log_fd_ >= 0) close(log_fd_);
    if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
  }
  cluster_control(const cluster_control&) = delete;
  cluster_control& operator=(const cluster_control&) = delete;

  result<ok_t, std::string> prepare();
  result<ok_t, std::string> lock();  // serialises start() between processes sharing dir
  result<ok_t, std::string> initdb_if_needed();
  bool running();
  result<ok_t, std::string> start_server(std::size_t wal_reserve_mib);
  result<ok_t, std::string> stop_server();
  std::string admin_conninfo() const;
  std::string failure(const std::string& what) const;
  const fs::path& data() const { return data_; }

 private:
  result<int, std::string> pg(const std::string& program, std::vector<std::string> args) {
    args.insert(args.begin(), bindir_ + "/" + program);
    return run(user_, std::move(args), log_fd_, dir_.string());
  }

  fs::path dir_, data_, socket_, log_;
  std::string bindir_;
  server_user user_;
  int log_fd_ = -1;
  int lock_fd_ = -1;
};

result<ok_t, std::string> cluster_control::prepare() {
  auto bindir = find_bindir();
  if (!bindir) return fail(bindir.error());
  bindir_ = *bindir;
  auto user = find_server_user();
  if (!user) return fail(user.error());
  user_ = *user;
  if (auto checked = check_path(dir_); !checked) return checked;
  if (auto checked = check_reachable(user_, dir_); !checked) return checked;
  if (auto made = prepare_owned(user_, dir_, true, 0700); !made) return made;
  if (auto made = prepare_owned(user_, socket_, true, 0700); !made) return made;
  if (auto made = prepare_owned(user_, log_, false, 0600); !made) return made;
  log_fd_ = open(log_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log_fd_ < 0) return fail("cannot open " + log_.string() + ": " + errno_text());
  return ok;
}

result<ok_t, std::string> cluster_control::lock() {
  const fs::path path = dir_ / "start.lock";
  lock_fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return fail("cannot open " + path.string() + ": " + errno_text());
  while (flock(lock_fd_, LOCK_EX) != 0) {
    if (errno != EINTR) return fail("cannot lock " + path.string() + ": " + errno_text());
  }
  return ok;
}

result<ok_t, std::string> cluster_control::initdb_if_needed() {
  if (fs::exists(data_ / "PG_VERSION")) return ok;
  std::error_code ec;
  if (fs::exists(data_) && !fs::is_empty(data_, ec)) {
    return fail(data_.string() +
                " exists but is not a PostgreSQL data directory (no PG_VERSION): "
                "move it away or choose another directory");
  }
  std::vector<std::string> args{"-D",           data_.string(), "-U",   superuser,
                                "--auth=trust", "-E",           "UTF8", "--no-locale"};
  if (unsafe_no_fsync()) args.emplace_back("--no-sync");
  auto status = pg("initdb", std::move(args));
  if (!status) return fail(status.error());
  if (*status != 0)
    return fail(failure("initdb of " + data_.string() + " failed (exit status " +
                        std::to_string(*status) + ")"));
  return ok;
}

bool cluster_control::running() {
  auto status = pg("pg_ctl", {"-D", data_.string(), "status"});
  return status && *status == 0;
}

result<ok_t, std::string> cluster_control::start_server(std::size_t wal_reserve_mib) {
  std::string options =
      "-c listen_addresses='' -p " + std::to_string(port) + " -k " + shell_quote(socket_.string());
  // A new WAL segment is created as a file of the right size instead of being written full of
  // zeros first. Until checkpoints have left used segments to recycle (a new cluster's first
  // minutes), the backend that needed a segment wrote its 16 MB under the WAL write lock, and
  // every commit waited: at 3,700 mails/s, about once a second for 10-25 ms, the slowest
  // percent of final-dot replies (docs/PERFORMANCE.md). PostgreSQL still fsyncs what it writes,
  // and fdatasync makes the blocks it allocates durable with the data.
  options += " -c wal_init_zero=off";
  // Buffers sized for the machine (embedded_shared_buffers_mib says why).
  options += " -c shared_buffers=" + std::to_string(embedded_shared_buffers_mib()) + "MB";
  // The WAL kept to recycle (embedded_cluster's wal_reserve_mib says why). Options given here
  // override postgresql.conf and ALTER SYSTEM, so none without a reserve.
  if (wal_reserve_mib > 0) {
    const auto wal = embedded_wal_sizes_for(wal_reserve_mib);
    options += " -c min_wal_size=" + std::to_string(wal.min_mib) +
               "MB -c max_wal_size=" + std::to_string(wal.max_mib) + "MB";
  }
  if (unsafe_no_fsync())
    options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
  auto status = pg("pg_ctl", {"-D", data_.string(), "-l", log_.string(), "-w", "-t", "30", "-o",
                              options, "start"});
  if (!status) return fail(status.error());
  if (*status != 0)
    return fail(failure("starting PostgreSQL in " + data_.string() +
                        " failed (pg_ctl exit status " + std::to_string(*status) + ")"));
  return ok;
}

result<ok_t, std::string> cluster_control::stop_server() {
  auto status = pg("pg_ctl", {"-D", data_.string(), "-m", "fast", "-w", "stop"});
  if (!status) return fail(status.error());
  if (*status != 0)
    return fail(failure("stopping PostgreSQL in " + data_.string() +
                        " failed (pg_ctl exit status " + std::to_string(*status) + ")"));
  return ok;
}

// With the connect bounded as every other connection's is (with_connection_defaults): a cluster
// that hangs (its processes stopped, a disk that does not return) makes the command that starts
// or opens it fail after connect_timeout, not wait for ever holding the start lock.
std::string cluster_control::admin_conninfo() const {
  return with_connection_defaults("host=" + conninfo_value(socket_.string()) + " port=" +
                                  std::to_string(port) + " dbname=postgres user=" + superuser);
}

std::string cluster_control::failure(const std::string& what) const {
  return what + "; see " + log_.string() + ", which ends:" + log_tail(log_, 8);
}

bool database_exists(pqxx::nontransaction& tx, const std::string& database) {
  return !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", database).empty();
}

// CREATE DATABASE cannot run inside a transaction block, hence the nontransaction.
result<ok_t, std::string> ensure_database(const cluster_control& control,
                                          const std::string& database) {
  using namespace std::chrono_literals;
  std::string last_error;
  // A server we did not start may be starting up (it refuses at once): asked again for up to 10
  // s. One that accepts and never answers uses that up in one connect_timeout.
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < give_up) {
    try {
      pqxx::connection conn(control.admin_conninfo());
      pqxx::nontransaction tx(conn);
      if (!database_exists(tx, database)) tx.exec0("CREATE DATABASE " + tx.quote_name(database));
      return ok;
    } catch (const pqxx::broken_connection& e) {
      last_error = e.what();
      std::this_thread::sleep_for(100ms);
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == "42P04") return ok;  // created meanwhile by another process
      return fail(control.failure("creating database '" + database + "' failed: " + e.what()));
    }
  }
  return fail(control.failure("cannot connect to the cluster's server: " + last_error));
}

// The reserve this start can keep: the configured one if it fits on the file system that holds
// pg_wal (embedded_wal_reserve_fits), else none, with a warning.
std::size_t fitting_wal_reserve(const cluster_control& control, std::size_t reserve_mib) {
  if (reserve_mib == 0) return 0;
  const fs::path wal = control.data() / "pg_wal";
  std::error_code ec;
  const auto space = fs::space(wal, ec);  // on failure, every field is the largest value
  std::uint64_t in_use = 0;
  std::error_code list_ec;
  for (const auto& entry : fs::directory_iterator(wal, list_ec)) {
    std::error_code size_ec;
    if (!entry.is_regular_file(size_ec)) continue;
    const auto size = entry.file_size(size_ec);
    if (!size_ec) in_use += size;
  }
  if (!ec && embedded_wal_reserve_fits(reserve_mib, space.available, in_use)) return reserve_mib;
  constexpr std::uint64_t mib = 1024 * 1024;
  spdlog::warn(
      "embedded PostgreSQL: no WAL reserve ([database] wal_reserve_mb = {}): {} MiB free in {}, "
      "too little for WAL of up to {} MiB; PostgreSQL's own WAL sizes, and commits into new "
      "segments while it creates them",
      reserve_mib, ec ? 0 : space.available / mib, wal.string(), 2 * reserve_mib);
  return 0;
}

// Writes WAL until the cluster has about `reserve_mib` MiB of segments ahead of its insert
// position (min_wal_size counts the one being written), then checkpoints: the segments written
// are recycled ahead, where the intake's commits will write into them, instead of into new,
// sparse ones. The WAL written is logical decoding messages, which change no table. One segment
// short is enough: a shutdown or start-up record that crossed into the next segment leaves one
// fewer ahead than the checkpoint kept, and that is no reason to write it all again.
void reserve_wal(const cluster_control& control, std::size_t reserve_mib) {
  constexpr std::int64_t mib = 1024 * 1024;
  try {
    pqxx::connection conn(control.admin_conninfo());
    pqxx::nontransaction tx(conn);
    const auto row = tx.exec1(
        "SELECT (SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$' "
        "        AND name > pg_walfile_name(pg_current_wal_insert_lsn())), "
        "       setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'");
    const auto ahead = row[0].as<std::int64_t>();
    const auto segment = row[1].as<std::int64_t>();
    const auto want =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(reserve_mib) * mib / segment - 1);
    if (ahead >= want - 1 && ahead > 0) return;
    const std::int64_t writing = (want + 1) * segment / mib;
    spdlog::info(
        "embedded PostgreSQL: writing {} MiB of WAL ahead, once ([database] wal_reserve_mb)",
        writing);
    tx.exec_params(
        "SELECT count(pg_logical_emit_message(false, 'mail2sms: WAL reserve', "
        "repeat('0', $2::int))) FROM generate_series(1, $1::int)",
        writing, mib - 256);  // about a MiB of WAL each, with the record's header
    tx.exec0("CHECKPOINT");
  } catch (const std::exception& e) {
    spdlog::warn("embedded PostgreSQL: writing the WAL reserve failed: {}", e.what());
  }
}

fs::path absolute_dir(const std::string& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  return p.has_filename() ? p : p.parent_path();
}

}  // namespace

std::size_t embedded_shared_buffers_mib(std::uint64_t physical_memory) {
  constexpr std::uint64_t mib = 1024 * 1024;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(physical_memory / 8 / mib, 128, 1024));
}

std::size_t embedded_shared_buffers_mib() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  return embedded_shared_buffers_mib(
      pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * page_size : 0);
}

embedded_wal_sizes embedded_wal_sizes_for(std::size_t reserve_mib) {
  embedded_wal_sizes sizes;
  sizes.min_mib = std::max(sizes.min_mib, reserve_mib);
  sizes.max_mib = std::max(sizes.max_mib, 2 * reserve_mib);
  return sizes;
}

bool embedded_wal_reserve_fits(std::size_t reserve_mib, std::uint64_t available,
                               std::uint64_t in_use) {
  const std::uint64_t reserve = static_cast<std::uint64_t>(reserve_mib) * 1024 * 1024;
  return available + in_use >= 3 * reserve;
}

embedded_cluster::embedded_cluster(std::string dir, std::string database,
                                   std::size_t wal_reserve_mib)
    : dir_(absolute_dir(dir).string()),
      database_(std::move(database)),
      wal_reserve_mib_(wal_reserve_mib) {}

embedded_cluster::~embedded_cluster() { stop(); }

result<ok_t, std::string> embedded_cluster::start() {
  cluster_control control(dir_);
  if (auto step = control.prepare(); !step) return step;
  if (auto step = control.lock(); !step) return step;
  if (auto step = control.initdb_if_needed(); !step) return step;
  std::size_t reserve = 0;
  if (!control.running()) {
    reserve = fitting_wal_reserve(control, wal_reserve_mib_);
    auto started = control.start_server(reserve);
    if (!started && !control.running()) return fail(started.error());
    started_by_us_ = started.has_value();
  }
  if (auto made = ensure_database(control, database_); !made) return made;
  if (started_by_us_ && reserve > 0) reserve_wal(control, reserve);
  return ok;
}

void embedded_cluster::stop() {
  if (!started_by_us_) return;
  started_by_us_ = false;
  cluster_control control(dir_);
  auto stopped = control.prepare();
  if (stopped) stopped = control.stop_server();
  if (!stopped) spdlog::error("embedded PostgreSQL: {}", stopped.error());
}

std::string embedded_cluster::connection_string() const {
  return "host=" + conninfo_value((fs::path(dir_) / "socket").string()) +
         " port=" + std::to_string(port) + " dbname=" + conninfo_value(database_) +
         " user=" + superuser;
}

}  // namespace mail2sms::sql
