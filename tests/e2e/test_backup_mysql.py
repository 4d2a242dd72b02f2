"""MariaDB backups as docs/DEPLOY.md says: `mariadb-backup --backup` of the test MariaDB
(PENSION_TEST_MYSQL, which scripts/test.sh starts; without it this fails, never skips) while buyers
buy, `--prepare`, a second mariadbd started on the prepared copy, and pension720 started on that:
every purchase acknowledged before the backup began is there, money conserved, no ticket twice."""
import os
import shutil
import signal
import subprocess
import uuid
from urllib.parse import urlparse

from buyers import UNLIMITED, Buyers
from conftest import PRICE, ROUND, Server, free_port, mariadb_cli, poll_until, ticket_index

URL = os.environ.get("PENSION_TEST_MYSQL")
THREADS = 6


def test_mariadb_backup_while_selling_restores_with_every_earlier_purchase(tmp_path):
    assert URL, "PENSION_TEST_MYSQL is not set: start MariaDB with `scripts/topology.sh start-db` (scripts/test.sh does)"
    u = urlparse(URL)
    live = lambda sql, db=None: mariadb_cli(u.hostname, u.port, u.username, u.password, sql, db)
    name = "p720_backup_" + uuid.uuid4().hex[:10]
    live(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin")
    restored_db = None
    servers = []
    try:
        srv = Server(tmp_path, "live", env=UNLIMITED, db_url=f"mysql://{u.username}:{u.password}@{u.hostname}:{u.port}/{name}")
        servers.append(srv)
        srv.start()
        buyers = Buyers.selling(srv, THREADS, "mbk")
        before = buyers.snapshot()
        (datadir,), = live("SELECT @@datadir")
        target = tmp_path / "mbk"
        backup = subprocess.run(["mariadb-backup", "--no-defaults", "--backup", f"--datadir={datadir}",
                                 f"--target-dir={target}", "--host=127.0.0.1", f"--port={u.port}",
                                 f"--user={u.username}", f"--password={u.password}"],
                                capture_output=True, text=True, timeout=300)
        ended = buyers.count()
        assert backup.returncode == 0, backup.stderr[-3000:]
        poll_until(lambda: buyers.count() >= ended + 50, "purchases after the backup")
        buyers.stop()
        assert not buyers.failed, buyers.failed[:3]
        srv.stop()

        prepare = subprocess.run(["mariadb-backup", "--no-defaults", "--prepare", f"--target-dir={target}"],
                                 capture_output=True, text=True, timeout=300)
        assert prepare.returncode == 0, prepare.stderr[-3000:]

        # The restore: a mariadbd of its own on the prepared copy (what --copy-back puts in place).
        port = free_port()
        sock = tmp_path / "restored.sock"
        restored_db = subprocess.Popen(
            ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={target}", f"--socket={sock}", f"--port={port}",
             "--bind-address=127.0.0.1", f"--pid-file={tmp_path / 'restored.pid'}", "--user=" + os.environ.get("USER", "root"),
             "--skip-name-resolve", f"--log-error={tmp_path / 'restored.err'}", "--innodb-buffer-pool-size=64M",
             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_nopad_bin"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        back = lambda sql: mariadb_cli("127.0.0.1", port, u.username, u.password, sql, name)

        def up():
            assert restored_db.poll() is None, (tmp_path / "restored.err").read_text()[-2000:]
            return subprocess.run(["mariadb", "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", str(port),
                                   "-u", u.username, f"-p{u.password}", "-e", "SELECT 1"],
                                  capture_output=True).returncode == 0
        poll_until(up, "the restored mariadbd", 120)

        ids = {int(r[0]) for r in back("SELECT id FROM purchases")}
        for _, user, receipt in before:
            rows = back(f"SELECT user_id, round, amount, balance_after FROM purchases WHERE id = {receipt['purchaseId']}")
            assert rows == [[user, str(ROUND), str(receipt["amount"]), str(receipt["balance"])]], receipt
            stored = back(f"SELECT id, ticket FROM tickets WHERE purchase_id = {receipt['purchaseId']} ORDER BY id")
            assert stored == [[str(t["ticketId"]), str(ticket_index(t["group"], t["number"]))] for t in receipt["tickets"]]
        assert len(ids) >= len(before)
        drift = back("SELECT w.user_id, w.balance, COALESCE((SELECT SUM(amount) FROM ledger l"
                     " WHERE l.user_id = w.user_id), 0) FROM wallets w")
        assert drift and all(b == s for _, b, s in drift), [d for d in drift if d[1] != d[2]]
        (sales, sold, twice), = back("SELECT -(SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'PURCHASE'),"
                                     " (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM (SELECT 1 FROM tickets"
                                     " GROUP BY round, ticket HAVING COUNT(*) > 1) d)")
        assert int(sales) == PRICE * int(sold) and int(twice) == 0, (sales, sold, twice)

        # pension720 sells on the restored database, and what the backup holds stays sold.
        again = Server(tmp_path, "restored", env=UNLIMITED, db_url=f"mysql://{u.username}:{u.password}@127.0.0.1:{port}/{name}")
        servers.append(again)
        again.start()
        _, user, receipt = before[0]
        t = receipt["tickets"][0]
        r = again.buy(user, [{"group": t["group"], "number": t["number"]}])
        assert r.status_code == 409 and r.json()["errorCode"] == "PURCHASE_DUPLICATED"
        assert again.buy(user, [{"group": 5, "number": "999999"}]).status_code == 201
        again.stop()
    finally:
        for srv in servers:  # a failed check leaves them running: they must not outlive the test
            srv.kill()
        if restored_db is not None and restored_db.poll() is None:
            restored_db.send_signal(signal.SIGTERM)
            try:
                restored_db.wait(timeout=60)
            except subprocess.TimeoutExpired:
                restored_db.kill()
                restored_db.wait()
        live(f"DROP DATABASE IF EXISTS {name}")
        shutil.rmtree(tmp_path / "mbk", ignore_errors=True)
