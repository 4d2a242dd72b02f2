// MariaDB session limits that bound how long a dead or partitioned instance can hold locks
// (store.*-timeout-seconds and store.keepalive-seconds; docs/DESIGN.md, "Bounded blast radius").
#pragma once

namespace p720::store {

struct MysqlSession {
  // innodb_lock_wait_timeout: the longest one statement waits for another transaction's row
  // lock. A batch waits at most once: its later statements fail fast (SqlStore::run_batch).
  int lock_wait_seconds = 2;
  // idle_transaction_timeout: the server ends (and rolls back) a transaction whose client sent
  // nothing for this long — a killed, stopped or partitioned instance's locks go with it.
  int idle_transaction_seconds = 5;
  // wait_timeout: the server closes a connection idle (outside a transaction) this long.
  int idle_connection_seconds = 600;
  // Client read and write timeouts (MYSQL_OPT_READ_TIMEOUT / WRITE_TIMEOUT): a reply that does
  // not come within this is a lost connection. More than lock_wait_seconds (checked).
  int io_timeout_seconds = 30;
  // TCP keepalive on the client's socket: first probe after this many idle seconds, then one
  // a second, 3 probes; a peer host that is gone is noticed within seconds. 0 = off.
  int keepalive_seconds = 5;
};

}  // namespace p720::store
