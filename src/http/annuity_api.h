// The annuity routes of SPEC "Annuity installments and tax": paying installments (ADMIN), the
// caller's annuities and their payments, and the tax withheld in a month (ADMIN). Registered by
// make_api; handlers parse, call app::Annuities and serialise.
#pragma once

#include "app/annuities.h"
#include "http/router.h"

namespace p720::http {

void add_annuity_routes(Router& r, app::Annuities& annuities);

}  // namespace p720::http
