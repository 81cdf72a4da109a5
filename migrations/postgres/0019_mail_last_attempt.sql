-- A mail's last attempt is marked as begun just before the mail is handed to its server: a
-- worker that stopped with the mail claimed but not yet tried leaves it unmarked, and it goes
-- back to the queue instead of failing as "may or may not have gone out" (the claim counts an
-- attempt for a whole batch; with mail_max_attempts = 1 every mail of the batch is on its last).
ALTER TABLE mail_tasks ADD COLUMN last_attempt_begun BIGINT NOT NULL DEFAULT 0;
