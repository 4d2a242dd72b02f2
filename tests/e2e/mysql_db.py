"""A MariaDB database of one test on PENSION_TEST_MYSQL's server (scripts/topology.sh start-db),
its queries through the mariadb client, and the money check of tests/e2e/conftest.py's
Server.assert_money_conserved for it."""
import os
import uuid
from urllib.parse import urlparse

from conftest import PRICE, mariadb_cli


class MysqlDatabase:
    """A database of its own on PENSION_TEST_MYSQL's server, dropped at close()."""

    def __init__(self, prefix):
        url = os.environ.get("PENSION_TEST_MYSQL")
        assert url, "PENSION_TEST_MYSQL is not set: start MariaDB with `scripts/topology.sh start-db`"
        self.u = urlparse(url)
        self.name = f"p720_{prefix}_{uuid.uuid4().hex[:8]}"
        self.admin(f"CREATE DATABASE {self.name}")

    def url(self, port=None):
        """The store URL, optionally through a proxy listening on `port`."""
        return f"mysql://{self.u.username}:{self.u.password}@127.0.0.1:{port or self.u.port}/{self.name}"

    def admin(self, query, database=None):
        return mariadb_cli(self.u.hostname, self.u.port, self.u.username, self.u.password, query, database)

    def sql(self, query):
        """Rows of a query in this database, integers where they look like integers."""
        return [tuple(int(c) if c.lstrip("-").isdigit() else c for c in row) for row in self.admin(query, self.name)]

    def close(self):
        self.admin(f"DROP DATABASE IF EXISTS {self.name}")

    def assert_money_conserved(self):
        """Server.assert_money_conserved's checks on MariaDB, in one snapshot: every wallet is the
        sum of its ledger lines; no ledger line of an unknown kind; deposits + prizes + installments
        (net) = balances + sales + withdrawals not failed (−WITHDRAWAL − REFUND); sales = price ×
        tickets; no ticket twice."""
        kinds = ("DEPOSIT", "PURCHASE", "PRIZE", "INSTALLMENT", "WITHDRAWAL", "REFUND")
        sums = ", ".join(f"(SELECT COALESCE(SUM(amount),0) FROM ledger WHERE kind='{k}')" for k in kinds)
        row, = self.sql(
            f"START TRANSACTION WITH CONSISTENT SNAPSHOT; SELECT {sums},"
            " (SELECT COALESCE(SUM(balance),0) FROM wallets),"
            " (SELECT COUNT(*) FROM tickets),"
            " (SELECT COALESCE(SUM(amount),0) FROM purchases),"
            " (SELECT COUNT(*) FROM wallets w WHERE w.balance <>"
            "  COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.user_id = w.user_id), 0)),"
            " (SELECT COUNT(*) FROM ledger WHERE kind NOT IN (" + ", ".join(f"'{k}'" for k in kinds) + ")); COMMIT")
        deposits, purchases, prizes, installments, withdrawals, refunds, balances, sold, purchased, drift, unknown = row
        sales, withdrawn = -purchases, -withdrawals - refunds
        assert unknown == 0, f"{unknown} ledger lines of unknown kinds"
        assert deposits + prizes + installments == balances + sales + withdrawn, \
            (deposits, prizes, installments, balances, sales, withdrawn)
        assert sales == PRICE * sold == purchased, (sales, sold, purchased)
        assert self.sql("SELECT COUNT(*) FROM (SELECT 1 FROM tickets GROUP BY round, ticket HAVING COUNT(*) > 1) d")\
            == [(0,)], "a ticket sold twice"
        assert drift == 0, self.sql("SELECT w.user_id, w.balance, (SELECT SUM(amount) FROM ledger l"
                                    " WHERE l.user_id = w.user_id) FROM wallets w")
        return deposits, balances, sales, prizes
