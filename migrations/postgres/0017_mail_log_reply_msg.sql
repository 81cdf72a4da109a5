-- A failed attempt's reply as a message (`{"id", "args"}`), beside its English in smtp_reply,
-- where Latchkey worded it (an error of its own, a hint): the console shows it in the reader's
-- language. NULL where the reply is only what a server said.
ALTER TABLE mail_log ADD COLUMN smtp_reply_msg TEXT;
