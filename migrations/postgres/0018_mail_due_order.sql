-- The outbox's claim takes due tasks in the order (next_attempt_at, id): with the id in the
-- index that is an ordered index scan that stops after a batch, instead of reading and sorting
-- every due task (a whole campaign's) on each claim.
DROP INDEX mail_tasks_due;
CREATE INDEX mail_tasks_due ON mail_tasks (status, next_attempt_at, id);
