// Structured logs: every line written through spdlog becomes one JSON object with time (UTC) and
// level. A message that is itself a JSON object (the access log) is merged in; any other message
// becomes "msg". Never log tokens, secrets or request bodies.
#pragma once

namespace p720 {

// Installs the JSON formatter on spdlog's default logger (stderr).
void setup_json_logging();

}  // namespace p720
