/**
 * Schema changes, applied in order and recorded in PRAGMA user_version.
 * Never edit a migration that has shipped; add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE sessions (
    user_key TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_updated_at ON sessions (updated_at);
  CREATE TABLE processed_updates (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX processed_updates_at ON processed_updates (at);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT,
    campaign TEXT,
    flow TEXT,
    faq TEXT
  );
  CREATE INDEX events_at ON events (at);
  CREATE TABLE feedback (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, faq TEXT NOT NULL, lang TEXT, helpful INTEGER NOT NULL);
  CREATE TABLE unanswered (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, lang TEXT NOT NULL, query TEXT NOT NULL);
  CREATE TABLE faq_entries (id TEXT PRIMARY KEY, data TEXT NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID;
  `,
  // Fewer pages written per turn: delivery marks live in the session row, and idle sessions
  // are found by a scan at start rather than an index every turn must update.
  `
  ALTER TABLE sessions ADD COLUMN seen TEXT NOT NULL DEFAULT '';
  DROP INDEX sessions_updated_at;
  DROP TABLE processed_updates;
  `,
  // Events are appended in time order; the report scans them, so no index needs updating per turn.
  `
  DROP INDEX events_at;
  `,
  // Sessions become a rowid table: SQLite advises WITHOUT ROWID only for rows under about a
  // twentieth of a page, and ours are larger. Its interior pages carry whole rows, which made
  // the tree deep; a rowid table's carry integers, and a known row is rewritten by its id.
  `
  CREATE TABLE sessions_by_id (
    id INTEGER PRIMARY KEY,
    user_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    seen TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  INSERT INTO sessions_by_id (user_key, channel, state, seen, created_at, updated_at)
    SELECT user_key, channel, state, seen, created_at, updated_at FROM sessions;
  DROP TABLE sessions;
  ALTER TABLE sessions_by_id RENAME TO sessions;
  CREATE UNIQUE INDEX sessions_user_key ON sessions (user_key);
  `,
  // Nothing linkable: records keep the hour they happened in, sessions the minute (never on the
  // hour, so no record's time equals a session's), and a session's creation time is not kept.
  // Events and feedback older than the retention period are purged after being counted per day.
  `
  UPDATE events SET at = at - at % 3600000;
  UPDATE feedback SET at = at - at % 3600000;
  UPDATE unanswered SET at = at - at % 3600000;
  UPDATE sessions SET updated_at = updated_at - updated_at % 60000;
  UPDATE sessions SET updated_at = updated_at + 60000 WHERE updated_at % 3600000 = 0;
  ALTER TABLE sessions DROP COLUMN created_at;
  CREATE TABLE daily_counts (
    day INTEGER NOT NULL,
    name TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT '',
    campaign TEXT NOT NULL DEFAULT '',
    flow TEXT NOT NULL DEFAULT '',
    faq TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL,
    PRIMARY KEY (day, name, channel, lang, campaign, flow, faq)
  ) WITHOUT ROWID;
  `,
  // The ids of the chat's recent messages, for a quick exit to delete. They live in the session
  // row, so deleting the user deletes them too.
  `
  ALTER TABLE sessions ADD COLUMN recent TEXT NOT NULL DEFAULT '';
  `,
  // The minute of the user's last message, by the app's own clock when it gives one: WhatsApp lets
  // a business write freely only within 24 hours of it. Until now the last turn's time was that minute.
  `
  ALTER TABLE sessions ADD COLUMN inbound_at INTEGER NOT NULL DEFAULT 0;
  UPDATE sessions SET inbound_at = updated_at;
  `,
  // The last version of the content that loaded without errors, kept so that a broken edit on
  // disk never stops the bot from starting: one row, every content file's text by its path.
  `
  CREATE TABLE content_snapshots (
    version TEXT PRIMARY KEY,
    saved_at INTEGER NOT NULL,
    files TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // Recorded answers already uploaded to a channel, by the file's hash, so each is uploaded once per
  // bot: Telegram's file_id, the Cloud API's media id. Content, never anything about a user.
  `
  CREATE TABLE media_uploads (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    media_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (channel, account, sha256)
  ) WITHOUT ROWID;
  `,
  // Conversations with a person. No text is kept: messages live in the staff group. While one
  // is open it holds the user key and the user's channel id sealed with the key secret, so staff
  // can answer; closing or forgetting clears both, and only the times are left to count.
  `
  CREATE TABLE handoffs (
    id TEXT NOT NULL UNIQUE,
    user_key TEXT,
    channel TEXT NOT NULL,
    address TEXT,
    pseudonym TEXT NOT NULL,
    lang TEXT NOT NULL,
    thread TEXT,
    opened_at INTEGER NOT NULL,
    replied_fast INTEGER,
    last_at INTEGER NOT NULL,
    closed_at INTEGER
  );
  CREATE INDEX handoffs_user_key ON handoffs (user_key) WHERE user_key IS NOT NULL;
  CREATE INDEX handoffs_thread ON handoffs (thread) WHERE thread IS NOT NULL;
  `,
  // Subscriptions to news by topic, each with the consent that made it (the hour, how it was given),
  // and broadcasts: one delivery row per (broadcast, subscriber), so a restart neither repeats nor
  // skips anyone. The address to send to is sealed with a key outside the database (address.ts).
  `
  CREATE TABLE subscriptions (
    user_key TEXT NOT NULL,
    topic TEXT NOT NULL,
    lang TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    consent_at INTEGER NOT NULL,
    consent_how TEXT NOT NULL,
    PRIMARY KEY (user_key, topic)
  ) WITHOUT ROWID;
  CREATE INDEX subscriptions_topic ON subscriptions (topic);
  CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    texts TEXT NOT NULL,
    missing TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    queued_at INTEGER,
    done_at INTEGER
  );
  CREATE TABLE broadcast_deliveries (
    id INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    user_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    sent_at INTEGER,
    replied INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT NOT NULL DEFAULT '',
    UNIQUE (broadcast_id, user_key)
  );
  CREATE INDEX broadcast_deliveries_next ON broadcast_deliveries (channel, state, id);
  CREATE INDEX broadcast_deliveries_user ON broadcast_deliveries (user_key);
  `,
  // The outbox: a turn writes its outgoing messages here in its own transaction, and a sender per
  // channel sends them. A user key belongs to one channel, so one index finds a chat's messages.
  // The chat's address and the text are sealed with a key the database does not hold; a sent row is deleted, a failed one keeps only its reason.
  `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    user_key TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    state INTEGER NOT NULL DEFAULT 0,
    body BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    reason TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT
  );
  CREATE INDEX outbox_pending ON outbox (user_key, id) WHERE state = 0;
  `,
  // Held messages (WhatsApp's 24-hour window, a re-engagement refusal) wait in the outbox until
  // the person writes again; a sent message keeps the keyed hash of its platform id (`ref`) until
  // its delivery is known, so a later "failed" status marks it failed. Neither keeps text or address.
  `
  ALTER TABLE outbox ADD COLUMN ref TEXT;
  CREATE INDEX outbox_ref ON outbox (ref) WHERE ref IS NOT NULL;
  CREATE INDEX outbox_held ON outbox (user_key) WHERE state = 3;
  `,
  // Broadcast messages go through the outbox: a delivery is moved into it as a row that names it,
  // so the row's outcome settles the delivery in the same transaction. The pace of each channel's
  // broadcasts is kept here, so a restart goes on from where it was.
  `
  ALTER TABLE outbox ADD COLUMN delivery_id INTEGER;
  CREATE INDEX outbox_delivery ON outbox (delivery_id) WHERE delivery_id IS NOT NULL;
  CREATE INDEX outbox_due ON outbox (channel, priority, id) WHERE state = 0;
  CREATE TABLE broadcast_pace (channel TEXT PRIMARY KEY, due REAL NOT NULL) WITHOUT ROWID;
  `,
];
