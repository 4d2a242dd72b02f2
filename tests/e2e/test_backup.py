"""`pension720 backup --to FILE`: an online SQLite backup taken while buyers keep buying, restored by
starting a server on the file, passes the invariant check and holds every earlier 201."""
import json
import os
import signal
import sqlite3
import subprocess

from buyers import UNLIMITED, Buyers
from conftest import BIN, ROUND, Server, poll_until, ticket_index

THREADS = 8
FILLER_MB = 48  # makes the copy long enough to be caught (and stopped) in the middle


def _fill(db):
    """A database the server will open, with FILLER_MB of data the backup must copy."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA page_size=1024")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE backup_test_filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    conn.executemany("INSERT INTO backup_test_filler (data) VALUES (?)",
                     ((os.urandom(64 * 1024),) for _ in range(FILLER_MB * 16)))
    conn.commit()
    conn.close()


def test_online_backup_while_selling_restores_with_every_earlier_purchase(tmp_path):
    servers = []
    try:
        _fill(tmp_path / "live.db")
        srv = Server(tmp_path, "live", env=UNLIMITED)
        servers.append(srv)
        srv.start()
        buyers = Buyers.selling(srv, THREADS, "bk")
        users = buyers.users

        out = tmp_path / "backup.db"
        before = buyers.snapshot()  # acknowledged before the backup started: all must be in it
        proc = subprocess.Popen([BIN, "backup", "--db", f"sqlite:{srv.db}", "--to", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Caught in the middle of its copy (it holds its snapshot from before the partial file exists),
        # and stopped there: sales go on all the same.
        partial = tmp_path / "backup.db.partial"
        poll_until(lambda: partial.exists() or proc.poll() is not None, "the backup's partial file", interval=0.001)
        proc.send_signal(signal.SIGSTOP)
        try:
            assert not out.exists(), "the copy ended before it could be stopped in the middle"
            during = buyers.count()
            poll_until(lambda: buyers.count() >= during + 100, "100 purchases while the backup is stopped mid-copy")
        finally:
            proc.send_signal(signal.SIGCONT)
        stdout, stderr = proc.communicate(timeout=120)
        started_after = buyers.last_sent()  # requests numbered above this were sent after the backup ended
        assert proc.returncode == 0, stderr.decode(errors="replace")
        report = json.loads(stdout.decode().strip().splitlines()[-1])
        assert report["msg"] == "backup done" and report["bytes"] == out.stat().st_size > FILLER_MB << 20
        assert not partial.exists()

        poll_until(lambda: buyers.count() >= during + 200, "purchases after the backup")
        buyers.stop()
        assert not buyers.failed, buyers.failed[:3]
        acked = buyers.acked
        srv.assert_money_conserved()
        srv.stop()

        # Restore: a server started on the backup file.
        restored = Server(tmp_path, "restored", env=UNLIMITED, db=out)
        servers.append(restored)
        restored.start()
        restored.assert_money_conserved()
        assert restored.sql("SELECT round, ticket FROM tickets GROUP BY round, ticket HAVING COUNT(*) > 1") == []
        in_backup = {row[0] for row in restored.sql("SELECT id FROM purchases")}
        for _, user, receipt in before:
            rows = restored.sql("SELECT user_id, round, amount, balance_after FROM purchases WHERE id = ?",
                                (receipt["purchaseId"],))
            assert rows == [(user, ROUND, receipt["amount"], receipt["balance"])], receipt
            stored = restored.sql("SELECT id, user_id, ticket FROM tickets WHERE purchase_id = ? ORDER BY id",
                                  (receipt["purchaseId"],))
            assert stored == [(t["ticketId"], user, ticket_index(t["group"], t["number"])) for t in receipt["tickets"]]
        # One snapshot: nothing sent after the backup ended is in it, and it holds whole purchases only.
        assert not {r["purchaseId"] for s, _, r in acked if s > started_after} & in_backup
        assert len(in_backup) >= len(before)
        # Per buyer, the wallet is what it was before the purchases the backup does not hold.
        for user in users:
            mine = [r for _, u, r in acked if u == user and r["purchaseId"] in in_backup]
            (bal,), = restored.sql("SELECT balance FROM wallets WHERE user_id = ?", (user,))
            assert bal == 10_000_000 - sum(r["amount"] for r in mine)
        # The restored server sells, and what the backup holds stays sold.
        _, user, receipt = before[0]
        t = receipt["tickets"][0]
        r = restored.buy(user, [{"group": t["group"], "number": t["number"]}])
        assert r.status_code == 409 and r.json()["errorCode"] == "PURCHASE_DUPLICATED"
        assert restored.buy(user, [{"group": 5, "number": "999999"}]).status_code == 201
        restored.assert_money_conserved()
        restored.stop()

        # A second backup to the same name is refused and leaves the first one alone.
        size = out.stat().st_size
        again = subprocess.run([BIN, "backup", "--db", f"sqlite:{out}", "--to", str(out)], capture_output=True)
        assert again.returncode != 0 and b"exists already" in again.stderr
        assert out.stat().st_size == size
    finally:
        for srv in servers:  # a failed check leaves them running: they must not outlive the test
            srv.kill()


def test_backup_refuses_what_it_cannot_copy(tmp_path):
    missing = subprocess.run([BIN, "backup", "--db", f"sqlite:{tmp_path / 'none.db'}", "--to", str(tmp_path / "b.db")],
                             capture_output=True)
    assert missing.returncode != 0 and b"no database" in missing.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "b.db").exists()
    mysql = subprocess.run([BIN, "backup", "--db", "mysql://u:p@127.0.0.1:1/db", "--to", str(tmp_path / "b.db")],
                           capture_output=True)
    assert mysql.returncode == 2 and b"mariadb-backup" in mysql.stderr
    assert b"u:p" not in mysql.stderr
    no_to = subprocess.run([BIN, "backup", "--db", f"sqlite:{tmp_path / 'x.db'}"], capture_output=True)
    assert no_to.returncode != 0 and b"--to" in no_to.stderr
