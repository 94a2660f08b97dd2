"""The analysts' console: a web app over the sinks' store, with roles, sessions and an
access log of every view of identifiable data."""
