// Applies sql/migrations/NNNN_name.sql in order, each in its own transaction, recording each
// in schema_migrations; a second run applies nothing.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::sql {

struct migration_report {
  std::vector<std::string> applied;  // names applied by this run, in order
  std::vector<std::string> already;  // names found already applied
};

// migrations_dir defaults to the source tree's sql/migrations (compiled in), overridable by
// $MAIL2SMS_MIGRATIONS_DIR for an installed layout.
result<migration_report, std::string> migrate(const std::string& connection_string,
                                              const std::string& migrations_dir = {});

std::string default_migrations_dir();

}  // namespace mail2sms::sql
