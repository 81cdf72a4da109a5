# The console: SMTP, directory, scheduled tasks, mail log, mail templates, resets and campaigns.
