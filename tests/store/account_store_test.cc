// The accounts part of the Store contract, on SQLite and MariaDB (PENSION_TEST_MYSQL, as the
// conformance suite: without it the MariaDB cases fail): accounts, e-mail codes and their tries,
// sessions, refresh-token rotation — including two stores (two processes, as far as the database
// can tell) racing for one refresh token or one e-mail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "store/mysql_connection.h"
#include "store/sql_store.h"
#include "store/sqlite_connection.h"
#include "test_database.h"

namespace p720::store {
namespace {

class AccountStore : public StoreTest {
 protected:
  AccountStore() : StoreTest("p720acct") {}

  static Account account(const std::string& email) {
    Account a;
    a.email = email;
    a.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    a.name = "홍길동";
    a.birth_date = "1990-05-17";
    return a;
  }
};

constexpr long long kNow = 1'800'000'000;

TEST_P(AccountStore, CreateFindAndTakenEmail) {
  auto a = store_->create_account(account("a@example.com"), kNow, "t");
  ASSERT_TRUE(a.ok()) << a.error().detail;
  EXPECT_GT(a->id, 0);
  EXPECT_FALSE(a->verified);
  auto again = store_->create_account(account("a@example.com"), kNow, "t");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kEmailTaken);
  auto byemail = store_->account_by_email("a@example.com");
  ASSERT_TRUE(byemail.ok() && *byemail);
  EXPECT_EQ((*byemail)->id, a->id);
  EXPECT_EQ((*byemail)->name, "홍길동");
  EXPECT_EQ((*byemail)->birth_date, "1990-05-17");
  EXPECT_FALSE(*store_->account_by_email("A@example.com"));  // exact compare; callers normalise
  EXPECT_FALSE(*store_->account_by_id(a->id + 1000));
  EXPECT_EQ((*store_->account_by_id(a->id))->email, "a@example.com");
}

TEST_P(AccountStore, CodeTriesExpiryAndVerification) {
  auto a = store_->create_account(account("c@example.com"), kNow, "t");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(store_->check_email_code("c@example.com", "h1", kNow, 5, kNow + 86400)->check, CodeCheck::kExpired);
  ASSERT_TRUE(store_->put_email_code("c@example.com", "h1", kNow + 600).ok());
  for (int left = 4; left >= 1; --left) {
    auto r = store_->check_email_code("c@example.com", "wrong", kNow, 5, kNow + 86400);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->check, CodeCheck::kWrong);
    EXPECT_EQ(r->tries_left, left);
  }
  EXPECT_EQ(store_->check_email_code("c@example.com", "h1", kNow, 5, kNow + 86400)->check, CodeCheck::kConfirmed);
  EXPECT_TRUE((*store_->account_by_id(a->id))->verified);
  // Spent.
  EXPECT_EQ(store_->check_email_code("c@example.com", "h1", kNow, 5, kNow + 86400)->check, CodeCheck::kExpired);
  // A new code: five tries again, and it expires.
  ASSERT_TRUE(store_->put_email_code("c@example.com", "h2", kNow + 600).ok());
  for (int i = 0; i < 5; ++i) store_->check_email_code("c@example.com", "wrong", kNow, 5, 0).value();
  EXPECT_EQ(store_->check_email_code("c@example.com", "h2", kNow, 5, 0)->check, CodeCheck::kExpired);
  ASSERT_TRUE(store_->put_email_code("c@example.com", "h3", kNow + 600).ok());
  EXPECT_EQ(store_->check_email_code("c@example.com", "h3", kNow + 600, 5, 0)->check, CodeCheck::kExpired);
}

TEST_P(AccountStore, ConfirmedBeforeSignUpMakesAVerifiedAccount) {
  ASSERT_TRUE(store_->put_email_code("early@example.com", "h", kNow + 600).ok());
  EXPECT_EQ(store_->check_email_code("early@example.com", "h", kNow, 5, kNow + 86400)->check, CodeCheck::kConfirmed);
  EXPECT_TRUE(store_->create_account(account("early@example.com"), kNow + 100, "t")->verified);
  // A confirmation that has lapsed counts for nothing.
  ASSERT_TRUE(store_->put_email_code("late@example.com", "h", kNow + 600).ok());
  EXPECT_EQ(store_->check_email_code("late@example.com", "h", kNow, 5, kNow + 10)->check, CodeCheck::kConfirmed);
  EXPECT_FALSE(store_->create_account(account("late@example.com"), kNow + 11, "t")->verified);
}

