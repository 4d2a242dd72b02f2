// Account rules of sign-up (SPEC §3 "Accounts and sign-in"): what a valid e-mail, password, name
// and birth date are, and the age check (19 or older on the KST calendar). Pure functions, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "domain/calendar.h"

namespace p720 {

inline constexpr size_t kMaxEmailLength = 254;    // RFC 5321 path limit
inline constexpr size_t kMinPasswordLength = 8;   // characters (code points)
inline constexpr size_t kMaxPasswordBytes = 256;  // longer is refused before any hashing
inline constexpr size_t kMaxNameLength = 50;      // characters (code points)
inline constexpr int kMinBuyerAge = 19;           // 복권 및 복권기금법 제5조

// The e-mail in its stored form (lower case), or nullopt when it is not a plausible address:
// one '@', a local part of 1–64 characters from RFC 5322's atext and single dots, a domain of
// two or more labels (letters, digits, inner hyphens) ending in a letter label; at most 254 bytes.
std::optional<std::string> normalize_email(std::string_view email);

// Why a password is refused ("" when it is acceptable): valid UTF-8 without control
// characters, 8 characters to 256 bytes.
std::string password_problem(std::string_view password);

// The display name trimmed, or nullopt: valid UTF-8, no control characters, 1–50 characters.
std::optional<std::string> normalize_name(std::string_view name);

// Dates (parse_date, kst_date, format_date) are in domain/calendar.h.

// Accounts' user ids are this prefix and the account's number ("acct-7"); no other sign-in (the
// demo's, an operator's tokens) may use it.
inline constexpr std::string_view kAccountIdPrefix = "acct-";

// Full years of age on `today` of someone born on `birth` (0 when born later). Someone born on
// 29 February becomes a year older on 1 March in a common year.
int age_on(std::chrono::year_month_day birth, std::chrono::year_month_day today);

}  // namespace p720
