"""PDF download, the send dialog, sending by email, and zips of several PDFs."""
