-- A failed attempt's reply, and a task's last error, as a message (`{"id", "args"}`) beside
-- the English (smtp_reply, last_error) where Latchkey worded it (an error of its own, a hint):
-- the console shows it in the reader's language. NULL where it is only what a server said.
ALTER TABLE mail_log ADD COLUMN smtp_reply_msg TEXT;
ALTER TABLE mail_tasks ADD COLUMN last_error_msg TEXT;
