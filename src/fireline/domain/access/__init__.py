"""Access: token roles, what each role may do, and how tokens are made and hashed."""
