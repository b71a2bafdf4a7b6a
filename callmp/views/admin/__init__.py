"""Staff pages: logging in, accounts, the campaign editor, targets, versions, dashboard."""