TEST_P(AccountStore, RefreshRotatesOnceAndReuseRevokesTheSession) {
  auto a = store_->create_account(account("r@example.com"), kNow, "t");
  auto s = store_->open_session(a->id, "r1", kNow + 1000, "t");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(*store_->session_active(*s));
  EXPECT_EQ(*store_->session_of_refresh("r1"), *s);
  auto r = store_->rotate_refresh("r1", "r2", kNow, kNow + 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, RefreshState::kRotated);
  EXPECT_EQ(r->account_id, a->id);
  EXPECT_EQ(r->session_id, *s);
  EXPECT_EQ(store_->rotate_refresh("unknown", "x", kNow, kNow + 1000)->state, RefreshState::kInvalid);
  // r1 again: reuse — the session is revoked, r2 with it.
  EXPECT_EQ(store_->rotate_refresh("r1", "r3", kNow, kNow + 1000)->state, RefreshState::kReused);
  EXPECT_FALSE(*store_->session_active(*s));
  EXPECT_EQ(store_->rotate_refresh("r2", "r4", kNow, kNow + 1000)->state, RefreshState::kInvalid);
  EXPECT_FALSE(*store_->session_of_refresh("r2")) << "a revoked session keeps no refresh tokens";
  // Spent tokens go once they would have expired: a copy is then refused as unknown.
  auto s3 = store_->open_session(a->id, "k1", kNow + 100, "t");
  EXPECT_EQ(store_->rotate_refresh("k1", "k2", kNow, kNow + 1000)->state, RefreshState::kRotated);
  EXPECT_TRUE(*store_->session_of_refresh("k1"));
  EXPECT_EQ(store_->rotate_refresh("k2", "k3", kNow + 100, kNow + 1000)->state, RefreshState::kRotated);
  EXPECT_FALSE(*store_->session_of_refresh("k1"));
  EXPECT_EQ(store_->rotate_refresh("k1", "k4", kNow + 100, kNow + 1000)->state, RefreshState::kInvalid);
  EXPECT_TRUE(*store_->session_active(*s3));
  // Expiry.
  auto s2 = store_->open_session(a->id, "e1", kNow + 10, "t");
  EXPECT_EQ(store_->rotate_refresh("e1", "e2", kNow + 10, kNow + 1000)->state, RefreshState::kInvalid);
  EXPECT_TRUE(*store_->session_active(*s2));
  ASSERT_TRUE(store_->revoke_session(*s2).ok());
  EXPECT_FALSE(*store_->session_active(*s2));
  EXPECT_FALSE(*store_->session_active(987654));
}

// Two stores on one database race for the same refresh token: one rotates, the other sees a
// spent token, and the session ends up revoked — every time.
TEST_P(AccountStore, TwoStoresRacingForOneRefreshTokenHaveOneWinner) {
  auto other = open();
  auto a = store_->create_account(account("race@example.com"), kNow, "t");
  for (int round = 0; round < 20; ++round) {
    const std::string t = "t" + std::to_string(round);
    auto s = store_->open_session(a->id, t, kNow + 1000, "t");
    ASSERT_TRUE(s.ok());
    RefreshState got[2];
    std::thread x([&] { got[0] = store_->rotate_refresh(t, t + "a", kNow, kNow + 1000)->state; });
    std::thread y([&] { got[1] = other->rotate_refresh(t, t + "b", kNow, kNow + 1000)->state; });
    x.join();
    y.join();
    const int rotated = (got[0] == RefreshState::kRotated) + (got[1] == RefreshState::kRotated);
    EXPECT_EQ(rotated, 1) << "round " << round;
    EXPECT_TRUE(got[0] == RefreshState::kReused || got[1] == RefreshState::kReused) << "round " << round;
    EXPECT_FALSE(*store_->session_active(*s));
  }
}

TEST_P(AccountStore, TwoStoresRacingForOneEmailMakeOneAccount) {
  auto other = open();
  for (int round = 0; round < 10; ++round) {
    const std::string email = "e" + std::to_string(round) + "@example.com";
    bool ok[2];
    std::thread x([&] { ok[0] = store_->create_account(account(email), kNow, "t").ok(); });
    std::thread y([&] { ok[1] = other->create_account(account(email), kNow, "t").ok(); });
    x.join();
    y.join();
    EXPECT_EQ(ok[0] + ok[1], 1) << email;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountStore, backends(), backend_name);

}  // namespace
}  // namespace p720::store
