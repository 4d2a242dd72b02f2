// The routes of SPEC §3 "Money in and out": payment orders and their confirmation (and the
// predecessor's /api/v1/payments/success), withdrawals with their ADMIN transitions, and the
// predecessor's /api/v1/accounts/{userId}. Registered by make_api; handlers parse, call
// app::Payments and serialise.
#pragma once

#include "app/payments.h"
#include "http/router.h"

namespace p720::http {

void add_payment_routes(Router& r, app::Payments& payments);

}  // namespace p720::http
