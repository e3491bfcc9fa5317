"""Platform profiles shipped with the uplink (YAML); a package so that they install with it."""
