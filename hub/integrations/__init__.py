"""Device- and protocol-facing integrations, one folder each (see DESIGN.md)."""
