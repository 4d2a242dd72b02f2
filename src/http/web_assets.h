// Static files compiled into the binary (web/ and docs/openapi.json); see scripts/embed_web.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace p720::http {

struct WebAsset {
  std::string_view name;  // file name, e.g. "index.html"
  std::string_view body;
};

const std::vector<WebAsset>& web_assets();

}  // namespace p720::http
