"""The developer platform: the embedded broker and Redis, the supervisor, the `hangviet` command and the demo data.

Not the kernel: services never import it; it imports the services it starts."""
