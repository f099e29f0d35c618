"""The web portal: server-rendered pages over the services' HTTP APIs; it owns no data."""
