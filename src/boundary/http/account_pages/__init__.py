"""The pages a mailed link opens (`/account/reset-password`, `/account/verify-email`)."""
