"""The operator CLI, `wellness-ops`: seed demo data, read the day's counters, inspect a user,
run a reminder tick, replay webhooks and reconcile billing, against the local stack or a
real project named by the environment."""
