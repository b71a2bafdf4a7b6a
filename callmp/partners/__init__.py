"""Partner organizations: their codes, the sites allowed to embed a campaign, their numbers."""
