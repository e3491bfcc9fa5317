"""Business components: they never talk to a device directly (see DESIGN.md)."""
