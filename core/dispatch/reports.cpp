// Receipt states (see reports.hpp).
#include "core/dispatch/reports.hpp"

namespace mail2sms::core {

bool is_final_state(const std::string& state) { return state != "ENROUTE" && state != "ACCEPTD"; }

}  // namespace mail2sms::core
