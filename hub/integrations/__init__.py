"""Device- and protocol-facing integrations, one folder each."""
