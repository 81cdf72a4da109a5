//! The console's people, tenants, settings, API-key and audit pages read in German with no
//! English left (issue 18), on both databases.
