"""The engagement team's side of the core: who staff are, what each role may do, and the
actions they take on feedback. No web code here: the workspace in ``webhooks/staff`` and the CLI
both call these functions, so a rule cannot be enforced in one and forgotten in the other."""
