"""Not UTF-8."""
name = "café"
