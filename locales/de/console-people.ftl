# The console: people, tenants, settings, API keys, audit log.
