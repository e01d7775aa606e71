"""The web layer shared by every blueprint: forms, template globals, kept pages, attachments."""
