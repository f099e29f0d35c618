"""Outbound adapters of the registration service: the spreadsheet (XLSX/CSV) writers of a fair's registrations."""
