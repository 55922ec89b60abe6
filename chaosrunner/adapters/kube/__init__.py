"""The Kubernetes API, as chaosrunner uses it: one client, one error type, one retry policy."""
