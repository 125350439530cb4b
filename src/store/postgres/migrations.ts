/**
 * Schema changes for PostgreSQL, applied in order at start and recorded in schema_version.
 * Never edit a migration that has shipped; add a new one. Times are milliseconds (bigint), as
 * on SQLite, rounded the same way (see src/store/times.ts).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
  CREATE TABLE sessions (
    user_key text PRIMARY KEY,
    channel text NOT NULL,
    state text NOT NULL,
    seen text NOT NULL DEFAULT '',
    recent text NOT NULL DEFAULT '',
    updated_at bigint NOT NULL,
    inbound_at bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE events (
    id bigserial PRIMARY KEY,
    at bigint NOT NULL,
    name text NOT NULL,
    channel text NOT NULL,
    lang text,
    campaign text,
    flow text,
    faq text
  );
  CREATE TABLE feedback (id bigserial PRIMARY KEY, at bigint NOT NULL, faq text NOT NULL, lang text, helpful boolean NOT NULL);
  CREATE TABLE unanswered (id bigserial PRIMARY KEY, at bigint NOT NULL, lang text NOT NULL, query text NOT NULL);
  CREATE TABLE daily_counts (
    day bigint NOT NULL,
    name text NOT NULL,
    channel text NOT NULL DEFAULT '',
    lang text NOT NULL DEFAULT '',
    campaign text NOT NULL DEFAULT '',
    flow text NOT NULL DEFAULT '',
    faq text NOT NULL DEFAULT '',
    count bigint NOT NULL,
    PRIMARY KEY (day, name, channel, lang, campaign, flow, faq)
  );
  CREATE TABLE faq_entries (id text PRIMARY KEY, data text NOT NULL, hash text NOT NULL);
  CREATE TABLE content_snapshots (version text PRIMARY KEY, saved_at bigint NOT NULL, files text NOT NULL);
  `,
  // Retention looks for idle sessions by time; with many instances the table is large and the
  // purge runs every hour on each of them.
  `
  CREATE INDEX sessions_updated_at ON sessions (updated_at);
  `,
  // Recorded answers already uploaded to a channel, by the file's hash, so each is uploaded once per
  // bot: Telegram's file_id, the Cloud API's media id. Content, never anything about a user.
  `
  CREATE TABLE media_uploads (
    channel text NOT NULL,
    account text NOT NULL,
    sha256 text NOT NULL,
    media_id text NOT NULL,
    at bigint NOT NULL,
    PRIMARY KEY (channel, account, sha256)
  );
  `,
  // Conversations with a person. No text is kept: messages live in the staff group. While one
  // is open it holds the user key and the user's channel id sealed with the key secret, so staff
  // can answer; closing or forgetting clears both, and only the times are left to count.
  `
  CREATE TABLE handoffs (
    id text PRIMARY KEY,
    user_key text,
    channel text NOT NULL,
    address text,
    pseudonym text NOT NULL,
    lang text NOT NULL,
    thread text,
    opened_at bigint NOT NULL,
    replied_fast integer,
    last_at bigint NOT NULL,
    closed_at bigint
  );
  CREATE INDEX handoffs_user_key ON handoffs (user_key) WHERE user_key IS NOT NULL;
  CREATE INDEX handoffs_thread ON handoffs (thread) WHERE thread IS NOT NULL;
  CREATE INDEX handoffs_open ON handoffs (last_at) WHERE closed_at IS NULL;
  `,
  // Subscriptions to news by topic, each with the consent that made it (the hour, how it was given),
  // and broadcasts: one delivery row per (broadcast, subscriber), so a restart neither repeats nor
  // skips anyone. The address to send to is sealed with a key outside the database (address.ts).
  // A delivery is claimed by one instance at a time until claimed_until.
  `
  CREATE TABLE subscriptions (
    user_key text NOT NULL,
    topic text NOT NULL,
    lang text NOT NULL,
    channel text NOT NULL,
    address text NOT NULL,
    consent_at bigint NOT NULL,
    consent_how text NOT NULL,
    PRIMARY KEY (user_key, topic)
  );
  CREATE INDEX subscriptions_topic ON subscriptions (topic);
  CREATE TABLE broadcasts (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    texts text NOT NULL,
    missing text NOT NULL DEFAULT '',
    status text NOT NULL,
    created_at bigint NOT NULL,
    queued_at bigint,
    done_at bigint
  );
  CREATE TABLE broadcast_deliveries (
    id bigserial PRIMARY KEY,
    broadcast_id bigint NOT NULL REFERENCES broadcasts (id),
    user_key text NOT NULL,
    channel text NOT NULL,
    lang text NOT NULL,
    address text NOT NULL,
    state text NOT NULL,
    sent_at bigint,
    replied boolean NOT NULL DEFAULT false,
    claimed_until bigint NOT NULL DEFAULT 0,
    claimed_by text NOT NULL DEFAULT '',
    UNIQUE (broadcast_id, user_key)
  );
  CREATE INDEX broadcast_deliveries_next ON broadcast_deliveries (channel, state, id);
  CREATE INDEX broadcast_deliveries_user ON broadcast_deliveries (user_key);
  `,
  // The outbox: a turn writes its outgoing messages here in its own transaction, and the senders
  // of every instance send them. Only a chat's oldest pending message is handed out, to one sender
  // at a time (lease_until). The chat's address and the text are sealed with a key the database does
  // not hold; a sent row is deleted, a failed one keeps only its reason.
  `
  CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    channel text NOT NULL,
    user_key text NOT NULL,
    priority smallint NOT NULL DEFAULT 0,
    state smallint NOT NULL DEFAULT 0,
    body bytea NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    next_at bigint NOT NULL,
    reason text,
    lease_until bigint NOT NULL DEFAULT 0,
    lease_owner text
  );
  CREATE INDEX outbox_pending ON outbox (user_key, id) WHERE state = 0;
  CREATE INDEX outbox_due ON outbox (channel, priority, id) WHERE state = 0;
  `,
  // Held messages (WhatsApp's 24-hour window, a re-engagement refusal) wait in the outbox until
  // the person writes again; a sent message keeps the keyed hash of its platform id (ref) until
  // its delivery is known, so a later "failed" status marks it failed. Neither keeps text or address.
  `
  ALTER TABLE outbox ADD COLUMN ref text;
  CREATE INDEX outbox_ref ON outbox (ref) WHERE ref IS NOT NULL;
  CREATE INDEX outbox_held ON outbox (user_key) WHERE state = 3;
  `,
  // Broadcast messages go through the outbox: a delivery is moved into it as a row that names it,
  // so the row's outcome settles the delivery in the same transaction. The pace of each channel's
  // broadcasts is shared by every instance through broadcast_pace, so it does not add up.
  `
  ALTER TABLE outbox ADD COLUMN delivery_id bigint;
  CREATE INDEX outbox_delivery ON outbox (delivery_id) WHERE delivery_id IS NOT NULL;
  CREATE TABLE broadcast_pace (channel text PRIMARY KEY, due double precision NOT NULL);
  `,
];
