"""Business components: they never talk to a device directly."""
