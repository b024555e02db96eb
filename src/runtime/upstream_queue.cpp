#include "runtime/upstream_queue.h"

namespace ce {

UpstreamQueue::UpstreamQueue(const std::string& path) : db_(path, "upstream queue") {
  // NORMAL: in WAL mode a power cut may lose the last messages, never
  // corrupt the queue; FULL would cost an fsync per telemetry message.
  db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  db_.exec(R"(CREATE TABLE IF NOT EXISTS messages (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                enqueued_ms INTEGER NOT NULL,
                body BLOB NOT NULL,
                properties TEXT NOT NULL))");
  db_.exec("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
}

void UpstreamQueue::push(const Message& m) {
  std::lock_guard lock(mutex_);
  SqlStatement st(db_, "INSERT INTO messages (enqueued_ms, body, properties) VALUES (?,?,?)");
  sqlite3_bind_int64(st.s, 1, now_ms());
  sqlite3_bind_blob(st.s, 2, m.body.data(), static_cast<int>(m.body.size()), SQLITE_TRANSIENT);
  std::string props = nlohmann::json(m.properties).dump();
  sqlite3_bind_text(st.s, 3, props.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
}

std::vector<QueuedMessage> UpstreamQueue::after(long long seq, int limit) const {
  std::lock_guard lock(mutex_);
  SqlStatement st(db_,
                  "SELECT seq, enqueued_ms, body, properties FROM messages WHERE seq > ? "
                  "ORDER BY seq LIMIT ?");
  sqlite3_bind_int64(st.s, 1, seq);
  sqlite3_bind_int(st.s, 2, limit);
  std::vector<QueuedMessage> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    QueuedMessage q;
    q.seq = sqlite3_column_int64(st.s, 0);
    q.enqueued_ms = sqlite3_column_int64(st.s, 1);
    q.message.body.assign(static_cast<const char*>(sqlite3_column_blob(st.s, 2)),
                          sqlite3_column_bytes(st.s, 2));
    auto props = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 3)));
    q.message.properties = props.get<std::map<std::string, std::string>>();
    out.push_back(std::move(q));
  }
  return out;
}

void UpstreamQueue::remove(long long seq) {
  std::lock_guard lock(mutex_);
  SqlStatement st(db_, "DELETE FROM messages WHERE seq = ?");
  sqlite3_bind_int64(st.s, 1, seq);
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
  if (sqlite3_changes(db_.handle()) > 0) add_to_counter("delivered", 1);
}

long long UpstreamQueue::drop_older_than(long long cutoff_ms) {
  std::lock_guard lock(mutex_);
  SqlStatement st(db_, "DELETE FROM messages WHERE enqueued_ms < ?");
  sqlite3_bind_int64(st.s, 1, cutoff_ms);
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
  long long n = sqlite3_changes(db_.handle());
  if (n > 0) add_to_counter("expired", n);
  return n;
}

long long UpstreamQueue::size() const {
  std::lock_guard lock(mutex_);
  SqlStatement st(db_, "SELECT COUNT(*) FROM messages");
  return sqlite3_step(st.s) == SQLITE_ROW ? sqlite3_column_int64(st.s, 0) : 0;
}

long long UpstreamQueue::delivered() const {
  std::lock_guard lock(mutex_);
  return counter("delivered");
}

long long UpstreamQueue::expired() const {
  std::lock_guard lock(mutex_);
  return counter("expired");
}

long long UpstreamQueue::counter(const char* name) const {
  SqlStatement st(db_, "SELECT value FROM counters WHERE name = ?");
  sqlite3_bind_text(st.s, 1, name, -1, SQLITE_STATIC);
  return sqlite3_step(st.s) == SQLITE_ROW ? sqlite3_column_int64(st.s, 0) : 0;
}

void UpstreamQueue::add_to_counter(const char* name, long long n) {
  SqlStatement st(db_,
                  "INSERT INTO counters (name, value) VALUES (?, ?) "
                  "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
  sqlite3_bind_text(st.s, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st.s, 2, n);
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
}

}  // namespace ce
