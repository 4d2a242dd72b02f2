// The sign-in routes of SPEC §3 "Accounts and sign-in": /api/v1/auth/… and the predecessor's
// /auth/… on the same accounts. Registered by make_api; handlers parse, call app::Accounts and
// serialise.
#pragma once

#include "app/accounts.h"
#include "http/auth.h"
#include "http/router.h"

namespace p720::http {

void add_auth_routes(Router& r, app::Accounts& accounts, const TokenAuthority& auth);

}  // namespace p720::http
