//! The console's SMTP, directory, task, mail-log, template, reset and campaign pages read in
//! German with no English left (issue 18), on both databases.
