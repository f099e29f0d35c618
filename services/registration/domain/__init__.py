"""Registration rules, pure (no framework, no I/O): a fair's lifecycle and terms, the registration workflow,
eligibility, the priority policy, capacity and the waitlist, profile data checked against reference data."""
