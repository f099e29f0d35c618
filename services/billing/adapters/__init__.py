"""Outbound adapters: the PDF, the e-invoice XML and provider, the VietQR payload and image."""
