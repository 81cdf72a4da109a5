-- Retention (audit_retention_days, mail_log_retention_days, finished_task_retention_days): the
-- janitor deletes by age in small batches; these indexes let each batch find its rows without
-- reading the whole table.
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX mail_log_at ON mail_log (at);
CREATE INDEX mail_tasks_done_at ON mail_tasks (done_at);
