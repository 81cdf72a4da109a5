-- The life of a reset link, for the console (issue 17): the mail task that carried it, when it
-- was first opened and how often (recorded on the GET of the link; it changes nothing about
-- whether the token works), and when a newer link for the same account replaced it.
ALTER TABLE reset_tokens ADD COLUMN task_id BIGINT;
ALTER TABLE reset_tokens ADD COLUMN first_opened_at BIGINT;
ALTER TABLE reset_tokens ADD COLUMN open_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reset_tokens ADD COLUMN superseded_at BIGINT;
CREATE INDEX reset_tokens_task ON reset_tokens (task_id);
