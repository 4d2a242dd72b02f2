// Text rules shared by the layers: what counts as well-formed UTF-8. No I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace p720 {

// The code points of `s` when it is well-formed UTF-8 (no overlong forms, surrogates or values
// past U+10FFFF); nullopt otherwise. `controls` false: a C0 or C1 control character or DEL makes
// it nullopt too.
std::optional<size_t> utf8_code_points(std::string_view s, bool controls = true);

}  // namespace p720
