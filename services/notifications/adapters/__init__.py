"""Outbound adapters: SMTP, mail templates, billing's invoice PDF, the development mailbox."""
