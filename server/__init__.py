"""LoginGuard server: Sanic + JWT whose JTI is the account's single valid session."""
